"""Reads of sessions and series: one session or series within the reader's reach, the list
of sessions with its filters (the API), a course's timetable for the office, and the venues
a session may be held at. Who may read which session is :mod:`trainhub.schedule.scope`'s."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from trainhub.auth import Actor
from trainhub.courses.models import (
    Course,
    SessionSeries,
    SessionStatus,
    Track,
    TrainingSession,
    Venue,
)
from trainhub.extensions import db
from trainhub.localtime import local_zone
from trainhub.schedule.scope import readable_sessions


def _with_related(stmt):
    return stmt.options(joinedload(TrainingSession.course), joinedload(TrainingSession.venue),
                        joinedload(TrainingSession.instructor))


def get_session(user: Actor, session_id: int) -> TrainingSession | None:
    """The session, when ``user`` may read it."""
    return db.session.scalar(_with_related(
        sa.select(TrainingSession).where(TrainingSession.id == session_id, readable_sessions(user))))


def get_series(user: Actor, series_id: int) -> SessionSeries | None:
    """The series, when ``user`` may read one of its sessions (the office reads them all)."""
    readable = sa.exists().where(TrainingSession.series_id == SessionSeries.id, readable_sessions(user))
    return db.session.scalar(
        sa.select(SessionSeries).where(SessionSeries.id == series_id, readable)
        .options(selectinload(SessionSeries.sessions), joinedload(SessionSeries.course)))


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=local_zone())


def session_list_stmt(user: Actor, *, course_id: int | None = None, instructor_id: int | None = None,
                      starts_from: date | None = None, until: date | None = None,
                      status: SessionStatus | str | None = None) -> sa.Select:
    """The sessions ``user`` may read, by start: of a course, taught by an instructor,
    starting on local dates ``starts_from`` .. ``until`` (inclusive), of a status."""
    stmt = sa.select(TrainingSession).where(readable_sessions(user))
    if course_id is not None:
        stmt = stmt.where(TrainingSession.course_id == course_id)
    if instructor_id is not None:
        stmt = stmt.where(TrainingSession.instructor_id == instructor_id)
    if starts_from is not None:
        stmt = stmt.where(TrainingSession.starts_at >= _local_midnight(starts_from))
    if until is not None:
        stmt = stmt.where(TrainingSession.starts_at < _local_midnight(until + timedelta(days=1)))
    if status:
        stmt = stmt.where(TrainingSession.status == SessionStatus(status))
    return _with_related(stmt).order_by(TrainingSession.starts_at, TrainingSession.id)


def course_timetable(course_id: int) -> list[TrainingSession]:
    """Every session of a course, cancelled ones included, in time order (the office's page)."""
    return list(db.session.scalars(_with_related(
        sa.select(TrainingSession).where(TrainingSession.course_id == course_id)
        .order_by(TrainingSession.starts_at, TrainingSession.id))))


def course_series(course_id: int) -> list[SessionSeries]:
    return list(db.session.scalars(
        sa.select(SessionSeries).where(SessionSeries.course_id == course_id)
        .options(selectinload(SessionSeries.sessions)).order_by(SessionSeries.first_date, SessionSeries.id)))


def venue_choices(keep: int | None = None) -> list[Venue]:
    """Venues a session may be placed at: those not archived (and ``keep``, a session's own
    venue, even when archived), by county and name."""
    condition = Venue.archived_at.is_(None)
    if keep is not None:
        condition = sa.or_(condition, Venue.id == keep)
    return list(db.session.scalars(
        sa.select(Venue).where(condition).options(joinedload(Venue.county))
        .order_by(Venue.county_code, Venue.name)))


def get_course_for_scheduling(course_id: int) -> Course | None:
    """A course with what scheduling reads (its phase, its instructors)."""
    return db.session.scalar(
        sa.select(Course).where(Course.id == course_id)
        .options(selectinload(Course.instructors), joinedload(Course.track).joinedload(Track.phase)))


def courses_for_scheduling(course_ids: set[int]) -> dict[int, Course]:
    """Courses by id with their phases and instructors, in two queries whatever their number."""
    if not course_ids:
        return {}
    found = db.session.scalars(
        sa.select(Course).where(Course.id.in_(course_ids))
        .options(selectinload(Course.instructors), joinedload(Course.track).joinedload(Track.phase)))
    return {course.id: course for course in found}
