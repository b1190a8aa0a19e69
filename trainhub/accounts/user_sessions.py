"""Server-side sign-in sessions: a browser stays signed in while its :class:`UserSession`
row exists.

The session cookie and the remember-me cookie carry the row's random id (Flask-Login's
``get_id``); the database keeps only its SHA-256. Signing out deletes the row, so that
a copied session cookie and the remember-me cookie stop working at the same moment. A
password change raises the user's ``session_version`` and deletes the user's rows, so it
ends every session; disabling an account ends them too.

Reading a session touches ``last_seen_at`` at most once a minute (a busy page must not
turn every request into a write); a session idle for longer than the remember-me
duration ends, and such rows are pruned whenever someone signs in.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload

from trainhub.accounts.models import User, UserSession
from trainhub.db import utcnow
from trainhub.extensions import db

#: Seconds between two updates of a session's ``last_seen_at``.
TOUCH_INTERVAL = 60
#: Longest session id a cookie may carry (ours are 43 characters).
_MAX_ID_LENGTH = 128

#: (marker in the User-Agent header, what the summary says), first match wins.
_BROWSERS = (("MicroMessenger", "微信"), ("Edg/", "Edge"), ("Firefox/", "Firefox"),
             ("Chrome/", "Chrome"), ("Safari/", "Safari"))
_SYSTEMS = (("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"),
            ("Windows", "Windows"), ("Mac OS X", "macOS"), ("Linux", "Linux"))


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def idle_limit() -> timedelta:
    """How long a session may go unused: the remember-me cookie's duration."""
    duration = current_app.config["REMEMBER_COOKIE_DURATION"]
    return duration if isinstance(duration, timedelta) else timedelta(seconds=int(duration))


def summarise_user_agent(header: str | None) -> str | None:
    """A short description of the browser, e.g. ``"微信 · Android"``; never the whole header."""
    header = (header or "").strip()
    if not header:
        return None
    browser = next((label for marker, label in _BROWSERS if marker in header), None)
    system = next((label for marker, label in _SYSTEMS if marker in header), None)
    parts = [part for part in (browser, system) if part]
    return " · ".join(parts) if parts else header.split(" ", 1)[0][:40]


def start_session(user: User, *, user_agent: str | None = None) -> str:
    """A new session for ``user``, who has just proved who they are; returns its id (for
    the cookies only) and sets it on ``user`` so that Flask-Login's ``get_id`` finds it."""
    now = utcnow()
    db.session.execute(
        sa.delete(UserSession).where(UserSession.last_seen_at <= now - idle_limit())
        .execution_options(synchronize_session=False)
    )
    session_id = secrets.token_urlsafe(32)
    db.session.add(UserSession(
        user=user, id_hash=_hash(session_id), session_version=user.session_version,
        created_at=now, last_seen_at=now, user_agent=summarise_user_agent(user_agent),
    ))
    db.session.flush()
    user.session_id = session_id
    return session_id


def user_of_session(session_id: str) -> User | None:
    """The user signed in through ``session_id``, or None when the session has ended (signed
    out, password changed since, account disabled, idle too long) or never existed."""
    if not isinstance(session_id, str) or not 0 < len(session_id) <= _MAX_ID_LENGTH:
        return None
    row = db.session.scalar(
        sa.select(UserSession).options(joinedload(UserSession.user))
        .where(UserSession.id_hash == _hash(session_id))
    )
    if row is None:
        return None
    user, now = row.user, utcnow()
    if (row.session_version != user.session_version or not user.is_enabled
            or row.last_seen_at <= now - idle_limit()):
        return None
    if (now - row.last_seen_at).total_seconds() >= TOUCH_INTERVAL:
        row.last_seen_at = now  # committed with the request
    user.session_id = session_id
    return user


def end_session(session_id: str | None) -> None:
    """Sign one browser out: its session cookie and remember-me cookie stop working."""
    if session_id:
        db.session.execute(
            sa.delete(UserSession).where(UserSession.id_hash == _hash(session_id))
            .execution_options(synchronize_session=False)
        )


def end_sessions(user: User) -> None:
    """Sign ``user`` out everywhere."""
    db.session.execute(
        sa.delete(UserSession).where(UserSession.user_id == user.id)
        .execution_options(synchronize_session=False)
    )
