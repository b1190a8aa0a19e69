"""Reads on the catalogue: the programme, phases and tracks (every reader of the course pages
sees them: they are common to all areas), the choices of the catalogue's forms, and venues
(the office sees every one, a coordinator those of their area: anything else is not found).

Lists leave archived items out unless asked (``include_archived``, the office's "显示已归档");
a single item is found whether archived or not, so that its page stays reachable.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from trainhub.accounts.models import User
from trainhub.auth import Actor, Role, area_clause
from trainhub.courses.in_use import phase_in_use, track_in_use
from trainhub.courses.models import (
    Course,
    Phase,
    Programme,
    SessionStatus,
    Track,
    TrainingSession,
    Venue,
)
from trainhub.courses.queries import course_clause
from trainhub.db import utcnow
from trainhub.extensions import db
from trainhub.orgs.models import Organisation

#: Roles that read venues (a coordinator those of their area); only the office writes them.
VENUE_READERS = (Role.OFFICE, Role.COORDINATOR)


# programme, phases, tracks -----------------------------------------------------------------


def programme_list_stmt(*, include_archived: bool = False) -> sa.Select:
    """Programmes by start date with their phases and tracks loaded, in use unless
    ``include_archived``."""
    stmt = (sa.select(Programme)
            .options(selectinload(Programme.phases).selectinload(Phase.tracks))
            .order_by(Programme.starts_on, Programme.id))
    if not include_archived:
        stmt = stmt.where(Programme.archived_at.is_(None))
    return stmt


def programmes(*, include_archived: bool = False) -> list[Programme]:
    """The programmes (usually one) with their phases and tracks loaded."""
    return list(db.session.scalars(programme_list_stmt(include_archived=include_archived)))


def get_programme(programme_id: int) -> Programme | None:
    return db.session.get(Programme, programme_id)


def get_phase(phase_id: int) -> Phase | None:
    return db.session.scalar(
        sa.select(Phase).where(Phase.id == phase_id)
        .options(joinedload(Phase.programme), selectinload(Phase.tracks))
    )


def get_track(track_id: int) -> Track | None:
    return db.session.scalar(
        sa.select(Track).where(Track.id == track_id)
        .options(joinedload(Track.phase).joinedload(Phase.programme))
    )


def phase_list_stmt(*, programme_id: int | None = None, include_archived: bool = False) -> sa.Select:
    """Phases in order (programme, number), in use unless ``include_archived``."""
    stmt = (sa.select(Phase)
            .options(joinedload(Phase.programme), selectinload(Phase.tracks))
            .order_by(Phase.programme_id, Phase.number))
    if programme_id is not None:
        stmt = stmt.where(Phase.programme_id == programme_id)
    if not include_archived:
        stmt = stmt.where(phase_in_use())
    return stmt


def shown_tracks(phase: Phase, include_archived: bool) -> list[Track]:
    """A phase's tracks in order: those in use, or every one."""
    return [track for track in phase.tracks if include_archived or not track.archived_at]


@dataclass(frozen=True)
class TrackFigures:
    """Courses of one track that the reader may see."""

    courses: int = 0
    archived: int = 0


def track_figures(user: Actor, track_ids: list[int]) -> dict[int, TrackFigures]:
    """Courses per track that ``user`` may see (an instructor: the ones they teach), and how
    many of them are archived."""
    if not track_ids:
        return {}
    rows = db.session.execute(
        sa.select(Course.track_id, sa.func.count(Course.id).filter(Course.archived_at.is_(None)),
                  sa.func.count(Course.id).filter(Course.archived_at.is_not(None)))
        .where(Course.track_id.in_(track_ids), course_clause(user))
        .group_by(Course.track_id)
    )
    found = {track_id: TrackFigures(courses, archived) for track_id, courses, archived in rows}
    return {track_id: found.get(track_id, TrackFigures()) for track_id in track_ids}


def phase_sessions(phase_ids: list[int]) -> dict[int, int]:
    """Scheduled (not cancelled) sessions of each phase."""
    if not phase_ids:
        return {}
    rows = db.session.execute(
        sa.select(Track.phase_id, sa.func.count(TrainingSession.id))
        .join(Course, Course.id == TrainingSession.course_id)
        .join(Track, Track.id == Course.track_id)
        .where(Track.phase_id.in_(phase_ids), TrainingSession.status == SessionStatus.SCHEDULED)
        .group_by(Track.phase_id)
    )
    found = dict(rows.all())
    return {phase_id: found.get(phase_id, 0) for phase_id in phase_ids}


def track_choices(current_id: int | None = None) -> list[tuple[int, str]]:
    """``(id, "phase · track")`` of every track in use, for a course's form; the course's
    current track too when it is archived (a course may stay where it is)."""
    stmt = (sa.select(Track).join(Phase, Phase.id == Track.phase_id)
            .options(joinedload(Track.phase).joinedload(Phase.programme))
            .where(sa.or_(track_in_use(), Track.id == (current_id or 0)))
            .order_by(Phase.programme_id, Phase.number, Track.position, Track.id))
    return [(track.id, f"{track.phase.name} · {track.name}"
             + (f"（{track.archived_note}）" if track.archived_note else ""))
            for track in db.session.scalars(stmt)]


def instructor_choices(current_ids=()) -> list[User]:
    """Instructors to choose from: enabled instructor accounts, and those already teaching
    the course (whatever became of their account)."""
    stmt = (sa.select(User)
            .where(User.role == Role.INSTRUCTOR,
                   sa.or_(User.is_enabled.is_(True), User.id.in_(list(current_ids) or [0])))
            .order_by(User.display_name, User.username))
    return list(db.session.scalars(stmt))


# venues --------------------------------------------------------------------------------------


def venue_clause(user: Actor) -> sa.ColumnElement[bool]:
    """Venues ``user`` may read: every one for the office, their area's for a coordinator."""
    if user.role == Role.OFFICE:
        return sa.true()
    if user.role == Role.COORDINATOR:
        return area_clause(user, Venue.county_code)
    return sa.false()


def venue_list_stmt(user: Actor, *, q: str | None = None, include_archived: bool = False) -> sa.Select:
    """Venues ``user`` may read, by province, county and name; ``q``: part of the name or
    the address."""
    stmt = (sa.select(Venue)
            .join(Venue.county)
            .where(venue_clause(user))
            .options(joinedload(Venue.county), joinedload(Venue.organisation))
            .order_by(Venue.county_code, Venue.name, Venue.id))
    if not include_archived:
        stmt = stmt.where(Venue.archived_at.is_(None))
    q = (q or "").strip()
    if q:
        stmt = stmt.where(sa.or_(Venue.name.contains(q, autoescape=True),
                                 Venue.address.contains(q, autoescape=True)))
    return stmt


def get_venue(user: Actor, venue_id: int) -> Venue | None:
    """The venue, archived or not, or None when it does not exist or lies outside ``user``'s
    area."""
    return db.session.scalar(
        sa.select(Venue).where(Venue.id == venue_id, venue_clause(user))
        .options(joinedload(Venue.county), joinedload(Venue.organisation))
    )


@dataclass(frozen=True)
class VenueSessions:
    #: Scheduled sessions held there, in all.
    total: int
    #: Of them, those that have not ended.
    to_come: int


def venue_sessions(venue_id: int) -> VenueSessions:
    total, to_come = db.session.execute(
        sa.select(sa.func.count(TrainingSession.id),
                  sa.func.count(TrainingSession.id).filter(TrainingSession.ends_at > utcnow()))
        .where(TrainingSession.venue_id == venue_id, TrainingSession.status == SessionStatus.SCHEDULED)
    ).one()
    return VenueSessions(total or 0, to_come or 0)


def organisation_in_county(county_code: str, name: str) -> Organisation | None:
    """The organisation of this name in the county (names are unique within a county)."""
    return db.session.scalar(sa.select(Organisation).where(
        Organisation.county_code == county_code, Organisation.name == name))


def host_options() -> list[Organisation]:
    """Organisations that may host a venue, by county, for the form's suggestions."""
    return list(db.session.scalars(
        sa.select(Organisation).options(joinedload(Organisation.county))
        .order_by(Organisation.county_code, Organisation.name)
    ))
