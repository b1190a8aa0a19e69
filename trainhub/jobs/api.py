"""JSON API of background jobs: a client follows the jobs it started (the office: all)."""

from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields

from trainhub.api import Int, PageArgs, api_user, page_schema, paginate, problem
from trainhub.auth import signed_in
from trainhub.extensions import db
from trainhub.jobs import operations, queries
from trainhub.jobs.lease import settle_leases
from trainhub.jobs.models import JobStatus

blp = Blueprint(
    "jobs_api", __name__, url_prefix="/api/v1",
    description="后台任务：状态、进度（已完成步数 / 总步数）、结果或错误信息；重新执行已中断的任务。",
)

# a job whose worker vanished reads as interrupted in every answer
blp.before_request(settle_leases)


class JobSchema(Schema):
    id = fields.String(metadata={"description": "任务编号"})
    kind = fields.String(metadata={"description": "任务类型，例如 demo.count"})
    title = fields.String(metadata={"description": "任务名称"})
    status = fields.Enum(JobStatus, by_value=True,
                         metadata={"description": "queued 排队中 / running 进行中 / "
                                                  "succeeded 已完成 / failed 失败 / "
                                                  "interrupted 已中断（后台任务进程停止，"
                                                  "可重新执行）"})
    status_label = fields.Function(lambda job: job.status.label, metadata={"description": "状态（中文）"})
    progress_done = Int(metadata={"description": "已完成步数"})
    progress_total = Int(allow_none=True, metadata={"description": "总步数；未知时为 null"})
    percent = fields.Function(queries.percent, allow_none=True,
                              metadata={"description": "进度百分比（整数）；总步数未知时为 null"})
    result = fields.Raw(allow_none=True, metadata={"description": "任务结果（成功后）"})
    error = fields.String(allow_none=True, metadata={"description": "失败或中断的原因（中文）"})
    created_by = fields.Function(lambda job: job.created_by.username if job.created_by else None,
                                 allow_none=True, metadata={"description": "提交人用户名"})
    created_at = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)
    worker = fields.Function(
        lambda job: job.worker if queries.may_see_worker(api_user()) else None, allow_none=True,
        metadata={"description": "最近一次执行任务的后台任务进程（主机:进程号）；仅项目办可见"})
    attempt = Int(metadata={"description": "已执行的次数（重新执行时加 1）"})
    heartbeat_at = fields.DateTime(allow_none=True,
                                   metadata={"description": "执行中的后台任务进程最近一次报告的时间"})


JobPageSchema = page_schema(JobSchema, "JobPage")


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
