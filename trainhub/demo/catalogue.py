"""What the demo is made of: the courses of each phase, positions and qualifications of the
learners, attendance habits, and the reasons people give. Plain data, no database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from trainhub.attendance.models import AttendanceStatus
from trainhub.courses.models import CourseMode
from trainhub.courses.operations import PHASE_ONE_TRACKS
from trainhub.learners.models import Qualification
from trainhub.orgs.models import OrgKind

#: Class hours per session.
SESSION_HOURS = 2
ONLINE_TIME = (time(19, 0), time(21, 0))
ONSITE_TIMES = ((time(9, 30), time(11, 30)), (time(14, 30), time(16, 30)))
MEETING_URL = "https://meeting.example.com/j/{}"


@dataclass(frozen=True)
class CourseSpec:
    #: Index of the course's track in its phase plan.
    track: int
    #: Code without the phase, e.g. ``ORG-01``; the course's code is ``P<phase>-ORG-01``.
    suffix: str
    title: str
    hours: int
    mode: CourseMode
    capacity: int
    has_assessment: bool
    description: str

    def code(self, phase_number: int) -> str:
        return f"P{phase_number}-{self.suffix}"


@dataclass(frozen=True)
class PhasePlan:
    """The tracks and courses of one phase and how its timetable is laid out."""

    tracks: tuple[str, ...]
    courses: tuple[CourseSpec, ...]
    #: Weekdays (Monday = 0) each track meets on.
    weekdays: tuple[tuple[int, ...], ...]
    #: On-site sessions held on one day (morning and afternoon, or one).
    onsite_per_day: int
    #: Instructors of a track's courses: None = any instructor; else the track's own pair
    #: (the current phase keeps tracks' teachers apart, so that the sessions placed around
    #: "now" in different tracks never ask one person to be in two places).
    instructors_by_track: bool


def _spec(track, suffix, title, hours, mode, capacity, has_assessment, description) -> CourseSpec:
    return CourseSpec(track, suffix, title, hours, mode, capacity, has_assessment, description)


ONLINE, BLENDED, ONSITE = CourseMode.ONLINE, CourseMode.BLENDED, CourseMode.ONSITE

#: Phase 1 (2023), as the programme ran it: both tracks' courses one after another; it
#: opened online on Wednesday 2023-02-15.
PHASE_ONE_PLAN = PhasePlan(
    tracks=PHASE_ONE_TRACKS,
    courses=(
        _spec(0, "ORG-01", "社会工作服务机构战略规划与法人治理", 8, ONLINE, 300, False,
              "机构使命与发展战略、理事会与监事会运作、内部治理制度建设。"),
        _spec(0, "ORG-02", "社工机构项目设计、管理与评估", 12, BLENDED, 120, True,
              "需求调研、项目逻辑模型、项目书撰写、过程管理与成效评估，含实施点现场教学。"),
        _spec(0, "ORG-03", "社工机构财务管理与资金筹措", 8, ONLINE, 300, False,
              "非营利组织会计制度、项目预算与决算、政府购买服务资金管理、多元筹资。"),
        _spec(0, "ORG-04", "社工机构人力资源管理与专业督导", 10, ONLINE, 300, True,
              "社工招聘与留用、薪酬与激励、职业发展通道、督导体系建设。"),
        _spec(0, "ORG-05", "社会工作服务标准化与质量管理实务", 6, ONSITE, 60, False,
              "服务标准与流程、服务质量评估、风险防控，在实施点集中面授。"),
        _spec(1, "STN-01", "乡镇（街道）社工站建设政策与运营模式", 6, ONLINE, 300, False,
              "社工站建设的政策要求、运营模式比较、与基层治理体系的衔接。"),
        _spec(1, "STN-02", "驻站社工岗位职责与服务规范", 8, ONLINE, 300, True,
              "驻站社工的岗位职责、服务流程、工作记录与伦理守则。"),
        _spec(1, "STN-03", "困难群众与特殊群体需求评估及个案管理", 12, BLENDED, 120, True,
              "低保、特困、留守老人和儿童等群体的需求评估与个案管理，含实施点现场教学。"),
        _spec(1, "STN-04", "社区资源整合与志愿服务体系建设", 8, ONLINE, 300, False,
              "社区资源盘点与链接、“五社联动”、志愿者招募与管理。"),
        _spec(1, "STN-05", "社工站服务档案管理与成效展示", 6, ONSITE, 60, False,
              "服务台账与档案规范、服务数据统计、案例撰写与成效展示，在实施点集中面授。"),
    ),
    weekdays=((1, 3), (2, 4)),
    onsite_per_day=2,
    instructors_by_track=False,
)

#: The phase running now: the two tracks go on with advanced courses, and a third track on
#: rural revitalisation is open to learners of both. Each track meets on weekdays of its own
#: (Tuesday/Thursday, Wednesday/Friday, Monday), so a learner of two tracks has no clash.
CURRENT_PLAN = PhasePlan(
    tracks=(*PHASE_ONE_TRACKS, "乡村振兴社会工作服务"),
    courses=(
        _spec(0, "ORG-01", "社工机构品牌建设与公众传播", 12, ONLINE, 300, False,
              "机构品牌定位、服务故事讲述、新媒体运营与公众沟通。"),
        _spec(0, "ORG-02", "政府购买社会工作服务项目申报与执行", 16, BLENDED, 120, True,
              "购买服务政策、项目申报书撰写、合同履约与绩效评价，含实施点现场教学。"),
        _spec(0, "ORG-03", "社工机构数字化管理与信息系统应用", 12, ONLINE, 300, False,
              "服务数据管理、个案管理系统、线上协作工具与数据安全。"),
        _spec(0, "ORG-04", "社工机构督导体系与人才梯队建设", 12, ONLINE, 300, True,
              "督导制度设计、督导技巧、骨干社工培养与人才梯队规划。"),
        _spec(1, "STN-01", "社工站“一站多能”服务体系建设", 12, ONLINE, 300, False,
              "社工站功能定位、服务清单、与民政服务站点的融合运行。"),
        _spec(1, "STN-02", "社会救助领域社会工作服务实务", 16, BLENDED, 120, True,
              "低保、特困供养与临时救助对象的需求评估、资源链接和跟踪服务，含实施点现场教学。"),
        _spec(1, "STN-03", "驻站社工专业能力提升：个案与小组工作", 12, ONLINE, 300, True,
              "个案工作流程、小组设计与带领、专业记录与反思。"),
        _spec(1, "STN-04", "社工站与村（社区）协同治理", 8, ONSITE, 60, False,
              "村（社区）议事协商、社会组织培育、志愿服务联动，在实施点集中面授。"),
        _spec(2, "RUR-01", "乡村振兴背景下的社会工作服务", 10, ONLINE, 300, False,
              "乡村振兴战略要点、社会工作的角色与服务领域、典型案例。"),
        _spec(2, "RUR-02", "农村留守老人、儿童关爱服务实务", 12, BLENDED, 120, True,
              "留守老人和儿童的风险识别、探访关爱、家庭支持与转介，含实施点现场教学。"),
        _spec(2, "RUR-03", "防止规模性返贫监测帮扶与社会工作介入", 10, ONLINE, 300, False,
              "返贫监测对象识别、帮扶措施衔接、社会工作介入方法。"),
    ),
    weekdays=((1, 3), (2, 4), (0,)),
    onsite_per_day=1,
    instructors_by_track=True,
)

AGENCY_POSITIONS = (("机构负责人", 2), ("项目主管", 3), ("项目社工", 6), ("一线社工", 6),
                    ("社工督导", 1), ("行政专员", 1), ("财务专员", 1))
STATION_POSITIONS = (("站长", 2), ("驻站社工", 6), ("社工助理", 3), ("村（社区）社工联络员", 2))
QUALIFICATIONS = {
    OrgKind.AGENCY: ((Qualification.NONE, 30), (Qualification.ASSISTANT, 40),
                     (Qualification.SOCIAL_WORKER, 25), (Qualification.SENIOR, 5)),
    OrgKind.STATION: ((Qualification.NONE, 55), (Qualification.ASSISTANT, 33),
                      (Qualification.SOCIAL_WORKER, 11), (Qualification.SENIOR, 1)),
}
#: Attendance habits: share of learners, then weights of present/late/left early/excused/absent.
ATTENDANCE_PROFILES = (
    (70, (88, 5, 3, 2, 2)),
    (20, (70, 10, 6, 7, 7)),
    (10, (45, 10, 8, 12, 25)),
)
STATUSES = (AttendanceStatus.PRESENT, AttendanceStatus.LATE, AttendanceStatus.LEFT_EARLY,
            AttendanceStatus.EXCUSED, AttendanceStatus.ABSENT)
LEAVE_REASONS = ("参加县民政局工作会议", "入户走访困难群众", "驻村开展防汛工作", "身体不适，需就医",
                 "家中有事", "承接乡镇临时工作任务", "参加社工站季度考核")
#: Why the office turned a leave request down (the learner then came, or was absent).
REJECTION_NOTES = ("本次课程为必修内容，请调整工作安排后参加。", "请假理由不充分，请按时参加。",
                   "本课次含现场考核，不能请假。")
WITHDRAW_REASONS = ("工作岗位调整", "与本职工作时间冲突", "已参加同类培训")
