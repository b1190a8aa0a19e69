"""``trainhub demo``: a realistic, reproducible data set, created once, never into real data."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from trainhub.accounts.models import Role, User
from trainhub.attendance.models import Assessment, Attendance, AttendanceStatus, LeaveRequest
from trainhub.audit.models import AuditEntry
from trainhub.courses.models import (
    Course,
    CourseMode,
    Enrolment,
    Phase,
    SessionSeries,
    SessionStatus,
    Track,
    TrainingSession,
    Venue,
)
from trainhub.demo.changes import CANCEL_FOR_WEATHER, RESCHEDULE_REASON
from trainhub.demo.operations import DEMO_PASSWORD, DemoError, create_demo_data
from trainhub.extensions import db
from trainhub.geo.models import County
from trainhub.learners import idcard
from trainhub.learners.models import Learner
from trainhub.learners.queries import trainee_username
from trainhub.orgs.models import Organisation, OrgKind, Pairing
from trainhub.pii import cipher
from trainhub.schedule.recurrence import Rule, expand

BEIJING = ZoneInfo("Asia/Shanghai")
EAST = {"11", "12", "31", "32", "33", "35", "37", "44"}
#: A Monday morning in Beijing.
MOMENT = datetime(2026, 11, 30, 10, 17, tzinfo=BEIJING).astimezone(UTC)


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _table_counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def _empty_database() -> None:
    db.session.remove()
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


def _fingerprint() -> dict[str, list[tuple]]:
    """Learners (names, ID numbers, phones, organisations), the timetable (times, instructors,
    venues, series, changes), the enrolments and the attendance marks, in creation order."""
    learners = db.session.scalars(sa.select(Learner).order_by(Learner.id))
    return {
        "learners": [(x.name, x.id_number(cipher()), x.phone(cipher()), x.organisation.name)
                     for x in learners],
        "sessions": db.session.execute(
            sa.select(Course.code, TrainingSession.title, TrainingSession.starts_at, TrainingSession.ends_at,
                      User.username, Venue.name, TrainingSession.meeting_number,
                      TrainingSession.status, TrainingSession.cancel_reason, TrainingSession.sequence,
                      SessionSeries.weekdays, SessionSeries.first_date, SessionSeries.occurrences)
            .select_from(TrainingSession).join(Course, Course.id == TrainingSession.course_id)
            .join(User, User.id == TrainingSession.instructor_id)
            .outerjoin(Venue, Venue.id == TrainingSession.venue_id)
            .outerjoin(SessionSeries, SessionSeries.id == TrainingSession.series_id)
            .order_by(TrainingSession.starts_at, Course.code)).all(),
        "enrolments": db.session.execute(
            sa.select(Learner.name, Course.code, Enrolment.status, Enrolment.enrolled_at)
            .join(Learner).join(Course).order_by(Enrolment.id)).all(),
        "attendance": db.session.execute(
            sa.select(Learner.name, TrainingSession.starts_at, Attendance.status)
            .join(Learner).join(TrainingSession).order_by(Attendance.id)).all(),
    }


def test_demo_command_creates_a_realistic_data_set_once(app, runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "演示数据已创建" in result.output
    assert DEMO_PASSWORD in result.output and "office" in result.output

    with app.app_context():
        # organisations in at least 30 priority counties, supporters in the east, pairings
        priority_counties = db.session.scalar(
            sa.select(sa.func.count(sa.distinct(Organisation.county_code)))
            .join(County).where(County.is_priority, Organisation.kind != OrgKind.SUPPORTER)
        )
        assert priority_counties >= 30
        supporters = list(db.session.scalars(
            sa.select(Organisation).where(Organisation.kind == OrgKind.SUPPORTER)))
        assert supporters and all(org.county_code[:2] in EAST for org in supporters)
        pairings = list(db.session.scalars(sa.select(Pairing)))
        assert len(pairings) >= 30
        assert all(p.supporter.kind == OrgKind.SUPPORTER and p.recipient.county.is_priority
                   for p in pairings)

        # a few hundred learners with valid, unique, consistent personal data
        learners = list(db.session.scalars(sa.select(Learner)))
        assert len(learners) == 300
        numbers = [learner.id_number(cipher()) for learner in learners]
        assert len(set(numbers)) == len(numbers)
        assert len({learner.id_number_hash for learner in learners}) == len(learners)
        for learner, number in zip(learners, numbers, strict=True):
            parsed = idcard.parse(number)
            assert number[:6] == learner.organisation.county_code  # prefix of their county
            assert parsed.gender == learner.gender and parsed.birth_date == learner.birth_date
            assert 1965 <= learner.birth_date.year <= 2002
            assert re.fullmatch(r"1[3-9]\d{9}", learner.phone(cipher()))
            assert learner.id_number_masked == number[:4] + "*" * 10 + number[-4:]
            assert learner.position and re.fullmatch(r"[\u4e00-\u9fff]{2,4}", learner.name)
        assert len({learner.qualification for learner in learners}) >= 3
        assert len({learner.organisation.county_code for learner in learners}) >= 30

        # one naming scheme: every learner has the import's account, xy + their number,
        # and signs in with the demo password
        for learner in learners:
            user = learner.user
            assert user.role == Role.TRAINEE and user.username == trainee_username(learner)
            assert re.fullmatch(r"xy\d{6}", user.username) and not user.must_change_password
        assert learners[0].user.check_password(DEMO_PASSWORD)
        assert len({learner.user.password_hash for learner in learners}) == 1
        assert "trainee0" not in result.output
        first, last = sorted(learner.user.username for learner in learners)[::299]
        assert f"学员账号 300 个：{first} … {last}" in result.output

        # every role, the demo password works
        assert set(db.session.scalars(sa.select(User.role).distinct())) == set(Role)
        coordinators = list(db.session.scalars(sa.select(User).where(User.role == Role.COORDINATOR)))
        assert sorted(len(user.scope_code) for user in coordinators) == [2, 6]
        office = db.session.scalar(sa.select(User).where(User.username == "office"))
        assert office.role == Role.OFFICE and office.check_password(DEMO_PASSWORD)
        assert _count(User) == 300 + 10

        # phase 1 kept as history: both tracks with 4-5 courses, a timetable inside its
        # window on weekdays, every session held, with attendance and results
        phase = db.session.scalar(sa.select(Phase).where(Phase.number == 1))
        assert phase.starts_on.isoformat() == "2023-02-15"
        for track in db.session.scalars(sa.select(Track).where(Track.phase_id == phase.id)):
            assert 4 <= len(track.courses) <= 5
            assert all(course.instructors and course.capacity for course in track.courses)
        sessions = list(db.session.scalars(
            sa.select(TrainingSession).join(Course).join(Track).where(Track.phase_id == phase.id)))
        assert len(sessions) >= 40
        for session in sessions:
            start = session.starts_at.astimezone(BEIJING)
            assert phase.starts_on <= start.date() <= phase.ends_on
            assert start.weekday() < 5 and session.ends_at > session.starts_at
            if session.venue is not None:
                assert "实施点" in session.venue.name and session.meeting_url is None
            else:
                assert start.hour == 19 and session.meeting_url.startswith("https://")
        days = sorted(session.starts_at.astimezone(BEIJING).date() for session in sessions)
        assert days[0] == phase.starts_on and (days[-1] - days[0]).days > 170  # six months
        opening = min(sessions, key=lambda s: s.starts_at)
        assert opening.title == "线上开班仪式暨第 1 讲"
        held_without_marks = db.session.scalar(
            sa.select(sa.func.count()).select_from(TrainingSession)
            .where(TrainingSession.id.in_([s.id for s in sessions]),
                   ~sa.exists().where(Attendance.session_id == TrainingSession.id)))
        assert held_without_marks == 0
        assert set(db.session.scalars(sa.select(Course.mode))) == set(CourseMode)

        # attendance for held sessions only, with a realistic mix; some assessments
        now = datetime.now(UTC)
        late_sessions = db.session.scalar(
            sa.select(sa.func.count()).select_from(Attendance).join(TrainingSession)
            .where(TrainingSession.ends_at > now))
        assert late_sessions == 0
        statuses = dict(db.session.execute(
            sa.select(Attendance.status, sa.func.count()).group_by(Attendance.status)).all())
        assert set(statuses) == set(AttendanceStatus)
        total = sum(statuses.values())
        assert total > 3000 and statuses[AttendanceStatus.PRESENT] / total > 0.6
        assert _count(Assessment) > 0 and _count(LeaveRequest) > 0

        before = _table_counts()

    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0
    assert "演示数据已存在，未做任何更改" in again.output
    with app.app_context():
        assert _table_counts() == before


def test_the_same_seed_and_moment_give_the_same_data(app):
    with app.app_context():
        create_demo_data(seed=11, learners=60, now=MOMENT)
        db.session.commit()
        first = _fingerprint()
        assert all(first.values())
        _empty_database()

        create_demo_data(seed=11, learners=60, now=MOMENT)
        db.session.commit()
        assert _fingerprint() == first
        _empty_database()

        create_demo_data(seed=12, learners=60, now=MOMENT)
        db.session.commit()
        other = _fingerprint()
        assert [row[1] for row in other["learners"]] != [row[1] for row in first["learners"]]
        assert other["attendance"] != first["attendance"]


def test_the_timetable_is_made_by_the_scheduling_operations(app):
    with app.app_context():
        create_demo_data(seed=5, learners=60, now=MOMENT)
        db.session.commit()
        sessions = list(db.session.scalars(sa.select(TrainingSession)))
        entries = list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action.in_(
            ("session.create", "series.create", "session.cancel", "session.reschedule")))))

        # every session was scheduled by an operation, which audited it: alone or in a series
        alone = {int(e.target_id) for e in entries if e.action == "session.create"}
        in_series = {sid for e in entries if e.action == "series.create" for sid in e.detail["session_ids"]}
        assert alone.isdisjoint(in_series) and alone | in_series == {s.id for s in sessions}
        assert all(s.clash_override is None for s in sessions)  # no clash to override

        # venues are records: one training room per implementation site, in its county,
        # hosted by the site; online sessions have a meeting link and number
        venues = list(db.session.scalars(sa.select(Venue)))
        assert len(venues) == 4 and {s.venue_id for s in sessions} - {None} == {v.id for v in venues}
        for venue in venues:
            assert venue.organisation.kind == OrgKind.AGENCY and "实施点" in venue.name
            assert venue.county_code == venue.organisation.county_code and venue.address
        for session in sessions:
            assert session.instructor in session.course.instructors
            if session.venue_id is None:
                assert session.meeting_url.startswith("https://")
                assert re.fullmatch(r"\d{3} \d{3} \d{3}", session.meeting_number)
            else:
                assert session.meeting_url is None and session.meeting_number is None

        # series made from rules: their sessions are the rule's dates, holidays skipped and
        # named by the scheduling code (phase 1's rules over 劳动节 and 端午)
        series = list(db.session.scalars(sa.select(SessionSeries)))
        assert len(series) >= 15
        for item in series:
            days = {o.day for o in expand(Rule.from_series(item)).occurrences}
            assert len(item.sessions) == item.occurrences
            assert {s.starts_at.astimezone(BEIJING).date() for s in item.sessions if s.sequence == 0} <= days
        skipped = [day for e in entries if e.action == "series.create" for day in e.detail["skipped"]]
        assert {"2023-05-03 劳动节", "2023-06-22 端午"} <= set(skipped)
        held_on = {s.starts_at.astimezone(BEIJING).date() for s in sessions}
        assert date(2023, 5, 3) not in held_on and date(2023, 6, 22) not in held_on

        # two sessions cancelled with their reasons, still on the timetable, without
        # attendance or leave; one rescheduled with its reason, its SEQUENCE raised
        cancelled = [s for s in sessions if s.status == SessionStatus.CANCELLED]
        assert len(cancelled) == 2 and len({s.course_id for s in cancelled}) == 2
        assert all(s.cancel_reason and s.cancelled_at and s.sequence == 1 for s in cancelled)
        assert any(s.cancel_reason == CANCEL_FOR_WEATHER and s.venue_id for s in cancelled)
        assert all(s.starts_at > MOMENT + timedelta(days=6) for s in cancelled)
        ids = [s.id for s in cancelled]
        assert not db.session.scalar(sa.select(sa.func.count()).select_from(Attendance)
                                     .where(Attendance.session_id.in_(ids)))
        assert not db.session.scalar(sa.select(sa.func.count()).select_from(LeaveRequest)
                                     .where(LeaveRequest.session_id.in_(ids)))
        assert sorted(int(e.target_id) for e in entries if e.action == "session.cancel") == sorted(ids)
        moved = [s for s in sessions if s.sequence > 0 and s.status == SessionStatus.SCHEDULED]
        [entry] = [e for e in entries if e.action == "session.reschedule"]
        assert [str(s.id) for s in moved] == [entry.target_id]
        assert entry.detail["reason"] == RESCHEDULE_REASON
        assert entry.detail["before"]["starts_at"] != entry.detail["after"]["starts_at"]
        assert moved[0].starts_at > MOMENT + timedelta(days=6)


def test_demo_data_is_never_mixed_with_real_data(app, runner):
    with app.app_context():
        county = County(code="520526", name="威宁彝族回族苗族自治县", prefecture="毕节市",
                        province="贵州省", province_code="52", list_version="NBS-2023")
        db.session.add(Organisation(name="威宁县真实社会工作服务中心", kind=OrgKind.AGENCY, county=county))
        db.session.commit()
        with pytest.raises(DemoError, match="已有业务数据"):
            create_demo_data(learners=60)
        db.session.rollback()
    result = runner.invoke(args=["demo", "--learners", "60"])
    assert result.exit_code == 1
    assert "已有业务数据（机构 1 条）" in result.output
    with app.app_context():
        assert _count(Learner) == 0 and _count(User) == 0 and _count(Organisation) == 1
        assert _count(Phase) == 0 and _count(TrainingSession) == 0


def test_an_account_named_like_a_trainee_account_stops_the_demo(app, runner, make_user):
    make_user(Role.OFFICE, username="XY000001")
    result = runner.invoke(args=["demo", "--learners", "60"])
    assert result.exit_code == 1
    assert "XY000001" in result.output and "未做任何更改" in result.output
    with app.app_context():
        assert _count(User) == 1 and _count(Learner) == 0 and _count(Organisation) == 0
        assert _count(County) == 0 and _count(Phase) == 0


def test_demo_accounts_that_exist_are_left_alone(app, runner, make_user):
    office = make_user(Role.OFFICE, username="office", password="Own-Secret-2026")
    result = runner.invoke(args=["demo", "--learners", "60"])
    assert result.exit_code == 0, result.output
    assert "以下账号此前已存在，未修改其密码或角色：office" in result.output
    with app.app_context():
        user = db.session.get(User, office.id)
        assert user.check_password("Own-Secret-2026") and not user.check_password(DEMO_PASSWORD)


def test_demo_options_are_checked(runner):
    result = runner.invoke(args=["demo", "--learners", "5"])
    assert result.exit_code == 2 and "--learners" in result.output
    result = runner.invoke(args=["demo", "--seed", "abc"])
    assert result.exit_code == 2 and "--seed" in result.output


def test_the_demo_job_counts_the_demo_learners(app):
    from trainhub.jobs.models import Job, JobStatus
    from trainhub.jobs.operations import enqueue

    with app.app_context():
        create_demo_data(seed=3, learners=80, now=MOMENT)
        db.session.commit()
        job_id = enqueue("demo.count").id
        db.session.commit()
        job = db.session.get(Job, job_id)
        assert job.status == JobStatus.SUCCEEDED
        assert job.result["learners"] == 80 and job.result["priority_counties"] >= 30
