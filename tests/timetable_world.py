"""A timetable of phase 1 (2023-02-15 … 2023-08-14) for the timetable tests, made directly
with the models.

| course | track | mode | taught by | enrolled | sessions (local time) |
| ------ | ----- | ---- | --------- | -------- | --------------------- |
| ORG-01 社工机构战略管理 | 社工机构管理运营 | online | 张老师 | 贵州学员 | a series: Wednesdays 19:00–21:00 from 2023-03-01, 12 times, 2023-05-03 (劳动节) skipped; 2023-03-15 cancelled |
| ORG-02 项目设计与评估 | 社工机构管理运营 | on site, 水城区实施点 (520204) | 李老师 | 贵州学员 | 2023-05-06 (Saturday, a make-up working day) 09:30–12:00, 2023-05-11 14:30–17:00, 2023-05-12 14:30–17:00 cancelled |
| STA-01 社工站建设实务 | 乡镇（街道）社工站建设 | blended, 岷县实施点 (621126) | 张老师, 客座王老师 | 甘肃学员 | 2023-05-12 09:30–12:00 (assigned to 王老师), 2023-05-20 07:30–09:00, 2023-06-21 09:30–12:00 |

Users: the three instructors (``teacher-zhang``, ``teacher-li``, ``teacher-wang``), the
trainee accounts of the two learners (``trainee-gz``, ``trainee-gs``); everyone signs in
with ``conftest.DEFAULT_PASSWORD``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import chinese_calendar

from trainhub.extensions import db

ZONE = ZoneInfo("Asia/Shanghai")
MEETING_URL = "https://meeting.example.cn/j/2023001"
MEETING_NUMBER = "123 456 789"


def at(day: date, clock: str) -> datetime:
    """A local (Asia/Shanghai) wall-clock time as an aware datetime."""
    hours, minutes = map(int, clock.split(":"))
    return datetime.combine(day, time(hours, minutes), tzinfo=ZONE)


def series_days(first: date, count: int) -> list[date]:
    """``count`` Wednesdays from ``first``, public holidays skipped."""
    days, day = [], first
    while len(days) < count:
        if not chinese_calendar.is_holiday(day):
            days.append(day)
        day += timedelta(days=7)
    return days


@dataclass
class TimetableWorld:
    users: dict[str, int] = field(default_factory=dict)
    courses: dict[str, int] = field(default_factory=dict)
    #: name -> session id: "org1-<yyyy-mm-dd>", "org2-0506", "org2-0511", "org2-cancelled",
    #: "sta-0512", "sta-0520", "sta-0621"
    sessions: dict[str, int] = field(default_factory=dict)
    phase: int = 0
    tracks: dict[str, int] = field(default_factory=dict)
    series: int = 0


def build_timetable(app, make_user) -> TimetableWorld:
    from trainhub.accounts.models import User
    from trainhub.courses.models import (
        Course,
        CourseMode,
        Enrolment,
        Phase,
        Programme,
        SessionSeries,
        SessionStatus,
        Track,
        TrainingSession,
        Venue,
    )
    from trainhub.geo.models import County
    from trainhub.learners.models import Gender, Learner
    from trainhub.orgs.models import Organisation, OrgKind

    world = TimetableWorld()
    for username, name in (("teacher-zhang", "张老师"), ("teacher-li", "李老师"),
                           ("teacher-wang", "客座王老师")):
        world.users[username] = make_user("instructor", username=username, display_name=name).id
    for username in ("trainee-gz", "trainee-gs"):
        world.users[username] = make_user("trainee", username=username).id

    with app.app_context():
        cipher = app.extensions["trainhub_pii"]
        db.session.add_all([
            County(code="520204", name="水城区", prefecture="六盘水市", province="贵州省",
                   province_code="52", list_version="NBS-2023", is_priority=True),
            County(code="621126", name="岷县", prefecture="定西市", province="甘肃省",
                   province_code="62", list_version="NBS-2023", is_priority=True),
        ])
        org_gz = Organisation(name="水城区阳光社会工作服务中心", kind=OrgKind.AGENCY, county_code="520204")
        org_gs = Organisation(name="岷县同心社会工作服务中心", kind=OrgKind.AGENCY, county_code="621126")
        db.session.add_all([org_gz, org_gs])
        db.session.flush()
        learners = {}
        for number, (key, org) in enumerate((("gz", org_gz), ("gs", org_gs)), start=1):
            learner = Learner(name=f"学员{key}", gender=Gender.FEMALE, birth_date=date(1990, 1, number),
                              organisation_id=org.id, user_id=world.users[f"trainee-{key}"])
            learner.set_id_number(f"52020419900101{number:03d}X", cipher)
            learners[key] = learner
        db.session.add_all(learners.values())

        programme = Programme(name="牵手计划系列培训", starts_on=date(2023, 1, 1), ends_on=date(2025, 12, 31))
        phase = Phase(programme=programme, number=1, name="第一阶段", starts_on=date(2023, 2, 15),
                      ends_on=date(2023, 8, 14))
        org_track = Track(phase=phase, name="社工机构管理运营", position=0)
        station_track = Track(phase=phase, name="乡镇（街道）社工站建设", position=1)
        teachers = {name: db.session.get(User, uid) for name, uid in world.users.items()
                    if name.startswith("teacher")}

        def course(code, title, track, mode, *names):
            made = Course(track=track, code=code, title=title, class_hours=Decimal("8.0"), mode=mode)
            made.instructors.extend(teachers[name] for name in names)
            return made

        org1 = course("ORG-01", "社工机构战略管理", org_track, CourseMode.ONLINE, "teacher-zhang")
        org2 = course("ORG-02", "项目设计与评估", org_track, CourseMode.ONSITE, "teacher-li")
        sta = course("STA-01", "社工站建设实务", station_track, CourseMode.BLENDED,
                     "teacher-zhang", "teacher-wang")
        venue_gz = Venue(name="水城区实施点", county_code="520204", organisation=org_gz,
                         address="水城区双水街道 1 号")
        venue_gs = Venue(name="岷县实施点", county_code="621126", organisation=org_gs)
        db.session.add_all([programme, phase, org_track, station_track, org1, org2, sta, venue_gz,
                            venue_gs])
        db.session.flush()

        series = SessionSeries(course=org1, weekdays="3", starts_time=time(19), ends_time=time(21),
                               first_date=date(2023, 3, 1), occurrences=12, skip_holidays=True)
        db.session.add(series)
        sessions = {}
        for day in series_days(date(2023, 3, 1), 12):
            cancelled = day == date(2023, 3, 15)
            sessions[f"org1-{day.isoformat()}"] = TrainingSession(
                course=org1, series=series, starts_at=at(day, "19:00"), ends_at=at(day, "21:00"),
                meeting_url=MEETING_URL, meeting_number=MEETING_NUMBER,
                status=SessionStatus.CANCELLED if cancelled else SessionStatus.SCHEDULED,
                cancelled_at=at(date(2023, 3, 10), "10:00") if cancelled else None,
                cancel_reason="讲师临时出差" if cancelled else None,
            )

        def onsite(key, course_, venue, day, starts, ends, **kwargs):
            sessions[key] = TrainingSession(course=course_, venue=venue, venue_detail="二楼培训室",
                                            starts_at=at(day, starts), ends_at=at(day, ends), **kwargs)

        onsite("org2-0506", org2, venue_gz, date(2023, 5, 6), "09:30", "12:00", title="需求调研")
        onsite("org2-0511", org2, venue_gz, date(2023, 5, 11), "14:30", "17:00", title="项目书写作")
        onsite("org2-cancelled", org2, venue_gz, date(2023, 5, 12), "14:30", "17:00",
               title="项目答辩", status=SessionStatus.CANCELLED,
               cancelled_at=at(date(2023, 5, 8), "09:00"), cancel_reason="场地维修")
        onsite("sta-0512", sta, venue_gs, date(2023, 5, 12), "09:30", "12:00",
               instructor_id=world.users["teacher-wang"], title="客座专题")
        onsite("sta-0520", sta, venue_gs, date(2023, 5, 20), "07:30", "09:00", title="晨间实务")
        onsite("sta-0621", sta, venue_gs, date(2023, 6, 21), "09:30", "12:00", title="节前总结")
        db.session.add_all(sessions.values())
        db.session.add_all([
            Enrolment(learner=learners["gz"], course=org1, enrolled_at=at(date(2023, 2, 20), "09:00")),
            Enrolment(learner=learners["gz"], course=org2, enrolled_at=at(date(2023, 2, 20), "09:00")),
            Enrolment(learner=learners["gs"], course=sta, enrolled_at=at(date(2023, 2, 20), "09:00")),
        ])
        db.session.commit()
        world.phase = phase.id
        world.tracks = {"org": org_track.id, "station": station_track.id}
        world.courses = {"ORG-01": org1.id, "ORG-02": org2.id, "STA-01": sta.id}
        world.sessions = {key: s.id for key, s in sessions.items()}
        world.series = series.id
    return world


def fixed_now(monkeypatch, moment: datetime, *modules: str) -> None:
    """Make the pages of ``modules`` (``trainhub.schedule.timetable_views`` …) see ``moment``
    as now."""
    for module in modules or ("trainhub.schedule.timetable_views", "trainhub.dashboard.views",
                              "trainhub.schedule.timetable_api"):
        monkeypatch.setattr(f"{module}.utcnow", lambda: moment)
