"""Bulk import pages: upload, preview (the dry run), confirm, result, template download.

The uploaded file is kept on the server between the preview and the confirmation
(:mod:`trainhub.uploads`); the confirmation checks it again against the database
as it is then, and writes all or nothing (or the valid rows only).
"""

from __future__ import annotations

import contextlib

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from trainhub import uploads
from trainhub.auth import Role, roles_required
from trainhub.imports import queries
from trainhub.imports.columns import COLUMNS
from trainhub.imports.errors import ImportConflict, ImportRefused
from trainhub.imports.forms import ImportConfirmForm, ImportUploadForm
from trainhub.imports.operations import ImportResult, commit_import
from trainhub.imports.plan import ImportPlan, RowAction
from trainhub.imports.planner import plan_import
from trainhub.imports.reading import read_roster
from trainhub.imports.workbooks import template_workbook
from trainhub.ratelimits import heavy, heavy_submit
from trainhub.spreadsheets import xlsx_download
from trainhub.transaction import after_commit

bp = Blueprint("imports", __name__)

IMPORTERS = (Role.OFFICE, Role.COORDINATOR)
TEMPLATE_NAME = "学员导入模板.xlsx"


def _upload_or_404(token: str) -> uploads.StoredUpload:
    upload = uploads.load_upload(token, current_user.id, kind=uploads.LEARNERS)
    if upload is None:
        abort(404)
    return upload


def _render_new(form: ImportUploadForm, status: int = 200):
    return render_template(
        "imports/new.html", form=form, columns=COLUMNS,
        max_size=uploads.size_text(uploads.max_bytes()), max_rows=uploads.max_rows(),
    ), status


@bp.route("/imports/new", methods=["GET", "POST"])
@roles_required(*IMPORTERS)
@heavy_submit
def new():
    form = ImportUploadForm()
    form.set_course_choices(queries.course_choices())
    if not form.validate_on_submit():
        return _render_new(form, 422 if form.is_submitted() else 200)
    upload = form.file.data
    data = upload.read()
    filename = uploads.clean_filename(upload.filename)
    course_code = form.enrol.data or None
    try:
        # the whole dry run once here, so that a file that cannot be imported at all is
        # refused on the form; the preview page checks it again against the database
        plan_import(read_roster(filename, data), user=current_user, filename=filename,
                    course_code=course_code)
    except ImportRefused as exc:
        target = form.enrol if exc.field == "enrol" else form.file
        target.errors = [*target.errors, exc.message]
        return _render_new(form, 422)
    stored = uploads.save_upload(current_user.id, filename, data,
                                 {"valid_only": form.valid_only.data, "course_code": course_code},
                                 kind=uploads.LEARNERS)
    return redirect(url_for("imports.preview", token=stored.token), 303)


def _render_preview(upload: uploads.StoredUpload, plan: ImportPlan,
                    form: ImportConfirmForm | None = None, status: int = 200):
    if form is None:
        form = ImportConfirmForm()
        form.valid_only.data = bool(upload.options.get("valid_only"))
    return render_template(
        "imports/preview.html", upload=upload, plan=plan, form=form, counts=plan.counts,
        RowAction=RowAction,
    ), status


def _plan_of(upload: uploads.StoredUpload) -> ImportPlan:
    """The kept file checked again, against the database as it is now."""
    data = uploads.source_data(upload)
    if data is None:
        abort(404)
    return plan_import(read_roster(upload.filename, data), user=current_user, filename=upload.filename,
                       course_code=upload.options.get("course_code"))


@bp.route("/imports/<token>")
@roles_required(*IMPORTERS)
@heavy
def preview(token: str):
    upload = _upload_or_404(token)
    if upload.result is not None:
        return redirect(url_for("imports.result", token=token))
    try:
        plan = _plan_of(upload)
    except ImportRefused as exc:  # e.g. the course was deleted meanwhile
        flash(exc.message, "danger")
        return redirect(url_for("imports.new"))
    return _render_preview(upload, plan)


@bp.route("/imports/<token>/confirm", methods=["POST"])
@roles_required(*IMPORTERS)
@heavy
def confirm(token: str):
    upload = _upload_or_404(token)
    if upload.result is not None:
        flash("该文件已导入，不会重复导入。", "info")
        return redirect(url_for("imports.result", token=token))
    form = ImportConfirmForm()
    try:
        plan = _plan_of(upload)
    except ImportRefused as exc:  # nothing written: the file no longer passes the first look
        flash(exc.message, "danger")
        return redirect(url_for("imports.new"))
    if not form.validate_on_submit():
        return _render_preview(upload, plan, form, 400)
    try:
        result = commit_import(plan, valid_only=form.valid_only.data, via="web")
    except ImportRefused as exc:
        if isinstance(exc, ImportConflict):  # nothing written: show the file against the database now
            with contextlib.suppress(ImportRefused):
                plan = _plan_of(upload)
        form.valid_only.errors = [*form.valid_only.errors, exc.message]
        return _render_preview(upload, plan, form, exc.status)
    summary = _result_summary(result)
    # the upload is marked done only once the import is committed
    after_commit(lambda: uploads.save_result(upload, summary, result.rejected_workbook))
    flash("导入完成。", "success")
    return redirect(url_for("imports.result", token=token))


def _result_summary(result: ImportResult) -> dict:
    course = result.plan.course.course if result.plan.course else None
    return {
        "counts": result.counts,
        "valid_only": result.valid_only,
        "course": {"code": course.code, "title": course.title} if course else None,
        "enrolment": result.enrolment,
        "example_note": result.plan.example_note,
        "organisations": [{"name": org.name, "kind": org.kind.label, "county": org.county.name}
                          for org in result.organisations],
    }


@bp.route("/imports/<token>/result")
@roles_required(*IMPORTERS)
def result(token: str):
    upload = _upload_or_404(token)
    if upload.result is None:
        return redirect(url_for("imports.preview", token=token))
    return render_template("imports/result.html", upload=upload, result=upload.result)


@bp.route("/imports/<token>/rejected.xlsx")
@roles_required(*IMPORTERS)
def rejected(token: str):
    upload = _upload_or_404(token)
    data = uploads.rejected_data(upload)
    if data is None:
        abort(404)
    stem = upload.filename.rsplit(".", 1)[0]
    return xlsx_download(data, f"{stem}-未导入的行.xlsx")


@bp.route("/imports/template.xlsx")
@roles_required(*IMPORTERS)
def template():
    return xlsx_download(template_workbook(), TEMPLATE_NAME)
