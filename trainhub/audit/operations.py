"""Writing the audit log. Callers flush; the request or command commits."""

from __future__ import annotations

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
