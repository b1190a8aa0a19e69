"""Writes on venues (场地 / 实施点): the places on-site sessions are held. Only the office
writes (coordinators read the venues of their area: :mod:`trainhub.courses.catalogue_queries`).
Each function validates, flushes and audits; the unit of work commits.

A venue lies in a county of the county register (which puts its sessions in coordinators'
areas); its name is unique within the county; an optional host organisation must lie in that
county. Archiving takes it out of lists and pickers, never out of the sessions held there;
a venue with scheduled sessions that have not ended cannot be archived.
"""

from __future__ import annotations

import re

import sqlalchemy as sa

from trainhub.audit.operations import record
from trainhub.auth import Actor
from trainhub.courses.catalogue import (
    CatalogueConflict,
    CatalogueError,
    Problems,
    apply_changes,
    check_office,
    name_value,
    optional_count,
    optional_text,
    refuse_unknown,
    set_archived,
    whole_number,
)
from trainhub.courses.models import SessionStatus, TrainingSession, Venue
from trainhub.db import utcnow
from trainhub.extensions import db
from trainhub.geo.models import County
from trainhub.orgs.models import Organisation
from trainhub.text import clean_line

VENUE_FIELDS = ("name", "county_code", "organisation_id", "address", "capacity")
NAME_MAX = 200
ADDRESS_MAX = 300
CAPACITY_MAX = 100_000


def _county(value) -> County:
    code = clean_line(value) if isinstance(value, str) else ""
    if not code:
        raise CatalogueError("county_code", "请填写场地所在县（6 位县级代码）。")
    if not re.fullmatch(r"\d{6}", code):
        raise CatalogueError("county_code", "县级代码应为 6 位数字。")
    county = db.session.get(County, code)
    if county is None:
        raise CatalogueError("county_code", f"县级代码 {code} 不在行政区划代码表中。")
    return county


def _organisation(value) -> Organisation | None:
    if value in (None, ""):
        return None
    organisation_id = whole_number(value, "organisation_id", "承办机构", 1, 2**63 - 1)
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        raise CatalogueError("organisation_id", f"机构 {organisation_id} 不存在。")
    return organisation


_CHECKS = {
    "name": lambda value: name_value(value, "name", "场地名称", NAME_MAX),
    "county_code": _county,
    "organisation_id": _organisation,
    "address": lambda value: optional_text(value, "address", "地址", ADDRESS_MAX),
    "capacity": lambda value: optional_count(value, "capacity", "可容纳人数", CAPACITY_MAX),
}


def check_venue(values: dict, *, venue: Venue | None = None) -> dict:
    """``values`` validated all at once as :func:`create_venue` (or, with ``venue``,
    :func:`update_venue`) would, without writing; raises :class:`CatalogueError` naming
    every field at fault, then :class:`CatalogueConflict` for a name taken in the county."""
    refuse_unknown(values, VENUE_FIELDS)
    problems = Problems()
    if venue is None:
        for field, message in (("name", "请填写场地名称。"), ("county_code", "请填写场地所在县（6 位县级代码）。")):
            if values.get(field) in (None, ""):
                problems[field] = message
    cleaned = {field: problems.check(field, _CHECKS[field], value)
               for field, value in values.items() if field not in problems}
    county = cleaned.get("county_code") or (venue.county if venue is not None else None)
    organisation = cleaned.get("organisation_id", venue.organisation if venue is not None else None)
    if county is not None and organisation is not None and organisation.county_code != county.code:
        field = "organisation_id" if "organisation_id" in values else "county_code"
        problems.setdefault(field, f"机构“{organisation.name}”不在{county.province}{county.name}"
                                   f"（{county.code}），承办机构须位于场地所在县。")
    problems.raise_if_any()
    if "county_code" in cleaned:
        cleaned["county_code"] = county.code
    if "organisation_id" in cleaned:
        cleaned["organisation_id"] = organisation.id if organisation is not None else None
    name = cleaned.get("name", venue.name if venue is not None else None)
    if venue is None or {"name", "county_code"} & cleaned.keys():
        same = sa.select(Venue.id).where(Venue.county_code == county.code, Venue.name == name)
        if venue is not None:
            same = same.where(Venue.id != venue.id)
        if db.session.scalar(same) is not None:
            raise CatalogueConflict("name", f"{county.province}{county.name}已有名为“{name}”的场地。")
    return cleaned


def create_venue(*, actor: Actor | None, name: str | None, county_code: str | None,
                 organisation_id: int | None = None, address: str | None = None,
                 capacity: int | None = None) -> Venue:
    """Register a venue in a county (see the module's rules)."""
    check_office(actor)
    values = check_venue({"name": name, "county_code": county_code, "organisation_id": organisation_id,
                          "address": address, "capacity": capacity})
    venue = Venue(**values)
    db.session.add(venue)
    db.session.flush()
    record("venue.create", target_type="venue", target_id=venue.id, detail=values)
    return venue


def update_venue(venue: Venue, changes: dict, *, actor: Actor | None) -> dict:
    """Change the given fields of a venue; returns ``{field: (old, new)}`` of real changes."""
    check_office(actor)
    values = check_venue(changes, venue=venue)
    return apply_changes(venue, values, "venue.update", "venue")


def sessions_to_come_at(venue: Venue) -> int:
    """Scheduled sessions at the venue that have not ended."""
    return db.session.scalar(
        sa.select(sa.func.count(TrainingSession.id)).where(
            TrainingSession.venue_id == venue.id, TrainingSession.status == SessionStatus.SCHEDULED,
            TrainingSession.ends_at > utcnow(),
        )
    ) or 0


def archive_venue(venue: Venue, *, actor: Actor | None) -> bool:
    check_office(actor)
    if not venue.archived_at:
        count = sessions_to_come_at(venue)
        if count:
            raise CatalogueConflict("sessions", f"该场地还有 {count} 个尚未结束的已排期课次，不能归档。"
                                                "请先为这些课次更换场地或取消。")
    return set_archived(venue, True, "venue.archive", "venue", {"name": venue.name})


def restore_venue(venue: Venue, *, actor: Actor | None) -> bool:
    check_office(actor)
    return set_archived(venue, False, "venue.restore", "venue", {"name": venue.name})
