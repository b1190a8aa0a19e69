"""Reads on counties: filtered lists, priority coverage, a county's flag history."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from trainhub.audit.models import AuditEntry
from trainhub.auth import Actor, area_clause
from trainhub.extensions import db
from trainhub.geo.models import CodeListVersion, County

FLAG_ACTIONS = ("county.flag_priority", "county.unflag_priority")


def provinces(user: Actor | None = None) -> list[tuple[str, str]]:
    """``(province_code, province)`` of every province in the code list (within ``user``'s
    area when a user is given), by code."""
    stmt = (
        sa.select(County.province_code, sa.func.min(County.province))
        .group_by(County.province_code)
        .order_by(County.province_code)
    )
    if user is not None:
        stmt = stmt.where(area_clause(user, County.code))
    return [(code, name) for code, name in db.session.execute(stmt)]


def resolve_province(value: str | None) -> str | None:
    """The 2-digit province code for a code or a name (``52``, ``贵州省``, ``贵州``).

    Returns None when nothing matches; an empty value is not a filter and also gives None.
    """
    value = (value or "").strip()
    if not value:
        return None
    known = provinces()
    if value.isdigit():
        return value if any(code == value for code, _ in known) else None
    for code, name in known:
        if name == value:
            return code
    matches = [code for code, name in known if name.startswith(value)]
    return matches[0] if len(matches) == 1 else None


def county_list_stmt(
    *,
    user: Actor | None = None,
    province_code: str | None = None,
    priority: bool | None = None,
    q: str | None = None,
    include_retired: bool = False,
) -> sa.Select:
    """Counties ordered by code; limited to ``user``'s area when a user is given."""
    stmt = sa.select(County).order_by(County.code)
    if user is not None:
        stmt = stmt.where(area_clause(user, County.code))
    if province_code:
        stmt = stmt.where(County.province_code == province_code)
    if priority is not None:
        stmt = stmt.where(County.is_priority.is_(priority))
    if not include_retired:
        stmt = stmt.where(County.is_current.is_(True))
    q = (q or "").strip()
    if q:
        if q.isdigit():
            stmt = stmt.where(County.code.startswith(q, autoescape=True))
        else:
            stmt = stmt.where(
                sa.or_(
                    County.name.contains(q, autoescape=True),
                    County.prefecture.contains(q, autoescape=True),
                )
            )
    return stmt


def get_county(code: str) -> County | None:
    return db.session.get(County, code)


def priority_count() -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(County).where(County.is_priority.is_(True))
    )


@dataclass
class ProvinceCoverage:
    province_code: str
    province: str
    counties: int
    priority: int


def priority_coverage(user: Actor | None = None) -> list[ProvinceCoverage]:
    """Per province (within ``user``'s area): current counties and flagged priority counties.

    Only provinces with at least one flagged county are listed.
    """
    stmt = (
        sa.select(
            County.province_code,
            sa.func.min(County.province),
            sa.func.count().filter(County.is_current.is_(True)),
            sa.func.count().filter(County.is_priority.is_(True)),
        )
        .group_by(County.province_code)
        .having(sa.func.count().filter(County.is_priority.is_(True)) > 0)
        .order_by(County.province_code)
    )
    if user is not None:
        stmt = stmt.where(area_clause(user, County.code))
    return [ProvinceCoverage(*row) for row in db.session.execute(stmt)]


def flag_history(code: str) -> list[AuditEntry]:
    """Audit entries of the county's priority flag, newest first."""
    return list(
        db.session.scalars(
            sa.select(AuditEntry)
            .where(
                AuditEntry.target_type == "county",
                AuditEntry.target_id == code,
                AuditEntry.action.in_(FLAG_ACTIONS),
            )
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        )
    )


def code_list_versions() -> list[CodeListVersion]:
    return list(
        db.session.scalars(sa.select(CodeListVersion).order_by(CodeListVersion.loaded_at.desc()))
    )
