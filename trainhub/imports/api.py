"""JSON API of the bulk import: check or import a roster of learners in one request.

The same pipeline as the web page and ``trainhub import learners``
(:mod:`trainhub.imports.operations`): a dry run by default, all or nothing on commit unless
``valid_only``.
"""

from __future__ import annotations

from flask import url_for
from flask_smorest import Blueprint
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import CombinedMultiDict

from trainhub import uploads
from trainhub.api import api_user, problem
from trainhub.auth import Role, roles_required
from trainhub.imports.errors import ImportRefused
from trainhub.imports.operations import commit_import
from trainhub.imports.plan import ImportPlan
from trainhub.imports.planner import plan_import
from trainhub.imports.reading import read_roster
from trainhub.imports.schemas import ImportArgs, ImportSummarySchema, plan_summary
from trainhub.ratelimits import heavy
from trainhub.spreadsheets import XLSX_MIMETYPE, xlsx_download


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


def _refused(exc: ImportRefused, plan: ImportPlan | None = None):
    extra = {}
    if plan is not None:
        summary = plan_summary(plan)
        extra = {"counts": summary["counts"], "problems": summary["problems"]}
    return problem(exc.status, exc.message, errors={exc.field: [exc.message]}, **extra)


@blp.route("/imports/learners", methods=["POST"])
@roles_required(*IMPORTERS)
@heavy
@blp.arguments(ImportArgs, location="files")
@blp.response(200, ImportSummarySchema)
@blp.alt_response(409, description="导入期间有人登记了文件中的学员或机构：未写入任何数据，可重新提交")
@blp.alt_response(413, description="文件超过请求大小上限")
@blp.alt_response(422, description="文件无法读取、缺少必需的列或课程代码不存在；导入时有问题行且未选择 "
                                   "valid_only（problem 文档带 problems 列表）")
@blp.alt_response(429, description="导入、导出等操作过于频繁（每个用户的上限见 TRAINHUB_HEAVY_RATE_LIMIT）")
def import_learners(options):
    """Check or import a roster of learners

    Multipart form: ``file`` (the roster), ``dry_run`` (default true: check only),
    ``valid_only`` (write the valid rows and skip the rest; default false: any problem
    refuses the whole file), ``enrol`` (a course code). The answer lists every row's
    problems with its row number, column and field, what would be (or was) created or
    updated, and the organisations to create. Learners are matched by ID number, so the
    same file imported twice changes nothing the second time. The import template's
    example row, left in the file, is skipped (``example_rows``).
    """
    upload = options["file"]
    filename = uploads.clean_filename(upload.filename)
    user = api_user()
    try:
        plan = plan_import(read_roster(filename, upload.read()), user=user, filename=filename,
                           course_code=options.get("enrol"))
    except ImportRefused as exc:
        return _refused(exc)
    summary = plan_summary(plan)
    summary.update(dry_run=options["dry_run"], committed=False, enrolment=None, rejected_rows_url=None)
    if options["dry_run"]:
        return summary
    try:
        result = commit_import(plan, valid_only=options["valid_only"], via="api")
    except ImportRefused as exc:
        return _refused(exc, plan)
    summary.update(committed=True, counts=result.counts, enrolment=result.enrolment)
    if result.rejected_workbook is not None:
        kept = uploads.keep_result(user.id, filename, {"counts": result.counts},
                                   result.rejected_workbook, kind=uploads.LEARNERS)
        summary["rejected_rows_url"] = url_for("imports_api.rejected_rows", token=kept.token)
    return summary


@blp.route("/imports/<token>/rejected-rows")
@roles_required(*IMPORTERS)
@blp.response(200, {"type": "string", "format": "binary"}, content_type=XLSX_MIMETYPE,
              description="未导入的行：原有各列、原行号和错误说明")
@blp.alt_response(404, description="不存在、已过期（24 小时）或不是调用者的导入")
def rejected_rows(token: str):
    """The rows an import left out, as a workbook to fix and send again"""
    kept = uploads.load_upload(token, api_user().id, kind=uploads.LEARNERS)
    data = uploads.rejected_data(kept) if kept is not None else None
    if data is None:
        return problem(404, "未找到该导入的未导入行：链接不存在、已过期或不属于您。")
    stem = kept.filename.rsplit(".", 1)[0]
    return xlsx_download(data, f"{stem}-未导入的行.xlsx")
