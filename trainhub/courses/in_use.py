"""What is in use in the catalogue: neither archived itself nor under something archived
(a course's track, phase or programme). Lists, choices and pickers show only these; pages,
history and reports show everything (see :mod:`trainhub.courses.catalogue`)."""

from __future__ import annotations

import sqlalchemy as sa

from trainhub.courses.models import Course, Phase, Programme, Track


def phase_in_use() -> sa.ColumnElement[bool]:
    """Phases neither archived nor of an archived programme."""
    return sa.and_(
        Phase.archived_at.is_(None),
        Phase.programme_id.in_(sa.select(Programme.id).where(Programme.archived_at.is_(None))),
    )


def track_in_use() -> sa.ColumnElement[bool]:
    """Tracks in use (the statement joins :class:`Phase`)."""
    return sa.and_(Track.archived_at.is_(None), phase_in_use())


def course_in_use() -> sa.ColumnElement[bool]:
    """Courses in use (the statement joins :class:`Track` and :class:`Phase`)."""
    return sa.and_(Course.archived_at.is_(None), track_in_use())
