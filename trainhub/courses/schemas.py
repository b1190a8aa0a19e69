"""API schemas of courses and enrolments (also their OpenAPI description)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from trainhub.api import Bool, InputSchema, Int, PageArgs, Text, page_schema
from trainhub.courses.models import CourseMode, EnrolmentStatus, SessionStatus
from trainhub.courses.operations import WITHDRAW_REASON_MAX

STATUS_VALUES = [status.value for status in EnrolmentStatus]
STATUS_HELP = "报名状态：" + "、".join(f"{s.value} {s.label}" for s in EnrolmentStatus)
MODE_HELP = "授课形式：" + "、".join(f"{m.value} {m.label}" for m in CourseMode)


class CourseSessionSchema(Schema):
    class Meta:
        ordered = True

    id = Int(required=True)
    title = fields.String(allow_none=True, required=True, metadata={"description": "本次课内容"})
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    venue = fields.String(allow_none=True, required=True, metadata={"description": "线下地点"})
    meeting_url = fields.String(allow_none=True, required=True, metadata={"description": "线上会议链接"})
    status = fields.Enum(SessionStatus, by_value=True, required=True,
                         metadata={"description": "scheduled 已排期、cancelled 已取消"})


class CourseOverviewSchema(Schema):
    class Meta:
        ordered = True

    id = Int(required=True)
    code = fields.String(required=True, metadata={"description": "课程编号，例如 P1-ORG-01"})
    title = fields.String(required=True, metadata={"description": "课程名称"})
    phase_id = Int(required=True)
    phase = fields.String(required=True, metadata={"description": "阶段名称"})
    track_id = Int(required=True)
    track = fields.String(required=True, metadata={"description": "课程模块名称"})
    class_hours = fields.Float(required=True, metadata={"description": "学时"})
    mode = fields.Enum(CourseMode, by_value=True, required=True, metadata={"description": MODE_HELP})
    mode_label = fields.String(required=True, metadata={"description": "授课形式的中文名称"})
    capacity = Int(allow_none=True, required=True, metadata={"description": "容量；null 表示不限人数"})
    enrolled = Int(required=True, metadata={"description": "已报名人数（全部区域）"})
    waitlisted = Int(required=True, metadata={"description": "候补人数（全部区域）"})
    free_places = Int(allow_none=True, required=True,
                      metadata={"description": "剩余名额；null 表示不限人数"})
    instructors = fields.List(fields.String(), required=True, metadata={"description": "讲师姓名"})


class CourseDetailSchema(CourseOverviewSchema):
    description = fields.String(allow_none=True, required=True, metadata={"description": "课程简介"})
    completion_min_rate = fields.Float(required=True, metadata={"description": "结业所需的最低出勤率（0–1）"})
    has_assessment = fields.Boolean(required=True, metadata={"description": "是否有考核"})
    sessions = fields.List(fields.Nested(CourseSessionSchema), required=True, metadata={"description": "课次"})


CoursePageSchema = page_schema(CourseOverviewSchema, "CoursePage")


class CourseArgs(PageArgs):
    phase_id = Int(metadata={"description": "阶段编号"},
                   error_messages={"invalid": "阶段编号应为整数。"})
    track_id = Int(metadata={"description": "课程模块编号"},
                   error_messages={"invalid": "课程模块编号应为整数。"})
    q = Text(validate=validate.Length(max=50, error="最多 {max} 个字符。"),
             metadata={"description": "课程名称或编号的一部分"})


class EnrolmentSchema(Schema):
    class Meta:
        ordered = True

    id = Int(required=True)
    course_id = Int(required=True)
    course_code = fields.String(attribute="course.code", required=True)
    course_title = fields.String(attribute="course.title", required=True)
    learner_id = Int(required=True)
    learner_name = fields.String(attribute="learner.name", required=True, metadata={"description": "学员姓名"})
    id_number_masked = fields.String(attribute="learner.id_number_masked", required=True,
                                     metadata={"description": "身份证号码（脱敏）"})
    phone_masked = fields.String(attribute="learner.phone_masked", allow_none=True, required=True,
                                 metadata={"description": "手机号码（脱敏）"})
    organisation_id = Int(attribute="learner.organisation_id", required=True)
    organisation = fields.String(attribute="learner.organisation.name", required=True,
                                 metadata={"description": "所在机构"})
    county_code = fields.String(attribute="learner.organisation.county_code", required=True,
                                metadata={"description": "机构所在县的 6 位代码"})
    status = fields.Enum(EnrolmentStatus, by_value=True, required=True, metadata={"description": STATUS_HELP})
    status_label = fields.Function(lambda e: e.status.label, required=True,
                                   metadata={"description": "报名状态的中文名称"})
    waitlist_position = Int(allow_none=True, required=True,
                            metadata={"description": "候补顺位（1 为最先补入）；非候补为 null"})
    enrolled_at = fields.AwareDateTime(required=True, metadata={"description": "报名时间"})
    withdrawn_at = fields.AwareDateTime(allow_none=True, required=True, metadata={"description": "退课时间"})
    withdraw_reason = fields.String(allow_none=True, required=True, metadata={"description": "退课原因"})


EnrolmentPageSchema = page_schema(EnrolmentSchema, "EnrolmentPage")


class EnrolmentCreatedSchema(EnrolmentSchema):
    warning = fields.String(allow_none=True, required=True,
                            metadata={"description": "课程已开课或已结束时的提醒（报名前已开始的课次不计入"
                                                     "出勤率）；课程尚未开课时为 null"})


class EnrolmentArgs(PageArgs):
    course_id = Int(metadata={"description": "只列出此课程的报名"},
                    error_messages={"invalid": "课程编号应为整数。"})
    learner_id = Int(metadata={"description": "只列出此学员的报名"},
                     error_messages={"invalid": "学员编号应为整数。"})
    status = fields.String(validate=validate.OneOf(STATUS_VALUES, error="报名状态应为以下之一："
                                                   + "、".join(STATUS_VALUES) + "。"),
                metadata={"description": STATUS_HELP})


class EnrolmentCreateSchema(InputSchema):
    learner_id = Int(required=True, strict=True,
                     metadata={"description": "学员编号（须在调用者的负责区域内）"})
    course_id = Int(required=True, strict=True, metadata={"description": "课程编号"})
    waitlist = Bool(load_default=True,
                    metadata={"description": "课程已满时是否进入候补名单（默认 true）；"
                                             "false 时课程已满则以 409 拒绝"})


class EnrolmentWithdrawSchema(InputSchema):
    reason = Text(required=True,
                  error_messages={"required": "请填写退课原因。", "null": "请填写退课原因。"},
                  metadata={"description": f"退课原因（必填，最多 {WITHDRAW_REASON_MAX} 字）"})


class EnrolmentWithdrawResultSchema(Schema):
    class Meta:
        ordered = True

    enrolment = fields.Nested(EnrolmentSchema, required=True, metadata={"description": "已退课的报名"})
    promoted = fields.Nested(EnrolmentSchema, allow_none=True, required=True,
                             metadata={"description": "从候补名单自动补入的报名；无人补入（或补入者不在"
                                                      "调用者的负责区域内）时为 null"})
