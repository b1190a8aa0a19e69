"""JSON API of background jobs: a client follows the jobs it started (the office: all)."""

from __future__ import annotations

from flask_smorest import Blueprint

from trainhub.api import PageArgs, api_user, paginate, problem
from trainhub.auth import signed_in
from trainhub.extensions import db
from trainhub.jobs import operations, queries
from trainhub.jobs.lease import settle_leases
from trainhub.jobs.schemas import JobPageSchema, JobSchema

blp = Blueprint(
    "jobs_api", __name__, url_prefix="/api/v1",
    description="后台任务：状态、进度（已完成步数 / 总步数）、结果或错误信息；重新执行已中断的任务。",
)

# a job whose worker vanished reads as interrupted in every answer
blp.before_request(settle_leases)


@blp.route("/jobs", methods=["GET"])
@signed_in
@blp.arguments(PageArgs, location="query")
@blp.response(200, JobPageSchema)
@blp.alt_response(422, description="分页参数有误")
def list_jobs(args):
    """Background jobs

    The caller's own jobs, newest first; the office sees every job.
    """
    return paginate(db, queries.visible_jobs(api_user()), args)


@blp.route("/jobs/<job_id>", methods=["GET"])
@signed_in
@blp.response(200, JobSchema)
@blp.alt_response(404, description="任务不存在，或不是调用者提交的任务")
def get_job(job_id: str):
    """One background job

    Its status, progress (``progress_done`` of ``progress_total`` steps, ``percent``) and,
    once finished, its ``result`` or its ``error`` (Chinese). Poll it to follow a job.
    """
    job = queries.get_visible_job(api_user(), job_id)
    if job is None:
        return problem(404, "任务不存在，或不是您提交的任务。")
    return job


@blp.route("/jobs/<job_id>/rerun", methods=["POST"])
@signed_in
@blp.response(202, JobSchema)
@blp.alt_response(404, description="任务不存在，或不是调用者提交的任务")
@blp.alt_response(409, description="任务不是已中断状态（例如正在执行，或已被重新执行）")
def rerun_job(job_id: str):
    """Rerun an interrupted job

    A job whose worker stopped (``status`` ``interrupted``) is queued again; its committed
    steps are kept and not repeated. Its creator or the office may rerun it. Of several
    reruns at once exactly one is accepted (202); the others answer 409.
    """
    job = queries.get_visible_job(api_user(), job_id)
    if job is None:
        return problem(404, "任务不存在，或不是您提交的任务。")
    try:
        operations.rerun(job, actor=api_user())
    except operations.JobRefused as exc:
        return problem(409, exc.message)
    return job
