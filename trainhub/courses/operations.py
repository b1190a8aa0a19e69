"""Writes on the programme, its phases, tracks and courses, and enrolments (enrol, waiting
list, withdraw). Each function flushes; the caller commits."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

import sqlalchemy as sa

from trainhub.audit.operations import record
from trainhub.courses.models import Course, Enrolment, EnrolmentStatus, Phase, Programme, Track
from trainhub.db import utcnow
from trainhub.extensions import db
from trainhub.learners.models import Learner
from trainhub.refusals import Refusal
from trainhub.text import clean_line

#: The programme and its first phase as PRODUCT.md states them (facts, loaded by ``trainhub init``).
PROGRAMME_NAME = "牵手计划系列培训"
PROGRAMME_STARTS_ON = date(2023, 1, 1)
PROGRAMME_ENDS_ON = date(2025, 12, 31)
PHASE_ONE = {"number": 1, "name": "第一阶段", "starts_on": date(2023, 2, 15), "ends_on": date(2023, 8, 14)}
PHASE_ONE_TRACKS = ("社工机构管理运营", "乡镇（街道）社工站建设")


@dataclass
class ProgrammeSetup:
    programme: Programme
    phase: Phase
    tracks: list[Track]
    #: Names of the rows this call created (empty when everything already existed).
    created: list[str]


def ensure_initial_programme() -> ProgrammeSetup:
    """Make sure the programme, phase 1 and its two tracks exist.

    Idempotent: rows that exist are found by their natural keys (programme name, phase
    number, track name) and left as they are, so edits the office made later survive.
    """
    created: list[str] = []
    programme = db.session.scalar(sa.select(Programme).where(Programme.name == PROGRAMME_NAME))
    if programme is None:
        programme = Programme(
            name=PROGRAMME_NAME, starts_on=PROGRAMME_STARTS_ON, ends_on=PROGRAMME_ENDS_ON
        )
        db.session.add(programme)
        db.session.flush()
        created.append(PROGRAMME_NAME)

    phase = db.session.scalar(
        sa.select(Phase).where(Phase.programme_id == programme.id, Phase.number == PHASE_ONE["number"])
    )
    if phase is None:
        phase = Phase(programme_id=programme.id, **PHASE_ONE)
        db.session.add(phase)
        db.session.flush()
        created.append(PHASE_ONE["name"])

    existing = {
        track.name: track
        for track in db.session.scalars(sa.select(Track).where(Track.phase_id == phase.id))
    }
    tracks = []
    for position, name in enumerate(PHASE_ONE_TRACKS, start=1):
        track = existing.get(name)
        if track is None:
            track = Track(phase_id=phase.id, name=name, position=position)
            db.session.add(track)
            created.append(name)
        tracks.append(track)
    db.session.flush()
    return ProgrammeSetup(programme=programme, phase=phase, tracks=tracks, created=created)


# enrolment -------------------------------------------------------------------------------------

#: Longest withdrawal reason the database keeps (``enrolment.withdraw_reason``).
WITHDRAW_REASON_MAX = 300


class EnrolmentError(Refusal):
    """A refused enrolment change."""


def refuse_archived(course: Course) -> None:
    """An archived course (or one under an archived track or phase) takes no enrolment."""
    note = course.archived_note
    if note:
        raise EnrolmentError("course_id", f"课程“{course.title}”{note}，不能再报名。")


def full_message(course: Course, capacity: int | None = None) -> str:
    return f"课程已满（容量 {capacity if capacity is not None else course.capacity} 人）"


@dataclass
class _Places:
    """The capacity, the enrolled count and the waiting list's tail of one course, read
    under its lock."""

    course: Course
    capacity: int | None
    enrolled: int
    last_position: int

    @property
    def full(self) -> bool:
        return self.capacity is not None and self.enrolled >= self.capacity


def _lock_course(course: Course) -> _Places:
    """Serialise enrolment changes of ``course`` and count its places.

    PostgreSQL: ``SELECT … FOR UPDATE`` on the course row, so that two requests enrolling at
    once count one after the other (READ COMMITTED gives each later statement a fresh
    snapshot). SQLite ignores ``FOR UPDATE``; its driver also starts the transaction only at
    the first write, so a count read before it could be stale. A no-op write on the course
    row takes SQLite's single writer lock first, and the counts below are read inside it.
    """
    capacity_stmt = sa.select(Course.capacity).where(Course.id == course.id)
    if db.session.get_bind().dialect.name == "sqlite":
        table = Course.__table__
        db.session.execute(sa.update(table).where(table.c.id == course.id).values(id=table.c.id))
    else:
        capacity_stmt = capacity_stmt.with_for_update()
    capacity = db.session.execute(capacity_stmt).scalar_one()
    enrolled, last_position = db.session.execute(
        sa.select(
            sa.func.count(Enrolment.id).filter(Enrolment.status == EnrolmentStatus.ENROLLED),
            sa.func.max(Enrolment.waitlist_position).filter(
                Enrolment.status == EnrolmentStatus.WAITLISTED
            ),
        ).where(Enrolment.course_id == course.id)
    ).one()
    return _Places(course=course, capacity=capacity, enrolled=enrolled or 0,
                   last_position=last_position or 0)


def _existing(learner_id: int, course_id: int) -> Enrolment | None:
    return db.session.scalar(
        sa.select(Enrolment)
        .where(Enrolment.learner_id == learner_id, Enrolment.course_id == course_id)
        .execution_options(populate_existing=True)
    )


def _waiting_list(course_id: int) -> list[Enrolment]:
    return list(
        db.session.scalars(
            sa.select(Enrolment)
            .where(Enrolment.course_id == course_id, Enrolment.status == EnrolmentStatus.WAITLISTED)
            .order_by(Enrolment.waitlist_position, Enrolment.enrolled_at, Enrolment.id)
            .execution_options(populate_existing=True)
        )
    )


def _renumber_waiting_list(places: _Places, waiting: list[Enrolment]) -> None:
    """Positions 1, 2, 3 … in the list's order, so that "候补第 N 位" is what it says."""
    for position, enrolment in enumerate(waiting, start=1):
        if enrolment.waitlist_position != position:
            enrolment.waitlist_position = position
    places.last_position = len(waiting)


def _fill_from_waiting_list(places: _Places) -> list[Enrolment]:
    """Move learners up from the waiting list, in order, while the course has free places."""
    waiting = _waiting_list(places.course.id)
    promoted: list[Enrolment] = []
    while waiting and not places.full:
        enrolment = waiting.pop(0)
        enrolment.status = EnrolmentStatus.ENROLLED
        enrolment.waitlist_position = None
        # enrolled from now on: sessions held while waiting do not count towards the rate
        enrolment.enrolled_at = utcnow()
        places.enrolled += 1
        promoted.append(enrolment)
    _renumber_waiting_list(places, waiting)
    db.session.flush()
    for enrolment in promoted:
        record("enrolment.promote", target_type="enrolment", target_id=enrolment.id,
               detail={"course_id": enrolment.course_id, "learner_id": enrolment.learner_id})
    return promoted


def _learner_id(learner: Learner) -> int:
    """The learner's id without loading an expired row (its identity key holds it)."""
    identity = sa.inspect(learner).identity
    return identity[0] if identity else learner.id


def _place(learner_id: int, places: _Places, existing: Enrolment | None, *,
           waitlist: bool) -> Enrolment:
    """Enrol a learner (not actively enrolled or waitlisted) under the course's lock.
    The caller flushes and audits."""
    course = places.course
    if places.full and not waitlist:
        raise EnrolmentError("course_id", full_message(course, places.capacity))
    enrolment = existing or Enrolment(learner_id=learner_id, course_id=course.id)
    if existing is None:
        db.session.add(enrolment)
    enrolment.enrolled_at = utcnow()
    enrolment.withdrawn_at = None
    enrolment.withdraw_reason = None
    if places.full:
        places.last_position += 1
        enrolment.status = EnrolmentStatus.WAITLISTED
        enrolment.waitlist_position = places.last_position
    else:
        places.enrolled += 1
        enrolment.status = EnrolmentStatus.ENROLLED
        enrolment.waitlist_position = None
    return enrolment


ACTIVE_STATUSES = (EnrolmentStatus.ENROLLED, EnrolmentStatus.WAITLISTED)


class EnrolResult(NamedTuple):
    enrolment: Enrolment
    #: False when the learner was enrolled or waitlisted already (found under the lock).
    changed: bool


def enrol(learner: Learner, course: Course, *, waitlist: bool = True) -> Enrolment:
    """:func:`enrol_learner`'s enrolment."""
    return enrol_learner(learner, course, waitlist=waitlist).enrolment


def enrol_learner(learner: Learner, course: Course, *, waitlist: bool = True) -> EnrolResult:
    """Enrol ``learner`` in ``course``, respecting its capacity.

    - An enrolled or waitlisted learner is returned unchanged (idempotent, nothing audited).
    - A withdrawn learner is enrolled again (the same row; the withdrawal is cleared).
    - A full course puts the learner at the end of the waiting list, or, with
      ``waitlist=False``, refuses with :class:`EnrolmentError` naming ``course_id``; so
      does an archived course (:func:`refuse_archived`).
    - Free places left by a raised capacity go to the waiting list first, in order, so that
      nobody jumps the queue.

    Flushes and audits (``enrolment.enrol``, ``enrolment.promote``); the caller commits.
    """
    existing = _existing(learner.id, course.id)
    if existing is not None and existing.status in ACTIVE_STATUSES:
        return EnrolResult(existing, changed=False)
    refuse_archived(course)
    places = _lock_course(course)
    existing = _existing(learner.id, course.id)  # another request may have enrolled meanwhile
    if existing is not None and existing.status in ACTIVE_STATUSES:
        return EnrolResult(existing, changed=False)
    _fill_from_waiting_list(places)
    previous = existing.status.value if existing is not None else None
    enrolment = _place(learner.id, places, existing, waitlist=waitlist)
    db.session.flush()
    detail = {"course_id": course.id, "learner_id": learner.id, "status": enrolment.status.value}
    if enrolment.waitlist_position is not None:
        detail["waitlist_position"] = enrolment.waitlist_position
    if previous is not None:
        detail["previous_status"] = previous
    record("enrolment.enrol", target_type="enrolment", target_id=enrolment.id, detail=detail)
    return EnrolResult(enrolment, changed=True)


@dataclass
class EnrolmentSummary:
    """What :func:`enrol_many` did, learner by learner."""

    enrolled: list[Enrolment] = field(default_factory=list)
    waitlisted: list[Enrolment] = field(default_factory=list)
    #: Learners who were enrolled or waitlisted already (left unchanged).
    already: list[Enrolment] = field(default_factory=list)
    #: Learners refused because the course is full and no waiting list was wanted.
    refused: list[Learner] = field(default_factory=list)
    #: Of the enrolled and waitlisted, those who had withdrawn before (the same rows again).
    re_enrolled: list[Enrolment] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.enrolled) + len(self.waitlisted) + len(self.already) + len(self.refused)

    def message(self) -> str:
        """The result in one Chinese sentence, for a flash message or a CLI line."""
        parts = [f"新报名 {len(self.enrolled)} 人", f"进入候补 {len(self.waitlisted)} 人",
                 f"原已报名或候补 {len(self.already)} 人"]
        if self.refused:
            parts.append(f"因课程已满未报名 {len(self.refused)} 人")
        return "，".join(parts) + "。"


def enrol_many(learners: Iterable[Learner], course: Course, *, waitlist: bool = True) -> EnrolmentSummary:
    """:func:`enrol` for many learners at once (a selection, an organisation, a county).

    The course is locked once; learners are placed in the order given, so that with a
    nearly full course the first ones get the places and the rest the waiting list (or,
    with ``waitlist=False``, are refused). Refusals do not stop the others.

    Flushes once and writes one audit entry for the whole batch (``enrolment.enrol_many``
    on the course, naming the learners of each outcome), so that enrolling a county of
    thousands stays fast; promotions are audited one by one as in :func:`enrol`.
    """
    summary = EnrolmentSummary()
    learners = list(dict.fromkeys(learners))  # each learner once, in order
    if not learners:
        return summary
    refuse_archived(course)
    places = _lock_course(course)
    existing = {
        e.learner_id: e
        for e in db.session.scalars(
            sa.select(Enrolment)
            .where(Enrolment.course_id == course.id)
            .execution_options(populate_existing=True)
        )
    }
    _fill_from_waiting_list(places)
    refused_ids = []
    with db.session.no_autoflush:
        for learner in learners:
            learner_id = _learner_id(learner)
            current = existing.get(learner_id)
            if current is not None and current.status in ACTIVE_STATUSES:
                summary.already.append(current)
                continue
            try:
                enrolment = _place(learner_id, places, current, waitlist=waitlist)
            except EnrolmentError:
                summary.refused.append(learner)
                refused_ids.append(learner_id)
                continue
            if current is not None:
                summary.re_enrolled.append(enrolment)
            if enrolment.status == EnrolmentStatus.ENROLLED:
                summary.enrolled.append(enrolment)
            else:
                summary.waitlisted.append(enrolment)
    db.session.flush()
    if summary.enrolled or summary.waitlisted or summary.refused:
        record("enrolment.enrol_many", target_type="course", target_id=course.id, detail={
            "enrolled": [e.learner_id for e in summary.enrolled],
            "waitlisted": [e.learner_id for e in summary.waitlisted],
            "re_enrolled": [e.learner_id for e in summary.re_enrolled],
            "refused": refused_ids,
            "already": len(summary.already),
        })
    return summary


def withdraw(enrolment: Enrolment, reason: str | None) -> Enrolment | None:
    """Withdraw a learner from a course (or from its waiting list) for ``reason``.

    The reason is required. Records when and why; a place freed in a course with a waiting
    list goes to the first on it, whose enrolment is returned (None when nobody moved up).
    Flushes and audits (``enrolment.withdraw``, ``enrolment.promote``); the caller commits.
    """
    reason = clean_line(reason)
    if not reason:
        raise EnrolmentError("reason", "请填写退课原因。")
    if len(reason) > WITHDRAW_REASON_MAX:
        raise EnrolmentError("reason", f"退课原因最多 {WITHDRAW_REASON_MAX} 个字。")
    places = _lock_course(enrolment.course)
    db.session.refresh(enrolment)
    if enrolment.status == EnrolmentStatus.WITHDRAWN:
        raise EnrolmentError("status", "该学员已退出此课程，无需重复退课。")
    previous = enrolment.status
    enrolment.status = EnrolmentStatus.WITHDRAWN
    enrolment.withdrawn_at = utcnow()
    enrolment.withdraw_reason = reason
    enrolment.waitlist_position = None
    if previous == EnrolmentStatus.ENROLLED:
        places.enrolled -= 1
    db.session.flush()
    record("enrolment.withdraw", target_type="enrolment", target_id=enrolment.id,
           detail={"course_id": enrolment.course_id, "learner_id": enrolment.learner_id,
                   "previous_status": previous.value})
    promoted = _fill_from_waiting_list(places)  # also closes the gap a waitlisted one leaves
    return promoted[0] if promoted else None
