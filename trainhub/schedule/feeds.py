"""Calendar feeds (日历订阅): secret addresses at which a phone or desktop calendar
subscribes to a timetable — a user's own sessions (:func:`trainhub.schedule.scope.own_sessions`),
or one course's sessions, shared by the office.

**The secret.** A feed's address is ``/calendar/<secret>.ics``. The secret is not random
but derived: an HMAC-SHA256, keyed by the application's ``SECRET_KEY``, of the feed's owner
and its creation instant (to the microsecond), in url-safe base64 (43 characters, 256
bits). Only its SHA-256 is stored (``CalendarFeed.token_hash``), so a copy of the database
alone gives nobody a working address, as with API tokens — but, unlike an API token,
the address can be shown again whenever its owner opens the "日历订阅" page or asks
``GET /api/v1/me/calendar``: it is derived again from the row and the key, and checked
against the stored hash. A feed is never shown "once only", because a subscription is
typed into several devices over weeks, and the API must answer the caller's address.

Should the key change (``SECRET_KEY`` lost or replaced), existing subscriptions keep
working (the stored hash still matches what the calendars send), but their addresses can
no longer be derived: the page says so and offers a new address, and the API issues one.

**Renewing and revoking.** A user has at most one active feed, a course too (partial
unique indexes). Issuing a new one revokes the old one in the same unit of work: the old
address then answers 404, exactly as an unknown one does. Every issue and revocation is
in the audit log (without the secret, which never reaches a log, an audit entry or a
job parameter).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload

from trainhub.accounts.models import User
from trainhub.audit.operations import record
from trainhub.auth import Account, Actor, Role
from trainhub.courses.models import CalendarFeed, Course
from trainhub.db import utcnow
from trainhub.extensions import db
from trainhub.links import external_url
from trainhub.refusals import Refusal

#: The shape of a secret in a feed address (43 url-safe base64 characters: 256 bits).
SECRET_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")
#: ``last_fetched_at`` is written at most this often per feed: a calendar polling every
#: minute must not turn reads into writes.
FETCH_RECORD_INTERVAL = timedelta(minutes=5)
#: Endpoint of the feed itself (``/calendar/<token>.ics``).
FEED_ENDPOINT = "feeds.ics"

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_KEY_PURPOSE = b"trainhub calendar feed addresses"


class FeedError(Refusal):
    """A refused change of a calendar feed."""


# secrets ----------------------------------------------------------------------------------------


def _feed_key() -> bytes:
    """The key of feed secrets: derived from ``SECRET_KEY`` for this purpose alone."""
    secret_key = current_app.config["SECRET_KEY"]
    if isinstance(secret_key, str):
        secret_key = secret_key.encode()
    return hmac.new(secret_key, _KEY_PURPOSE, hashlib.sha256).digest()


def _owner(feed: CalendarFeed) -> str:
    return f"user:{feed.user_id}" if feed.user_id is not None else f"course:{feed.course_id}"


def _derive_secret(feed: CalendarFeed) -> str:
    microseconds = (feed.created_at - _EPOCH) // timedelta(microseconds=1)
    message = f"calendar-feed|{_owner(feed)}|{microseconds}".encode()
    digest = hmac.new(_feed_key(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def feed_secret(feed: CalendarFeed) -> str | None:
    """The secret of ``feed``'s address, derived again; None when it cannot be (the key has
    changed since the feed was issued: the address still works but cannot be shown)."""
    secret = _derive_secret(feed)
    if not hmac.compare_digest(secret_hash(secret), feed.token_hash):
        return None
    return secret


def feed_url(secret: str) -> str:
    """The absolute ``https://`` (or ``http://``) address of a feed, on ``PUBLIC_URL``
    (:func:`trainhub.links.external_url`; raises ``LinksUnavailable`` without one in
    production)."""
    return external_url(FEED_ENDPOINT, token=secret)


def webcal_url(url: str) -> str:
    """The same address with the ``webcal://`` scheme, which phones open as a subscription."""
    return "webcal://" + url.split("://", 1)[1]


# reading ----------------------------------------------------------------------------------------


def active_user_feed(user_id: int) -> CalendarFeed | None:
    return db.session.scalar(
        sa.select(CalendarFeed).where(CalendarFeed.user_id == user_id, CalendarFeed.revoked_at.is_(None))
    )


def active_course_feed(course_id: int) -> CalendarFeed | None:
    return db.session.scalar(
        sa.select(CalendarFeed).where(CalendarFeed.course_id == course_id,
                                      CalendarFeed.revoked_at.is_(None))
    )


def feed_for_secret(secret: str) -> CalendarFeed | None:
    """The active feed whose address holds ``secret``, with its owner loaded; None for a
    malformed, unknown or revoked secret, and for the feed of a disabled account — all
    alike, so that an answer reveals nothing about why."""
    if not SECRET_SHAPE.fullmatch(secret or ""):
        return None
    feed = db.session.scalar(
        sa.select(CalendarFeed)
        .where(CalendarFeed.token_hash == secret_hash(secret), CalendarFeed.revoked_at.is_(None))
        .options(joinedload(CalendarFeed.user), joinedload(CalendarFeed.course))
    )
    if feed is None or (feed.user is not None and not feed.user.is_enabled):
        return None
    return feed


def record_fetch(feed: CalendarFeed) -> None:
    """Note that a calendar fetched ``feed``: at most once per :data:`FETCH_RECORD_INTERVAL`
    (one conditional update, so that processes polled at once write it once), in the
    request's own unit of work (a fetch answers 200 or 304, which commits)."""
    now = utcnow()
    if feed.last_fetched_at is not None and now - feed.last_fetched_at < FETCH_RECORD_INTERVAL:
        return
    due = sa.or_(CalendarFeed.last_fetched_at.is_(None),
                 CalendarFeed.last_fetched_at < now - FETCH_RECORD_INTERVAL)
    db.session.execute(
        sa.update(CalendarFeed).where(CalendarFeed.id == feed.id, due)
        .values(last_fetched_at=now).execution_options(synchronize_session=False)
    )


# writing ----------------------------------------------------------------------------------------


def _check_own(user: Account, actor: Account | None) -> None:
    if actor is not None and actor.id != user.id:
        raise FeedError("_form", "只能管理自己的日历订阅。")


def _check_office(actor: Actor | None) -> None:
    if actor is not None and actor.role != Role.OFFICE:
        raise FeedError("_form", "只有项目办可以共享或撤销课程日历。")


def _revoke(feed: CalendarFeed, *, reason: str) -> None:
    feed.revoked_at = utcnow()
    db.session.flush()
    record("calendar_feed.revoke", target_type="calendar_feed", target_id=feed.id,
           detail={**_audit_owner(feed), "reason": reason})


def _audit_owner(feed: CalendarFeed) -> dict:
    if feed.user_id is not None:
        return {"user_id": feed.user_id}
    return {"course_id": feed.course_id}


def _issue(*, user_id: int | None = None, course_id: int | None = None, actor: Account | None,
           reason: str) -> CalendarFeed:
    """A new feed for a user or a course; the active one it replaces is revoked first."""
    current = active_user_feed(user_id) if user_id is not None else active_course_feed(course_id)
    if current is not None:
        _revoke(current, reason="renewed")
    feed = CalendarFeed(user_id=user_id, course_id=course_id, created_at=utcnow(),
                        created_by_id=actor.id if actor is not None else None)
    feed.token_hash = secret_hash(_derive_secret(feed))
    db.session.add(feed)
    db.session.flush()
    record("calendar_feed.issue", target_type="calendar_feed", target_id=feed.id,
           detail={**_audit_owner(feed), "reason": reason,
                   "replaces": current.id if current is not None else None})
    return feed


def issue_user_feed(*, user: User, actor: Account | None, reason: str = "requested") -> CalendarFeed:
    """Give ``user`` a new feed of their own sessions; their previous address (if any)
    stops working at once. Only the user themselves (or the command line) may."""
    _check_own(user, actor)
    return _issue(user_id=user.id, actor=actor, reason=reason)


def user_feed(*, user: User, actor: Account | None) -> tuple[CalendarFeed, str]:
    """``user``'s active feed and its secret, issuing a feed when there is none — or when
    the address of the active one can no longer be shown (the key changed): that one is
    then replaced (audited with the reason ``cannot_redisplay``)."""
    _check_own(user, actor)
    feed = active_user_feed(user.id)
    secret = feed_secret(feed) if feed is not None else None
    if feed is None:
        feed = _issue(user_id=user.id, actor=actor, reason="first_request")
    elif secret is None:
        feed = _issue(user_id=user.id, actor=actor, reason="cannot_redisplay")
    return feed, secret or _derive_secret(feed)


def revoke_user_feed(*, user: User, actor: Account | None) -> bool:
    """Revoke ``user``'s feed: its address answers 404 from now on. False when there was
    none (nothing changes)."""
    _check_own(user, actor)
    feed = active_user_feed(user.id)
    if feed is None:
        return False
    _revoke(feed, reason="requested")
    return True


def share_course_feed(*, course: Course, actor: Account | None) -> CalendarFeed:
    """The office shares ``course``'s sessions at a new address (replacing the course's
    previous one, which stops working)."""
    _check_office(actor)
    return _issue(course_id=course.id, actor=actor, reason="shared")


def revoke_course_feed(*, course: Course, actor: Account | None) -> bool:
    """The office stops sharing ``course``'s feed. False when it was not shared."""
    _check_office(actor)
    feed = active_course_feed(course.id)
    if feed is None:
        return False
    _revoke(feed, reason="requested")
    return True
