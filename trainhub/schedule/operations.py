"""Writes on sessions (课次) one at a time: schedule, change or reschedule, cancel, delete;
and what every write on sessions shares (the phase window, the clash check and its
override, the reasons, the audit snapshot). Series made from a recurrence rule are in
:mod:`trainhub.schedule.series`; what a session is made of (times, instructor, venue,
meeting) is checked by :mod:`trainhub.schedule.details`.

Contracts, for every function here and in ``series``:

- only the office schedules (``actor`` with :attr:`Role.OFFICE`, or ``None`` for the
  operator at the command line and the demo);
- every input is checked before anything is written, every mistake at once, as a
  :class:`ScheduleError` naming the fields (or :class:`ClashRefused`, 409, listing the
  clashes);
- every session lies inside its course's phase (local dates, :mod:`.windows`);
- a clash (:mod:`.clashes`) is refused unless ``override_reason`` is given; the reason is
  kept in ``clash_override`` and in the audit entry;
- every change raises the session's ``sequence`` (iCalendar SEQUENCE) and ``updated_at``
  and is audited with the values before and after;
- they flush; the caller commits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from trainhub.audit.operations import record
from trainhub.auth import Actor, Role
from trainhub.courses.models import Course, SessionStatus, TrainingSession
from trainhub.db import utcnow
from trainhub.extensions import db
from trainhub.figures import collect
from trainhub.localtime import local_zone
from trainhub.refusals import Refusal
from trainhub.schedule.clashes import Clash, Proposal, find_clashes
from trainhub.schedule.details import DETAIL_FIELDS, check_course_open, check_details, check_times
from trainhub.schedule.holidays import day_info
from trainhub.schedule.signals import session_figures
from trainhub.schedule.windows import WindowProblem, outside_window
from trainhub.text import clean_line

#: Roles that schedule (the web and the API grant the same).
SCHEDULERS = (Role.OFFICE,)
#: Longest reason (cancelling, rescheduling, overriding a clash) the database keeps.
REASON_MAX = 300
SESSION_FIELDS = ("starts_at", "ends_at", *DETAIL_FIELDS)

class ScheduleError(Refusal):
    """A refused scheduling change, naming the fields at fault."""


class ClashRefused(ScheduleError):
    """Clashes found and no reason given to override them (409). ``clashes`` lists them;
    the field at fault is ``override_reason``."""

    status = 409

    def __init__(self, clashes: Sequence[Clash]):
        self.clashes = list(clashes)
        shown = "；".join(clash.message for clash in self.clashes[:5])
        more = f"（共 {len(self.clashes)} 处冲突）" if len(self.clashes) > 5 else ""
        super().__init__("override_reason", f"存在时间冲突：{shown}{more}。如确需安排，请填写覆盖冲突的理由。")


def check_actor(actor: Actor | None) -> None:
    if actor is not None and actor.role not in SCHEDULERS:
        raise ScheduleError("actor", "只有项目办可以排课和调整课次。")


def actor_id(actor: Actor | None) -> int | None:
    """The acting user's id for the audit entry (None: the signed-in user, or the operator)."""
    return getattr(actor, "id", None)


def check_reason(value: object, field: str, label: str, *, required: bool = True) -> str | None:
    """A reason (one line, at most :data:`REASON_MAX` characters); None when optional and blank."""
    text = clean_line(value)
    if not text:
        if required:
            raise ScheduleError(field, f"请填写{label}。")
        return None
    if len(text) > REASON_MAX:
        raise ScheduleError(field, f"{label}最多 {REASON_MAX} 个字。")
    return text


# the checks every write shares --------------------------------------------------------------


def phase_window(course: Course, spans: Sequence[tuple[datetime, datetime]]) -> WindowProblem | None:
    """Sessions of ``course`` (``(starts_at, ends_at)``) outside its phase's window."""
    return outside_window(spans, course.track.phase, local_zone())


def enforce(clashes: Sequence[Clash], override_reason: object) -> str | None:
    """Refuse ``clashes`` unless an override reason is given; the cleaned reason (None when
    there was nothing to override)."""
    if not clashes:
        return None
    reason = check_reason(override_reason, "override_reason", "覆盖冲突的理由", required=False)
    if reason is None:
        raise ClashRefused(clashes)
    return reason


@dataclass
class SessionCheck:
    """What scheduling one session (or changing it) would meet."""

    proposal: Proposal
    window: WindowProblem | None
    clashes: list[Clash] = field(default_factory=list)
    #: Notes on the day: a public holiday, a make-up working day, an unpublished year.
    notes: list[str] = field(default_factory=list)


def day_notes(starts_at: datetime) -> list[str]:
    """What the holiday arrangement says about a session's local start date."""
    info = day_info(starts_at.astimezone(local_zone()).date())
    if not info.published:
        return [f"{info.day.year} 年的节假日安排尚未公布，未检查该日是否为节假日。"]
    if info.holiday:
        return [f"{info.day.isoformat()} 是{info.holiday}假期。"]
    if info.makeup_for:
        return [f"{info.day.isoformat()} 是调休上班日（{info.makeup_for}调休）。"]
    return []


def check_session(course: Course, values: Mapping[str, object], *,
                  session: TrainingSession | None = None, find: bool = True) -> tuple[dict, SessionCheck]:
    """Check a session of ``course`` as ``values`` would make it (every field of
    :data:`SESSION_FIELDS`): refuses bad input (:class:`ScheduleError`), else answers the
    cleaned values and what it meets (window, clashes, notes), writing nothing. With
    ``find=False`` clashes are left to the caller (who checks many sessions at once)."""
    errors: dict[str, str] = {}
    if session is None:
        check_course_open(course, errors)
    check_times(values.get("starts_at"), values.get("ends_at"), errors)
    details = check_details(course, values, errors,
                            current_venue_id=session.venue_id if session is not None else None)
    if errors:
        raise ScheduleError(errors=errors)
    cleaned = {"starts_at": values["starts_at"].astimezone(UTC), "ends_at": values["ends_at"].astimezone(UTC),
               **details}
    proposal = Proposal(course_id=course.id, starts_at=cleaned["starts_at"], ends_at=cleaned["ends_at"],
                        instructor_id=cleaned["instructor_id"], venue_id=cleaned["venue_id"],
                        session_id=session.id if session is not None else None)
    window = phase_window(course, [(proposal.starts_at, proposal.ends_at)])
    return cleaned, SessionCheck(proposal=proposal, window=window,
                                 clashes=find_clashes([proposal]) if find else [],
                                 notes=day_notes(proposal.starts_at))


def snapshot(session: TrainingSession) -> dict:
    """A session's values as the audit log keeps them."""
    return {
        "starts_at": session.starts_at.isoformat(), "ends_at": session.ends_at.isoformat(),
        "title": session.title, "venue_id": session.venue_id, "venue_detail": session.venue_detail,
        "meeting_url": session.meeting_url, "meeting_number": session.meeting_number,
        "instructor_id": session.instructor_id, "status": session.status.value,
        "sequence": session.sequence,
    }


def touch(session: TrainingSession) -> None:
    """Mark a change subscribers should see: SEQUENCE and the update time rise."""
    session.sequence = (session.sequence or 0) + 1
    session.updated_at = utcnow()


def window_error(window: WindowProblem, field_name: str = "starts_at") -> ScheduleError:
    return ScheduleError(field_name, window.message)


# one session ---------------------------------------------------------------------------------


def create_session(course: Course, *, starts_at: datetime, ends_at: datetime,
                   title: str | None = None, venue_id: int | None = None,
                   venue_detail: str | None = None, meeting_url: str | None = None,
                   meeting_number: str | None = None, instructor_id: int | None = None,
                   override_reason: str | None = None, actor: Actor | None) -> TrainingSession:
    """Schedule one session of ``course`` (UTC instants). Refused outside the phase, or on
    a clash without ``override_reason``. Audited as ``session.create``."""
    check_actor(actor)
    values = {"starts_at": starts_at, "ends_at": ends_at, "title": title, "venue_id": venue_id,
              "venue_detail": venue_detail, "meeting_url": meeting_url,
              "meeting_number": meeting_number, "instructor_id": instructor_id}
    cleaned, check = check_session(course, values)
    if check.window is not None:
        raise window_error(check.window)
    reason = enforce(check.clashes, override_reason)
    session = TrainingSession(course_id=course.id, status=SessionStatus.SCHEDULED, sequence=0,
                              clash_override=reason, **cleaned)
    db.session.add(session)
    db.session.flush()
    detail = {"course_id": course.id, "after": snapshot(session)}
    if reason:
        detail.update(override_reason=reason, clashes=[c.message for c in check.clashes])
    record("session.create", target_type="session", target_id=session.id, detail=detail,
           actor_id=actor_id(actor))
    return session


def create_sessions(items: Sequence[tuple[Course, Mapping[str, object]]], *,
                    override_reason: str | None = None, actor: Actor | None) -> list[TrainingSession]:
    """Schedule many sessions at once (the schedule import): each ``(course, values)`` is
    checked as :func:`create_session` checks one, and their clashes — with the timetable and
    among themselves — are found in one :func:`find_clashes` call, a fixed number of queries
    however many there are. Any refusal comes before anything is written. Each session is
    audited as ``session.create``; a session that clashes (with the timetable or with an
    earlier one of ``items``) keeps ``override_reason`` as create_session would."""
    check_actor(actor)
    checked = []
    for course, values in items:
        cleaned, check = check_session(course, values, find=False)
        if check.window is not None:
            raise window_error(check.window)
        checked.append((course, cleaned, check.proposal))
    clashes = find_clashes([proposal for _, _, proposal in checked])
    reason = enforce(clashes, override_reason)
    by_index: dict[int, list[Clash]] = {}
    for clash in clashes:
        by_index.setdefault(clash.index, []).append(clash)
    sessions = [TrainingSession(course_id=course.id, status=SessionStatus.SCHEDULED, sequence=0,
                                clash_override=reason if index in by_index else None, **cleaned)
                for index, (course, cleaned, _) in enumerate(checked)]
    db.session.add_all(sessions)
    db.session.flush()
    for index, ((course, _, _), session) in enumerate(zip(checked, sessions, strict=True)):
        detail = {"course_id": course.id, "after": snapshot(session)}
        if index in by_index:
            detail.update(override_reason=reason, clashes=[c.message for c in by_index[index]])
        record("session.create", target_type="session", target_id=session.id, detail=detail,
               actor_id=actor_id(actor))
    return sessions


def update_session(session: TrainingSession, changes: Mapping[str, object], *,
                   reason: str | None = None, override_reason: str | None = None,
                   actor: Actor | None) -> dict[str, tuple[object, object]]:
    """Change one session: any of :data:`SESSION_FIELDS` present in ``changes`` (an absent
    field is kept; a blank instructor becomes the course's first). Moving it in time
    (rescheduling) needs ``reason``. The phase window is checked when the time changes,
    clashes when the time, the instructor or the venue change. Answers what changed
    (``field -> (before, after)``); nothing changed writes nothing. Audited as
    ``session.update`` (``session.reschedule`` when moved) with before and after."""
    check_actor(actor)
    unknown = set(changes) - set(SESSION_FIELDS)
    if unknown:
        raise ValueError(f"not a session field: {sorted(unknown)}")
    if session.is_cancelled:
        raise ScheduleError("status", "该课次已取消，不能再修改。")
    course = session.course
    values = {name: getattr(session, name) for name in SESSION_FIELDS}
    values.update(changes)
    cleaned, check = check_session(course, values, session=session)
    changed = {name: (getattr(session, name), cleaned[name]) for name in SESSION_FIELDS
               if getattr(session, name) != cleaned[name]}
    if not changed:
        return {}
    moved = "starts_at" in changed or "ends_at" in changed
    errors: dict[str, str] = {}
    if moved:
        try:
            reason = check_reason(reason, "reason", "调课原因")
        except ScheduleError as error:
            errors.update(error.errors)
        if check.window is not None:
            errors["starts_at"] = check.window.message
    if errors:
        raise ScheduleError(errors=errors)
    clashes = check.clashes if changed.keys() & {"starts_at", "ends_at", "instructor_id", "venue_id"} else []
    override = enforce(clashes, override_reason)
    before = snapshot(session)
    for name, (_, after) in changed.items():
        setattr(session, name, after)
    if override:
        session.clash_override = override
    touch(session)
    db.session.flush()
    detail: dict = {"course_id": course.id, "fields": sorted(changed), "before": before,
                    "after": snapshot(session)}
    if moved:
        detail["reason"] = reason
    if override:
        detail.update(override_reason=override, clashes=[c.message for c in clashes])
    record("session.reschedule" if moved else "session.update", target_type="session",
           target_id=session.id, detail=detail, actor_id=actor_id(actor))
    return changed


def cancel_session(session: TrainingSession, *, reason: str | None, actor: Actor | None) -> None:
    """Cancel one session for ``reason`` (required). It stays on the timetable as cancelled,
    with its attendance; audited as ``session.cancel``."""
    check_actor(actor)
    reason = check_reason(reason, "reason", "取消原因")
    if session.is_cancelled:
        raise ScheduleError("status", "该课次已取消，无需重复取消。")
    before = snapshot(session)
    mark_cancelled(session, reason)
    db.session.flush()
    record("session.cancel", target_type="session", target_id=session.id,
           detail={"course_id": session.course_id, "reason": reason, "before": before,
                   "after": snapshot(session)}, actor_id=actor_id(actor))


def mark_cancelled(session: TrainingSession, reason: str) -> None:
    """Set a session cancelled for ``reason`` (the caller checks, flushes and audits)."""
    session.status = SessionStatus.CANCELLED
    session.cancelled_at = utcnow()
    session.cancel_reason = reason
    touch(session)


def session_records(session_ids: Sequence[int]) -> dict[int, list[str]]:
    """What higher features keep about each session (attendance, leave requests), as
    Chinese phrases (``3 条考勤记录``), asked through :data:`session_figures`."""
    found: dict[int, list[str]] = {}
    for figure in collect(session_figures, session_ids):
        for session_id in session_ids:
            if figure.of(session_id):
                found.setdefault(session_id, []).append(f"{figure.of(session_id)} {figure.unit}{figure.label}")
    return found


def delete_session(session: TrainingSession, *, actor: Actor | None) -> None:
    """Delete a session scheduled by mistake: only one that has not started and that has
    no attendance (nor anything else a higher feature keeps about it); otherwise cancel it.
    Audited as ``session.delete`` with the values it had."""
    check_actor(actor)
    records = session_records([session.id]).get(session.id)
    if records:
        raise ScheduleError("session_id", f"该课次已有{'、'.join(records)}，不能删除；"
                                          "如不再上课，请取消该课次（记录会保留）。")
    if session.starts_at <= utcnow():
        raise ScheduleError("session_id", "该课次已开始或已结束，不能删除；如未上课，请取消该课次。")
    before = snapshot(session)
    session_id, course_id, series_id = session.id, session.course_id, session.series_id
    db.session.delete(session)
    db.session.flush()
    record("session.delete", target_type="session", target_id=session_id,
           detail={"course_id": course_id, "series_id": series_id, "before": before},
           actor_id=actor_id(actor))
