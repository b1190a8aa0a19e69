"""The demo data set: a realistic, reproducible phase 1 for a pilot or demonstration machine.

:func:`create_demo_data` fills an empty database (apart from the reference data, which it
loads itself) with both tracks' courses, a six-month timetable inside phase 1's window,
organisations and township stations in priority counties with their supporting
organisations in eastern provinces, learners with synthetic but valid ID and mobile
numbers, enrolments, attendance for the sessions already held, assessments, and a user
of every role. Every value comes from one ``random.Random(seed)``: the same seed gives
the same names, ID numbers and timetable.

Like every operation it flushes and never commits; the command commits once.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import chinese_calendar
import pandas as pd
import sqlalchemy as sa

from trainhub.accounts.models import Role, User
from trainhub.attendance.models import (
    Assessment,
    Attendance,
    AttendanceSource,
    AttendanceStatus,
    LeaveRequest,
    LeaveStatus,
)
from trainhub.audit.models import AuditEntry
from trainhub.audit.operations import record
from trainhub.courses.models import (
    Course,
    CourseMode,
    Enrolment,
    EnrolmentStatus,
    Phase,
    Track,
    TrainingSession,
)
from trainhub.courses.operations import ensure_initial_programme
from trainhub.db import utcnow
from trainhub.demo import fake
from trainhub.extensions import db
from trainhub.geo.models import County
from trainhub.geo.operations import load_counties
from trainhub.imports.errors import ImportRefused
from trainhub.imports.operations import commit_import
from trainhub.imports.planner import plan_import
from trainhub.imports.reading import read_roster
from trainhub.learners import idcard
from trainhub.learners.models import Gender, Learner, Qualification
from trainhub.orgs.models import Organisation, OrgKind, Pairing
from trainhub.pii import cipher
from trainhub.spreadsheets import to_csv

#: Password of every demo account; ``trainhub demo`` prints it. Demo machines only.
DEMO_PASSWORD = "Qianshou-2023"  # noqa: S105 (documented demo password, printed on purpose)
#: Audit action marking that the demo data set exists.
DEMO_ACTION = "demo.create"
DEFAULT_SEED = 2023
DEFAULT_LEARNERS = 300
MIN_LEARNERS = 50
MAX_LEARNERS = 5000
#: Priority counties that get organisations, stations and learners.
PRIORITY_COUNTY_COUNT = 36
#: Counties whose sites host the on-site sessions (实施点).
SITE_COUNT = 4
SUPPORTER_COUNT = 12
#: Eastern provinces the supporting organisations (支援方) come from.
EAST_PROVINCE_CODES = ("11", "12", "31", "32", "33", "35", "37", "44")
ZONE = ZoneInfo("Asia/Shanghai")

#: Weekdays (Monday = 0) each track meets on; phase 1 opened online on Wednesday 2023-02-15.
TRACK_WEEKDAYS = ((1, 3), (2, 4))
#: Class hours per session.
SESSION_HOURS = 2
ONLINE_TIME = (time(19, 0), time(21, 0))
ONSITE_TIMES = ((time(9, 30), time(11, 30)), (time(14, 30), time(16, 30)))


@dataclass(frozen=True)
class CourseSpec:
    track: int
    code: str
    title: str
    hours: int
    mode: CourseMode
    capacity: int
    has_assessment: bool
    description: str


COURSES = (
    CourseSpec(0, "P1-ORG-01", "社会工作服务机构战略规划与法人治理", 8, CourseMode.ONLINE, 300, False,
               "机构使命与发展战略、理事会与监事会运作、内部治理制度建设。"),
    CourseSpec(0, "P1-ORG-02", "社工机构项目设计、管理与评估", 12, CourseMode.BLENDED, 120, True,
               "需求调研、项目逻辑模型、项目书撰写、过程管理与成效评估，含实施点现场教学。"),
    CourseSpec(0, "P1-ORG-03", "社工机构财务管理与资金筹措", 8, CourseMode.ONLINE, 300, False,
               "非营利组织会计制度、项目预算与决算、政府购买服务资金管理、多元筹资。"),
    CourseSpec(0, "P1-ORG-04", "社工机构人力资源管理与专业督导", 10, CourseMode.ONLINE, 300, True,
               "社工招聘与留用、薪酬与激励、职业发展通道、督导体系建设。"),
    CourseSpec(0, "P1-ORG-05", "社会工作服务标准化与质量管理实务", 6, CourseMode.ONSITE, 60, False,
               "服务标准与流程、服务质量评估、风险防控，在实施点集中面授。"),
    CourseSpec(1, "P1-STN-01", "乡镇（街道）社工站建设政策与运营模式", 6, CourseMode.ONLINE, 300, False,
               "社工站建设的政策要求、运营模式比较、与基层治理体系的衔接。"),
    CourseSpec(1, "P1-STN-02", "驻站社工岗位职责与服务规范", 8, CourseMode.ONLINE, 300, True,
               "驻站社工的岗位职责、服务流程、工作记录与伦理守则。"),
    CourseSpec(1, "P1-STN-03", "困难群众与特殊群体需求评估及个案管理", 12, CourseMode.BLENDED, 120, True,
               "低保、特困、留守老人和儿童等群体的需求评估与个案管理，含实施点现场教学。"),
    CourseSpec(1, "P1-STN-04", "社区资源整合与志愿服务体系建设", 8, CourseMode.ONLINE, 300, False,
               "社区资源盘点与链接、“五社联动”、志愿者招募与管理。"),
    CourseSpec(1, "P1-STN-05", "社工站服务档案管理与成效展示", 6, CourseMode.ONSITE, 60, False,
               "服务台账与档案规范、服务数据统计、案例撰写与成效展示，在实施点集中面授。"),
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
WITHDRAW_REASONS = ("工作岗位调整", "与本职工作时间冲突", "已参加同类培训")


class DemoError(ValueError):
    """The demo data cannot be created here; ``message`` (Chinese) says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class DemoAccount:
    username: str
    role: Role
    display_name: str
    scope_code: str | None = None


@dataclass
class DemoSummary:
    seed: int
    password: str
    counts: dict[str, int] = field(default_factory=dict)
    accounts: list[DemoAccount] = field(default_factory=list)
    trainee_usernames: list[str] = field(default_factory=list)
    #: Demo user names that existed already and were left unchanged.
    kept_usernames: list[str] = field(default_factory=list)


def demo_exists() -> bool:
    return bool(db.session.scalar(sa.select(sa.exists().where(AuditEntry.action == DEMO_ACTION))))


def business_data_counts() -> dict[str, int]:
    """Rows that would mix with demo data: organisations, courses, learners."""
    return {
        label: db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for label, model in (("机构", Organisation), ("课程", Course), ("学员", Learner))
    }


def create_demo_data(seed: int = DEFAULT_SEED, learners: int = DEFAULT_LEARNERS,
                     now: datetime | None = None) -> DemoSummary | None:
    """Create the demo data set; None if it exists already (then nothing changes).

    Loads the reference data first (idempotent). Refuses with :class:`DemoError` when the
    database holds organisations, courses or learners that are not demo data. ``now``
    decides which sessions lie in the past and get attendance (default: the current time).
    """
    if not MIN_LEARNERS <= learners <= MAX_LEARNERS:
        raise DemoError(f"学员人数应在 {MIN_LEARNERS} 到 {MAX_LEARNERS} 之间。")
    if demo_exists():
        return None
    existing = {label: n for label, n in business_data_counts().items() if n}
    if existing:
        listed = "、".join(f"{label} {n} 条" for label, n in existing.items())
        raise DemoError(f"数据库中已有业务数据（{listed}），演示数据只能写入新建的数据库，未做任何更改。")

    load_counties()
    setup = ensure_initial_programme()
    builder = _Builder(random.Random(seed), setup.phase, setup.tracks, now or utcnow())
    summary = builder.build(seed, learners)
    record(DEMO_ACTION, target_type="demo", target_id=seed,
           detail={"seed": seed, "learners": learners, "counts": summary.counts})
    return summary


@dataclass(frozen=True)
class _Place:
    """Where demo learners work: an agency or a township station of a county."""

    name: str
    kind: OrgKind
    county: County
    #: The township of a station (its address).
    town: str = ""


def _import_roster(roster: list[dict]):
    """Run the demo roster through the bulk import (the code behind the web page and the CLI).

    The learners get no import-made trainee account: the demo links its own ``traineeNNNN``
    accounts, which share the demo password.
    """
    filename = "演示学员名单.csv"
    try:
        plan = plan_import(read_roster(filename, to_csv(pd.DataFrame(roster, dtype=object))),
                           user=None, filename=filename)
        return commit_import(plan, create_accounts=False, via="demo")
    except ImportRefused as exc:  # the demo's own roster is valid by construction
        raise DemoError(f"演示学员名单未能导入：{exc.message}") from exc


def _local(day: date, at: time) -> datetime:
    """A Beijing wall-clock time as a UTC instant."""
    return datetime.combine(day, at, tzinfo=ZONE).astimezone(UTC)


def _weighted(rng: random.Random, pairs):
    values = [value for value, _ in pairs]
    weights = [weight for _, weight in pairs]
    return rng.choices(values, weights=weights)[0]


class _Builder:
    def __init__(self, rng: random.Random, phase: Phase, tracks: list[Track], now: datetime):
        self.rng = rng
        self.phase = phase
        self.tracks = tracks
        self.now = now
        self.cipher = cipher()
        self.summary: DemoSummary | None = None
        self.password_hash: str | None = None
        #: Existing users by lower-case user name (a demo name that exists is left alone).
        self.users: dict[str, User] = {}

    # entry point ---------------------------------------------------------------------------

    def build(self, seed: int, learner_count: int) -> DemoSummary:
        self.summary = DemoSummary(seed=seed, password=DEMO_PASSWORD)
        self.users = {user.username.lower(): user for user in db.session.scalars(sa.select(User))}
        counties = self._priority_counties()
        places, agencies = self._recipient_places(counties)
        supporters = self._supporters()
        pairings = self._pairings(supporters, agencies)
        staff = self._staff_users(counties)
        courses = self._courses(staff["instructors"])
        sites = self.rng.sample(agencies, min(SITE_COUNT, len(agencies)))
        sessions = self._timetable(courses, sites)
        db.session.flush()
        learners, stations = self._learners(places, learner_count)
        db.session.flush()
        enrolments = self._enrolments(learners, courses)
        attendance = self._attendance(enrolments, sessions, staff["office"])
        assessments = self._assessments(enrolments, sessions, attendance)
        self.summary.counts = {
            "priority_counties": len(counties),
            "organisations": len(agencies) + len(stations) + len(supporters),
            "supporters": len(supporters),
            "pairings": len(pairings),
            "courses": len(courses),
            "sessions": sum(len(items) for items in sessions.values()),
            "learners": len(learners),
            "enrolments": len(enrolments),
            "attendance": len(attendance),
            "assessments": assessments,
        }
        return self.summary

    # places and organisations -------------------------------------------------------------

    def _priority_counties(self) -> list[County]:
        flagged = list(db.session.scalars(
            sa.select(County).where(County.is_priority, County.is_current).order_by(County.code)
        ))
        if not flagged:
            raise DemoError("没有标记为重点帮扶县的县，无法生成演示数据。请先运行 trainhub init。")
        chosen = self.rng.sample(flagged, min(PRIORITY_COUNTY_COUNT, len(flagged)))
        return sorted(chosen, key=lambda county: county.code)

    def _recipient_places(self, counties: list[County]):
        """Each county's social work agency (registered here, with its address and contact)
        and the township stations its learners will name: the stations are registered by
        the learner import, as when a county's roster names a station the office does not
        know yet."""
        places: list[_Place] = []
        agencies: list[Organisation] = []
        for county in counties:
            agency = Organisation(
                name=f"{county.name}{self.rng.choice(fake.AGENCY_WORDS)}社会工作服务中心",
                kind=OrgKind.AGENCY,
                county=county,
                address=f"{county.province}{county.prefecture}{county.name}"
                        f"{self.rng.choice(fake.TOWN_NAMES)}路 {self.rng.randint(1, 300)} 号",
                contact_name=fake.person_name(self.rng, self.rng.choice(list(Gender))),
                contact_phone=fake.mobile(self.rng),
            )
            agencies.append(agency)
            places.append(_Place(agency.name, OrgKind.AGENCY, county))
            for town in fake.town_names(self.rng, self.rng.randint(2, 3)):
                places.append(_Place(f"{county.name}{town}社会工作服务站", OrgKind.STATION, county, town))
        db.session.add_all(agencies)
        return places, agencies

    def _supporters(self) -> list[Organisation]:
        districts = list(db.session.scalars(
            sa.select(County)
            .where(County.province_code.in_(EAST_PROVINCE_CODES), County.is_current,
                   County.name.endswith("区"))
            .order_by(County.code)
        ))
        chosen = sorted(self.rng.sample(districts, min(SUPPORTER_COUNT, len(districts))),
                        key=lambda county: county.code)
        words = self.rng.sample(fake.SUPPORTER_WORDS, len(chosen))
        supporters = []
        for county, word in zip(chosen, words, strict=True):
            city = county.province if county.province.endswith("市") else county.prefecture
            supporters.append(Organisation(
                name=f"{city}{county.name}{word}社会工作服务中心",
                kind=OrgKind.SUPPORTER,
                county=county,
                address=f"{county.province}{'' if city == county.province else city}{county.name}"
                        f"{self.rng.choice(fake.TOWN_NAMES)}大道 {self.rng.randint(1, 999)} 号",
                contact_name=fake.person_name(self.rng, self.rng.choice(list(Gender))),
                contact_phone=fake.mobile(self.rng),
            ))
        db.session.add_all(supporters)
        return supporters

    def _pairings(self, supporters: list[Organisation], agencies: list[Organisation]) -> list[Pairing]:
        if not supporters:
            return []
        order = list(agencies)
        self.rng.shuffle(order)
        pairings = [
            Pairing(
                supporter=supporters[index % len(supporters)],
                recipient=agency,
                started_on=fake.random_date(self.rng, date(2022, 9, 1), date(2023, 1, 31)),
                note="牵手计划结对：支援方派驻督导，协助机构建设与人才培养。",
            )
            for index, agency in enumerate(order)
        ]
        db.session.add_all(pairings)
        return pairings

    # users -----------------------------------------------------------------------------------

    def _user(self, username: str, role: Role, display_name: str,
              scope_code: str | None = None) -> User:
        existing = self.users.get(username.lower())
        if existing is not None:
            self.summary.kept_usernames.append(username)
            return existing
        user = User(username=username, role=role, display_name=display_name,
                    scope_code=scope_code, session_version=1)
        if self.password_hash is None:
            user.set_password(DEMO_PASSWORD)  # hash once; every demo account shares it
            self.password_hash = user.password_hash
        else:
            user.password_hash = self.password_hash
        db.session.add(user)
        if role != Role.TRAINEE:
            self.summary.accounts.append(DemoAccount(username, role, display_name, scope_code))
        return user

    def _name(self) -> str:
        return fake.person_name(self.rng, self.rng.choice(list(Gender)))

    def _staff_users(self, counties: list[County]) -> dict:
        by_province: dict[str, list[County]] = {}
        for county in counties:
            by_province.setdefault(county.province_code, []).append(county)
        province_code, province_counties = max(
            sorted(by_province.items()), key=lambda item: len(item[1])
        )
        county = province_counties[0]
        office = self._user("office", Role.OFFICE, f"项目办 {self._name()}")
        self._user(f"coord-{province_code}", Role.COORDINATOR,
                   f"{county.province}联络员 {self._name()}", province_code)
        self._user(f"coord-{county.code}", Role.COORDINATOR,
                   f"{county.name}联络员 {self._name()}", county.code)
        instructors = [
            self._user(f"teacher{number:02d}", Role.INSTRUCTOR, f"{self._name()} 老师")
            for number in range(1, 7)
        ]
        self._user("certifier", Role.CERTIFIER, f"认证中心 {self._name()}")
        return {"office": office, "instructors": instructors}

    # courses and timetable ------------------------------------------------------------------

    def _courses(self, instructors: list[User]) -> list[tuple[CourseSpec, Course]]:
        courses = []
        for spec in COURSES:
            course = Course(
                track=self.tracks[spec.track],
                code=spec.code,
                title=spec.title,
                description=spec.description,
                class_hours=Decimal(spec.hours),
                mode=spec.mode,
                capacity=spec.capacity,
                completion_min_rate=Decimal("0.800"),
                has_assessment=spec.has_assessment,
                pass_score=Decimal(60) if spec.has_assessment else None,
            )
            course.instructors = self.rng.sample(instructors, self.rng.choice((1, 1, 2)))
            courses.append((spec, course))
        db.session.add_all(course for _, course in courses)
        return courses

    def _slots(self, weekdays: tuple[int, ...], *, launch: bool) -> list[date]:
        """Working days of the phase on ``weekdays``; the launch day first, or left out."""
        days = [self.phase.starts_on] if launch else []
        day = self.phase.starts_on + timedelta(days=1)
        while day <= self.phase.ends_on:
            # public holidays (e.g. 2023-05-01..03) come from the State Council's yearly notice
            if day.weekday() in weekdays and chinese_calendar.is_workday(day):
                days.append(day)
            day += timedelta(days=1)
        return days

    def _timetable(self, courses, sites: list[Organisation]) -> dict[str, list[TrainingSession]]:
        """Each track's courses one after another, spread evenly over the phase's weekdays."""
        sessions: dict[str, list[TrainingSession]] = {}
        site_index = 0
        for track_index, weekdays in enumerate(TRACK_WEEKDAYS):
            # meetings: (course, on_site, number of sessions that day)
            meetings = []
            for spec, course in courses:
                if spec.track != track_index:
                    continue
                count = spec.hours // SESSION_HOURS
                on_site = {CourseMode.ONLINE: 0, CourseMode.BLENDED: 2, CourseMode.ONSITE: count}[spec.mode]
                meetings += [(spec, course, False, 1)] * (count - on_site)
                meetings += [(spec, course, True, min(2, on_site - done))
                             for done in range(0, on_site, 2)]
            # track 1 opens the phase with the online launch; track 2 starts after it
            slots = self._slots(weekdays, launch=track_index == 0)
            last = len(slots) - 1
            picks = [round(i * last / (len(meetings) - 1)) for i in range(len(meetings))]
            venues: dict[str, str] = {}
            links: dict[str, str] = {}
            numbers: dict[str, int] = {}
            for (spec, course, on_site, count), pick in zip(meetings, picks, strict=True):
                day = slots[pick]
                if on_site and spec.code not in venues:
                    site = sites[site_index % len(sites)]
                    site_index += 1
                    venues[spec.code] = (f"{site.county.province}{site.county.name}实施点"
                                         f"（{site.name}培训室）")
                if not on_site and spec.code not in links:
                    links[spec.code] = f"https://meeting.example.com/j/{self.rng.randrange(10**8, 10**9)}"
                times = ONSITE_TIMES[:count] if on_site else (ONLINE_TIME,)
                for starts, ends in times:
                    numbers[spec.code] = numbers.get(spec.code, 0) + 1
                    title = f"第 {numbers[spec.code]} 讲" + ("（现场教学）" if on_site else "")
                    if day == self.phase.starts_on and numbers[spec.code] == 1:
                        title = "线上开班仪式暨第 1 讲"
                    session = TrainingSession(
                        course=course,
                        title=title,
                        starts_at=_local(day, starts),
                        ends_at=_local(day, ends),
                        venue=venues[spec.code] if on_site else None,
                        meeting_url=None if on_site else links[spec.code],
                        instructor=course.instructors[(numbers[spec.code] - 1) % len(course.instructors)],
                    )
                    sessions.setdefault(spec.code, []).append(session)
        db.session.add_all(session for items in sessions.values() for session in items)
        return sessions

    # learners ------------------------------------------------------------------------------

    def _learners(self, places: list[_Place], count: int) -> tuple[list[Learner], list[Organisation]]:
        """Learners from a roster run through the bulk import, as counties' rosters are.

        Returns the learners (in roster order) and the stations the import registered.
        """
        # each county's agency gets a learner first, so that learners come from every county;
        # the rest go by size (agencies are larger than stations)
        chosen = [place for place in places if place.kind == OrgKind.AGENCY][:count]
        weights = [3 if place.kind == OrgKind.AGENCY else 1.5 for place in places]
        chosen += self.rng.choices(places, weights=weights, k=count - len(chosen))
        chosen.sort(key=lambda place: places.index(place))
        used_ids: set[str] = set()
        used_phones: set[str] = set()
        roster = []
        for place in chosen:
            gender = self.rng.choice(list(Gender))
            born = fake.birth_date(self.rng)
            id_number = idcard.generate(self.rng, place.county.code, born, gender)
            while id_number in used_ids:
                id_number = idcard.generate(self.rng, place.county.code, born, gender)
            used_ids.add(id_number)
            parsed = idcard.parse(id_number)
            phone = fake.mobile(self.rng)
            while phone in used_phones:
                phone = fake.mobile(self.rng)
            used_phones.add(phone)
            positions = AGENCY_POSITIONS if place.kind == OrgKind.AGENCY else STATION_POSITIONS
            earliest = max(date(2012, 1, 1), date(born.year + 20, 7, 1))
            roster.append({
                "姓名": fake.person_name(self.rng, parsed.gender),
                "身份证号码": parsed.number,
                "手机号码": phone,
                "性别": parsed.gender.label,
                "出生日期": parsed.birth_date.isoformat(),
                "工作单位": place.name,
                "所在县（区）": place.county.code,
                "机构类型": place.kind.label,
                "职务": _weighted(self.rng, positions),
                "职业资格": _weighted(self.rng, QUALIFICATIONS[place.kind]).label,
                "入职日期": fake.random_date(self.rng, earliest, date(2022, 12, 31)).isoformat(),
            })
        result = _import_roster(roster)
        stations = result.organisations
        by_name = {place.name: place for place in places}
        for station in stations:  # the county's follow-up: where the station is, whom to call
            town = by_name[station.name].town
            county = station.county
            station.address = f"{county.province}{county.prefecture}{county.name}{town}便民服务中心"
            station.contact_name = fake.person_name(self.rng, self.rng.choice(list(Gender)))
            station.contact_phone = fake.mobile(self.rng)
        learners = result.learners
        for number, learner in enumerate(learners, start=1):
            username = f"trainee{number:04d}"
            if username.lower() not in self.users:
                learner.user = self._user(username, Role.TRAINEE, learner.name)
                self.summary.trainee_usernames.append(username)
            else:  # someone else's account: never link a demo learner to it
                self.summary.kept_usernames.append(username)
        return learners, stations

    # enrolments, attendance, assessments ---------------------------------------------------

    def _enrolments(self, learners: list[Learner], courses) -> list[dict]:
        by_track: dict[int, list[tuple[CourseSpec, Course]]] = {}
        for spec, course in courses:
            by_track.setdefault(spec.track, []).append((spec, course))
        taken: dict[str, int] = {}
        waiting: dict[str, int] = {}
        rows = []
        for learner in learners:
            own = 0 if learner.organisation.kind == OrgKind.AGENCY else 1
            chosen = self.rng.sample(by_track[own], self.rng.choice((3, 4, 4, 5, 5)))
            if self.rng.random() < 0.15:
                chosen.append(self.rng.choice(by_track[1 - own]))
            for spec, course in sorted(chosen, key=lambda item: item[0].code):
                enrolled_at = _local(fake.random_date(self.rng, date(2023, 1, 20), date(2023, 2, 14)),
                                     time(self.rng.randint(8, 21), self.rng.randrange(60)))
                row = {"learner_id": learner.id, "course_id": course.id, "enrolled_at": enrolled_at,
                       "status": EnrolmentStatus.ENROLLED, "waitlist_position": None,
                       "withdrawn_at": None, "withdraw_reason": None, "_code": spec.code}
                if taken.get(spec.code, 0) >= spec.capacity:
                    waiting[spec.code] = waiting.get(spec.code, 0) + 1
                    row.update(status=EnrolmentStatus.WAITLISTED, waitlist_position=waiting[spec.code])
                elif self.rng.random() < 0.03:
                    row.update(status=EnrolmentStatus.WITHDRAWN,
                               withdrawn_at=enrolled_at + timedelta(days=self.rng.randint(3, 30)),
                               withdraw_reason=self.rng.choice(WITHDRAW_REASONS))
                else:
                    taken[spec.code] = taken.get(spec.code, 0) + 1
                rows.append(row)
        db.session.execute(sa.insert(Enrolment), [_columns(row) for row in rows])
        return rows

    def _attendance(self, enrolments: list[dict], sessions: dict[str, list[TrainingSession]],
                    office: User) -> list[dict]:
        habits = {}
        rows: list[dict] = []
        leaves: list[dict] = []
        for enrolment in enrolments:
            if enrolment["status"] != EnrolmentStatus.ENROLLED:
                continue
            learner_id = enrolment["learner_id"]
            if learner_id not in habits:
                habits[learner_id] = _weighted(self.rng, [(w, share) for share, w in ATTENDANCE_PROFILES])
            for session in sessions[enrolment["_code"]]:
                if session.ends_at > self.now:
                    continue  # not held yet
                status = self.rng.choices(STATUSES, weights=habits[learner_id])[0]
                rows.append(self._attendance_row(learner_id, session, status))
                if status == AttendanceStatus.EXCUSED:
                    requested = session.starts_at - timedelta(hours=self.rng.randint(4, 72))
                    leaves.append({
                        "learner_id": learner_id, "session_id": session.id,
                        "reason": self.rng.choice(LEAVE_REASONS), "status": LeaveStatus.APPROVED,
                        "requested_at": requested, "decided_by_id": office.id,
                        "decided_at": requested + timedelta(minutes=self.rng.randint(20, 240)),
                        "decision_note": None,
                    })
        if rows:
            db.session.execute(sa.insert(Attendance), rows)
        if leaves:
            db.session.execute(sa.insert(LeaveRequest), leaves)
        return rows

    def _attendance_row(self, learner_id: int, session: TrainingSession,
                        status: AttendanceStatus) -> dict:
        on_site = session.venue is not None
        start, end = session.starts_at, session.ends_at
        joined = left = minutes = None
        if status.counts_as_attended:
            joined = start + timedelta(minutes=self.rng.randint(-10, 4))
            left = end + timedelta(minutes=self.rng.randint(-3, 8))
            if status == AttendanceStatus.LATE:
                joined = start + timedelta(minutes=self.rng.randint(10, 40))
            elif status == AttendanceStatus.LEFT_EARLY:
                left = end - timedelta(minutes=self.rng.randint(15, 60))
            joined, left = max(joined, start), min(left, end)  # clipped to the session
            minutes = int((left - joined).total_seconds() // 60)
        if on_site:
            source = AttendanceSource.MANUAL
            joined = left = minutes = None
        elif status == AttendanceStatus.EXCUSED:
            source = AttendanceSource.LEAVE
        else:
            source = AttendanceSource.IMPORT
        return {
            "learner_id": learner_id, "session_id": session.id, "status": status, "source": source,
            "joined_at": joined, "left_at": left, "minutes_attended": minutes, "note": None,
            "recorded_by_id": session.instructor_id if on_site else None,
            "recorded_at": end + timedelta(hours=self.rng.randint(1, 30)),
        }

    def _assessments(self, enrolments: list[dict], sessions: dict[str, list[TrainingSession]],
                     attendance: list[dict]) -> int:
        attended: dict[tuple[int, int], int] = {}
        course_of_session = {s.id: s.course_id for items in sessions.values() for s in items}
        for row in attendance:
            if row["status"].counts_as_attended:
                key = (row["learner_id"], course_of_session[row["session_id"]])
                attended[key] = attended.get(key, 0) + 1
        specs = {spec.code: spec for spec in COURSES}
        rows = []
        for enrolment in enrolments:
            spec = specs[enrolment["_code"]]
            held = sessions[spec.code]
            if (not spec.has_assessment or enrolment["status"] != EnrolmentStatus.ENROLLED
                    or held[-1].ends_at > self.now):
                continue  # assessed after the course's last session
            rate = attended.get((enrolment["learner_id"], enrolment["course_id"]), 0) / len(held)
            score = max(20.0, min(100.0, self.rng.gauss(62 + 25 * rate, 8)))
            score_value = Decimal(f"{score:.1f}")
            last = held[-1]
            assessed_on = (last.ends_at.astimezone(ZONE) + timedelta(days=7)).date()
            rows.append({
                "learner_id": enrolment["learner_id"], "course_id": enrolment["course_id"],
                "score": score_value, "passed": score_value >= Decimal(60),
                "assessed_on": assessed_on, "note": None, "recorded_by_id": last.instructor_id,
                "recorded_at": _local(assessed_on, time(17, 0)),
            })
        if rows:
            db.session.execute(sa.insert(Assessment), rows)
        return len(rows)


def _columns(row: dict) -> dict:
    """A bulk-insert row without the builder's private keys."""
    return {key: value for key, value in row.items() if not key.startswith("_")}
