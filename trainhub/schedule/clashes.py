"""Clashes (时间冲突) between proposed sessions and the timetable, and among themselves:

- the same instructor in two overlapping sessions;
- overlapping sessions of two different courses that share enrolled learners (how many);
- the same venue (an on-site session's :class:`~trainhub.courses.models.Venue`) twice at once.

Sessions overlap when each starts before the other ends (back to back is no clash).
Cancelled sessions clash with nothing; a session being changed is compared in its new form
only (``Proposal.session_id``).

The check costs three queries however many sessions are proposed: the learners shared
between the proposed courses and every other course (one grouped query), the existing
sessions in the proposals' overall time range that touch their instructors, venues or
learner-sharing courses (one query), and the names of the proposals' courses, instructors
and venues (one query). Overlaps are then found in Python.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from trainhub.accounts.models import User
from trainhub.courses.models import (
    Course,
    Enrolment,
    EnrolmentStatus,
    SessionStatus,
    TrainingSession,
    Venue,
)
from trainhub.db import LabelledEnum
from trainhub.extensions import db
from trainhub.localtime import format_timespan


class ClashKind(LabelledEnum):
    INSTRUCTOR = ("instructor", "讲师冲突")
    LEARNERS = ("learners", "学员冲突")
    VENUE = ("venue", "场地冲突")


@dataclass(frozen=True)
class Proposal:
    """A session as it would be: a new one, or the new state of ``session_id``."""

    course_id: int
    starts_at: datetime
    ends_at: datetime
    instructor_id: int | None = None
    venue_id: int | None = None
    #: The session being changed (left out of the existing sessions), if any.
    session_id: int | None = None


@dataclass(frozen=True)
class Clash:
    """One clash of the proposal at ``index`` with an existing session (``session_id``) or
    with another proposal (``other_index``, always an earlier one)."""

    kind: ClashKind
    index: int
    message: str
    starts_at: datetime
    ends_at: datetime
    session_id: int | None = None
    other_index: int | None = None
    #: The learners enrolled in both courses (learner clashes).
    learners: int | None = None

    def as_dict(self) -> dict:
        """For audit entries and API answers."""
        return {"kind": self.kind.value, "index": self.index, "message": self.message,
                "session_id": self.session_id, "other_index": self.other_index,
                "learners": self.learners, "starts_at": self.starts_at.isoformat(),
                "ends_at": self.ends_at.isoformat()}


@dataclass(frozen=True)
class _Slot:
    """A session on the timetable, existing or proposed, with what the messages name."""

    starts_at: datetime
    ends_at: datetime
    course_id: int
    course: str
    instructor_id: int | None
    instructor: str | None
    venue_id: int | None
    venue: str | None
    session_id: int | None = None
    index: int | None = None

    def overlaps(self, other: _Slot) -> bool:
        return self.starts_at < other.ends_at and other.starts_at < self.ends_at

    @property
    def described(self) -> str:
        when = format_timespan(self.starts_at, self.ends_at)
        if self.index is not None:
            return f"本次提交的另一课次（{self.course}，{when}）"
        return f"课次“{self.course}”（{when}）"


def _shared_learners(course_ids: set[int]) -> dict[tuple[int, int], int]:
    """``(proposed course, other course) -> learners enrolled in both`` (one query)."""
    if not course_ids:
        return {}
    mine, theirs = aliased(Enrolment), aliased(Enrolment)
    rows = db.session.execute(
        sa.select(mine.course_id, theirs.course_id, sa.func.count(sa.distinct(mine.learner_id)))
        .join(theirs, sa.and_(theirs.learner_id == mine.learner_id,
                              theirs.course_id != mine.course_id,
                              theirs.status == EnrolmentStatus.ENROLLED))
        .where(mine.course_id.in_(course_ids), mine.status == EnrolmentStatus.ENROLLED)
        .group_by(mine.course_id, theirs.course_id)
    ).all()
    return {(a, b): count for a, b, count in rows}


def _existing(proposals: Sequence[Proposal], courses: set[int]) -> list[_Slot]:
    """Non-cancelled sessions overlapping the proposals' overall range that share an
    instructor, a venue or a learner-sharing course with them (one query)."""
    instructors = {p.instructor_id for p in proposals if p.instructor_id is not None}
    venues = {p.venue_id for p in proposals if p.venue_id is not None}
    changed = {p.session_id for p in proposals if p.session_id is not None}
    touching = []
    if instructors:
        touching.append(TrainingSession.instructor_id.in_(instructors))
    if venues:
        touching.append(TrainingSession.venue_id.in_(venues))
    if courses:
        touching.append(TrainingSession.course_id.in_(courses))
    if not touching:
        return []
    stmt = (
        sa.select(TrainingSession.id, TrainingSession.starts_at, TrainingSession.ends_at,
                  TrainingSession.course_id, Course.code, Course.title,
                  TrainingSession.instructor_id, User.display_name,
                  TrainingSession.venue_id, Venue.name)
        .join(Course, Course.id == TrainingSession.course_id)
        .outerjoin(User, User.id == TrainingSession.instructor_id)
        .outerjoin(Venue, Venue.id == TrainingSession.venue_id)
        .where(TrainingSession.status != SessionStatus.CANCELLED,
               TrainingSession.starts_at < max(p.ends_at for p in proposals),
               TrainingSession.ends_at > min(p.starts_at for p in proposals),
               sa.or_(*touching))
    )
    if changed:
        stmt = stmt.where(TrainingSession.id.not_in(changed))
    return [
        _Slot(starts_at=starts, ends_at=ends, course_id=course_id, course=f"{code} {title}",
              instructor_id=instructor_id, instructor=instructor, venue_id=venue_id, venue=venue,
              session_id=session_id)
        for session_id, starts, ends, course_id, code, title, instructor_id, instructor, venue_id, venue
        in db.session.execute(stmt)
    ]


def _names(proposals: Sequence[Proposal]) -> dict[tuple[str, int], str]:
    """Names of the proposals' courses, instructors and venues (one query)."""
    courses = {p.course_id for p in proposals}
    instructors = {p.instructor_id for p in proposals if p.instructor_id is not None}
    venues = {p.venue_id for p in proposals if p.venue_id is not None}
    parts = [sa.select(sa.literal("course"), Course.id, Course.code, Course.title)
             .where(Course.id.in_(courses))]
    if instructors:
        parts.append(sa.select(sa.literal("user"), User.id, User.display_name, sa.literal(""))
                     .where(User.id.in_(instructors)))
    if venues:
        parts.append(sa.select(sa.literal("venue"), Venue.id, Venue.name, sa.literal(""))
                     .where(Venue.id.in_(venues)))
    names = {}
    for kind, key, first, second in db.session.execute(sa.union_all(*parts)):
        names[(kind, key)] = f"{first} {second}".strip() if kind == "course" else first
    return names


def _proposed(proposals: Sequence[Proposal]) -> list[_Slot]:
    names = _names(proposals)
    return [
        _Slot(starts_at=p.starts_at, ends_at=p.ends_at, course_id=p.course_id,
              course=names.get(("course", p.course_id), f"课程 {p.course_id}"),
              instructor_id=p.instructor_id,
              instructor=names.get(("user", p.instructor_id)) if p.instructor_id else None,
              venue_id=p.venue_id,
              venue=names.get(("venue", p.venue_id)) if p.venue_id else None,
              session_id=p.session_id, index=index)
        for index, p in enumerate(proposals)
    ]


def _clashes_between(mine: _Slot, other: _Slot, shared: dict[tuple[int, int], int]) -> list[Clash]:
    """The clashes of ``mine`` (a proposal) with ``other``, which overlaps it."""
    when = format_timespan(mine.starts_at, mine.ends_at)
    found = []
    common = dict(index=mine.index, starts_at=other.starts_at, ends_at=other.ends_at,
                  session_id=other.session_id, other_index=other.index)
    if mine.instructor_id is not None and mine.instructor_id == other.instructor_id:
        found.append(Clash(ClashKind.INSTRUCTOR, message=(
            f"{when}：讲师 {mine.instructor or ''} 同时有{other.described}。"), **common))
    if mine.course_id != other.course_id:
        learners = shared.get((mine.course_id, other.course_id), 0)
        if learners:
            found.append(Clash(ClashKind.LEARNERS, learners=learners, message=(
                f"{when}：与{other.described}时间重叠，两门课程有 {learners} 名共同报名的学员。"),
                **common))
    if mine.venue_id is not None and mine.venue_id == other.venue_id:
        found.append(Clash(ClashKind.VENUE, message=(
            f"{when}：场地“{mine.venue or ''}”同时安排了{other.described}。"), **common))
    return found


def find_clashes(proposals: Sequence[Proposal]) -> list[Clash]:
    """Every clash of ``proposals`` with the timetable and among themselves, in the order
    of the proposals. Three queries whatever the number of proposals (none for none)."""
    if not proposals:
        return []
    courses = {p.course_id for p in proposals}
    shared = _shared_learners(courses)
    sharing_courses = courses | {other for (_, other) in shared}
    existing = _existing(proposals, sharing_courses)
    proposed = _proposed(proposals)

    # existing sessions by what can clash, so that each proposal meets only its candidates
    by_instructor: dict[int, list[_Slot]] = defaultdict(list)
    by_venue: dict[int, list[_Slot]] = defaultdict(list)
    by_course: dict[int, list[_Slot]] = defaultdict(list)
    for slot in existing:
        if slot.instructor_id is not None:
            by_instructor[slot.instructor_id].append(slot)
        if slot.venue_id is not None:
            by_venue[slot.venue_id].append(slot)
        by_course[slot.course_id].append(slot)
    sharing: dict[int, list[int]] = defaultdict(list)
    for course, other in shared:
        sharing[course].append(other)

    clashes: list[Clash] = []
    for mine in proposed:
        candidates: dict[int, _Slot] = {}
        for slot in (by_instructor.get(mine.instructor_id, []) if mine.instructor_id else []):
            candidates[slot.session_id] = slot
        for slot in (by_venue.get(mine.venue_id, []) if mine.venue_id else []):
            candidates[slot.session_id] = slot
        for other in sharing.get(mine.course_id, []):
            for slot in by_course.get(other, []):
                candidates[slot.session_id] = slot
        for slot in sorted(candidates.values(), key=lambda s: (s.starts_at, s.session_id)):
            if mine.overlaps(slot):
                clashes.extend(_clashes_between(mine, slot, shared))
        for earlier in proposed[: mine.index]:
            if mine.overlaps(earlier):
                clashes.extend(_clashes_between(mine, earlier, shared))
    return clashes
