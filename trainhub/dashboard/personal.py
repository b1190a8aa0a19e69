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
    TrainingSession,
    course_instructor,
)
from trainhub.dashboard.queries import Agenda, agenda, count, held, upcoming
from trainhub.extensions import db
from trainhub.learners.models import Learner
from trainhub.orgs.models import Organisation
from trainhub.schedule.scope import own_sessions

# instructor ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class InstructorSummary:
    courses: int
    sessions_held: int
    sessions_upcoming: int
    agenda: Agenda


def instructor_summary(user: Actor, now: datetime) -> InstructorSummary:
    mine = own_sessions(user)
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
        agenda=agenda(mine, now),
    )


# trainee -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TraineeSummary:
    learner_name: str
    organisation: str
    courses: list[CourseProgress]
    sessions_upcoming: int
    agenda: Agenda


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

    mine = own_sessions(user)
    return TraineeSummary(
        learner_name=learner_name,
        organisation=organisation,
        courses=learner_progress(learner_id, now=now),
        sessions_upcoming=count(
            sa.select(sa.func.count(TrainingSession.id)).where(mine, upcoming(now))
        ),
        agenda=agenda(mine, now),
    )
