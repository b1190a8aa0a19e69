"""A phase's six-month overview: every track's courses on one timeline by week.

Rows are the phase's courses grouped by track (in the tracks' order, then by code); columns
are the weeks (Monday to Sunday, local dates) from the week of the phase's first day to the
week of its last; a cell counts the course's sessions that start in the week, the cancelled
ones apart. Weeks holding a public holiday carry its name (:mod:`trainhub.schedule.holiday_marks`).

What a reader sees follows :func:`trainhub.schedule.scope.readable_sessions`: the office and
the Certification Centre every course of the phase (archived ones only when they have
sessions); everyone else the courses of which they may read sessions, and those sessions.
Two queries whatever the number of sessions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from trainhub.auth import Actor, Role
from trainhub.courses.models import Course, CourseMode, Phase, SessionStatus, Track, TrainingSession
from trainhub.extensions import db
from trainhub.localtime import to_local
from trainhub.schedule.holiday_marks import HolidaySpan, day_marks
from trainhub.schedule.scope import readable_sessions


@dataclass(frozen=True)
class OverviewWeek:
    index: int
    #: Monday and Sunday of the week.
    monday: date
    sunday: date
    is_current: bool
    #: Holidays with days off in this week.
    holidays: list[HolidaySpan]

    @property
    def label(self) -> str:
        return f"{self.monday.month}/{self.monday.day}"

    @property
    def month_label(self) -> str | None:
        """The month the header names above this week: the first week's, and each month
        whose first day falls in the week."""
        if self.sunday.day <= 7:
            return f"{self.sunday.month}月"
        return f"{self.monday.month}月" if self.index == 0 else None


@dataclass
class OverviewCell:
    held_or_planned: int = 0
    cancelled: int = 0

    @property
    def empty(self) -> bool:
        return not self.held_or_planned and not self.cancelled


@dataclass
class OverviewCourse:
    id: int
    code: str
    title: str
    mode: CourseMode
    archived: bool
    cells: list[OverviewCell]

    @property
    def sessions(self) -> int:
        return sum(cell.held_or_planned for cell in self.cells)

    @property
    def cancelled(self) -> int:
        return sum(cell.cancelled for cell in self.cells)


@dataclass
class OverviewTrack:
    id: int
    name: str
    courses: list[OverviewCourse] = field(default_factory=list)


@dataclass(frozen=True)
class PhaseOverview:
    phase: Phase
    weeks: list[OverviewWeek]
    tracks: list[OverviewTrack]
    #: Every holiday of the phase's weeks, for the legend.
    holidays: list[HolidaySpan]
    unpublished_years: tuple[int, ...]

    @property
    def courses(self) -> int:
        return sum(len(track.courses) for track in self.tracks)

    @property
    def sessions(self) -> int:
        return sum(course.sessions for track in self.tracks for course in track.courses)

    @property
    def cancelled(self) -> int:
        return sum(course.cancelled for track in self.tracks for course in track.courses)


def phase_weeks(phase: Phase, today: date) -> tuple[list[OverviewWeek], list[HolidaySpan], tuple[int, ...]]:
    first = phase.starts_on - timedelta(days=phase.starts_on.weekday())
    last = phase.ends_on + timedelta(days=6 - phase.ends_on.weekday())
    marks = day_marks(first, last)
    spans = [span for span in marks.spans() if span.overlaps(first, last)]
    weeks = []
    monday = first
    while monday <= last:
        sunday = monday + timedelta(days=6)
        weeks.append(OverviewWeek(
            index=len(weeks), monday=monday, sunday=sunday, is_current=monday <= today <= sunday,
            holidays=[span for span in spans if span.overlaps(monday, sunday)],
        ))
        monday += timedelta(days=7)
    return weeks, spans, tuple(y for y in marks.unpublished_years if first.year <= y <= last.year)


def phase_overview(user: Actor, phase: Phase, now: datetime) -> PhaseOverview:
    weeks, spans, unpublished = phase_weeks(phase, to_local(now).date())
    courses = db.session.scalars(
        sa.select(Course).join(Track, Track.id == Course.track_id)
        .where(Track.phase_id == phase.id)
        .options(joinedload(Course.track))
        .order_by(Track.position, Track.id, Course.code)
    ).all()
    counts: dict[int, list[OverviewCell]] = {}
    first_monday = weeks[0].monday
    for course_id, starts_at, status in db.session.execute(
        sa.select(TrainingSession.course_id, TrainingSession.starts_at, TrainingSession.status)
        .join(Course, Course.id == TrainingSession.course_id)
        .join(Track, Track.id == Course.track_id)
        .where(Track.phase_id == phase.id, readable_sessions(user))
    ):
        index = (to_local(starts_at).date() - first_monday).days // 7
        if not 0 <= index < len(weeks):
            continue  # outside the phase's window (the operations do not allow it)
        cells = counts.setdefault(course_id, [OverviewCell() for _ in weeks])
        if status == SessionStatus.CANCELLED:
            cells[index].cancelled += 1
        else:
            cells[index].held_or_planned += 1

    every_course = user.role in (Role.OFFICE, Role.CERTIFIER)
    tracks: list[OverviewTrack] = []
    for course in courses:
        if course.id not in counts and (not every_course or course.archived_at is not None):
            continue
        if not tracks or tracks[-1].id != course.track_id:
            tracks.append(OverviewTrack(course.track_id, course.track.name))
        tracks[-1].courses.append(OverviewCourse(
            id=course.id, code=course.code, title=course.title, mode=course.mode,
            archived=course.archived_at is not None,
            cells=counts.get(course.id) or [OverviewCell() for _ in weeks],
        ))
    return PhaseOverview(phase=phase, weeks=weeks, tracks=tracks, holidays=spans,
                         unpublished_years=unpublished)


def get_phase(phase_id: int) -> Phase | None:
    """The phase (every signed-in reader may open its overview; what it shows is theirs)."""
    return db.session.get(Phase, phase_id)
