"""Writing the audit log. Entries are flushed with the caller's unit of work, which commits;
an entry that must survive a refused request is written through
:func:`trainhub.transaction.durable` (pass its ``session``)."""

from __future__ import annotations

from collections.abc import Iterable

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy.orm import Session

from trainhub.audit.models import AuditEntry
from trainhub.extensions import db


def _actor_and_address(actor_id: int | None) -> tuple[int | None, str | None]:
    """The actor (the signed-in user unless given) and the client's address."""
    if not has_request_context():
        return actor_id, None
    if actor_id is None and current_user and current_user.is_authenticated:
        actor_id = current_user.id
    return actor_id, request.remote_addr


def record(
    action: str,
    *,
    target_type: str | None = None,
    target_id: object = None,
    detail: dict | None = None,
    actor_id: int | None = None,
    session: Session | None = None,
) -> AuditEntry:
    """Add an audit entry for ``action``; the actor is the signed-in user unless given.

    ``detail`` must never carry personal data in clear (ID or phone numbers).
    """
    return record_many(action, [(target_type, target_id, detail)], actor_id=actor_id,
                       session=session)[0]


def record_many(
    action: str,
    targets: Iterable[tuple[str | None, object, dict | None]],
    *,
    actor_id: int | None = None,
    session: Session | None = None,
) -> list[AuditEntry]:
    """:func:`record` for many targets of one bulk operation (an import): one flush for all.

    ``targets`` holds ``(target_type, target_id, detail)`` triples; the same rules apply
    (the signed-in user is the actor unless given; no personal data in ``detail``).
    """
    actor_id, ip = _actor_and_address(actor_id)
    entries = [
        AuditEntry(
            action=action,
            target_type=target_type,
            target_id=None if target_id is None else str(target_id),
            detail=detail or {},
            actor_id=actor_id,
            ip=ip,
        )
        for target_type, target_id, detail in targets
    ]
    session = session or db.session
    session.add_all(entries)
    session.flush()
    return entries


def record_export(action: str, filters: dict, rows: int) -> AuditEntry:
    """Record an export of a register (who took which rows out): the filters that were set
    and the number of rows. ``filters`` must hold no personal number (no search text)."""
    detail = {key: value for key, value in filters.items() if value not in (None, False, "")}
    return record(action, detail={"filters": detail, "rows": rows})
