"""Reads of the timetable: sessions as pages and the API list them, within what the reader
may read (:mod:`trainhub.schedule.scope`: ``readable_sessions`` for lists and a session's
page, ``own_sessions`` for a person's own timetable).

Every read costs a constant number of queries whatever the number of sessions: a session's
course, track, phase, venue and instructor come with it (joined), the courses' instructors
in one more query. Dates are local dates where the programme runs (Asia/Shanghai): a local
day runs from its local midnight to the next, compared with the UTC instants stored.

The month calendar is in :mod:`trainhub.schedule.month`, a phase's six-month overview in
:mod:`trainhub.schedule.overview`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from trainhub.accounts.models import User
from trainhub.audit.models import AuditEntry
from trainhub.auth import Actor, Role
from trainhub.courses.models import (
    Course,
    CourseMode,
    Phase,
    SessionSeries,
    SessionStatus,
    Track,
    TrainingSession,
    Venue,
    course_instructor,
)
from trainhub.courses.queries import phases_and_tracks
from trainhub.db import LabelledEnum
from trainhub.extensions import db
from trainhub.localtime import WEEKDAYS, local_zone, to_local
from trainhub.schedule.scope import own_sessions, readable_sessions, taught_by

#: ``target_type`` of the audit entries written about a session (its change history).
SESSION_AUDIT_TARGET = "session"


# local days ----------------------------------------------------------------------------------


def day_starts(day: date) -> datetime:
    """The instant a local day begins (its local midnight)."""
    return datetime.combine(day, time(0), tzinfo=local_zone())


def days_clause(first: date | None, last: date | None) -> sa.ColumnElement[bool]:
    """Sessions starting on a local day from ``first`` to ``last`` (inclusive; None: open)."""
    conditions = []
    if first is not None:
        conditions.append(TrainingSession.starts_at >= day_starts(first))
    if last is not None:
        conditions.append(TrainingSession.starts_at < day_starts(last + timedelta(days=1)))
    return sa.and_(sa.true(), *conditions)


# what a session is now -----------------------------------------------------------------------


class SessionState(LabelledEnum):
    """Where a session stands at a moment: cancelled, or else by its times."""

    SCHEDULED = ("scheduled", "已排期")
    IN_PROGRESS = ("in_progress", "进行中")
    ENDED = ("ended", "已结束")
    CANCELLED = ("cancelled", "已取消")


def state_clause(state: SessionState, now: datetime) -> sa.ColumnElement[bool]:
    session = TrainingSession
    cancelled = session.status == SessionStatus.CANCELLED
    if state == SessionState.CANCELLED:
        return cancelled
    held = sa.not_(cancelled)
    if state == SessionState.ENDED:
        return sa.and_(held, session.ends_at <= now)
    if state == SessionState.IN_PROGRESS:
        return sa.and_(held, session.starts_at <= now, session.ends_at > now)
    return sa.and_(held, session.starts_at > now)


def state_of(session: TrainingSession, now: datetime) -> SessionState:
    if session.status == SessionStatus.CANCELLED:
        return SessionState.CANCELLED
    if session.ends_at <= now:
        return SessionState.ENDED
    if session.starts_at <= now:
        return SessionState.IN_PROGRESS
    return SessionState.SCHEDULED


@dataclass(frozen=True)
class SessionItem:
    """A session as lists show it (the timetable, the start pages, the API)."""

    id: int
    course_id: int
    course_code: str
    course_title: str
    mode: CourseMode
    track: str
    phase_id: int
    phase: str
    title: str | None
    starts_at: datetime
    ends_at: datetime
    #: Venue and the detail within it (``TrainingSession.place``).
    place: str | None
    meeting_url: str | None
    meeting_number: str | None
    #: The assigned instructor, or the course's instructors for an unassigned session.
    instructor: str | None
    state: SessionState
    cancelled_at: datetime | None
    cancel_reason: str | None

    @classmethod
    def of(cls, session: TrainingSession, now: datetime) -> SessionItem:
        course = session.course
        if session.instructor is not None:
            instructor = session.instructor.display_name
        else:
            instructor = "、".join(user.display_name for user in course.instructors) or None
        return cls(
            id=session.id, course_id=course.id, course_code=course.code, course_title=course.title,
            mode=course.mode, track=course.track.name, phase_id=course.track.phase_id,
            phase=course.track.phase.name, title=session.title, starts_at=session.starts_at,
            ends_at=session.ends_at, place=session.place, meeting_url=session.meeting_url,
            meeting_number=session.meeting_number, instructor=instructor,
            state=state_of(session, now), cancelled_at=session.cancelled_at,
            cancel_reason=session.cancel_reason,
        )

    @property
    def is_cancelled(self) -> bool:
        return self.state == SessionState.CANCELLED

    @property
    def meeting_link(self) -> str | None:
        return safe_link(self.meeting_url)

    @property
    def local_day(self) -> date:
        return to_local(self.starts_at).date()


def safe_link(url: str | None) -> str | None:
    """A meeting URL when it is a web address (never a ``javascript:`` link)."""
    url = (url or "").strip()
    return url if url.lower().startswith(("https://", "http://")) else None


def with_details(stmt: sa.Select) -> sa.Select:
    """``stmt`` (selecting sessions) loading what :class:`SessionItem` shows."""
    return stmt.options(
        joinedload(TrainingSession.course).joinedload(Course.track).joinedload(Track.phase),
        joinedload(TrainingSession.course).selectinload(Course.instructors),
        joinedload(TrainingSession.venue),
        joinedload(TrainingSession.instructor),
    )


def in_order(stmt: sa.Select) -> sa.Select:
    return stmt.order_by(TrainingSession.starts_at, TrainingSession.id)


def session_items(where, now: datetime, limit: int | None = None) -> list[SessionItem]:
    """The sessions matching ``where``, in time order (at most ``limit``)."""
    stmt = in_order(with_details(sa.select(TrainingSession).where(where)))
    if limit is not None:
        stmt = stmt.limit(limit)
    return [SessionItem.of(session, now) for session in db.session.scalars(stmt).unique()]


# the filtered list ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TimetableFilters:
    phase_id: int | None = None
    track_id: int | None = None
    course_id: int | None = None
    #: Sessions this instructor teaches (:func:`trainhub.schedule.scope.taught_by`).
    instructor_id: int | None = None
    mode: CourseMode | None = None
    #: Local dates, inclusive.
    date_from: date | None = None
    date_to: date | None = None
    state: SessionState | None = None


def timetable_stmt(user: Actor, filters: TimetableFilters, now: datetime) -> sa.Select:
    """Sessions ``user`` may read that match ``filters``, in time order, with their details."""
    stmt = (
        sa.select(TrainingSession)
        .join(Course, Course.id == TrainingSession.course_id)
        .join(Track, Track.id == Course.track_id)
        .where(readable_sessions(user), days_clause(filters.date_from, filters.date_to))
    )
    if filters.phase_id is not None:
        stmt = stmt.where(Track.phase_id == filters.phase_id)
    if filters.track_id is not None:
        stmt = stmt.where(Course.track_id == filters.track_id)
    if filters.course_id is not None:
        stmt = stmt.where(TrainingSession.course_id == filters.course_id)
    if filters.instructor_id is not None:
        stmt = stmt.where(taught_by(filters.instructor_id))
    if filters.mode is not None:
        stmt = stmt.where(Course.mode == filters.mode)
    if filters.state is not None:
        stmt = stmt.where(state_clause(filters.state, now))
    return in_order(with_details(stmt))


@dataclass(frozen=True)
class FilterChoices:
    """What the timetable's filters offer a reader: every phase and track, the courses and
    instructors of the sessions they may read."""

    phases: list[Phase]
    courses: list[tuple[int, str]]
    instructors: list[tuple[int, str]]


def filter_choices(user: Actor) -> FilterChoices:
    from_readable = sa.select(TrainingSession.course_id).where(readable_sessions(user))
    courses = [
        (course_id, f"{code} {title}") for course_id, code, title in db.session.execute(
            sa.select(Course.id, Course.code, Course.title)
            .where(Course.id.in_(from_readable)).order_by(Course.code)
        )
    ]
    instructors = db.session.execute(
        sa.select(User.id, User.display_name)
        .where(User.id.in_(sa.select(course_instructor.c.user_id)
                           .where(course_instructor.c.course_id.in_(from_readable))))
        .order_by(User.display_name, User.id)
    ).all()
    return FilterChoices(phases_and_tracks(), courses, [(uid, name) for uid, name in instructors])


# one session ---------------------------------------------------------------------------------


def get_session(user: Actor, session_id: int) -> TrainingSession | None:
    """The session with what its page shows, or None when it does not exist or ``user``
    may not read it."""
    return db.session.scalars(
        with_details(sa.select(TrainingSession))
        .where(TrainingSession.id == session_id, readable_sessions(user))
        .options(joinedload(TrainingSession.venue).joinedload(Venue.county),
                 joinedload(TrainingSession.series))
    ).unique().one_or_none()


def joins_own_sessions(user: Actor) -> bool:
    """Whether ``user`` is shown the meeting links and numbers of their own sessions: every
    role but the Certification Centre, which reads timetables but attends none."""
    return user.role != Role.CERTIFIER


def may_join(user: Actor, session: TrainingSession) -> bool:
    """Whether ``user`` is shown the session's meeting link and number: the office, and
    whoever has the session in their own timetable (its trainees, its instructor, the
    coordinator of its learners or its site); never the Certification Centre."""
    if user.role == Role.OFFICE:
        return True
    if not joins_own_sessions(user):
        return False
    return bool(db.session.scalar(
        sa.select(sa.exists().where(TrainingSession.id == session.id, own_sessions(user)))
    ))


#: Chinese names of the changes the audit log records about a session.
HISTORY_LABELS = {
    "session.create": "排课",
    "session.update": "修改",
    "session.reschedule": "调整时间",
    "session.cancel": "取消",
    "series.create": "按重复规则排课",
    "series.update": "修改重复规则",
    "series.cancel": "取消整个系列",
}


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    #: What was done, in Chinese.
    label: str
    actor: str | None
    #: The reason given (a cancellation's, a clash override's), if any.
    reason: str | None


def session_history(session_id: int) -> list[HistoryEntry]:
    """The audit entries of the session, oldest first, with who made them."""
    entries = db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.target_type == SESSION_AUDIT_TARGET,
               AuditEntry.target_id == str(session_id))
        .options(joinedload(AuditEntry.actor))
        .order_by(AuditEntry.at, AuditEntry.id)
    )
    return [
        HistoryEntry(
            at=entry.at,
            label=HISTORY_LABELS.get(entry.action, f"变更（{entry.action}）"),
            actor=entry.actor.display_name if entry.actor else None,
            reason=next((str(entry.detail[key]) for key in ("reason", "override_reason", "note")
                         if (entry.detail or {}).get(key)), None),
        )
        for entry in entries
    ]


def describe_series(series: SessionSeries) -> str:
    """A recurrence rule in words: ``每周三 19:00–21:00，自 2023-03-01 起，共 12 次，
    遇法定节假日不排课``."""
    days = "、".join(WEEKDAYS[int(digit) - 1] for digit in series.weekdays if digit in "1234567")
    text = (f"每{days} {series.starts_time:%H:%M}–{series.ends_time:%H:%M}，"
            f"自 {series.first_date.isoformat()} 起，")
    if series.until_date is not None:
        text += f"至 {series.until_date.isoformat()} 止"
    else:
        text += f"共 {series.occurrences} 次"
    if not series.skip_holidays:
        return text + "，法定节假日照常排课"
    text += "，遇法定节假日不排课"
    kept = [day.strip() for day in (series.kept_holidays or "").split(",") if day.strip()]
    if kept:
        text += f"（{'、'.join(kept)} 保留）"
    return text
