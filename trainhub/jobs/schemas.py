"""API schemas of background jobs."""

from __future__ import annotations

from marshmallow import Schema, fields

from trainhub.api import Int, api_user, page_schema
from trainhub.jobs import queries
from trainhub.jobs.models import JobStatus


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
