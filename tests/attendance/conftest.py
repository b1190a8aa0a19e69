"""A course timetable around "now" for the attendance-rate tests: one organisation, learners,
and a builder that schedules sessions, enrols learners at given times and marks attendance."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from trainhub.extensions import db


@dataclass
class Timeline:
    """Builds a course's history relative to ``now`` (call inside an app context)."""

    now: datetime
    learners: list[int]
    track_id: int
    counter: int = 0

    def course(self, *, sessions_days: list[float], min_rate: str = "0.800",
               excused_counts_against: bool | None = None, capacity: int | None = None,
               cancelled_days: tuple[float, ...] = ()) -> tuple[int, list[int]]:
        """A course with two-hour sessions starting ``days`` from now (negative: past);
        returns its id and the session ids in the order given."""
        from trainhub.courses.models import Course, CourseMode, SessionStatus, TrainingSession

        self.counter += 1
        course = Course(track_id=self.track_id, code=f"AT-{self.counter:02d}", title=f"考勤课程{self.counter}",
                        class_hours=Decimal("12"), mode=CourseMode.ONLINE, capacity=capacity,
                        completion_min_rate=Decimal(min_rate),
                        excused_counts_against=excused_counts_against)
        db.session.add(course)
        sessions = []
        for days in [*sessions_days, *cancelled_days]:
            starts = self.now + timedelta(days=days)
            session = TrainingSession(
                course=course, starts_at=starts, ends_at=starts + timedelta(hours=2),
                status=SessionStatus.CANCELLED if days in cancelled_days else SessionStatus.SCHEDULED,
                cancelled_at=self.now if days in cancelled_days else None,
            )
            db.session.add(session)
            sessions.append(session)
        db.session.flush()
        return course.id, [session.id for session in sessions]

    def enrol(self, learner: int, course: int, *, days: float, status=None) -> None:
        """Enrol ``learner`` ``days`` from now (negative: in the past)."""
        from trainhub.courses.models import Enrolment, EnrolmentStatus

        db.session.add(Enrolment(learner_id=learner, course_id=course,
                                 status=status or EnrolmentStatus.ENROLLED,
                                 enrolled_at=self.now + timedelta(days=days)))
        db.session.flush()

    def mark(self, learner: int, session: int, status) -> None:
        from trainhub.attendance.models import Attendance

        db.session.add(Attendance(learner_id=learner, session_id=session, status=status))
        db.session.flush()


@pytest.fixture
def timeline(app):
    """A :class:`Timeline` with three learners; the test runs inside the app context."""
    from trainhub.courses.operations import ensure_initial_programme
    from trainhub.db import utcnow
    from trainhub.geo.models import County
    from trainhub.learners import idcard
    from trainhub.learners.models import Gender, Learner
    from trainhub.orgs.models import Organisation, OrgKind

    rng = random.Random(6)  # noqa: S311 - synthetic, reproducible test data
    with app.app_context():
        db.session.add(County(code="520204", name="水城区", prefecture="六盘水市", province="贵州省",
                              province_code="52", is_priority=True, list_version="test"))
        org = Organisation(name="水城区米箩镇社工站", kind=OrgKind.STATION, county_code="520204")
        db.session.add(org)
        db.session.flush()
        learners = []
        for number, name in enumerate(["张三", "李四", "王五"]):
            birth = date(1988 + number, 5, 1 + number)
            learner = Learner(name=name, gender=Gender.FEMALE, birth_date=birth, organisation_id=org.id)
            learner.set_id_number(idcard.generate(rng, "520204", birth, Gender.FEMALE),
                                  app.extensions["trainhub_pii"])
            db.session.add(learner)
            learners.append(learner)
        setup = ensure_initial_programme()
        db.session.flush()
        yield Timeline(now=utcnow(), learners=[learner.id for learner in learners],
                       track_id=setup.tracks[0].id)
        db.session.rollback()
