"""Writing the audit log. Callers flush; the request or command commits."""

from __future__ import annotations

from collections.abc import Iterable

from flask import has_request_context, request
from flask_login import current_user

from trainhub.audit.models import AuditEntry
from trainhub.extensions import db


def record(
    action: str,
    *,
    target_type: str | None = None,
    target_id: object = None,
    detail: dict | None = None,
    actor_id: int | None = None,
) -> AuditEntry:
    """Add an audit entry for ``action``; the actor is the signed-in user unless given.

    ``detail`` must never carry personal data in clear (ID or phone numbers).
    """
    ip = None
    if has_request_context():
        ip = request.remote_addr
        if actor_id is None and current_user and current_user.is_authenticated:
            actor_id = current_user.id
    entry = AuditEntry(
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        detail=detail or {},
        actor_id=actor_id,
        ip=ip,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def record_many(
    action: str,
    targets: Iterable[tuple[str | None, object, dict | None]],
    *,
    actor_id: int | None = None,
) -> list[AuditEntry]:
    """:func:`record` for many targets of one bulk operation (an import): one flush for all.

    ``targets`` holds ``(target_type, target_id, detail)`` triples; the same rules apply
    (the signed-in user is the actor unless given; no personal data in ``detail``).
    """
    ip = None
    if has_request_context():
        ip = request.remote_addr
        if actor_id is None and current_user and current_user.is_authenticated:
            actor_id = current_user.id
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
    db.session.add_all(entries)
    db.session.flush()
    return entries
