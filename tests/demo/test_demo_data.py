"""``trainhub demo``: a realistic, reproducible data set, created once."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from trainhub.accounts.models import Role, User
from trainhub.attendance.models import Assessment, Attendance, AttendanceStatus
from trainhub.courses.models import Course, CourseMode, Phase, Track, TrainingSession
from trainhub.demo.operations import DEMO_PASSWORD, DemoError, create_demo_data
from trainhub.extensions import db
from trainhub.geo.models import County
from trainhub.learners import idcard
from trainhub.learners.models import Learner
from trainhub.orgs.models import Organisation, OrgKind, Pairing
from trainhub.pii import cipher

BEIJING = ZoneInfo("Asia/Shanghai")
EAST = {"11", "12", "31", "32", "33", "35", "37", "44"}


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


def _fingerprint() -> list[tuple]:
    """Names, ID numbers, phones and organisations of the learners, in creation order."""
    rows = db.session.scalars(sa.select(Learner).order_by(Learner.id))
    return [(learner.name, learner.id_number(cipher()), learner.phone(cipher()),
             learner.organisation.name) for learner in rows]


def test_demo_command_creates_a_realistic_data_set_once(app, runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "演示数据已创建" in result.output
    assert DEMO_PASSWORD in result.output and "office" in result.output
    assert "trainee0001 … trainee0300" in result.output

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
            assert learner.user is not None and learner.user.role == Role.TRAINEE
            assert learner.position and re.fullmatch(r"[\u4e00-\u9fff]{2,4}", learner.name)
        assert len({learner.qualification for learner in learners}) >= 3
        assert len({learner.organisation.county_code for learner in learners}) >= 30

        # every role, the demo password works
        assert set(db.session.scalars(sa.select(User.role).distinct())) == set(Role)
        coordinators = list(db.session.scalars(sa.select(User).where(User.role == Role.COORDINATOR)))
        assert sorted(len(user.scope_code) for user in coordinators) == [2, 6]
        office = db.session.scalar(sa.select(User).where(User.username == "office"))
        assert office.role == Role.OFFICE and office.check_password(DEMO_PASSWORD)
        assert _count(User) == 300 + 10

        # both tracks with 4-5 courses, a timetable inside phase 1 on weekdays
        phase = db.session.scalar(sa.select(Phase).where(Phase.number == 1))
        for track in db.session.scalars(sa.select(Track).where(Track.phase_id == phase.id)):
            assert 4 <= len(track.courses) <= 5
            assert all(course.instructors and course.capacity for course in track.courses)
        sessions = list(db.session.scalars(sa.select(TrainingSession)))
        assert len(sessions) >= 40
        for session in sessions:
            start = session.starts_at.astimezone(BEIJING)
            assert phase.starts_on <= start.date() <= phase.ends_on
            assert start.weekday() < 5 and session.ends_at > session.starts_at
            if session.venue:
                assert "实施点" in session.venue and session.meeting_url is None
            else:
                assert start.hour == 19 and session.meeting_url.startswith("https://")
        days = sorted(session.starts_at.astimezone(BEIJING).date() for session in sessions)
        assert days[0] == phase.starts_on and (days[-1] - days[0]).days > 170  # six months
        modes = set(db.session.scalars(sa.select(Course.mode)))
        assert modes == set(CourseMode)

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
        assert _count(Assessment) > 0

        before = _table_counts()

    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0
    assert "演示数据已存在，未做任何更改" in again.output
    with app.app_context():
        assert _table_counts() == before


def test_attendance_is_recorded_only_for_sessions_already_held(app):
    now = datetime(2023, 5, 1, tzinfo=UTC)
    with app.app_context():
        summary = create_demo_data(seed=5, learners=60, now=now)
        db.session.commit()
        assert summary.counts["learners"] == 60
        held = db.session.scalar(sa.select(sa.func.count()).select_from(TrainingSession)
                                 .where(TrainingSession.ends_at <= now))
        assert 0 < held < _count(TrainingSession)
        latest = db.session.scalar(sa.select(sa.func.max(TrainingSession.ends_at)).join(Attendance))
        assert latest <= now
        assessed = set(db.session.scalars(sa.select(Assessment.course_id).distinct()))
        for course_id in assessed:
            last = db.session.scalar(sa.select(sa.func.max(TrainingSession.ends_at))
                                     .where(TrainingSession.course_id == course_id))
            assert last <= now


def test_the_same_seed_gives_the_same_learners(app):
    with app.app_context():
        create_demo_data(seed=11, learners=60)
        db.session.commit()
        first = _fingerprint()
        first_sessions = list(db.session.scalars(
            sa.select(TrainingSession.starts_at).order_by(TrainingSession.id)))
        _empty_database()

        create_demo_data(seed=11, learners=60)
        db.session.commit()
        assert _fingerprint() == first
        assert list(db.session.scalars(
            sa.select(TrainingSession.starts_at).order_by(TrainingSession.id))) == first_sessions
        _empty_database()

        create_demo_data(seed=12, learners=60)
        db.session.commit()
        assert [row[1] for row in _fingerprint()] != [row[1] for row in first]


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


def test_demo_options_are_checked(runner):
    result = runner.invoke(args=["demo", "--learners", "5"])
    assert result.exit_code == 2 and "--learners" in result.output
    result = runner.invoke(args=["demo", "--seed", "abc"])
    assert result.exit_code == 2 and "--seed" in result.output


def test_the_demo_job_counts_the_demo_learners(app):
    from trainhub.jobs.models import Job, JobStatus
    from trainhub.jobs.operations import enqueue

    with app.app_context():
        create_demo_data(seed=3, learners=80)
        db.session.commit()
        job_id = enqueue("demo.count").id
        db.session.commit()
        job = db.session.get(Job, job_id)
        assert job.status == JobStatus.SUCCEEDED
        assert job.result["learners"] == 80 and job.result["priority_counties"] >= 30
