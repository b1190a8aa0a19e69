"""Reads on organisations and pairings, always limited to the reader's area
(:func:`trainhub.auth.area_clause`).

A coordinator sees the organisations of their area, and the pairings whose *recipient*
lies in their area (the supporting side usually sits in an eastern province). Tables for
exports are ``pandas.DataFrame``s; the views write them with :mod:`trainhub.spreadsheets`.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import aliased, selectinload

from trainhub.auth import Actor, Role, area_clause
from trainhub.extensions import db
from trainhub.figures import Figure, collect
from trainhub.geo.models import County
from trainhub.geo.signals import county_figures
from trainhub.localtime import format_localtime, local_today
from trainhub.orgs.models import Organisation, OrgKind, Pairing, PairingStatus
from trainhub.orgs.signals import organisation_figures
from trainhub.pii import mask_phone

#: Organisation kinds that can receive support in a pairing (every kind but a supporter).
RECIPIENT_KINDS = (OrgKind.AGENCY, OrgKind.STATION)


def _priority_codes() -> sa.Select:
    return sa.select(County.code).where(County.is_priority.is_(True))


def _place_clauses(column, *, county_code: str | None, county_name: str | None,
                   province_code: str | None) -> list[sa.ColumnElement[bool]]:
    """Conditions on a county-code ``column``: the county's exact code, part of its name,
    its province."""
    clauses = []
    if county_code:
        clauses.append(column == county_code)
    county_name = (county_name or "").strip()
    if county_name:
        clauses.append(column.in_(
            sa.select(County.code).where(County.name.contains(county_name, autoescape=True))
        ))
    if province_code:
        clauses.append(column.startswith(province_code, autoescape=True))
    return clauses


# organisations -------------------------------------------------------------------------------


def organisation_list_stmt(
    user: Actor,
    *,
    kind: OrgKind | str | None = None,
    county_code: str | None = None,
    county_name: str | None = None,
    province_code: str | None = None,
    priority_only: bool = False,
    q: str | None = None,
) -> sa.Select:
    """Organisations in ``user``'s area, by county and name.

    ``county_code`` is exact; ``county_name`` matches part of the county's name;
    ``priority_only`` keeps organisations in counties flagged as priority counties.
    """
    stmt = (
        sa.select(Organisation)
        .where(area_clause(user, Organisation.county_code))
        .order_by(Organisation.county_code, Organisation.name, Organisation.id)
    )
    if kind:
        stmt = stmt.where(Organisation.kind == OrgKind(kind))
    stmt = stmt.where(*_place_clauses(Organisation.county_code, county_code=county_code,
                                      county_name=county_name, province_code=province_code))
    if priority_only:
        stmt = stmt.where(Organisation.county_code.in_(_priority_codes()))
    q = (q or "").strip()
    if q:
        stmt = stmt.where(
            sa.or_(
                Organisation.name.contains(q, autoescape=True),
                Organisation.credit_code == q.upper(),
            )
        )
    return stmt


def get_organisation(user: Actor, org_id: int) -> Organisation | None:
    """The organisation, or None when it does not exist or lies outside ``user``'s area."""
    return db.session.scalar(
        sa.select(Organisation).where(
            Organisation.id == org_id, area_clause(user, Organisation.county_code)
        )
    )


def organisations_in_area(user: Actor, *, county_code: str | None = None,
                          province_code: str | None = None) -> list[Organisation]:
    """The organisations of ``user``'s area (in a county or province), for choosing one."""
    stmt = organisation_list_stmt(user, county_code=county_code, province_code=province_code)
    return list(db.session.scalars(stmt))


def count_organisations_in_area(user: Actor) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Organisation)
        .where(area_clause(user, Organisation.county_code))
    )


def counties_with_organisations(user: Actor, province_code: str | None = None) -> list[County]:
    """Counties in ``user``'s area that have at least one organisation (a county filter)."""
    stmt = (
        sa.select(County)
        .where(
            area_clause(user, County.code),
            sa.exists().where(Organisation.county_code == County.code),
        )
        .order_by(County.code)
    )
    if province_code:
        stmt = stmt.where(County.province_code == province_code)
    return list(db.session.scalars(stmt))


def organisations_per_county(sender, *, keys: list[str]) -> Figure:
    """The organisations of each county, for the county's page (:mod:`trainhub.geo.signals`)."""
    rows = db.session.execute(
        sa.select(Organisation.county_code, sa.func.count(Organisation.id))
        .where(Organisation.county_code.in_(keys))
        .group_by(Organisation.county_code)
    ) if keys else []
    return Figure("organisations", "机构", "个", dict(rows.all()) if keys else {},
                  endpoint="orgs.list", argument="county", order=10)


county_figures.connect(organisations_per_county)


def shown_contact_phone(org: Organisation, reader: Actor | None) -> str | None:
    """The contact phone as ``reader`` may see it on one organisation's page or API answer:
    in full for the office, masked (``138****5678``) for everyone else. Lists and exports
    always mask it."""
    phone = org.contact_phone
    if phone is None or (reader is not None and reader.role == Role.OFFICE):
        return phone
    return mask_phone(phone)  # nobody known, or not the office


ORGANISATION_COLUMNS = (
    "编号", "机构名称", "机构类型", "省份", "地市", "县（区）", "县级代码", "重点帮扶县",
    "统一社会信用代码", "地址", "联系人", "联系电话",
)


def organisation_table(user: Actor, **filters) -> pd.DataFrame:
    """The filtered organisation list as an export sheet, with every contributed figure
    (the learners of each, …) as a column; the contact phone is masked."""
    orgs = list(db.session.scalars(organisation_list_stmt(user, **filters)).unique())
    figures = collect(organisation_figures, [org.id for org in orgs])
    rows = [
        (
            org.id, org.name, org.kind.label, org.county.province, org.county.prefecture,
            org.county.name, org.county_code, "是" if org.county.is_priority else "否",
            org.credit_code, org.address, org.contact_name,
            mask_phone(org.contact_phone) if org.contact_phone else None,
            *(figure.of(org.id) for figure in figures), format_localtime(org.created_at),
        )
        for org in orgs
    ]
    columns = [*ORGANISATION_COLUMNS, *(f"{figure.label}数" for figure in figures), "登记时间"]
    return pd.DataFrame(rows, columns=columns)


def county_options(user: Actor) -> list[County]:
    """Counties offered when typing an organisation's county: every current county of a
    coordinator's area; for the office (whose area is the country) the priority counties."""
    stmt = (
        sa.select(County)
        .where(County.is_current.is_(True), area_clause(user, County.code))
        .order_by(County.code)
    )
    if user.role != Role.COORDINATOR:
        stmt = stmt.where(County.is_priority.is_(True))
    return list(db.session.scalars(stmt))


# pairings ------------------------------------------------------------------------------------

Supporter = aliased(Organisation, name="supporter_org")
Recipient = aliased(Organisation, name="recipient_org")


def status_clause(status: PairingStatus | str, today: date) -> sa.ColumnElement[bool]:
    """SQL twin of :meth:`Pairing.status`."""
    status = PairingStatus(status)
    if status == PairingStatus.PLANNED:
        return Pairing.started_on > today
    if status == PairingStatus.ENDED:
        return sa.and_(Pairing.ended_on.is_not(None), Pairing.ended_on <= today)
    return sa.and_(
        Pairing.started_on <= today,
        sa.or_(Pairing.ended_on.is_(None), Pairing.ended_on > today),
    )


def pairing_list_stmt(
    user: Actor,
    *,
    supporter_id: int | None = None,
    recipient_id: int | None = None,
    organisation_id: int | None = None,
    county_code: str | None = None,
    county_name: str | None = None,
    province_code: str | None = None,
    status: PairingStatus | str | None = None,
    active: bool | None = None,
    q: str | None = None,
    today: date | None = None,
) -> sa.Select:
    """Pairings whose recipient lies in ``user``'s area, by the recipient's county.

    County and province filters apply to the recipient; ``organisation_id`` matches either
    party; ``active`` True keeps pairings in progress today, False the others; ``q``
    matches part of either party's name.
    """
    today = today or local_today()
    stmt = (
        sa.select(Pairing)
        .join(Recipient, Pairing.recipient_id == Recipient.id)
        .join(Supporter, Pairing.supporter_id == Supporter.id)
        .where(area_clause(user, Recipient.county_code))
        .options(selectinload(Pairing.supporter), selectinload(Pairing.recipient))
        .order_by(Recipient.county_code, Recipient.name, Pairing.started_on.desc(), Pairing.id)
    )
    if supporter_id is not None:
        stmt = stmt.where(Pairing.supporter_id == supporter_id)
    if recipient_id is not None:
        stmt = stmt.where(Pairing.recipient_id == recipient_id)
    if organisation_id is not None:
        stmt = stmt.where(
            sa.or_(Pairing.supporter_id == organisation_id, Pairing.recipient_id == organisation_id)
        )
    stmt = stmt.where(*_place_clauses(Recipient.county_code, county_code=county_code,
                                      county_name=county_name, province_code=province_code))
    if status:
        stmt = stmt.where(status_clause(status, today))
    if active is not None:
        clause = status_clause(PairingStatus.ACTIVE, today)
        stmt = stmt.where(clause if active else sa.not_(clause))
    q = (q or "").strip()
    if q:
        stmt = stmt.where(
            sa.or_(
                Supporter.name.contains(q, autoescape=True),
                Recipient.name.contains(q, autoescape=True),
            )
        )
    return stmt


def get_pairing(user: Actor, pairing_id: int) -> Pairing | None:
    """The pairing, or None when it does not exist or its recipient lies outside the area."""
    return db.session.scalar(
        sa.select(Pairing)
        .join(Recipient, Pairing.recipient_id == Recipient.id)
        .where(Pairing.id == pairing_id, area_clause(user, Recipient.county_code))
    )


def organisation_pairings(user: Actor, org: Organisation) -> list[Pairing]:
    """The pairings ``org`` takes part in (either side) that ``user`` may see, newest first."""
    stmt = pairing_list_stmt(user, organisation_id=org.id).order_by(None).order_by(
        Pairing.started_on.desc(), Pairing.id.desc()
    )
    return list(db.session.scalars(stmt))


PAIRING_COLUMNS = (
    "编号", "支援方机构", "支援方省份", "支援方县（区）", "受援方机构", "受援方类型", "受援方省份",
    "受援方县（区）", "受援方县级代码", "开始日期", "结束日期", "状态", "备注",
)


def pairing_table(user: Actor, *, today: date | None = None, **filters) -> pd.DataFrame:
    """Every pairing :func:`pairing_list_stmt` selects, one row each."""
    today = today or local_today()
    rows = [
        (
            p.id, p.supporter.name, p.supporter.county.province, p.supporter.county.name,
            p.recipient.name, p.recipient.kind.label, p.recipient.county.province,
            p.recipient.county.name, p.recipient.county_code, p.started_on, p.ended_on,
            p.status(today).label, p.note,
        )
        for p in db.session.scalars(pairing_list_stmt(user, today=today, **filters))
    ]
    return pd.DataFrame(rows, columns=list(PAIRING_COLUMNS))


def supporter_options() -> list[Organisation]:
    """Organisations that may support a pairing, by name."""
    return list(
        db.session.scalars(
            sa.select(Organisation)
            .where(Organisation.kind == OrgKind.SUPPORTER)
            .order_by(Organisation.name, Organisation.id)
        )
    )


def recipient_options() -> list[Organisation]:
    """Organisations that may receive support: agencies and stations in priority counties."""
    return list(
        db.session.scalars(
            sa.select(Organisation)
            .where(
                Organisation.kind.in_(RECIPIENT_KINDS),
                Organisation.county_code.in_(_priority_codes()),
            )
            .order_by(Organisation.county_code, Organisation.name, Organisation.id)
        )
    )
