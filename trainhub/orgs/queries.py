"""Reads on organisations, always limited to the reader's area."""

from __future__ import annotations

import sqlalchemy as sa

from trainhub.accounts.models import User
from trainhub.auth import area_clause
from trainhub.extensions import db
from trainhub.orgs.models import Organisation, OrgKind


def organisation_list_stmt(
    user: User,
    *,
    kind: OrgKind | str | None = None,
    county_code: str | None = None,
    province_code: str | None = None,
    q: str | None = None,
) -> sa.Select:
    """Organisations in ``user``'s area, by county and name."""
    stmt = (
        sa.select(Organisation)
        .where(area_clause(user, Organisation.county_code))
        .order_by(Organisation.county_code, Organisation.name, Organisation.id)
    )
    if kind:
        stmt = stmt.where(Organisation.kind == OrgKind(kind))
    if county_code:
        stmt = stmt.where(Organisation.county_code == county_code)
    if province_code:
        stmt = stmt.where(Organisation.county_code.startswith(province_code, autoescape=True))
    q = (q or "").strip()
    if q:
        stmt = stmt.where(
            sa.or_(
                Organisation.name.contains(q, autoescape=True),
                Organisation.credit_code == q.upper(),
            )
        )
    return stmt


def get_organisation(user: User, org_id: int) -> Organisation | None:
    """The organisation, or None when it does not exist or lies outside ``user``'s area."""
    return db.session.scalar(
        sa.select(Organisation).where(
            Organisation.id == org_id, area_clause(user, Organisation.county_code)
        )
    )
