"""The dashboards of one person: what an instructor teaches, what a trainee attends (their
attendance rates follow the rule of :mod:`trainhub.attendance.rates`: only sessions after
their enrolment count, read through :mod:`trainhub.attendance.queries`). Terms and shared
pieces as in :mod:`trainhub.dashboard.queries`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from trainhub.attendance.queries import CourseProgress, learner_progress
from trainhub.auth import Actor
from trainhub.courses.models import (
    Course,
    Enrolment,
    EnrolmentStatus,
    TrainingSession,
    course_instructor,
)
from trainhub.dashboard.queries import SessionItem, count, held, session_items, upcoming
from trainhub.extensions import db
from trainhub.learners.models import Learner
from trainhub.orgs.models import Organisation
from trainhub.schedule.scope import taught_by

# instructor ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class InstructorSummary:
    courses: int
    sessions_held: int
    sessions_upcoming: int
    next_sessions: list[SessionItem]


def instructor_summary(user: Actor, now: datetime) -> InstructorSummary:
    mine = taught_by(user.id)
    courses = count(
        sa.select(sa.func.count(Course.id)).where(
            sa.or_(
                Course.id.in_(
                    sa.select(course_instructor.c.course_id).where(
                        course_instructor.c.user_id == user.id
                    )
                ),
                Course.id.in_(
                    sa.select(TrainingSession.course_id).where(TrainingSession.instructor_id == user.id)
                ),
            )
        )
    )
    return InstructorSummary(
        courses=courses,
        sessions_held=count(sa.select(sa.func.count(TrainingSession.id)).where(mine, held(now))),
        sessions_upcoming=count(
            sa.select(sa.func.count(TrainingSession.id)).where(mine, upcoming(now))
        ),
        next_sessions=session_items(sa.and_(mine, upcoming(now))),
    )


# trainee -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TraineeSummary:
    learner_name: str
    organisation: str
    courses: list[CourseProgress]
    sessions_upcoming: int
    next_sessions: list[SessionItem]


def trainee_summary(user: Actor, now: datetime) -> TraineeSummary | None:
    """The trainee's own learner record: their courses with attendance rates (the rule of
    :mod:`trainhub.attendance.rates`) and the sessions to come. None when the account is not
    linked to a learner record.
    """
    learner = db.session.execute(
        sa.select(Learner.id, Learner.name, Organisation.name)
        .join(Organisation, Organisation.id == Learner.organisation_id)
        .where(Learner.user_id == user.id)
    ).first()
    if learner is None:
        return None
    learner_id, learner_name, organisation = learner

    courses = learner_progress(learner_id, now=now)
    enrolled_courses = sa.select(Enrolment.course_id).where(
        Enrolment.learner_id == learner_id, Enrolment.status == EnrolmentStatus.ENROLLED
    )
    to_come = sa.and_(TrainingSession.course_id.in_(enrolled_courses), upcoming(now))
    return TraineeSummary(
        learner_name=learner_name,
        organisation=organisation,
        courses=courses,
        sessions_upcoming=count(sa.select(sa.func.count(TrainingSession.id)).where(to_come)),
        next_sessions=session_items(to_come),
    )
