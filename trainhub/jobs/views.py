"""Web pages of background jobs: the list, one job with its progress bar, its status JSON."""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from trainhub.accounts.models import Role
from trainhub.auth import roles_required, signed_in
from trainhub.extensions import db
from trainhub.jobs import operations, queries
from trainhub.jobs.forms import StartDemoJobForm

bp = Blueprint("jobs", __name__, url_prefix="/jobs")

PER_PAGE = 30


@bp.get("", endpoint="list")
@signed_in
def list_jobs():
    page = request.args.get("page", 1, type=int)
    pagination = db.paginate(
        queries.visible_jobs(current_user), page=max(page, 1), per_page=PER_PAGE, error_out=False
    )
    form = StartDemoJobForm() if current_user.role == Role.OFFICE else None
    return render_template("jobs/list.html", pagination=pagination, form=form,
                           queries=queries, show_creator=current_user.role == Role.OFFICE)


@bp.get("/<job_id>")
@signed_in
def detail(job_id: str):
    job = queries.get_visible_job(current_user, job_id)
    if job is None:
        abort(404)
    return render_template("jobs/detail.html", job=job, queries=queries,
                           result_template=queries.result_template(job))


@bp.get("/<job_id>/status.json")
@signed_in
def status(job_id: str):
    """Polled by ``static/jobs.js`` with the session cookie (the API wants bearer tokens)."""
    job = queries.get_visible_job(current_user, job_id)
    if job is None:
        abort(404)
    response = jsonify(queries.status_document(job))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/demo")
@roles_required(Role.OFFICE)
def start_demo():
    form = StartDemoJobForm()
    if not form.validate_on_submit():
        flash("表单已过期，请刷新页面后重新提交。", "danger")
        return redirect(url_for("jobs.list"))
    job = operations.start_demo_count(current_user)
    flash("演示任务已提交，进度会在下方自动更新。", "success")
    return redirect(url_for("jobs.detail", job_id=job.id))
