"""Helpers of the catalogue tests: sessions at local (Beijing) times, audit entries, rows."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from trainhub.audit.models import AuditEntry
from trainhub.courses.models import SessionStatus, TrainingSession
from trainhub.db import utcnow
from trainhub.extensions import db

BEIJING = ZoneInfo("Asia/Shanghai")


def add_session(app, course_id: int, local_start: datetime, *, hours: int = 2,
                cancelled: bool = False, instructor_id: int | None = None,
                venue_id: int | None = None) -> int:
    """A session of the course starting at ``local_start`` (a naive Beijing wall-clock time)."""
    starts = local_start.replace(tzinfo=BEIJING)
    with app.app_context():
        session = TrainingSession(
            course_id=course_id, starts_at=starts, ends_at=starts + timedelta(hours=hours),
            instructor_id=instructor_id, venue_id=venue_id,
            status=SessionStatus.CANCELLED if cancelled else SessionStatus.SCHEDULED,
            cancelled_at=utcnow() if cancelled else None,
        )
        db.session.add(session)
        db.session.commit()
        return session.id


def upcoming(days: int = 7) -> datetime:
    """A naive Beijing time ``days`` from now, at 19:00."""
    local = (utcnow() + timedelta(days=days)).astimezone(BEIJING)
    return local.replace(hour=19, minute=0, second=0, microsecond=0, tzinfo=None)


def audit_actions(app, prefix: str) -> list[tuple[str, str | None, dict]]:
    """``(action, target_id, detail)`` of every audit entry whose action starts with ``prefix``."""
    with app.app_context():
        return [(e.action, e.target_id, e.detail) for e in db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action.startswith(prefix)).order_by(AuditEntry.id))]


def row(app, model, item_id: int):
    """``model`` row ``item_id``, detached with its columns loaded."""
    with app.app_context():
        item = db.session.get(model, item_id)
        if item is not None:
            db.session.expunge(item)
        return item
