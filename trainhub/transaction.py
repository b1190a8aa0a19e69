"""Transaction boundaries.

Minimal version (issue 6): only :func:`durable`; the request/command/job boundary that
commits once is introduced in parallel and replaces this module with the same signature.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from trainhub.extensions import db


@contextmanager
def durable() -> Iterator[Session]:
    """Writes that must survive whatever becomes of the current unit of work.

    Yields a session of its own, on its own connection, that commits when the block ends
    without error and rolls back otherwise.
    """
    session = Session(bind=db.engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
