"""Reads for the import pages."""

from __future__ import annotations

import sqlalchemy as sa

from trainhub.courses.in_use import course_in_use
from trainhub.courses.models import Course, Phase, Track
from trainhub.extensions import db


def course_choices() -> list[tuple[str, str]]:
    """``(code, "code title")`` of every course in use (not archived), for the "enrol in"
    option."""
    rows = db.session.execute(
        sa.select(Course.code, Course.title)
        .join(Track, Track.id == Course.track_id)
        .join(Phase, Phase.id == Track.phase_id)
        .where(course_in_use())
        .order_by(Course.code)
    ).all()
    return [(code, f"{code} {title}") for code, title in rows]
