"""Rules the database itself keeps (named constraints), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, StatementError

from trainhub.attendance.models import Attendance, AttendanceStatus
from trainhub.courses.models import (
    Course,
    CourseMode,
    Enrolment,
    Phase,
    Programme,
    Track,
    TrainingSession,
)
from trainhub.extensions import db
from trainhub.geo.models import County
from trainhub.learners.models import Gender, Learner
from trainhub.orgs.models import Organisation, OrgKind
from trainhub.pii import cipher

START = datetime(2023, 3, 1, 11, 0, tzinfo=UTC)


@pytest.fixture
def world(app):
    """One learner and one session of one course."""
    with app.app_context():
        db.session.add(County(code="520221", name="水城县", prefecture="六盘水市", province="贵州省",
                              province_code="52", list_version="test"))
        programme = Programme(name="牵手计划系列培训", starts_on=date(2023, 1, 1), ends_on=date(2025, 12, 31))
        phase = Phase(programme=programme, number=1, name="第一阶段",
                      starts_on=date(2023, 2, 15), ends_on=date(2023, 8, 14))
        track = Track(phase=phase, name="社工机构管理运营", position=1)
        course = Course(track=track, code="P1-ORG-01", title="社工机构战略管理", class_hours=Decimal("4"),
                        mode=CourseMode.ONLINE)
        session = TrainingSession(course=course, starts_at=START, ends_at=START + timedelta(hours=2))
        org = Organisation(name="水城县社工站", kind=OrgKind.STATION, county_code="520221")
        learner = Learner(name="李四", gender=Gender.FEMALE, birth_date=date(1992, 5, 6), organisation=org)
        learner.set_id_number("520221199205060028", cipher())
        db.session.add_all([session, learner])
        db.session.commit()
        return {"learner": learner.id, "session": session.id, "course": course.id}


def _commit_fails(app, *objects, match: str):
    with app.app_context():
        db.session.add_all(objects)
        with pytest.raises(IntegrityError) as info:
            db.session.commit()
        db.session.rollback()
    assert match in str(info.value).lower()


def test_one_attendance_row_per_learner_and_session(app, world):
    with app.app_context():
        db.session.add(Attendance(learner_id=world["learner"], session_id=world["session"],
                                  status=AttendanceStatus.PRESENT))
        db.session.commit()
    _commit_fails(
        app,
        Attendance(learner_id=world["learner"], session_id=world["session"], status=AttendanceStatus.LATE),
        match="attendance",
    )


def test_one_enrolment_per_learner_and_course(app, world):
    with app.app_context():
        db.session.add(Enrolment(learner_id=world["learner"], course_id=world["course"]))
        db.session.commit()
    _commit_fails(app, Enrolment(learner_id=world["learner"], course_id=world["course"]), match="enrolment")


def test_session_must_end_after_it_starts(app, world):
    _commit_fails(
        app,
        TrainingSession(course_id=world["course"], starts_at=START, ends_at=START),
        match="ends_after_start",
    )


def test_enum_columns_refuse_unknown_values(app, world):
    with app.app_context():
        with pytest.raises((IntegrityError, StatementError, LookupError)):
            db.session.execute(
                sa.text("INSERT INTO attendance (learner_id, session_id, status, source, recorded_at) "
                        "VALUES (:l, :s, 'holiday', 'manual', :t)"),
                {"l": world["learner"], "s": world["session"], "t": START},
            )
            db.session.commit()
        db.session.rollback()


def test_foreign_keys_are_enforced(app, world):
    _commit_fails(app, Organisation(name="不存在的县的机构", kind=OrgKind.AGENCY, county_code="999999"),
                  match="foreign key")


def test_timestamps_come_back_timezone_aware_in_utc(app, world):
    with app.app_context():
        session = db.session.get(TrainingSession, world["session"])
        assert session.starts_at == START
        assert session.starts_at.tzinfo is not None
        with pytest.raises(StatementError):
            session.ends_at = datetime(2023, 3, 1, 15, 0)  # naive: refused
            db.session.flush()
        db.session.rollback()
