"""Health of what the application depends on, for ``/healthz``: the database and Redis.
A failure is logged, never raised."""

from __future__ import annotations

import logging

import redis
import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from trainhub.extensions import db

log = logging.getLogger(__name__)


def database_ok() -> bool:
    """Whether the database answers ``SELECT 1`` (the failure is logged, not raised)."""
    try:
        with db.engine.connect() as connection:  # apart from the request's session
            connection.execute(sa.text("SELECT 1"))
    except SQLAlchemyError:
        log.warning("health check: the database does not answer", exc_info=True)
        return False
    return True


def redis_ok(url: str, *, timeout: float) -> bool:
    """Whether the Redis at ``url`` answers ``PING`` within ``timeout`` seconds (the failure
    is logged, not raised)."""
    client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
    try:
        client.ping()
    except (redis.RedisError, OSError):
        log.warning("health check: Redis does not answer", exc_info=True)
        return False
    finally:
        client.close()
    return True
