"""API schemas of the caller's own timetable (also their OpenAPI description). Times are
answered in the programme's zone with their offset (``2023-03-01T19:00:00+08:00``)."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validates_schema

from trainhub.api import Day, Int, PageArgs, page_schema
from trainhub.courses.models import CourseMode, SessionStatus
from trainhub.localtime import to_local
from trainhub.schedule.month import FIRST_YEAR, LAST_YEAR
from trainhub.schedule.queries import SessionState

STATE_HELP = ("此刻的状态：" + "、".join(f"{s.value} {s.label}" for s in SessionState)
              + "（已排期即尚未开始）")
MODE_HELP = "课程的授课形式：" + "、".join(f"{m.value} {m.label}" for m in CourseMode)
YEARS_ERROR = f"日期应在 {FIRST_YEAR} 年至 {LAST_YEAR} 年之间。"


class LocalDateTime(fields.DateTime):
    """An instant in the programme's zone, ISO 8601 with its offset."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else to_local(value).isoformat()


class MySessionArgs(PageArgs):
    date_from = Day(data_key="from", metadata={"description": "从这一天起（本地日期，含当天），如 2023-03-01"})
    date_to = Day(data_key="to", metadata={"description": "到这一天止（本地日期，含当天）"})

    @validates_schema
    def _check_range(self, data, **kwargs):
        errors = {}
        for key, name in (("date_from", "from"), ("date_to", "to")):
            day = data.get(key)
            if day is not None and not FIRST_YEAR <= day.year <= LAST_YEAR:
                errors[name] = [YEARS_ERROR]
        first, last = data.get("date_from"), data.get("date_to")
        if not errors and first is not None and last is not None and last < first:
            errors["to"] = ["结束日期不能早于开始日期。"]
        if errors:
            raise ValidationError(errors)


class MySessionSchema(Schema):
    class Meta:
        ordered = True

    id = Int(required=True)
    course_id = Int(required=True)
    course_code = fields.String(required=True, metadata={"description": "课程编号"})
    course_title = fields.String(required=True, metadata={"description": "课程名称"})
    mode = fields.Enum(CourseMode, by_value=True, required=True, metadata={"description": MODE_HELP})
    track = fields.String(required=True, metadata={"description": "课程模块"})
    phase_id = Int(required=True)
    phase = fields.String(required=True, metadata={"description": "阶段"})
    title = fields.String(allow_none=True, required=True, metadata={"description": "本次课内容"})
    starts_at = LocalDateTime(required=True, metadata={"description": "开始时间（北京时间，带时区偏移）"})
    ends_at = LocalDateTime(required=True, metadata={"description": "结束时间（北京时间，带时区偏移）"})
    place = fields.String(allow_none=True, required=True, metadata={"description": "线下地点（场地及具体位置）"})
    meeting_url = fields.String(allow_none=True, required=True, metadata={"description": "线上会议链接"})
    meeting_number = fields.String(allow_none=True, required=True, metadata={"description": "线上会议号"})
    instructor = fields.String(allow_none=True, required=True,
                               metadata={"description": "讲师（未指定时为课程的讲师）"})
    status = fields.Function(
        lambda item: (SessionStatus.CANCELLED if item.is_cancelled else SessionStatus.SCHEDULED).value,
        required=True, metadata={"description": "scheduled 已排期、cancelled 已取消"})
    state = fields.Enum(SessionState, by_value=True, required=True, metadata={"description": STATE_HELP})
    state_label = fields.Function(lambda item: item.state.label, required=True,
                                  metadata={"description": "此刻状态的中文名称"})
    cancelled_at = LocalDateTime(allow_none=True, required=True, metadata={"description": "取消时间"})
    cancel_reason = fields.String(allow_none=True, required=True, metadata={"description": "取消原因"})


MySessionPageSchema = page_schema(MySessionSchema, "MySessionPage")
