"""Writes on series of sessions made from a recurrence rule (重复课次): preview (no
writes), create, change or cancel the series' sessions from a date on. The contracts of
:mod:`trainhub.schedule.operations` hold here too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from trainhub.audit.operations import record, record_many
from trainhub.auth import Actor
from trainhub.courses.models import Course, SessionSeries, SessionStatus, TrainingSession
from trainhub.extensions import db
from trainhub.localtime import local_today, local_zone
from trainhub.schedule.clashes import Clash, Proposal, find_clashes
from trainhub.schedule.details import DETAIL_FIELDS, check_course_open, check_details
from trainhub.schedule.operations import (
    ScheduleError,
    actor_id,
    check_actor,
    check_reason,
    enforce,
    mark_cancelled,
    phase_window,
    snapshot,
    touch,
)
from trainhub.schedule.recurrence import Expansion, Occurrence, Rule, RuleError, SkippedDay, expand
from trainhub.schedule.windows import WindowProblem

#: What :func:`update_series` changes on the series' sessions.
SERIES_FIELDS = ("starts_time", "ends_time", *DETAIL_FIELDS)


@dataclass
class SeriesPreview:
    """What a rule would schedule, before anything is saved: every session, the holidays
    skipped (named), the notes (make-up working days, kept holidays), warnings (holiday
    arrangements not yet published), the dates outside the phase and the clashes."""

    course: Course
    rule: Rule
    expansion: Expansion
    #: The cleaned details every session gets (instructor, venue, meeting …).
    details: dict
    proposals: list[Proposal]
    window: WindowProblem | None
    clashes: list[Clash]

    @property
    def occurrences(self) -> list[Occurrence]:
        return self.expansion.occurrences

    @property
    def skipped(self) -> list[SkippedDay]:
        return self.expansion.skipped

    @property
    def warnings(self) -> list[str]:
        return self.expansion.warnings

    def clashes_at(self, index: int) -> list[Clash]:
        return [clash for clash in self.clashes if clash.index == index]

    def outside(self, index: int) -> bool:
        """Whether the session at ``index`` lies outside the phase."""
        if self.window is None:
            return False
        zone = local_zone()
        proposal = self.proposals[index]
        return bool({proposal.starts_at.astimezone(zone).date(),
                     proposal.ends_at.astimezone(zone).date()} & set(self.window.dates))

    @property
    def can_save(self) -> bool:
        """Whether it may be saved at all (clashes still need an override reason)."""
        return self.window is None


def _details(course: Course, values: Mapping[str, object], errors: dict, *,
             current_venue_id: int | None = None) -> dict:
    return check_details(course, {name: values.get(name) for name in DETAIL_FIELDS}, errors,
                         current_venue_id=current_venue_id)


def preview_series(course: Course, rule: Rule, *, title: str | None = None,
                   venue_id: int | None = None, venue_detail: str | None = None,
                   meeting_url: str | None = None, meeting_number: str | None = None,
                   instructor_id: int | None = None) -> SeriesPreview:
    """Expand ``rule`` for ``course`` and check every session it would make, writing
    nothing. Bad input (the rule, the details) is refused at once (:class:`ScheduleError`,
    every field at fault); the window and clashes are answered, not raised."""
    errors: dict[str, str] = {}
    check_course_open(course, errors)
    details = _details(course, {"title": title, "venue_id": venue_id, "venue_detail": venue_detail,
                                "meeting_url": meeting_url, "meeting_number": meeting_number,
                                "instructor_id": instructor_id}, errors)
    expansion = None
    try:
        expansion = expand(rule)
    except RuleError as error:
        errors.update(error.errors)
    if errors or expansion is None:
        raise ScheduleError(errors=errors)
    zone = local_zone()
    proposals = [Proposal(course_id=course.id, starts_at=o.starts_at(zone), ends_at=o.ends_at(zone),
                          instructor_id=details["instructor_id"], venue_id=details["venue_id"])
                 for o in expansion.occurrences]
    return SeriesPreview(
        course=course, rule=rule, expansion=expansion, details=details, proposals=proposals,
        window=phase_window(course, [(p.starts_at, p.ends_at) for p in proposals]),
        clashes=find_clashes(proposals),
    )


def _window_refusal(preview: SeriesPreview) -> ScheduleError:
    """The window problem under the fields that move the dates: the first date for dates
    before the phase, the end date or the count for dates after it."""
    window, rule = preview.window, preview.rule
    errors = {}
    if any(day < window.starts_on for day in window.dates):
        errors["first_date"] = window.message
    if any(day > window.ends_on for day in window.dates):
        errors["until_date" if rule.until_date is not None else "count"] = window.message
    return ScheduleError(errors=errors)


def create_series(course: Course, rule: Rule, *, title: str | None = None,
                  venue_id: int | None = None, venue_detail: str | None = None,
                  meeting_url: str | None = None, meeting_number: str | None = None,
                  instructor_id: int | None = None, override_reason: str | None = None,
                  actor: Actor | None) -> SessionSeries:
    """Save ``rule`` as a series and its sessions, as :func:`preview_series` showed them.
    Refused when a session would lie outside the phase, or on a clash without
    ``override_reason``. Audited as ``series.create`` (the rule, the sessions, the skipped
    holidays, any override)."""
    check_actor(actor)
    preview = preview_series(course, rule, title=title, venue_id=venue_id, venue_detail=venue_detail,
                             meeting_url=meeting_url, meeting_number=meeting_number,
                             instructor_id=instructor_id)
    if preview.window is not None:
        raise _window_refusal(preview)
    reason = enforce(preview.clashes, override_reason)
    kept = sorted(o.day for o in preview.expansion.kept_holidays)
    series = SessionSeries(
        course_id=course.id, weekdays=rule.weekdays_code, starts_time=rule.starts_time,
        ends_time=rule.ends_time, first_date=rule.first_date, until_date=rule.until_date,
        occurrences=rule.count, skip_holidays=rule.skip_holidays,
        kept_holidays=",".join(day.isoformat() for day in kept) or None,
        created_by_id=actor_id(actor),
    )
    db.session.add(series)
    db.session.flush()
    sessions = [
        TrainingSession(course_id=course.id, series_id=series.id, starts_at=p.starts_at,
                        ends_at=p.ends_at, status=SessionStatus.SCHEDULED, sequence=0,
                        clash_override=reason, **preview.details)
        for p in preview.proposals
    ]
    db.session.add_all(sessions)
    db.session.flush()
    detail = {
        "course_id": course.id, "rule": rule.describe(), "details": preview.details,
        "session_ids": [s.id for s in sessions], "skipped": [str(s) for s in preview.skipped],
        "kept_holidays": [day.isoformat() for day in kept],
    }
    if reason:
        detail.update(override_reason=reason, clashes=[c.message for c in preview.clashes])
    record("series.create", target_type="series", target_id=series.id, detail=detail,
           actor_id=actor_id(actor))
    return series


def _from(from_date: date | None) -> date:
    if from_date is not None and not isinstance(from_date, date):
        raise ScheduleError("from_date", "起始日期应为日期，格式如 2023-03-01。")
    return from_date or local_today()


def series_sessions_from(series: SessionSeries, from_date: date) -> list[TrainingSession]:
    """The series' sessions not cancelled whose local date is ``from_date`` or later."""
    zone = local_zone()
    return [s for s in series.sessions
            if not s.is_cancelled and s.starts_at.astimezone(zone).date() >= from_date]


def _check_time(values: Mapping, name: str, label: str, errors: dict) -> time | None:
    value = values.get(name)
    if value is None:
        return None
    if not isinstance(value, time):
        errors[name] = f"{label}应为时间，格式如 19:00。"
        return None
    return value.replace(second=0, microsecond=0, tzinfo=None)


def update_series(series: SessionSeries, changes: Mapping[str, object], *,
                  from_date: date | None = None, reason: str | None = None,
                  override_reason: str | None = None, actor: Actor | None) -> list[TrainingSession]:
    """Change the series' sessions from ``from_date`` on (local date; default today):
    their local start and end time (the series keeps the new times; a reason is then
    required), title, venue, meeting link and number, instructor — any of
    :data:`SERIES_FIELDS` present in ``changes``. Earlier and cancelled sessions are left
    as they are. Checked like single sessions (window, clashes, all at once in constant
    queries). Answers the sessions changed; each is audited (``session.update`` /
    ``session.reschedule``), and the series too (``series.update``)."""
    check_actor(actor)
    unknown = set(changes) - set(SERIES_FIELDS)
    if unknown:
        raise ValueError(f"not a series field: {sorted(unknown)}")
    first = _from(from_date)
    course = series.course
    errors: dict[str, str] = {}
    starts_time = _check_time(changes, "starts_time", "开始时间", errors) or series.starts_time
    ends_time = _check_time(changes, "ends_time", "结束时间", errors) or series.ends_time
    if "ends_time" not in errors and ends_time <= starts_time:
        errors["ends_time"] = (f"结束时间（{ends_time:%H:%M}）应晚于开始时间（{starts_time:%H:%M}），"
                               "且在同一天内。")
    targets = series_sessions_from(series, first)
    if not targets:
        errors["from_date"] = f"该系列在 {first.isoformat()} 及以后没有可修改的课次。"
    detail_changes = {name: changes[name] for name in DETAIL_FIELDS if name in changes}
    current_venue = targets[0].venue_id if targets else None
    details = _details(course, detail_changes, errors, current_venue_id=current_venue)
    details = {name: details[name] for name in detail_changes}
    retimed = starts_time != series.starts_time or ends_time != series.ends_time
    if retimed:
        try:
            reason = check_reason(reason, "reason", "调课原因")
        except ScheduleError as error:
            errors.update(error.errors)
    if errors:
        raise ScheduleError(errors=errors)

    zone = local_zone()
    planned: list[tuple[TrainingSession, dict]] = []
    for session in targets:
        day = session.starts_at.astimezone(zone).date()
        after = {name: getattr(session, name) for name in ("starts_at", "ends_at", *DETAIL_FIELDS)}
        after.update(details)
        if retimed:
            after["starts_at"] = datetime.combine(day, starts_time, tzinfo=zone).astimezone(UTC)
            after["ends_at"] = datetime.combine(day, ends_time, tzinfo=zone).astimezone(UTC)
        planned.append((session, after))
    if retimed:
        window = phase_window(course, [(a["starts_at"], a["ends_at"]) for _, a in planned])
        if window is not None:
            raise ScheduleError("starts_time", window.message)
    clashes: list[Clash] = []
    if retimed or {"instructor_id", "venue_id"} & detail_changes.keys():
        clashes = find_clashes([
            Proposal(course_id=course.id, starts_at=a["starts_at"], ends_at=a["ends_at"],
                     instructor_id=a["instructor_id"], venue_id=a["venue_id"], session_id=s.id)
            for s, a in planned
        ])
    override = enforce(clashes, override_reason)

    changed_sessions, entries = [], []
    for session, after in planned:
        fields = sorted(name for name, value in after.items() if getattr(session, name) != value)
        if not fields:
            continue
        before = snapshot(session)
        for name in fields:
            setattr(session, name, after[name])
        if override:
            session.clash_override = override
        touch(session)
        changed_sessions.append(session)
        moved = "starts_at" in fields or "ends_at" in fields
        entry = {"course_id": course.id, "series_id": series.id, "fields": fields, "before": before}
        if moved:
            entry["reason"] = reason
        entries.append(("session.reschedule" if moved else "session.update", session, entry))
    if retimed:
        series.starts_time, series.ends_time = starts_time, ends_time
    db.session.flush()
    for action in ("session.update", "session.reschedule"):
        targets_of = [("session", s.id, {**e, "after": snapshot(s)}) for a, s, e in entries if a == action]
        if targets_of:
            record_many(action, targets_of, actor_id=actor_id(actor))
    detail = {"course_id": course.id, "from_date": first.isoformat(),
              "changes": {**details, **({"starts_time": f"{starts_time:%H:%M}",
                                         "ends_time": f"{ends_time:%H:%M}"} if retimed else {})},
              "session_ids": [s.id for s in changed_sessions]}
    if retimed:
        detail["reason"] = reason
    if override:
        detail.update(override_reason=override, clashes=[c.message for c in clashes])
    record("series.update", target_type="series", target_id=series.id, detail=detail,
           actor_id=actor_id(actor))
    return changed_sessions


def cancel_series(series: SessionSeries, *, from_date: date | None = None, reason: str | None,
                  actor: Actor | None) -> list[TrainingSession]:
    """Cancel the series' sessions from ``from_date`` on (local date; default today) for
    ``reason`` (required). They stay visible as cancelled, with their attendance. Each is
    audited (``session.cancel``), and the series (``series.cancel``)."""
    check_actor(actor)
    errors: dict[str, str] = {}
    try:
        reason = check_reason(reason, "reason", "取消原因")
    except ScheduleError as error:
        errors.update(error.errors)
    first = None
    try:
        first = _from(from_date)
    except ScheduleError as error:
        errors.update(error.errors)
    targets = series_sessions_from(series, first) if first is not None else []
    if first is not None and not targets:
        errors["from_date"] = f"该系列在 {first.isoformat()} 及以后没有未取消的课次。"
    if errors:
        raise ScheduleError(errors=errors)
    befores = {s.id: snapshot(s) for s in targets}
    for session in targets:
        mark_cancelled(session, reason)
    db.session.flush()
    record_many("session.cancel", [
        ("session", s.id, {"course_id": s.course_id, "series_id": series.id, "reason": reason,
                           "before": befores[s.id], "after": snapshot(s)})
        for s in targets
    ], actor_id=actor_id(actor))
    record("series.cancel", target_type="series", target_id=series.id,
           detail={"course_id": series.course_id, "from_date": first.isoformat(), "reason": reason,
                   "session_ids": [s.id for s in targets]}, actor_id=actor_id(actor))
    return targets
