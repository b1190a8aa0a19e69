"""API schemas of sessions and series (also their OpenAPI description)."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from trainhub.api import COMMON_ERRORS, Bool, Day, InputSchema, Int, PageArgs, Text, page_schema
from trainhub.courses.models import SessionStatus
from trainhub.localtime import parse_clock, to_local
from trainhub.schedule.clashes import ClashKind
from trainhub.schedule.details import (
    MEETING_NUMBER_MAX,
    MEETING_URL_MAX,
    TITLE_MAX,
    VENUE_DETAIL_MAX,
)
from trainhub.schedule.operations import REASON_MAX
from trainhub.schedule.recurrence import MAX_OCCURRENCES

STATUS_VALUES = [status.value for status in SessionStatus]
STATUS_HELP = "课次状态：" + "、".join(f"{s.value} {s.label}" for s in SessionStatus)
CLASH_HELP = "冲突类型：" + "、".join(f"{k.value} {k.label}" for k in ClashKind)
#: Most sessions one clash check takes.
MAX_CHECKED = 500


class Instant(fields.AwareDateTime):
    """A moment with its offset, e.g. ``2023-03-01T19:00:00+08:00`` (a time without an
    offset is refused: it could be meant in any zone)."""

    default_error_messages = {
        **COMMON_ERRORS,
        "invalid": "应为带时区的时间，格式如 2023-03-01T19:00:00+08:00。",
        "invalid_awareness": "应带时区（如 +08:00），格式如 2023-03-01T19:00:00+08:00。",
        "format": "时间格式无效。",
    }


class Clock(fields.String):
    """A local wall-clock time of day, ``19:00`` (Asia/Shanghai)."""

    default_error_messages = {**COMMON_ERRORS, "invalid": "应为时间，格式如 19:00。"}

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else value.strftime("%H:%M")

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return parse_clock(text, "时间")
        except ValueError as error:
            raise ValidationError(str(error)) from None


def _text(limit: int, description: str, **kwargs) -> Text:
    return Text(allow_none=True, validate=validate.Length(max=limit, error=f"最多 {limit} 个字。"),
                metadata={"description": description}, **kwargs)


def _reason(label: str, description: str, **kwargs) -> Text:
    return Text(validate=validate.Length(max=REASON_MAX, error=f"{label}最多 {REASON_MAX} 个字。"),
                metadata={"description": description}, **kwargs)


def _detail_fields() -> dict:
    return {
        "title": _text(TITLE_MAX, "本次课内容"),
        "venue_id": Int(allow_none=True, strict=True,
                        metadata={"description": "线下场地的编号（未归档的场地）；线上课次为 null"}),
        "venue_detail": _text(VENUE_DETAIL_MAX, "场地内的具体地点（教室、楼层）"),
        "meeting_url": _text(MEETING_URL_MAX, "线上会议链接（https://…）"),
        "meeting_number": _text(MEETING_NUMBER_MAX, "会议号，如 123 456 789"),
        "instructor_id": Int(allow_none=True, strict=True,
                             metadata={"description": "讲师的用户编号，须为本课程的讲师；不填或 null 时为"
                                                      "课程的第一位讲师"}),
    }


OVERRIDE = _reason("覆盖冲突的理由", "存在冲突时仍要保存的理由（记入课次和操作日志）；无冲突时忽略")


# reading -------------------------------------------------------------------------------------


class SessionSchema(Schema):
    class Meta:
        ordered = True

    id = Int(required=True)
    course_id = Int(required=True)
    course_code = fields.String(attribute="course.code", required=True, metadata={"description": "课程编号"})
    course_title = fields.String(attribute="course.title", required=True, metadata={"description": "课程名称"})
    series_id = Int(allow_none=True, required=True,
                    metadata={"description": "所属重复规则（系列）的编号；单独安排的课次为 null"})
    title = fields.String(allow_none=True, required=True, metadata={"description": "本次课内容"})
    starts_at = fields.AwareDateTime(required=True, metadata={"description": "开始时间（UTC）"})
    ends_at = fields.AwareDateTime(required=True, metadata={"description": "结束时间（UTC）"})
    local_date = fields.Function(lambda s: to_local(s.starts_at).date().isoformat(), required=True,
                                 metadata={"type": "string", "description": "北京时间的日期"})
    venue_id = Int(allow_none=True, required=True)
    venue = fields.String(attribute="venue.name", allow_none=True, required=True,
                          metadata={"description": "线下场地名称"})
    venue_detail = fields.String(allow_none=True, required=True, metadata={"description": "具体地点"})
    meeting_url = fields.String(allow_none=True, required=True, metadata={"description": "线上会议链接"})
    meeting_number = fields.String(allow_none=True, required=True, metadata={"description": "会议号"})
    instructor_id = Int(allow_none=True, required=True)
    instructor = fields.String(attribute="instructor.display_name", allow_none=True, required=True,
                               metadata={"description": "讲师姓名"})
    status = fields.Enum(SessionStatus, by_value=True, required=True, metadata={"description": STATUS_HELP})
    status_label = fields.Function(lambda s: s.status.label, required=True,
                                   metadata={"type": "string", "description": "状态的中文名称"})
    cancelled_at = fields.AwareDateTime(allow_none=True, required=True)
    cancel_reason = fields.String(allow_none=True, required=True, metadata={"description": "取消原因"})
    clash_override = fields.String(allow_none=True, required=True,
                                   metadata={"description": "排课时覆盖冲突的理由"})
    sequence = Int(required=True, metadata={"description": "修改次数（iCalendar SEQUENCE）"})
    updated_at = fields.AwareDateTime(required=True)


SessionPageSchema = page_schema(SessionSchema, "SessionPage")


class SessionArgs(PageArgs):
    course_id = Int(metadata={"description": "只列出此课程的课次"}, error_messages={"invalid": "课程编号应为整数。"})
    instructor_id = Int(metadata={"description": "只列出此讲师的课次"},
                        error_messages={"invalid": "讲师编号应为整数。"})
    starts_from = Day(data_key="from", metadata={"description": "从这一天（北京时间，含）起开始的课次"})
    until = Day(data_key="to", metadata={"description": "到这一天（北京时间，含）为止开始的课次"})
    status = fields.String(validate=validate.OneOf(STATUS_VALUES, error="课次状态应为以下之一："
                                                   + "、".join(STATUS_VALUES) + "。"),
                           metadata={"description": STATUS_HELP})

    @validates_schema
    def _range(self, data, **kwargs):
        if data.get("starts_from") and data.get("until") and data["until"] < data["starts_from"]:
            raise ValidationError("结束日期不能早于开始日期。", "to")


# one session ---------------------------------------------------------------------------------


SessionCreateSchema = InputSchema.from_dict({
    "course_id": Int(required=True, strict=True, metadata={"description": "课程编号"}),
    "starts_at": Instant(required=True, metadata={"description": "开始时间，带时区，如 2023-03-01T19:00:00+08:00"}),
    "ends_at": Instant(required=True, metadata={"description": "结束时间，带时区"}),
    **_detail_fields(),
    "override_reason": OVERRIDE,
}, name="SessionCreate")

SessionUpdateSchema = InputSchema.from_dict({
    "starts_at": Instant(metadata={"description": "新的开始时间（调课须同时填写 reason）"}),
    "ends_at": Instant(metadata={"description": "新的结束时间"}),
    **_detail_fields(),
    "reason": _reason("调课原因", "调课原因：改动开始或结束时间时必填", allow_none=True),
    "override_reason": OVERRIDE,
}, name="SessionUpdate")


class CancelSchema(InputSchema):
    reason = _reason("取消原因", f"取消原因（必填，最多 {REASON_MAX} 字）", required=True,
                     error_messages={"required": "请填写取消原因。", "null": "请填写取消原因。"})


# clashes -------------------------------------------------------------------------------------


class ClashSchema(Schema):
    class Meta:
        ordered = True

    kind = fields.Enum(ClashKind, by_value=True, required=True, metadata={"description": CLASH_HELP})
    index = Int(required=True, metadata={"description": "冲突的课次在请求（或预览）中的序号，从 0 起"})
    message = fields.String(required=True, metadata={"description": "冲突说明"})
    session_id = Int(allow_none=True, required=True, metadata={"description": "与之冲突的已有课次"})
    other_index = Int(allow_none=True, required=True,
                      metadata={"description": "与之冲突的本次提交的另一课次的序号"})
    learners = Int(allow_none=True, required=True, metadata={"description": "学员冲突：共同报名的学员人数"})
    starts_at = fields.AwareDateTime(required=True, metadata={"description": "与之冲突的课次的开始时间"})
    ends_at = fields.AwareDateTime(required=True)


class WindowSchema(Schema):
    class Meta:
        ordered = True

    message = fields.String(required=True)
    dates = fields.List(fields.Date(), required=True, metadata={"description": "不在阶段时间范围内的日期（北京时间）"})
    phase_starts_on = fields.Date(attribute="starts_on", required=True)
    phase_ends_on = fields.Date(attribute="ends_on", required=True)


class ProposalSchema(Schema):
    error_messages = {"unknown": "未知字段。", "type": "应为对象，如 {\"course_id\": 1, …}。"}

    class Meta:
        ordered = True

    course_id = Int(required=True, strict=True)
    starts_at = Instant(required=True)
    ends_at = Instant(required=True)
    instructor_id = Int(allow_none=True, strict=True,
                        metadata={"description": "不填时为课程的第一位讲师"})
    venue_id = Int(allow_none=True, strict=True)
    session_id = Int(allow_none=True, strict=True, metadata={"description": "要修改的已有课次（与自身不算冲突）"})


class ClashCheckSchema(InputSchema):
    sessions = fields.List(
        fields.Nested(ProposalSchema), required=True,
        validate=validate.Length(min=1, max=MAX_CHECKED, error=f"应有 1 到 {MAX_CHECKED} 个课次。"),
        error_messages={"invalid": "应为课次的列表。", **COMMON_ERRORS},
        metadata={"description": "拟安排的课次（可来自几条重复规则，彼此之间也检查冲突）"})


class CheckedWindowSchema(WindowSchema):
    course_id = Int(required=True)


class ClashCheckResultSchema(Schema):
    class Meta:
        ordered = True

    clashes = fields.List(fields.Nested(ClashSchema), required=True)
    outside_phase = fields.List(fields.Nested(CheckedWindowSchema), required=True,
                                metadata={"description": "不在课程所属阶段时间范围内的课次，按课程"})


# series --------------------------------------------------------------------------------------


def _rule_fields() -> dict:
    return {
        "weekdays": fields.List(Int(strict=True), required=True,
                                error_messages={"invalid": "应为星期几的列表，如 [3] 或 [2, 4]。", **COMMON_ERRORS},
                                metadata={"description": "每周哪几天：1（周一）到 7（周日）"}),
        "starts_time": Clock(required=True, metadata={"description": "开始时间（北京时间），如 19:00"}),
        "ends_time": Clock(required=True, metadata={"description": "结束时间（北京时间，同一天），如 21:00"}),
        "first_date": Day(required=True, metadata={"description": "首次日期"}),
        "until_date": Day(allow_none=True, metadata={"description": "结束日期（含）；与 count 二选一"}),
        "count": Int(allow_none=True, strict=True,
                     metadata={"description": f"次数（跳过的节假日不计，最多 {MAX_OCCURRENCES}）；与 until_date 二选一"}),
        "skip_holidays": Bool(load_default=True, metadata={"description": "是否跳过法定节假日（默认 true）"}),
        "keep_holidays": fields.List(Day(), load_default=list,
                                     error_messages={"invalid": "应为日期的列表。"},
                                     metadata={"description": "仍要上课的节假日日期"}),
    }


SeriesCreateSchema = InputSchema.from_dict({
    "course_id": Int(required=True, strict=True, metadata={"description": "课程编号"}),
    **_rule_fields(), **_detail_fields(), "override_reason": OVERRIDE,
}, name="SeriesCreate")

PreviewRequestSchema = InputSchema.from_dict({
    "course_id": Int(required=True, strict=True, metadata={"description": "课程编号"}),
    **_rule_fields(), **_detail_fields(),
}, name="PreviewRequest")


class SkippedSchema(Schema):
    class Meta:
        ordered = True

    date = fields.Date(attribute="day", required=True)
    holiday = fields.String(required=True, metadata={"description": "节假日名称，如 劳动节"})
    text = fields.Function(str, required=True, metadata={"type": "string", "description": "如“2023-05-01 劳动节”"})


class PreviewItemSchema(Schema):
    class Meta:
        ordered = True

    index = Int(required=True)
    date = fields.Date(required=True, metadata={"description": "日期（北京时间）"})
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    holiday = fields.String(allow_none=True, required=True, metadata={"description": "保留的节假日的名称"})
    makeup_for = fields.String(allow_none=True, required=True,
                               metadata={"description": "调休上班日：为哪个节假日调休"})
    published = fields.Boolean(required=True, metadata={"description": "当年节假日安排是否已公布"})
    note = fields.String(allow_none=True, required=True)
    outside_phase = fields.Boolean(required=True)
    clashes = fields.List(fields.Nested(ClashSchema), required=True)


class PreviewSchema(Schema):
    class Meta:
        ordered = True

    rule = fields.String(required=True, metadata={"description": "规则的中文说明"})
    sessions = fields.List(fields.Nested(PreviewItemSchema), required=True)
    skipped = fields.List(fields.Nested(SkippedSchema), required=True, metadata={"description": "跳过的节假日"})
    warnings = fields.List(fields.String(), required=True,
                           metadata={"description": "提醒，如当年节假日安排尚未公布"})
    window = fields.Nested(WindowSchema, allow_none=True, required=True,
                           metadata={"description": "不在阶段时间范围内的日期；有则不能保存"})
    clashes = fields.List(fields.Nested(ClashSchema), required=True)
    can_save = fields.Boolean(required=True, metadata={"description": "能否保存（有冲突时仍须 override_reason）"})


class SeriesSchema(Schema):
    class Meta:
        ordered = True

    id = Int(required=True)
    course_id = Int(required=True)
    rule = fields.String(required=True)
    weekdays = fields.List(Int(), required=True, metadata={"description": "每周哪几天：1（周一）到 7（周日）"})
    starts_time = Clock(required=True)
    ends_time = Clock(required=True)
    first_date = fields.Date(required=True)
    until_date = fields.Date(allow_none=True, required=True)
    count = Int(allow_none=True, required=True)
    skip_holidays = fields.Boolean(required=True)
    kept_holidays = fields.List(fields.Date(), required=True, metadata={"description": "保留的节假日"})
    sessions = fields.List(fields.Nested(SessionSchema), required=True)


class SeriesCreatedSchema(SeriesSchema):
    skipped = fields.List(fields.Nested(SkippedSchema), required=True, metadata={"description": "跳过的节假日"})


SeriesUpdateSchema = InputSchema.from_dict({
    "from_date": Day(allow_none=True, metadata={"description": "从这一天（含，北京时间）起的课次；默认今天"}),
    "starts_time": Clock(metadata={"description": "新的开始时间（须同时填写 reason）"}),
    "ends_time": Clock(metadata={"description": "新的结束时间"}),
    **_detail_fields(),
    "reason": _reason("调课原因", "调课原因：改动时间时必填", allow_none=True),
    "override_reason": OVERRIDE,
}, name="SeriesUpdate")


class SeriesCancelSchema(CancelSchema):
    from_date = Day(allow_none=True, metadata={"description": "从这一天（含，北京时间）起取消；默认今天"})


class SeriesChangedSchema(Schema):
    class Meta:
        ordered = True

    series = fields.Nested(SeriesSchema, required=True)
    changed = fields.List(fields.Nested(SessionSchema), required=True,
                          metadata={"description": "本次修改或取消的课次"})
