"""Whose sessions are whose: the one definition of which sessions a user may read and which
are "theirs" (their timetable, their home page, their calendar feed).

- office and Certification Centre: every session;
- coordinator: the sessions held at a venue in their area, and every session of a course
  in which a learner of their area is enrolled (they follow and take their learners'
  sessions, online ones included);
- instructor: the sessions assigned to them, and the unassigned sessions of the courses
  they are listed for (a session assigned to someone else is that person's);
- trainee: the sessions of the courses they are enrolled in (not waitlisted or withdrawn).
"""

from __future__ import annotations

import sqlalchemy as sa

from trainhub.auth import Actor, Role, area_clause
from trainhub.courses.models import (
    Enrolment,
    EnrolmentStatus,
    SessionStatus,
    TrainingSession,
    Venue,
    course_instructor,
)
from trainhub.learners.models import Learner
from trainhub.orgs.models import Organisation


def taught_by(user_id: int) -> sa.ColumnElement[bool]:
    """Sessions an instructor teaches: assigned to them, or unassigned in a course they teach."""
    teaches_course = sa.exists().where(
        course_instructor.c.course_id == TrainingSession.course_id,
        course_instructor.c.user_id == user_id,
    )
    return sa.or_(
        TrainingSession.instructor_id == user_id,
        sa.and_(TrainingSession.instructor_id.is_(None), teaches_course),
    )


def attended_by(user_id: int) -> sa.ColumnElement[bool]:
    """Sessions of the courses the trainee account ``user_id`` is enrolled in."""
    return TrainingSession.course_id.in_(
        sa.select(Enrolment.course_id)
        .join(Learner, Learner.id == Enrolment.learner_id)
        .where(Learner.user_id == user_id, Enrolment.status == EnrolmentStatus.ENROLLED)
    )


def in_area_of(user: Actor) -> sa.ColumnElement[bool]:
    """Sessions at a venue in the coordinator's area, or of a course with a learner of the
    area enrolled."""
    at_venue = TrainingSession.venue_id.in_(
        sa.select(Venue.id).where(area_clause(user, Venue.county_code))
    )
    learners_enrolled = TrainingSession.course_id.in_(
        sa.select(Enrolment.course_id)
        .join(Learner, Learner.id == Enrolment.learner_id)
        .join(Organisation, Organisation.id == Learner.organisation_id)
        .where(Enrolment.status == EnrolmentStatus.ENROLLED,
               area_clause(user, Organisation.county_code))
    )
    return sa.or_(at_venue, learners_enrolled)


def own_sessions(user: Actor) -> sa.ColumnElement[bool]:
    """The sessions that make up ``user``'s timetable and calendar feed."""
    if user.role in (Role.OFFICE, Role.CERTIFIER):
        return sa.true()
    if user.role == Role.COORDINATOR:
        return in_area_of(user)
    if user.role == Role.INSTRUCTOR:
        return taught_by(user.id)
    if user.role == Role.TRAINEE:
        return attended_by(user.id)
    return sa.false()


def readable_sessions(user: Actor) -> sa.ColumnElement[bool]:
    """The sessions ``user`` may read (lists, a session's page, the API). An instructor may
    also read every session of a course they teach, including a guest's."""
    if user.role == Role.INSTRUCTOR:
        teaches_course = sa.exists().where(
            course_instructor.c.course_id == TrainingSession.course_id,
            course_instructor.c.user_id == user.id,
        )
        return sa.or_(TrainingSession.instructor_id == user.id, teaches_course)
    return own_sessions(user)


def not_cancelled() -> sa.ColumnElement[bool]:
    return TrainingSession.status != SessionStatus.CANCELLED
