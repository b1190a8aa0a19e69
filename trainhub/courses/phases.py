"""Writes on the programme, its phases and their tracks (the rules of the whole catalogue are
in :mod:`trainhub.courses.catalogue`). Each function validates, flushes and audits; the unit
of work commits."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from trainhub.audit.operations import record
from trainhub.auth import Actor
from trainhub.courses.catalogue import (
    NUMBER_MAX,
    CatalogueConflict,
    CatalogueError,
    Problems,
    apply_changes,
    audit_value,
    check_office,
    check_window,
    courses_of_phase,
    courses_of_track,
    name_value,
    refuse_sessions_to_come,
    refuse_unknown,
    sessions_outside,
    set_archived,
    whole_number,
)
from trainhub.courses.models import Course, Phase, Programme, Track
from trainhub.extensions import db

# the programme -------------------------------------------------------------------------------

PROGRAMME_FIELDS = ("name", "starts_on", "ends_on")


def _check_programme(values: dict, programme: Programme | None) -> dict:
    """The programme's values validated all at once (name unique, window holding every one
    of its phases: archived ones too, they stay in history)."""
    problems = Problems()
    cleaned = {}
    if "name" in values:
        cleaned["name"] = problems.check("name", name_value, values["name"], "name", "项目名称")
    starts_on = values.get("starts_on", programme.starts_on if programme else None)
    ends_on = values.get("ends_on", programme.ends_on if programme else None)
    window = problems.check("starts_on", check_window, starts_on, ends_on, "项目")
    if window is not None:
        cleaned["starts_on"], cleaned["ends_on"] = window
        held = programme.phases if programme else []
        outside = [p for p in held if p.starts_on < window[0] or p.ends_on > window[1]]
        if outside:
            field = "starts_on" if any(p.starts_on < window[0] for p in outside) else "ends_on"
            named = "、".join(f"{p.name}（{p.starts_on:%Y-%m-%d} 至 {p.ends_on:%Y-%m-%d}）" for p in outside)
            problems[field] = f"新的项目时间会使以下阶段落在项目时间之外：{named}。请先调整这些阶段的时间。"
    problems.raise_if_any()
    name = cleaned.get("name")
    if name is not None:
        same = sa.select(Programme.id).where(Programme.name == name)
        if programme is not None:
            same = same.where(Programme.id != programme.id)
        if db.session.scalar(same) is not None:
            raise CatalogueConflict("name", f"已有名为“{name}”的项目。")
    return cleaned


def create_programme(*, actor: Actor | None, name: str | None, starts_on: date | None,
                     ends_on: date | None) -> Programme:
    """Add a programme (a name no other one has, archived ones included; a window of local
    dates, the last inclusive); its phases are added afterwards."""
    check_office(actor)
    values = _check_programme({"name": name, "starts_on": starts_on, "ends_on": ends_on}, None)
    programme = Programme(**values)
    db.session.add(programme)
    db.session.flush()
    record("programme.create", target_type="programme", target_id=programme.id,
           detail={key: audit_value(value) for key, value in values.items()})
    return programme


def update_programme(programme: Programme, changes: dict, *, actor: Actor | None) -> dict:
    """Change the programme's name or window (``changes``: any of :data:`PROGRAMME_FIELDS`);
    returns ``{field: (old, new)}``. A window that would leave one of its phases (archived
    ones too: they stay in history) outside is refused, naming them."""
    check_office(actor)
    refuse_unknown(changes, PROGRAMME_FIELDS)
    values = _check_programme(changes, programme)
    return apply_changes(programme, values, "programme.update", "programme")


def archive_programme(programme: Programme, *, actor: Actor | None) -> bool:
    """Archive the programme and, with it, everything under it (see the module's rules)."""
    check_office(actor)
    if not programme.archived_at:
        course_ids = (sa.select(Course.id).join(Track, Track.id == Course.track_id)
                      .join(Phase, Phase.id == Track.phase_id).where(Phase.programme_id == programme.id))
        refuse_sessions_to_come(course_ids, "该项目")
    return set_archived(programme, True, "programme.archive", "programme", {"name": programme.name})


def restore_programme(programme: Programme, *, actor: Actor | None) -> bool:
    check_office(actor)
    return set_archived(programme, False, "programme.restore", "programme", {"name": programme.name})


# phases --------------------------------------------------------------------------------------

PHASE_FIELDS = ("number", "name", "starts_on", "ends_on")


def next_phase_number(programme: Programme) -> int:
    """The number after the highest of the programme's phases (archived ones included)."""
    highest = db.session.scalar(sa.select(sa.func.max(Phase.number)).where(Phase.programme_id == programme.id))
    return (highest or 0) + 1


def _check_phase(programme: Programme, values: dict, phase: Phase | None) -> dict:
    """The phase's values validated all at once (number, name, window inside the programme,
    sessions inside the window)."""
    problems = Problems()
    cleaned = {}
    if "number" in values:
        cleaned["number"] = problems.check("number", whole_number, values["number"], "number",
                                           "阶段编号", 1, NUMBER_MAX)
    if "name" in values:
        cleaned["name"] = problems.check("name", name_value, values["name"], "name", "阶段名称")
    starts_on = values.get("starts_on", phase.starts_on if phase else None)
    ends_on = values.get("ends_on", phase.ends_on if phase else None)
    window = problems.check("starts_on", check_window, starts_on, ends_on, "阶段")
    if window is not None:
        cleaned["starts_on"], cleaned["ends_on"] = window
        if window[0] < programme.starts_on:
            problems["starts_on"] = (f"阶段开始日期不能早于项目开始日期（{programme.starts_on:%Y-%m-%d}）。")
        if window[1] > programme.ends_on:
            problems["ends_on"] = (f"阶段结束日期不能晚于项目结束日期（{programme.ends_on:%Y-%m-%d}）。")
        if phase is not None and not problems:
            problems.update(sessions_outside(courses_of_phase(phase.id), *window, "该阶段"))
    problems.raise_if_any()
    number = cleaned.get("number")
    if number is not None and (phase is None or number != phase.number):
        taken = db.session.scalar(sa.select(Phase).where(
            Phase.programme_id == programme.id, Phase.number == number))
        if taken is not None:
            raise CatalogueConflict("number", f"本项目已有第 {number} 号阶段“{taken.name}”。")
    return cleaned


def create_phase(programme: Programme, *, actor: Actor | None, name: str | None,
                 starts_on: date | None, ends_on: date | None, number: int | None = None) -> Phase:
    """Add a phase to the programme (number: the next one unless given)."""
    check_office(actor)
    if programme.archived_at:
        raise CatalogueError("programme_id", f"项目“{programme.name}”已归档，不能新增阶段。")
    values = _check_phase(programme, {
        "number": next_phase_number(programme) if number is None else number,
        "name": name, "starts_on": starts_on, "ends_on": ends_on,
    }, None)
    phase = Phase(programme_id=programme.id, **values)
    db.session.add(phase)
    db.session.flush()
    record("phase.create", target_type="phase", target_id=phase.id,
           detail={key: audit_value(value) for key, value in values.items()})
    return phase


def update_phase(phase: Phase, changes: dict, *, actor: Actor | None) -> dict:
    """Change the given fields of a phase (any of :data:`PHASE_FIELDS`); returns
    ``{field: (old, new)}``. A window that would leave scheduled sessions of the phase
    outside is refused, naming how many and their first dates."""
    check_office(actor)
    refuse_unknown(changes, PHASE_FIELDS)
    values = _check_phase(phase.programme, changes, phase)
    return apply_changes(phase, values, "phase.update", "phase")


def archive_phase(phase: Phase, *, actor: Actor | None) -> bool:
    check_office(actor)
    if not phase.archived_at:
        refuse_sessions_to_come(courses_of_phase(phase.id), "该阶段")
    return set_archived(phase, True, "phase.archive", "phase", {"name": phase.name})


def restore_phase(phase: Phase, *, actor: Actor | None) -> bool:
    check_office(actor)
    if phase.archived_at and phase.programme.archived_at:
        raise CatalogueConflict("programme_id", f"所属项目“{phase.programme.name}”已归档，请先恢复项目。")
    return set_archived(phase, False, "phase.restore", "phase", {"name": phase.name})


# tracks --------------------------------------------------------------------------------------

TRACK_FIELDS = ("name", "position")


def _check_track(phase: Phase, values: dict, track: Track | None) -> dict:
    problems = Problems()
    cleaned = {}
    if "name" in values:
        cleaned["name"] = problems.check("name", name_value, values["name"], "name", "课程模块名称")
    if values.get("position") not in (None, ""):
        cleaned["position"] = problems.check("position", whole_number, values["position"], "position",
                                             "排列顺序", 0, NUMBER_MAX)
    problems.raise_if_any()
    name = cleaned.get("name")
    if name is not None and (track is None or name != track.name):
        same = sa.select(Track.id).where(Track.phase_id == phase.id, Track.name == name)
        if db.session.scalar(same) is not None:
            raise CatalogueConflict("name", f"{phase.name}已有名为“{name}”的课程模块。")
    return cleaned


def create_track(phase: Phase, *, actor: Actor | None, name: str | None,
                 position: int | None = None) -> Track:
    """Add a track to a phase; its position is after the phase's last unless given."""
    check_office(actor)
    if phase.archived_note:
        raise CatalogueError("phase_id", f"{phase.name}{phase.archived_note}，不能新增课程模块。")
    values = _check_track(phase, {"name": name, "position": position}, None)
    if "position" not in values:
        last = db.session.scalar(sa.select(sa.func.max(Track.position)).where(Track.phase_id == phase.id))
        values["position"] = min((last or 0) + 1, NUMBER_MAX)
    track = Track(phase_id=phase.id, **values)
    db.session.add(track)
    db.session.flush()
    record("track.create", target_type="track", target_id=track.id,
           detail={"phase_id": phase.id, **values})
    return track


def update_track(track: Track, changes: dict, *, actor: Actor | None) -> dict:
    """Change a track's name or position; returns ``{field: (old, new)}``."""
    check_office(actor)
    refuse_unknown(changes, TRACK_FIELDS)
    if "position" in changes and changes["position"] in (None, ""):
        raise CatalogueError("position", "请填写排列顺序。")
    values = _check_track(track.phase, changes, track)
    return apply_changes(track, values, "track.update", "track")


def archive_track(track: Track, *, actor: Actor | None) -> bool:
    check_office(actor)
    if not track.archived_at:
        refuse_sessions_to_come(courses_of_track(track.id), "该课程模块")
    return set_archived(track, True, "track.archive", "track", {"name": track.name})


def restore_track(track: Track, *, actor: Actor | None) -> bool:
    check_office(actor)
    if track.archived_at and track.phase.archived_note:
        raise CatalogueConflict("phase_id", f"{track.phase.name}{track.phase.archived_note}，请先恢复。")
    return set_archived(track, False, "track.restore", "track", {"name": track.name})
