"""The office's schedule import pages (课次导入): upload, preview (the dry run: every row
with its problems, or the session it makes), confirm, result, and the template.

The uploaded file is kept on the server between the preview and the confirmation
(:mod:`trainhub.uploads`); the confirmation checks it again against the timetable as it is
then and saves every session or none (:mod:`trainhub.schedule.importing`).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from trainhub import uploads
from trainhub.auth import roles_required
from trainhub.ratelimits import heavy, heavy_submit
from trainhub.schedule.import_columns import COLUMNS, schedule_template
from trainhub.schedule.import_forms import ScheduleConfirmForm, ScheduleUploadForm
from trainhub.schedule.import_plan import ScheduleImportRefused, SchedulePlan
from trainhub.schedule.import_planner import plan_schedule
from trainhub.schedule.importing import ScheduleImportConflict, import_schedule, read_schedule
from trainhub.schedule.operations import SCHEDULERS, ScheduleError
from trainhub.spreadsheets import xlsx_download
from trainhub.transaction import after_commit

bp = Blueprint("schedule_import", __name__)

TEMPLATE_NAME = "课次导入模板.xlsx"


def _upload_or_404(token: str) -> uploads.StoredUpload:
    upload = uploads.load_upload(token, current_user.id, kind=uploads.SCHEDULE)
    if upload is None:
        abort(404)
    return upload


def _plan(filename: str, data: bytes, options: dict) -> SchedulePlan:
    return plan_schedule(read_schedule(filename, data), filename=filename,
                         allow_holidays=bool(options.get("allow_holidays")),
                         override_reason=options.get("override_reason"))


def _render_new(form: ScheduleUploadForm, status: int = 200):
    return render_template("schedule/import_new.html", form=form, columns=COLUMNS,
                           max_size=uploads.size_text(uploads.max_bytes()),
                           max_rows=uploads.max_rows()), status


@bp.route("/timetable/import", methods=["GET", "POST"])
@roles_required(*SCHEDULERS)
@heavy_submit
def new():
    form = ScheduleUploadForm()
    if not form.validate_on_submit():
        return _render_new(form, 422 if form.is_submitted() else 200)
    filename = uploads.clean_filename(form.file.data.filename)
    data = form.file.data.read()
    try:
        # the whole dry run once here, so that a file that cannot be imported at all (wrong
        # columns, no rows) is refused on the form; the preview checks it again
        _plan(filename, data, form.options())
    except ScheduleError as exc:  # the file, or the override reason
        form.add_errors(exc.errors)
        return _render_new(form, 422)
    stored = uploads.save_upload(current_user.id, filename, data, form.options(), kind=uploads.SCHEDULE)
    return redirect(url_for("schedule_import.preview", token=stored.token), 303)


def _plan_of(upload: uploads.StoredUpload, options: dict) -> SchedulePlan:
    """The kept file checked again, against the timetable as it is now."""
    data = uploads.source_data(upload)
    if data is None:
        abort(404)
    return _plan(upload.filename, data, options)


def _render_preview(upload: uploads.StoredUpload, plan: SchedulePlan, form: ScheduleConfirmForm,
                    status: int = 200):
    return render_template("schedule/import_preview.html", upload=upload, plan=plan, form=form), status


def _back_to_upload(message: str):
    flash(message, "danger")
    return redirect(url_for("schedule_import.new"))


@bp.route("/timetable/import/<token>")
@roles_required(*SCHEDULERS)
@heavy
def preview(token: str):
    upload = _upload_or_404(token)
    if upload.result is not None:
        return redirect(url_for("schedule_import.result", token=token))
    form = ScheduleConfirmForm()
    form.set_options(upload.options)
    try:
        plan = _plan_of(upload, upload.options)
    except ScheduleError as exc:  # e.g. an override reason kept too long; a course deleted
        return _back_to_upload(exc.message)
    return _render_preview(upload, plan, form)


@bp.route("/timetable/import/<token>/confirm", methods=["POST"])
@roles_required(*SCHEDULERS)
@heavy
def confirm(token: str):
    """Save the file's sessions with the options on the form; or, with ``recheck``, keep
    the options and show the preview they give."""
    upload = _upload_or_404(token)
    if upload.result is not None:
        flash("该文件已导入，不会重复导入。", "info")
        return redirect(url_for("schedule_import.result", token=token))
    form = ScheduleConfirmForm()
    if not form.validate_on_submit():
        form.set_options(upload.options)
        return _render_preview(upload, _plan_of(upload, upload.options), form, 400)
    try:
        plan = _plan_of(upload, form.options())
    except ScheduleImportRefused as exc:  # the file no longer passes the first look
        return _back_to_upload(exc.message)
    except ScheduleError as exc:  # the reason, refused
        form.add_errors(exc.errors)
        return _render_preview(upload, _plan_of(upload, upload.options), form, 422)
    uploads.save_options(upload, form.options())
    if form.recheck.data:
        return redirect(url_for("schedule_import.preview", token=token), 303)
    try:
        imported = import_schedule(plan, actor=current_user, via="web")
    except ScheduleImportRefused as exc:
        if isinstance(exc, ScheduleImportConflict):  # nothing written: the file against the timetable now
            plan = _plan_of(upload, form.options())
        form.form_errors.append(exc.message)
        return _render_preview(upload, plan, form, exc.status)
    summary = {"courses": imported.per_course, "sessions": len(imported.sessions),
               "overridden": imported.overridden, "allow_holidays": plan.allow_holidays,
               "override_reason": plan.override_reason}
    # the upload is marked done only once the sessions are committed
    after_commit(lambda: uploads.save_result(upload, summary, None))
    flash(f"导入完成：已创建 {len(imported.sessions)} 个课次。", "success")
    return redirect(url_for("schedule_import.result", token=token))


@bp.route("/timetable/import/<token>/result")
@roles_required(*SCHEDULERS)
def result(token: str):
    upload = _upload_or_404(token)
    if upload.result is None:
        return redirect(url_for("schedule_import.preview", token=token))
    return render_template("schedule/import_result.html", upload=upload, result=upload.result)


@bp.route("/timetable/import/template.xlsx")
@roles_required(*SCHEDULERS)
def template():
    return xlsx_download(schedule_template(), TEMPLATE_NAME)
