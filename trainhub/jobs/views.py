"""Web pages of background jobs: the list, one job with its progress bar, its status JSON,
rerunning an interrupted job, and the office's demo job button."""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from trainhub.auth import Role, roles_required, signed_in
from trainhub.extensions import db
from trainhub.jobs import operations, queries
from trainhub.jobs.forms import EXPIRED, RerunJobForm, StartDemoJobForm
from trainhub.jobs.kinds import get_kind
from trainhub.jobs.lease import settle_leases
from trainhub.jobs.models import Job

bp = Blueprint("jobs", __name__, url_prefix="/jobs")

PER_PAGE = 30
#: The demo job kind (declared by the demo feature); its button shows only when registered.
DEMO_KIND = "demo.count"

# a job whose worker vanished reads as interrupted on every page of jobs
bp.before_request(settle_leases)


@bp.get("", endpoint="list")
@signed_in
def list_jobs():
    return _list_page()


def _list_page(message: str | None = None, status: int = 200):
    page = request.args.get("page", 1, type=int)
    pagination = db.paginate(
        queries.visible_jobs(current_user), page=max(page, 1), per_page=PER_PAGE, error_out=False
    )
    office = current_user.role == Role.OFFICE
    form = StartDemoJobForm() if office and get_kind(DEMO_KIND) else None
    return render_template("jobs/list.html", pagination=pagination, form=form, message=message,
                           queries=queries, show_creator=office), status


@bp.get("/<job_id>")
@signed_in
def detail(job_id: str):
    return _detail_page(_visible_job_or_404(job_id))


def _detail_page(job: Job, message: str | None = None, status: int = 200):
    rerun_form = RerunJobForm() if queries.can_rerun(job) else None
    return render_template("jobs/detail.html", job=job, queries=queries, rerun_form=rerun_form,
                           message=message, result_template=queries.result_template(job)), status


def _visible_job_or_404(job_id: str) -> Job:
    job = queries.get_visible_job(current_user, job_id)
    if job is None:
        abort(404)
    return job


@bp.get("/<job_id>/status.json")
@signed_in
def status(job_id: str):
    """Polled by ``static/jobs.js`` with the session cookie (the API wants bearer tokens)."""
    response = jsonify(queries.status_document(_visible_job_or_404(job_id), current_user))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/<job_id>/rerun")
@signed_in
def rerun(job_id: str):
    """Rerun an interrupted job (its creator or the office)."""
    job = _visible_job_or_404(job_id)
    if not RerunJobForm().validate_on_submit():
        return _detail_page(job, EXPIRED, 400)
    try:
        operations.rerun(job, actor=current_user)
    except operations.JobRefused as exc:
        return _detail_page(job, exc.message, 409)
    flash("任务已重新提交，已完成的步骤不会重复执行。进度会在下方自动更新。", "success")
    return redirect(url_for("jobs.detail", job_id=job.id))


@bp.post("/demo")
@roles_required(Role.OFFICE)
def start_demo():
    if not StartDemoJobForm().validate_on_submit():
        return _list_page(EXPIRED, 400)
    job = operations.enqueue(DEMO_KIND, user=current_user)
    flash("演示任务已提交，进度会在下方自动更新。", "success")
    return redirect(url_for("jobs.detail", job_id=job.id))
