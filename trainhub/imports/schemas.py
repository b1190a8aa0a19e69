"""Marshmallow schemas of the import API (also its OpenAPI description), and the summary of
a dry run that the API answers with."""

from __future__ import annotations

import dataclasses

from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from trainhub.api import Bool, Int, Text
from trainhub.imports.plan import ImportPlan, RowAction


class ImportArgs(Schema):
    class Meta:
        ordered = True

    file = Upload(required=True, error_messages={"required": "请上传名单文件（multipart 字段 file）。"},
                  metadata={"description": "学员名单：.xlsx，或 UTF-8 / GBK 编码的 .csv"})
    dry_run = Bool(load_default=True, metadata={"description": "只检查、不写入（默认 true）"})
    valid_only = Bool(load_default=False,
                      metadata={"description": "只导入无误的行（默认 false：有任何一行有问题就不导入）"})
    enrol = Text(load_default=None, validate=validate.Length(max=32, error="课程代码最多 {max} 个字符。"),
                 metadata={"description": "课程代码：把导入的全部学员报名到该课程（名额满时进入候补）"})


class CountsSchema(Schema):
    class Meta:
        ordered = True

    rows = Int(required=True, metadata={"description": "学员数据行数"})
    new = Int(required=True, metadata={"description": "新增学员"})
    updated = Int(required=True, metadata={"description": "信息有变化、将更新（已更新）的学员"})
    unchanged = Int(required=True, metadata={"description": "已登记且无变化的学员"})
    rejected = Int(required=True, metadata={"description": "有问题的行"})
    organisations = Int(required=True, metadata={"description": "将新建（已新建）的机构"})


class RowProblemSchema(Schema):
    class Meta:
        ordered = True

    row = Int(required=True, metadata={"description": "行号（表头为第 1 行）"})
    column = fields.String(required=True, metadata={"description": "文件中该列的表头"})
    field = fields.String(required=True, metadata={
        "description": "字段：name、id_number、phone、gender、birth_date、organisation、county、"
                       "province、prefecture、org_kind、position、qualification、joined_on"})
    message = fields.String(required=True, metadata={"description": "问题说明（中文）"})


class UpdateSchema(Schema):
    row = Int(required=True)
    name = fields.String(required=True)
    fields_ = fields.List(fields.String(), data_key="fields", attribute="fields", required=True,
                          metadata={"description": "将修改的字段：name、phone、organisation、position、"
                                                   "qualification、joined_on"})


class NewOrganisationSchema(Schema):
    name = fields.String(required=True)
    kind = fields.String(required=True, metadata={"description": "agency、station 或 supporter"})
    county_code = fields.String(required=True)
    county_name = fields.String(required=True)
    rows = fields.List(Int(), required=True, metadata={"description": "提到该机构的行"})


class CourseSchema(Schema):
    code = fields.String(required=True)
    title = fields.String(required=True)
    capacity = Int(allow_none=True, required=True, metadata={"description": "null 表示不限人数"})
    enrolled = Int(required=True, metadata={"description": "导入前已报名人数"})
    waitlisted = Int(required=True, metadata={"description": "导入前候补人数"})
    already_in_course = Int(required=True, metadata={"description": "文件中已报名该课程的学员"})


class EnrolmentOutcomeSchema(Schema):
    enrolled = Int(required=True, metadata={"description": "新报名"})
    waitlisted = Int(required=True, metadata={"description": "进入候补名单"})
    already = Int(required=True, metadata={"description": "此前已报名或候补"})


class ImportSummarySchema(Schema):
    class Meta:
        ordered = True

    dry_run = fields.Boolean(required=True)
    committed = fields.Boolean(required=True, metadata={"description": "是否已写入"})
    filename = fields.String(required=True)
    counts = fields.Nested(CountsSchema, required=True)
    columns = fields.Dict(keys=fields.String(), values=fields.String(), required=True,
                          metadata={"description": "识别出的列：字段 → 文件中的表头"})
    ignored_columns = fields.List(fields.String(), required=True, metadata={"description": "未识别、已忽略的列"})
    problems = fields.List(fields.Nested(RowProblemSchema), required=True)
    updates = fields.List(fields.Nested(UpdateSchema), required=True)
    organisations_to_create = fields.List(fields.Nested(NewOrganisationSchema), required=True)
    course = fields.Nested(CourseSchema, allow_none=True, required=True)
    example_rows = fields.List(Int(), required=True, metadata={
        "description": "导入模板中的示例行（张晓明）留在文件中时的行号：已跳过，不会导入"})
    notes = fields.List(fields.String(), required=True, metadata={"description": "需要提醒的说明（中文）"})
    enrolment = fields.Nested(EnrolmentOutcomeSchema, allow_none=True, required=True,
                              metadata={"description": "报名结果（导入并报名时）"})
    rejected_rows_url = fields.String(allow_none=True, required=True, metadata={
        "description": "只导入无误的行时，未导入的行（.xlsx，含错误说明列）的下载地址；24 小时内有效"})


def plan_summary(plan: ImportPlan) -> dict:
    """What the dry run found, as plain data (no ID or phone numbers)."""
    summary = {
        "filename": plan.filename,
        "counts": plan.counts,
        "ignored_columns": plan.columns.ignored,
        "columns": {key: plan.columns.header(key) for key in plan.columns.index},
        "problems": [dataclasses.asdict(problem) for problem in plan.problems],
        "updates": [
            {"row": row.row, "name": row.fields.name, "fields": row.changes}
            for row in plan.of(RowAction.UPDATE)
        ],
        "organisations_to_create": [
            {"name": org.name, "kind": org.kind.value, "county_code": org.county.code,
             "county_name": org.county.name, "rows": org.rows}
            for org in plan.organisations_to_create
        ],
        "course": None,
        "example_rows": plan.example_rows,
        "notes": [plan.example_note] if plan.example_note else [],
    }
    if plan.course is not None:
        info = plan.course
        summary["course"] = {
            "code": info.course.code, "title": info.course.title, "capacity": info.course.capacity,
            "enrolled": info.enrolled, "waitlisted": info.waitlisted,
            "already_in_course": info.already,
        }
    return summary
