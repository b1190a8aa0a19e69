"""JSON API of the bulk import: check or import a roster of learners in one request.

The same pipeline as the web page and ``trainhub import learners``
(:mod:`trainhub.imports.operations`): a dry run by default, all or nothing on commit unless
``valid_only``.
"""

from __future__ import annotations

import io

from flask import send_file, url_for
from flask_smorest import Blueprint
from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import CombinedMultiDict

from trainhub.accounts.models import Role
from trainhub.api import Int, api_user, problem
from trainhub.auth import roles_required
from trainhub.imports import operations, storage
from trainhub.learners.operations import LearnerError
from trainhub.orgs.operations import OrgError


class _MultipartParser(FlaskParser):
    """Reads a multipart body's files and fields together (the ``files`` location), so that
    one schema describes the whole form in the OpenAPI document (one request body)."""

    def load_files(self, req, schema):
        return self._makeproxy(CombinedMultiDict([req.files, req.form]), schema)


class _ImportBlueprint(Blueprint):
    ARGUMENTS_PARSER = _MultipartParser()


blp = _ImportBlueprint(
    "imports_api", __name__, url_prefix="/api/v1",
    description="批量导入学员：上传各县报送的名单（.xlsx 或 .csv），先检查（dry run），再导入。"
                "实施点联络员只能导入其负责区域内的学员。",
)

IMPORTERS = (Role.OFFICE, Role.COORDINATOR)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOOLEAN_ERRORS = {"invalid": "应为 true 或 false。"}


class ImportArgs(Schema):
    class Meta:
        ordered = True

    file = Upload(required=True, error_messages={"required": "请上传名单文件（multipart 字段 file）。"},
                  metadata={"description": "学员名单：.xlsx，或 UTF-8 / GBK 编码的 .csv"})
    dry_run = fields.Boolean(load_default=True, error_messages=BOOLEAN_ERRORS,
                             metadata={"description": "只检查、不写入（默认 true）"})
    valid_only = fields.Boolean(load_default=False, error_messages=BOOLEAN_ERRORS,
                                metadata={"description": "只导入无误的行（默认 false：有任何一行有问题就不导入）"})
    enrol = fields.String(load_default=None, validate=validate.Length(max=32, error="课程代码最多 {max} 个字符。"),
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
    enrolment = fields.Nested(EnrolmentOutcomeSchema, allow_none=True, required=True,
                              metadata={"description": "报名结果（导入并报名时）"})
    rejected_rows_url = fields.String(allow_none=True, required=True, metadata={
        "description": "只导入无误的行时，未导入的行（.xlsx，含错误说明列）的下载地址；24 小时内有效"})


def _refused(exc: operations.ImportRefused, plan: operations.ImportPlan | None = None):
    extra = {}
    if plan is not None:
        summary = operations.plan_summary(plan)
        extra = {"counts": summary["counts"], "problems": summary["problems"]}
    return problem(422, exc.message, errors={exc.field: [exc.message]}, **extra)


@blp.route("/imports/learners", methods=["POST"])
@roles_required(*IMPORTERS)
@blp.arguments(ImportArgs, location="files")
@blp.response(200, ImportSummarySchema)
@blp.alt_response(413, description="文件超过请求大小上限")
@blp.alt_response(422, description="文件无法读取、缺少必需的列或课程代码不存在；导入时有问题行且未选择 "
                                   "valid_only（problem 文档带 problems 列表）")
def import_learners(options):
    """Check or import a roster of learners

    Multipart form: ``file`` (the roster), ``dry_run`` (default true: check only),
    ``valid_only`` (write the valid rows and skip the rest; default false: any problem
    refuses the whole file), ``enrol`` (a course code). The answer lists every row's
    problems with its row number, column and field, what would be (or was) created or
    updated, and the organisations to create. Learners are matched by ID number, so the
    same file imported twice changes nothing the second time.
    """
    upload = options["file"]
    filename = storage.clean_filename(upload.filename)
    user = api_user()
    try:
        plan = operations.plan_import(operations.read_roster(filename, upload.read()), user=user,
                                      filename=filename, course_code=options.get("enrol"))
    except operations.ImportRefused as exc:
        return _refused(exc)
    summary = operations.plan_summary(plan)
    summary.update(dry_run=options["dry_run"], committed=False, enrolment=None, rejected_rows_url=None)
    if options["dry_run"]:
        return summary
    try:
        result = operations.commit_import(plan, valid_only=options["valid_only"], via="api")
        rejected = operations.rejected_rows_workbook(plan) if options["valid_only"] else None
    except operations.ImportRefused as exc:
        return _refused(exc, plan)
    except (LearnerError, OrgError):
        return problem(409, "导入期间数据已被他人修改，未导入任何数据，请重新提交。")
    summary.update(committed=True, counts=result.counts, enrolment=result.enrolment)
    if rejected is not None:
        kept = storage.keep_result(user.id, filename, {"counts": result.counts}, rejected)
        summary["rejected_rows_url"] = url_for("imports_api.rejected_rows", token=kept.token)
    return summary


@blp.route("/imports/<token>/rejected-rows")
@roles_required(*IMPORTERS)
@blp.response(200, {"type": "string", "format": "binary"}, content_type=XLSX,
              description="未导入的行：原有各列、原行号和错误说明")
@blp.alt_response(404, description="不存在、已过期（24 小时）或不是调用者的导入")
def rejected_rows(token: str):
    """The rows an import left out, as a workbook to fix and send again"""
    kept = storage.load_upload(token, api_user().id)
    data = storage.rejected_data(kept) if kept is not None else None
    if data is None:
        return problem(404, "未找到该导入的未导入行：链接不存在、已过期或不属于您。")
    stem = kept.filename.rsplit(".", 1)[0]
    return send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True,
                     download_name=f"{stem}-未导入的行.xlsx", max_age=0)
