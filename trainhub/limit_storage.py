"""Rate-limit counts kept in the application's database, for installations without Redis.

Flask-Limiter keeps its counts in a storage of the ``limits`` library: in memory (each
gunicorn process counting on its own, so that two processes let through twice the
documented number of failed sign-ins), in Redis, Memcached or MongoDB. ``limits`` has no
storage on an SQL database (its issue #52 has asked for one since 2020; a proposed
SQLAlchemy storage is an unmerged pull request), so this module adds a small one,
registered under the scheme ``trainhub+db://``: every process of one installation shares
the database, hence the counts. It is the default storage when no Redis is configured.

It implements the fixed-window counter, Flask-Limiter's default strategy: one row per
limit and key with a count and the end of its window. Writes go through
:func:`trainhub.transaction.durable` — a count must survive the refused request that
made it — and each write first deletes the windows that have ended, so the table holds
only the windows still open. Keys are stored as SHA-256 digests: they contain user names
and addresses.
"""

from __future__ import annotations

import hashlib
import time
from datetime import datetime, timedelta

import sqlalchemy as sa
from limits.storage import Storage
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from trainhub.db import UTCDateTime, utcnow
from trainhub.extensions import db
from trainhub.transaction import durable

#: The storage URI that selects :class:`DatabaseStorage`.
DATABASE_STORAGE_URI = "trainhub+db://"

_UPSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


class RateLimitWindow(db.Model):
    """One open fixed window of one rate limit and key (e.g. failed sign-ins of one
    account in the current minute)."""

    __tablename__ = "rate_limit_window"

    #: SHA-256 of Flask-Limiter's key (limit, scope and the key function's value).
    key_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    count: Mapped[int]
    #: When the window ends; rows past it are deleted by the next write.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class DatabaseStorage(Storage):
    """A ``limits`` storage on the application database (fixed windows only). Used inside
    a request, whose application gives the database."""

    STORAGE_SCHEME = ["trainhub+db"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = utcnow()
        table = RateLimitWindow.__table__
        with durable() as session:
            session.execute(sa.delete(table).where(table.c.expires_at <= now))
            insert = _UPSERT[session.get_bind().dialect.name](table).values(
                key_hash=_hash(key), count=amount, expires_at=now + timedelta(seconds=expiry)
            )
            statement = insert.on_conflict_do_update(
                index_elements=[table.c.key_hash], set_={"count": table.c.count + amount}
            ).returning(table.c.count)
            return session.execute(statement).scalar_one()

    def _window(self, key: str) -> RateLimitWindow | None:
        with durable() as session:
            return session.scalar(
                sa.select(RateLimitWindow)
                .where(RateLimitWindow.key_hash == _hash(key), RateLimitWindow.expires_at > utcnow())
            )

    def get(self, key: str) -> int:
        window = self._window(key)
        return window.count if window is not None else 0

    def get_expiry(self, key: str) -> float:
        window = self._window(key)
        return window.expires_at.timestamp() if window is not None else time.time()

    def check(self) -> bool:
        try:
            with durable() as session:
                session.execute(sa.text("SELECT 1"))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with durable() as session:
            return session.execute(sa.delete(RateLimitWindow)).rowcount

    def clear(self, key: str) -> None:
        with durable() as session:
            session.execute(sa.delete(RateLimitWindow).where(RateLimitWindow.key_hash == _hash(key)))
