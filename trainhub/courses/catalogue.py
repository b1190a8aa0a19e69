"""The catalogue the programme office keeps — the programme, its phases and tracks
(:mod:`trainhub.courses.phases`), courses (:mod:`trainhub.courses.course_edits`) and venues
(:mod:`trainhub.courses.venues`) — and what their writes share. Each write validates,
flushes and audits; the unit of work commits.

Rules:

- only the office writes (``actor``: the acting user; None is the system — ``trainhub init``,
  the demo);
- a refusal (:class:`CatalogueError`, HTTP 422; :class:`CatalogueConflict`, 409, for a
  number, name or code already taken, or an archive or restore the state forbids) names
  every field at fault at once, in Chinese, and writes nothing;
- a phase lies inside its programme's window; every session of a phase lies inside the
  phase's window, compared in the configured zone (Asia/Shanghai): a phase's ``ends_on`` is
  an inclusive local date. Phases of one programme may overlap (a phase can open while the
  last courses of the one before still run); their numbers are unique;
- archiving takes an item out of lists, choices and pickers — and with it everything under
  it: a phase's tracks and courses, a track's courses — while its page, its history and the
  reports keep it. Nothing is deleted. An item whose sessions have not all ended (scheduled,
  not cancelled) cannot be archived: cancel them first. Archiving an archived item, or
  restoring one in use, changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa

from trainhub.audit.operations import record
from trainhub.auth import Actor, Role
from trainhub.courses.models import (
    Course,
    SessionStatus,
    Track,
    TrainingSession,
)
from trainhub.db import LabelledEnum, utcnow
from trainhub.extensions import db
from trainhub.localtime import local_zone, to_local
from trainhub.refusals import Refusal
from trainhub.text import clean_line, clean_text

NOT_OFFICE = "只有项目办可以维护项目、阶段、课程模块、课程和场地。"
#: Longest names the database keeps (``programme.name``, ``phase.name``, ``track.name``).
NAME_MAX = 100
#: Highest phase number and track position accepted.
NUMBER_MAX = 999
#: Dates named in a refusal before "等 N 个课次".
DATES_SHOWN = 5


class CatalogueError(Refusal):
    """A refused change of the programme, a phase, a track, a course or a venue."""


class CatalogueConflict(CatalogueError):
    """The change clashes with registered data (a number, name or code taken; sessions still
    to come; an archived parent): 409."""

    status = 409


def check_office(actor: Actor | None) -> None:
    """Only the office (or the system, ``actor=None``) writes the catalogue."""
    if actor is not None and actor.role != Role.OFFICE:
        raise CatalogueError("actor", NOT_OFFICE)


# values --------------------------------------------------------------------------------------


def optional_text(value, field: str, label: str, limit: int, *, multiline: bool = False) -> str | None:
    """Text cleaned by the one text rule (one line, or several with ``multiline``), at most
    ``limit`` characters; None when empty."""
    if value is not None and not isinstance(value, str):
        raise CatalogueError(field, f"{label}应为文本。")
    text = (clean_text if multiline else clean_line)(value)
    if len(text) > limit:
        raise CatalogueError(field, f"{label}最多 {limit} 个字（当前 {len(text)} 个）。")
    return text or None


def name_value(value, field: str, label: str, limit: int = NAME_MAX) -> str:
    """A required one-line name, at most ``limit`` characters."""
    name = optional_text(value, field, label, limit)
    if name is None:
        raise CatalogueError(field, f"请填写{label}。")
    return name


def whole_number(value, field: str, label: str, low: int, high: int) -> int:
    """A whole number between ``low`` and ``high`` (text of digits is accepted)."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise CatalogueError(field, f"{label}应为整数。")
    if not low <= value <= high:
        raise CatalogueError(field, f"{label}应在 {low}–{high} 之间。")
    return value


def optional_count(value, field: str, label: str, high: int) -> int | None:
    """A count from 1 to ``high``, or None when left empty (unlimited, unknown)."""
    if value in (None, ""):
        return None
    return whole_number(value, field, label, 1, high)


def date_value(value, field: str, label: str) -> date:
    if value is None or value == "":
        raise CatalogueError(field, f"请填写{label}。")
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            raise CatalogueError(field, f"{label}无效，请按 2023-03-01 的格式填写。") from None
    if isinstance(value, datetime) or not isinstance(value, date):
        raise CatalogueError(field, f"{label}应为日期，格式如 2023-03-01。")
    return value


def audit_value(value):
    """A value as an audit entry's JSON keeps it."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, LabelledEnum):
        return value.value
    return value


class Problems(dict):
    """Refusals gathered field by field, so that every mistake is reported at once."""

    def check(self, field: str, func, *args):
        """``func(*args)``, or None with its refusal noted (under its own fields)."""
        try:
            return func(*args)
        except CatalogueError as error:
            for key, message in error.errors.items():
                self.setdefault(key or field, message)
            return None

    def raise_if_any(self, kind: type[CatalogueError] = CatalogueError) -> None:
        if self:
            raise kind(errors=self)


def refuse_unknown(changes: dict, editable: Iterable[str]) -> None:
    unknown = sorted(set(changes) - set(editable))
    if unknown:
        raise CatalogueError(errors={field: f"未知字段：{'、'.join(unknown)}。" for field in unknown})


def apply_changes(item, values: dict, action: str, target_type: str, *,
                  extra: dict | None = None) -> dict:
    """Set the values that differ, flush and audit ``{field: [old, new]}``; returns
    ``{field: (old, new)}`` (empty when nothing changed: nothing audited). ``extra``: changes
    the caller has made itself (``{field: (old, new)}``), audited in the same entry."""
    changed = {field: (getattr(item, field), value) for field, value in values.items()
               if getattr(item, field) != value}
    changed.update(extra or {})
    if not changed:
        return {}
    for field, (_, value) in changed.items():
        if field not in (extra or {}):
            setattr(item, field, value)
    db.session.flush()
    record(action, target_type=target_type, target_id=item.id, detail={"changes": {
        field: [audit_value(old), audit_value(new)] for field, (old, new) in changed.items()
    }})
    return changed


# windows and sessions ------------------------------------------------------------------------


def window_instants(starts_on: date, ends_on: date) -> tuple[datetime, datetime]:
    """The UTC instants a window of local dates covers: from the first day's local midnight
    to the local midnight after its last (inclusive) day."""
    zone = local_zone()
    start = datetime.combine(starts_on, time(0), tzinfo=zone)
    end = datetime.combine(ends_on + timedelta(days=1), time(0), tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def check_window(starts_on, ends_on, what: str) -> tuple[date, date]:
    """Both dates given and readable, the last after the first (``what``: 阶段, 项目)."""
    problems = Problems()
    start = problems.check("starts_on", date_value, starts_on, "starts_on", f"{what}开始日期")
    end = problems.check("ends_on", date_value, ends_on, "ends_on", f"{what}结束日期")
    if start is not None and end is not None and end <= start:
        problems["ends_on"] = f"{what}结束日期应晚于开始日期（{start:%Y-%m-%d}）。"
    problems.raise_if_any()
    return start, end


def _scheduled_of(course_ids: sa.Select) -> sa.Select:
    return sa.select(TrainingSession).where(
        TrainingSession.course_id.in_(course_ids), TrainingSession.status == SessionStatus.SCHEDULED
    )


def _dates_text(starts: list[datetime], total: int) -> str:
    days = sorted({to_local(value).date() for value in starts})
    text = "、".join(f"{day:%Y-%m-%d}" for day in days[:DATES_SHOWN])
    return text + ("等" if total > len(starts) or len(days) > DATES_SHOWN else "")


def sessions_outside(course_ids: sa.Select, starts_on: date, ends_on: date, what: str) -> dict:
    """Refusals (``starts_on`` / ``ends_on``) for scheduled sessions of ``course_ids`` that a
    window ``starts_on``..``ends_on`` (local dates, the last inclusive) would leave outside,
    each naming how many and their first local dates; empty when every one fits."""
    lower, upper = window_instants(starts_on, ends_on)
    errors = {}
    sides = (
        ("starts_on", TrainingSession.starts_at < lower, f"早于开始日期 {starts_on:%Y-%m-%d}"),
        ("ends_on", TrainingSession.ends_at > upper, f"晚于结束日期 {ends_on:%Y-%m-%d}"),
    )
    for field, outside, where in sides:
        stmt = _scheduled_of(course_ids).where(outside)
        total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))
        if total:
            starts = list(db.session.scalars(
                stmt.with_only_columns(TrainingSession.starts_at)
                .order_by(TrainingSession.starts_at).limit(DATES_SHOWN)
            ))
            errors[field] = (f"{what}有 {total} 个已排期的课次{where}（{_dates_text(starts, total)}），"
                             "请先调整或取消这些课次。")
    return errors


def sessions_not_ended(course_ids: sa.Select) -> int:
    """Scheduled sessions of ``course_ids`` that have not ended yet."""
    stmt = _scheduled_of(course_ids).where(TrainingSession.ends_at > utcnow())
    return db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0


def refuse_sessions_to_come(course_ids: sa.Select, what: str) -> None:
    count = sessions_not_ended(course_ids)
    if count:
        raise CatalogueConflict("sessions", f"{what}还有 {count} 个尚未结束的已排期课次，不能归档。"
                                         "请先取消这些课次（或等它们结束）。")


def courses_of_phase(phase_id: int) -> sa.Select:
    return sa.select(Course.id).join(Track, Track.id == Course.track_id).where(Track.phase_id == phase_id)


def courses_of_track(track_id: int) -> sa.Select:
    return sa.select(Course.id).where(Course.track_id == track_id)


def set_archived(item, archived: bool, action: str, target_type: str, detail: dict) -> bool:
    """Archive (or restore) ``item``; False when it already was (nothing audited)."""
    if bool(item.archived_at) == archived:
        return False
    item.archived_at = utcnow() if archived else None
    db.session.flush()
    record(action, target_type=target_type, target_id=item.id, detail=detail)
    return True
