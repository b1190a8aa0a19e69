"""Writes on the programme, its phases, tracks and courses. Each function flushes; the caller commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from trainhub.courses.models import Phase, Programme, Track
from trainhub.extensions import db

#: The programme and its first phase as PRODUCT.md states them (facts, loaded by ``trainhub init``).
PROGRAMME_NAME = "牵手计划系列培训"
PROGRAMME_STARTS_ON = date(2023, 1, 1)
PROGRAMME_ENDS_ON = date(2025, 12, 31)
PHASE_ONE = {"number": 1, "name": "第一阶段", "starts_on": date(2023, 2, 15), "ends_on": date(2023, 8, 14)}
PHASE_ONE_TRACKS = ("社工机构管理运营", "乡镇（街道）社工站建设")


@dataclass
class ProgrammeSetup:
    programme: Programme
    phase: Phase
    tracks: list[Track]
    #: Names of the rows this call created (empty when everything already existed).
    created: list[str]


def ensure_initial_programme() -> ProgrammeSetup:
    """Make sure the programme, phase 1 and its two tracks exist.

    Idempotent: rows that exist are found by their natural keys (programme name, phase
    number, track name) and left as they are, so edits the office made later survive.
    """
    created: list[str] = []
    programme = db.session.scalar(sa.select(Programme).where(Programme.name == PROGRAMME_NAME))
    if programme is None:
        programme = Programme(
            name=PROGRAMME_NAME, starts_on=PROGRAMME_STARTS_ON, ends_on=PROGRAMME_ENDS_ON
        )
        db.session.add(programme)
        db.session.flush()
        created.append(PROGRAMME_NAME)

    phase = db.session.scalar(
        sa.select(Phase).where(Phase.programme_id == programme.id, Phase.number == PHASE_ONE["number"])
    )
    if phase is None:
        phase = Phase(programme_id=programme.id, **PHASE_ONE)
        db.session.add(phase)
        db.session.flush()
        created.append(PHASE_ONE["name"])

    existing = {
        track.name: track
        for track in db.session.scalars(sa.select(Track).where(Track.phase_id == phase.id))
    }
    tracks = []
    for position, name in enumerate(PHASE_ONE_TRACKS, start=1):
        track = existing.get(name)
        if track is None:
            track = Track(phase_id=phase.id, name=name, position=position)
            db.session.add(track)
            created.append(name)
        tracks.append(track)
    db.session.flush()
    return ProgrammeSetup(programme=programme, phase=phase, tracks=tracks, created=created)
