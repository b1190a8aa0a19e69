"""Reads of attendance: each learner's sessions in each course, counted by the rule of
:mod:`trainhub.attendance.rates`, in one SQL aggregate.

A session *held* has ended and was not cancelled; a session *to come* has not ended (one in
progress included). Both count only when the session starts at or after the learner's
enrolment (``Enrolment.enrolled_at``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app

from trainhub.attendance.models import Attendance, AttendanceStatus, LeaveRequest
from trainhub.attendance.rates import ATTENDED, AttendanceCount, Outlook
from trainhub.courses.models import (
    Course,
    Enrolment,
    EnrolmentStatus,
    SessionStatus,
    Track,
    TrainingSession,
)
from trainhub.extensions import db
from trainhub.figures import Figure
from trainhub.schedule.signals import session_figures


def programme_excused_counts_against() -> bool:
    """The programme-wide setting, for courses that do not set their own."""
    return bool(current_app.config["EXCUSED_COUNTS_AGAINST"])


def _counts_stmt(now: datetime) -> sa.Select:
    """Per enrolment: learner, course, the course's own excused rule, then the counts of
    :class:`AttendanceCount` (before enrolment, held, to come, attended, excused)."""
    session, mark = TrainingSession, Attendance
    counted = session.starts_at >= Enrolment.enrolled_at
    ended = session.ends_at <= now
    held = sa.and_(counted, ended)
    return (
        sa.select(
            Enrolment.learner_id,
            Enrolment.course_id,
            Course.excused_counts_against,
            sa.func.count(session.id).filter(session.starts_at < Enrolment.enrolled_at),
            sa.func.count(session.id).filter(held),
            sa.func.count(session.id).filter(counted, session.ends_at > now),
            sa.func.count(mark.id).filter(held, mark.status.in_(ATTENDED)),
            sa.func.count(mark.id).filter(held, mark.status == AttendanceStatus.EXCUSED),
        )
        .select_from(Enrolment)
        .join(Course, Course.id == Enrolment.course_id)
        .outerjoin(session, sa.and_(session.course_id == Enrolment.course_id,
                                    session.status != SessionStatus.CANCELLED))
        .outerjoin(mark, sa.and_(mark.session_id == session.id,
                                 mark.learner_id == Enrolment.learner_id))
        .group_by(Enrolment.learner_id, Enrolment.course_id, Course.excused_counts_against)
    )


def attendance_counts(
    *,
    now: datetime,
    learner_id: int | None = None,
    course_id: int | None = None,
    statuses: tuple[EnrolmentStatus, ...] | None = None,
    excused_counts_against: bool | None = None,
) -> dict[tuple[int, int], AttendanceCount]:
    """The counts of every enrolment (of one learner, of one course, of some statuses),
    keyed by ``(learner_id, course_id)``.

    ``excused_counts_against`` is the programme-wide rule (default: the configured one);
    a course's own setting overrides it.
    """
    programme_rule = (programme_excused_counts_against() if excused_counts_against is None
                      else excused_counts_against)
    stmt = _counts_stmt(now)
    if learner_id is not None:
        stmt = stmt.where(Enrolment.learner_id == learner_id)
    if course_id is not None:
        stmt = stmt.where(Enrolment.course_id == course_id)
    if statuses:
        stmt = stmt.where(Enrolment.status.in_(statuses))
    counts = {}
    for learner, course, course_rule, before, held, remaining, attended, excused in db.session.execute(stmt):
        counts[(learner, course)] = AttendanceCount(
            held=held or 0,
            remaining=remaining or 0,
            attended=attended or 0,
            excused=excused or 0,
            excused_counts_against=programme_rule if course_rule is None else course_rule,
            before_enrolment=before or 0,
        )
    return counts


def course_rates(course_id: int, *, now: datetime,
                 excused_counts_against: bool | None = None) -> dict[int, AttendanceCount]:
    """The counts of every learner enrolled (not waitlisted or withdrawn) in one course,
    keyed by learner id."""
    counts = attendance_counts(now=now, course_id=course_id, statuses=(EnrolmentStatus.ENROLLED,),
                               excused_counts_against=excused_counts_against)
    return {learner: count for (learner, _), count in counts.items()}


@dataclass(frozen=True)
class CourseProgress:
    """A learner's standing in one of their courses: the course, the enrolment's status and
    the counts, with the completion threshold they are measured against."""

    course_id: int
    code: str
    title: str
    track: str
    class_hours: Decimal
    #: Attendance rate needed to complete the course (0–1).
    min_rate: Decimal
    status: EnrolmentStatus
    count: AttendanceCount

    @property
    def rate(self) -> float | None:
        return self.count.rate

    @property
    def meets_threshold(self) -> bool:
        return self.count.meets(self.min_rate)

    @property
    def needed(self) -> int | None:
        return self.count.needed(self.min_rate)

    @property
    def outlook(self) -> Outlook:
        return self.count.outlook(self.min_rate)

    @property
    def is_active(self) -> bool:
        """Whether the learner takes part (enrolled): only then do the rate's prospects matter."""
        return self.status == EnrolmentStatus.ENROLLED


def learner_progress(learner_id: int, *, now: datetime,
                     excused_counts_against: bool | None = None) -> list[CourseProgress]:
    """Every course of one learner (any enrolment status), by course code."""
    counts = attendance_counts(now=now, learner_id=learner_id,
                               excused_counts_against=excused_counts_against)
    rows = db.session.execute(
        sa.select(Course.id, Course.code, Course.title, Track.name, Course.class_hours,
                  Course.completion_min_rate, Enrolment.status)
        .select_from(Enrolment)
        .join(Course, Course.id == Enrolment.course_id)
        .join(Track, Track.id == Course.track_id)
        .where(Enrolment.learner_id == learner_id)
        .order_by(Course.code)
    )
    return [
        CourseProgress(course_id=course_id, code=code, title=title, track=track, class_hours=hours,
                       min_rate=min_rate, status=status, count=counts[(learner_id, course_id)])
        for course_id, code, title, track, hours, min_rate, status in rows
    ]


# what attendance keeps about sessions ----------------------------------------------------------


def attendance_per_session(sender, *, keys: list[int]) -> Figure:
    """The attendance rows of each session: a session with any is cancelled, never deleted."""
    rows = db.session.execute(
        sa.select(Attendance.session_id, sa.func.count(Attendance.id))
        .where(Attendance.session_id.in_(keys))
        .group_by(Attendance.session_id)
    ).all() if keys else []
    return Figure("attendance", "考勤记录", "条", dict(rows), order=10)


def leave_requests_per_session(sender, *, keys: list[int]) -> Figure:
    """The leave requests (of any status) for each session."""
    rows = db.session.execute(
        sa.select(LeaveRequest.session_id, sa.func.count(LeaveRequest.id))
        .where(LeaveRequest.session_id.in_(keys))
        .group_by(LeaveRequest.session_id)
    ).all() if keys else []
    return Figure("leave_requests", "请假申请", "条", dict(rows), order=20)


session_figures.connect(attendance_per_session)
session_figures.connect(leave_requests_per_session)
