"""Reads for the import pages."""

from __future__ import annotations

import sqlalchemy as sa

from trainhub.courses.models import Course
from trainhub.extensions import db


def course_choices() -> list[tuple[str, str]]:
    """``(code, "code title")`` of every course, for the "enrol in" option."""
    rows = db.session.execute(sa.select(Course.code, Course.title).order_by(Course.code)).all()
    return [(code, f"{code} {title}") for code, title in rows]
