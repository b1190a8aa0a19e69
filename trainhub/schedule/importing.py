"""The schedule import (课次导入): a sheet of sessions, one a row, checked and saved all or
nothing — the one pipeline behind ``trainhub schedule import`` and the office's import page.

1. :func:`read_schedule` reads the file (``.xlsx``, or ``.csv`` in UTF-8 or GBK) within
   the size and row limits (:mod:`trainhub.uploads`), the header found below any title rows;
2. :func:`~trainhub.schedule.import_planner.plan_schedule` checks every row and writes nothing
   (the dry run);
3. :func:`import_schedule` (here) saves the plan through
   :func:`~trainhub.schedule.operations.create_sessions`, which checks the sessions once
   more against the timetable as it is then (one clash check for all of them), inside one
   SAVEPOINT, with one audit entry for the import.

Holidays are refused unless allowed; clashes are refused unless an override reason is given,
which each clashing session keeps (``clash_override``) and the audit log records, as when a
single session is scheduled.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from trainhub.audit.operations import record
from trainhub.auth import Actor
from trainhub.courses.models import TrainingSession
from trainhub.schedule.import_columns import COLUMNS
from trainhub.schedule.import_plan import ScheduleImportRefused, SchedulePlan
from trainhub.schedule.operations import ScheduleError, actor_id, check_actor, create_sessions
from trainhub.spreadsheets import SpreadsheetError, Table
from trainhub.transaction import savepoint
from trainhub.uploads import read_upload

#: Audit action of a committed import.
AUDIT_ACTION = "schedule.import"


class ScheduleImportConflict(ScheduleImportRefused):
    """The timetable changed between the check and the write (someone scheduled a session
    that now clashes): nothing was written; the file may be checked and confirmed again."""

    status = 409

    def __init__(self, message: str):
        super().__init__(f"保存时发现课表已有变化：{message} 未保存任何课次，请重新检查后再确认导入。")


def read_schedule(filename: str, data: bytes) -> Table:
    """Read an uploaded schedule into text cells (see :func:`trainhub.uploads.read_upload`)."""
    try:
        return read_upload(filename, data, COLUMNS.looks_like_header)
    except SpreadsheetError as exc:
        raise ScheduleImportRefused(exc.message) from None


@dataclass
class ImportedSchedule:
    plan: SchedulePlan
    sessions: list[TrainingSession] = field(default_factory=list)

    @property
    def per_course(self) -> list[dict]:
        """``{"id", "code", "title", "sessions"}`` for each course, in the file's order."""
        return [{"id": course.id, "code": course.code, "title": course.title, "sessions": count}
                for course, count in self.plan.per_course]

    @property
    def overridden(self) -> int:
        return sum(1 for session in self.sessions if session.clash_override)


def import_schedule(plan: SchedulePlan, *, actor: Actor | None, via: str) -> ImportedSchedule:
    """Save ``plan`` (a dry run made in this unit of work): every session, or none.

    Only the office (or the operator, ``actor=None``) imports. A plan with any problem is
    refused (:class:`ScheduleImportRefused`). The sessions are created by
    :func:`~trainhub.schedule.operations.create_sessions`, checked once more together (one
    clash check for all) and audited one by one as ``session.create``, with the override
    reason on the sessions that clash; should the timetable have changed
    since the dry run so that one is now refused, nothing is written
    (:class:`ScheduleImportConflict`, 409) and the session is as before the call. One audit
    entry ``schedule.import`` names the file, the sessions per course, whether holidays were
    allowed and the override reason. Writes are flushed; the caller's unit of work commits.
    """
    check_actor(actor)
    if plan.has_problems:
        raise ScheduleImportRefused(plan.refusal())
    result = ImportedSchedule(plan=plan)
    try:
        with savepoint(TrainingSession.__table__):
            result.sessions.extend(create_sessions(
                [(row.course, {"starts_at": row.starts_at, "ends_at": row.ends_at, **row.details})
                 for row in plan.rows],
                override_reason=plan.override_reason, actor=actor))
            record(AUDIT_ACTION, target_type="import", detail={
                "file": plan.filename[:200], "via": via, "courses": result.per_course,
                "sessions": len(result.sessions), "session_ids": [s.id for s in result.sessions],
                "allow_holidays": plan.allow_holidays, "override_reason": plan.override_reason,
                "overridden": result.overridden,
            }, actor_id=actor_id(actor))
    except ScheduleError as exc:
        raise ScheduleImportConflict(exc.message) from exc
    return result
