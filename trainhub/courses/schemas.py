"""API schemas of courses and enrolments (also their OpenAPI description)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from trainhub.api import COMMON_ERRORS, Bool, Day, InputSchema, Int, PageArgs, Text, page_schema
from trainhub.courses.models import CourseMode, EnrolmentStatus, SessionStatus
from trainhub.courses.operations import WITHDRAW_REASON_MAX

STATUS_VALUES = [status.value for status in EnrolmentStatus]
STATUS_HELP = "报名状态：" + "、".join(f"{s.value} {s.label}" for s in EnrolmentStatus)
MODE_HELP = "授课形式：" + "、".join(f"{m.value} {m.label}" for m in CourseMode)
MODE_VALUES = [mode.value for mode in CourseMode]
ARCHIVED_HELP = "是否已归档（本身或其所属的课程模块、阶段、项目已归档）：已归档的不出现在列表中，也不能再报名"
ARCHIVED_ARG_HELP = "true：同时列出已归档的"


class CourseSessionSchema(Schema):
    class Meta:
        ordered = True

    id = Int(required=True)
    title = fields.String(allow_none=True, required=True, metadata={"description": "本次课内容"})
    starts_at = fields.AwareDateTime(required=True, metadata={"description": "开始时间（ISO 8601，带时区偏移）"})
    ends_at = fields.AwareDateTime(required=True, metadata={"description": "结束时间（ISO 8601，带时区偏移）"})
    venue_id = Int(allow_none=True, required=True, metadata={"description": "场地编号；线上课次为 null"})
    venue = fields.String(attribute="place", allow_none=True, required=True,
                          metadata={"description": "线下地点：场地名称及场地内的具体位置"})
    meeting_url = fields.String(allow_none=True, required=True, metadata={"description": "线上会议链接"})
    meeting_number = fields.String(allow_none=True, required=True, metadata={"description": "会议号"})
    instructor_id = Int(allow_none=True, required=True, metadata={"description": "授课讲师的用户编号"})
    status = fields.Enum(SessionStatus, by_value=True, required=True,
                         metadata={"description": "scheduled 已排期、cancelled 已取消"})
    cancelled_at = fields.AwareDateTime(allow_none=True, required=True, metadata={"description": "取消时间"})
    cancel_reason = fields.String(allow_none=True, required=True, metadata={"description": "取消原因"})


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
    instructor_ids = fields.List(Int(), required=True, metadata={"description": "讲师的用户编号"})
    completion_min_rate = fields.Float(required=True, metadata={"description": "结业所需的最低出勤率（0–1）"})
    min_attendance_percent = fields.Float(required=True,
                                          metadata={"description": "结业所需的最低出勤率（百分数，0–100）"})
    has_assessment = fields.Boolean(required=True, metadata={"description": "是否有考核"})
    pass_score = fields.Float(allow_none=True, required=True,
                              metadata={"description": "考核及格分数（0–100）；无考核为 null"})
    excused_counts_against = fields.Boolean(
        allow_none=True, required=True,
        metadata={"description": "请假是否计入出勤率：true 计入、false 不计入、null 按全局设置"})
    archived = fields.Boolean(required=True, metadata={"description": ARCHIVED_HELP})
    archived_at = fields.AwareDateTime(allow_none=True, required=True,
                                       metadata={"description": "本课程的归档时间；未归档为 null"})
    sessions = fields.List(fields.Nested(CourseSessionSchema), required=True,
                           metadata={"description": "课次（含已取消的），按开始时间排列"})


CoursePageSchema = page_schema(CourseOverviewSchema, "CoursePage")


class CourseArgs(PageArgs):
    phase_id = Int(metadata={"description": "阶段编号"},
                   error_messages={"invalid": "阶段编号应为整数。"})
    track_id = Int(metadata={"description": "课程模块编号"},
                   error_messages={"invalid": "课程模块编号应为整数。"})
    q = Text(validate=validate.Length(max=50, error="最多 {max} 个字符。"),
             metadata={"description": "课程名称或编号的一部分"})
    archived = Bool(load_default=False, metadata={"description": ARCHIVED_ARG_HELP})


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


# the catalogue: phases, tracks, courses, venues ----------------------------------------------


class Number(fields.Decimal):
    """A number (``12``, ``7.5`` or ``"7.5"``) read exactly, for the operation to check."""

    default_error_messages = {**COMMON_ERRORS, "invalid": "应为数字。", "special": "应为有限的数字。"}


class TrackSchema(Schema):
    class Meta:
        ordered = True

    id = Int(required=True)
    phase_id = Int(required=True)
    name = fields.String(required=True, metadata={"description": "课程模块名称"})
    position = Int(required=True, metadata={"description": "在阶段内的排列顺序（小的在前）"})
    archived = fields.Function(lambda t: t.archived_note is not None, required=True,
                               metadata={"type": "boolean", "description": ARCHIVED_HELP})
    archived_at = fields.AwareDateTime(allow_none=True, required=True,
                                       metadata={"description": "本课程模块的归档时间；未归档为 null"})


class PhaseSchema(Schema):
    class Meta:
        ordered = True

    id = Int(required=True)
    programme_id = Int(required=True)
    programme = fields.String(attribute="programme.name", required=True, metadata={"description": "项目名称"})
    number = Int(required=True, metadata={"description": "阶段编号（同一项目内唯一）"})
    name = fields.String(required=True, metadata={"description": "阶段名称"})
    starts_on = fields.Date(required=True, metadata={"description": "开始日期（北京时间）"})
    ends_on = fields.Date(required=True, metadata={"description": "结束日期（北京时间，含当天）"})
    archived = fields.Function(lambda p: p.archived_note is not None, required=True,
                               metadata={"type": "boolean", "description": ARCHIVED_HELP})
    archived_at = fields.AwareDateTime(allow_none=True, required=True,
                                       metadata={"description": "本阶段的归档时间；未归档为 null"})
    tracks = fields.List(fields.Nested(TrackSchema), required=True,
                         metadata={"description": "课程模块（含已归档的），按排列顺序"})


PhasePageSchema = page_schema(PhaseSchema, "PhasePage")


class PhaseArgs(PageArgs):
    programme_id = Int(metadata={"description": "只列出此项目的阶段"},
                       error_messages={"invalid": "项目编号应为整数。"})
    archived = Bool(load_default=False, metadata={"description": ARCHIVED_ARG_HELP})


class ProgrammeSchema(Schema):
    class Meta:
        ordered = True

    id = Int(required=True)
    name = fields.String(required=True, metadata={"description": "项目名称（全系统唯一）"})
    starts_on = fields.Date(required=True, metadata={"description": "开始日期（北京时间）"})
    ends_on = fields.Date(required=True, metadata={"description": "结束日期（北京时间，含当天）"})
    archived = fields.Function(lambda p: p.archived_at is not None, required=True,
                               metadata={"type": "boolean", "description": "是否已归档（连同其全部阶段、"
                                                                           "课程模块和课程不再出现在列表中）"})
    archived_at = fields.AwareDateTime(allow_none=True, required=True,
                                       metadata={"description": "归档时间；未归档为 null"})
    phases = fields.List(fields.Nested(PhaseSchema), required=True,
                         metadata={"description": "阶段（含已归档的），按编号，各带其课程模块"})


ProgrammePageSchema = page_schema(ProgrammeSchema, "ProgrammePage")


class ProgrammeArgs(PageArgs):
    archived = Bool(load_default=False, metadata={"description": ARCHIVED_ARG_HELP})


def _programme_fields(required: bool) -> dict:
    """A programme's input; ``required`` for creation. Types here, meaning in the operation."""
    return {
        "name": Text(required=required, metadata={"description": "项目名称（最多 100 个字），不能与已有项目"
                                                                "（含已归档的）重复"}),
        "starts_on": Day(required=required, metadata={"description": "开始日期（北京时间）"
                                                      + ("" if required else "，不晚于其任何阶段的开始日期")}),
        "ends_on": Day(required=required, metadata={"description": "结束日期（北京时间，含当天），晚于开始日期"
                                                    + ("" if required else "，不早于其任何阶段的结束日期")}),
    }


ProgrammeCreateSchema = InputSchema.from_dict(_programme_fields(required=True), name="ProgrammeCreate")
ProgrammeUpdateSchema = InputSchema.from_dict(_programme_fields(required=False), name="ProgrammeUpdate")


def _phase_fields(required: bool) -> dict:
    """A phase's input; ``required`` for creation. Types here, meaning in the operation."""
    return {
        "number": Int(strict=True, metadata={"description": "阶段编号（1–999，同一项目内唯一）"
                                             + ("；省略则取下一个编号" if required else "")}),
        "name": Text(required=required, metadata={"description": "阶段名称（最多 100 个字），如 第二阶段"}),
        "starts_on": Day(required=required, metadata={"description": "开始日期（北京时间），不早于项目开始日期"}),
        "ends_on": Day(required=required, metadata={
            "description": "结束日期（北京时间，含当天），晚于开始日期，不晚于项目结束日期；"
                           "已排期的课次须在阶段时间之内"}),
    }


PhaseCreateSchema = InputSchema.from_dict(
    {"programme_id": Int(strict=True, metadata={"description": "项目编号；省略时为唯一在用的项目"}),
     **_phase_fields(required=True)},
    name="PhaseCreate",
)
PhaseUpdateSchema = InputSchema.from_dict(_phase_fields(required=False), name="PhaseUpdate")


def _track_fields(required: bool) -> dict:
    return {
        "name": Text(required=required, metadata={"description": "课程模块名称（最多 100 个字），同一阶段内唯一"}),
        "position": Int(strict=True,
                        metadata={"description": "排列顺序（0–999，小的在前）"
                                                 + ("；省略则排在最后" if required else "")}),
    }


TrackCreateSchema = InputSchema.from_dict(
    {"phase_id": Int(required=True, strict=True, metadata={"description": "所属阶段编号（须在用）"}),
     **_track_fields(required=True)},
    name="TrackCreate",
)
TrackUpdateSchema = InputSchema.from_dict(_track_fields(required=False), name="TrackUpdate")


def _course_fields(required: bool) -> dict:
    """A course's input; ``required`` for creation (PATCH changes only what it names)."""
    return {
        "code": Text(required=required, metadata={
            "description": "课程编号：字母、数字和 - _ .，最多 32 个字符，保存为大写，全系统唯一"}),
        "title": Text(required=required, metadata={"description": "课程名称（最多 200 个字）"}),
        "track_id": Int(required=required, strict=True, metadata={"description": "课程模块编号（须在用）"}),
        "class_hours": Number(required=required, metadata={"description": "学时：大于 0，最多一位小数"}),
        "mode": Text(required=required, metadata={"description": MODE_HELP, "enum": MODE_VALUES}),
        "instructor_ids": fields.List(Int(strict=True), metadata={
            "description": "讲师的用户编号（角色须为讲师）；仍担任本课程课次的讲师不能移出"}),
        "capacity": Int(strict=True, allow_none=True, metadata={
            "description": "容量（最多报名人数）；null 为不限，不能低于已报名人数"}),
        "description": Text(allow_none=True, multiline=True, metadata={"description": "课程简介（最多 2000 个字）"}),
        "min_attendance_percent": Number(metadata={
            "description": "结业所需最低出勤率，百分数 0–100，最多一位小数" + ("；默认 80" if required else "")}),
        "has_assessment": Bool(metadata={"description": "是否需要考核" + ("（默认 false）" if required else "")}),
        "pass_score": Number(allow_none=True, metadata={
            "description": "考核及格分数 0–100，最多一位小数；需要考核时必填，无考核时忽略"}),
        "excused_counts_against": Bool(allow_none=True, metadata={
            "description": "请假是否计入出勤率：true 计入、false 不计入、null 按全局设置（默认）"}),
    }


CourseCreateSchema = InputSchema.from_dict(_course_fields(required=True), name="CourseCreate")
CourseUpdateSchema = InputSchema.from_dict(_course_fields(required=False), name="CourseUpdate")


class VenueSchema(Schema):
    class Meta:
        ordered = True

    id = Int(required=True)
    name = fields.String(required=True, metadata={"description": "场地名称"})
    county_code = fields.String(required=True, metadata={"description": "所在县的 6 位代码"})
    county_name = fields.String(attribute="county.name", required=True, metadata={"description": "县名"})
    province = fields.String(attribute="county.province", required=True, metadata={"description": "省份"})
    organisation_id = Int(allow_none=True, required=True, metadata={"description": "承办机构编号；无则为 null"})
    organisation = fields.String(attribute="organisation.name", allow_none=True, required=True,
                                 metadata={"description": "承办机构名称"})
    address = fields.String(allow_none=True, required=True, metadata={"description": "地址"})
    capacity = Int(allow_none=True, required=True, metadata={"description": "可容纳人数"})
    archived = fields.Function(lambda v: v.archived_at is not None, required=True,
                               metadata={"type": "boolean", "description": "是否已归档（排课时不再可选）"})
    archived_at = fields.AwareDateTime(allow_none=True, required=True)
    created_at = fields.AwareDateTime(required=True)


VenuePageSchema = page_schema(VenueSchema, "VenuePage")


class VenueArgs(PageArgs):
    q = Text(validate=validate.Length(max=50, error="最多 {max} 个字符。"),
             metadata={"description": "场地名称或地址的一部分"})
    archived = Bool(load_default=False, metadata={"description": ARCHIVED_ARG_HELP})


def _venue_fields(required: bool) -> dict:
    return {
        "name": Text(required=required, metadata={"description": "场地名称（最多 200 个字），同一县内唯一"}),
        "county_code": Text(required=required, metadata={"description": "所在县的 6 位代码（须在行政区划代码表中）"}),
        "organisation_id": Int(strict=True, allow_none=True,
                               metadata={"description": "承办机构编号（须位于场地所在县）；null 为无"}),
        "address": Text(allow_none=True, metadata={"description": "地址（最多 300 个字）"}),
        "capacity": Int(strict=True, allow_none=True, metadata={"description": "可容纳人数；null 为不详"}),
    }


VenueCreateSchema = InputSchema.from_dict(_venue_fields(required=True), name="VenueCreate")
VenueUpdateSchema = InputSchema.from_dict(_venue_fields(required=False), name="VenueUpdate")
