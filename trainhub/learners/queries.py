"""Reads on learners, always limited to the reader's area.

A coordinator sees the learners whose organisation lies in their province or county
(:func:`trainhub.auth.area_clause` on the organisation's county); the office sees every
learner; a trainee reaches only their own record (:func:`learner_of_user`).

What a search box holds is recognised, and a full ID or mobile number looked up, in
:mod:`trainhub.learners.search`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, selectinload

from trainhub.accounts.models import User
from trainhub.auth import Actor, area_clause
from trainhub.db import LabelledEnum
from trainhub.extensions import db
from trainhub.figures import Figure
from trainhub.geo.models import County
from trainhub.geo.signals import county_figures
from trainhub.learners.models import Learner, Qualification
from trainhub.learners.search import TRAINEE_USERNAME_PREFIX, parse_search, search_clause
from trainhub.orgs.models import Organisation
from trainhub.orgs.signals import organisation_figures

#: At most this many learners are listed for one search (the enrolment page).
SEARCH_LIMIT = 100


def trainee_username(learner: Learner) -> str:
    return f"{TRAINEE_USERNAME_PREFIX}{learner.id:06d}"


class AccountStatus(LabelledEnum):
    """Where a learner's trainee account stands; derived from the user row, not stored."""

    NO_ACCOUNT = ("none", "无账号")
    NOT_ACTIVATED = ("not_activated", "未激活")
    TEMPORARY = ("temporary", "待设置密码")
    ACTIVE = ("active", "已激活")
    DISABLED = ("disabled", "已停用")


def account_status(learner: Learner) -> AccountStatus:
    user = learner.user
    if user is None:
        return AccountStatus.NO_ACCOUNT
    if not user.is_enabled:
        return AccountStatus.DISABLED
    if user.password_hash is None:
        return AccountStatus.NOT_ACTIVATED
    if user.must_change_password:
        return AccountStatus.TEMPORARY
    return AccountStatus.ACTIVE


def activated_clause() -> sa.ColumnElement[bool]:
    """SQL twin of ``account_status(...) == ACTIVE`` on a query joined to the user.

    Activated means the trainee has chosen their own password (through an activation
    link, or by replacing a temporary one at first sign-in).
    """
    return sa.and_(
        User.id.is_not(None),
        User.password_hash.is_not(None),
        User.must_change_password.is_(False),
    )


@dataclass
class LearnerSearch:
    """What one search found (the enrolment page)."""

    learners: list[Learner]
    #: What the text was taken for: ``id_number``, ``phone``, ``username`` or ``name``.
    kind: str
    #: More matched than are listed.
    truncated: bool = False


def find_learners(user: Actor, q: str | None, *, limit: int = SEARCH_LIMIT,
                  organisation_names: bool = False) -> LearnerSearch:
    """Learners in ``user``'s area matching ``q`` as the register's search box reads it (a
    whole ID or mobile number exactly, through the keyed hash; a trainee user name; part of
    a name, and with ``organisation_names`` part of an organisation's name)."""
    search = parse_search(q)
    if search is None:
        return LearnerSearch([], "name")
    rows = list(db.session.scalars(
        learner_list_stmt(user).where(search_clause(search, organisation_names=organisation_names))
        .limit(limit + 1)
    ).unique())
    return LearnerSearch(rows[:limit], search.kind, truncated=len(rows) > limit)


# lists -----------------------------------------------------------------------------------------


@dataclass
class LearnerFilters:
    """The filters of the learner list, the export and the API listing (all optional)."""

    organisation_id: int | None = None
    county_code: str | None = None
    province_code: str | None = None
    qualification: Qualification | None = None
    #: True: accounts the trainee has activated; False: not (yet) activated.
    activated: bool | None = None
    q: str | None = None

    def audit_detail(self) -> dict:
        """The filters for an audit entry: those set, without the search text (it may be a
        personal number)."""
        values = {
            "organisation_id": self.organisation_id, "county_code": self.county_code,
            "province_code": self.province_code,
            "qualification": self.qualification.value if self.qualification else None,
            "activated": self.activated,
        }
        return {key: value for key, value in values.items() if value is not None}


def learner_list_stmt(user: Actor, filters: LearnerFilters | None = None) -> sa.Select:
    """Learners in ``user``'s area matching ``filters``, by county, organisation and name."""
    filters = filters or LearnerFilters()
    stmt = (
        sa.select(Learner)
        .join(Learner.organisation)
        .outerjoin(Learner.user)
        .options(contains_eager(Learner.organisation), contains_eager(Learner.user))
        .where(area_clause(user, Organisation.county_code))
        .order_by(Organisation.county_code, Organisation.name, Learner.name, Learner.id)
    )
    if filters.organisation_id is not None:
        stmt = stmt.where(Learner.organisation_id == filters.organisation_id)
    if filters.county_code:
        stmt = stmt.where(Organisation.county_code == filters.county_code)
    if filters.province_code:
        stmt = stmt.where(Organisation.county_code.startswith(filters.province_code, autoescape=True))
    if filters.qualification is not None:
        stmt = stmt.where(Learner.qualification == filters.qualification)
    if filters.activated is True:
        stmt = stmt.where(activated_clause())
    elif filters.activated is False:
        stmt = stmt.where(sa.not_(activated_clause()))
    search = parse_search(filters.q)
    if search is not None:
        stmt = stmt.where(search_clause(search))
    return stmt


def count_learners(stmt: sa.Select) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery()))


def get_learner(user: Actor, learner_id: int) -> Learner | None:
    """The learner, or None when they do not exist or lie outside ``user``'s area."""
    return db.session.scalar(
        sa.select(Learner)
        .join(Learner.organisation)
        .options(contains_eager(Learner.organisation), selectinload(Learner.user))
        .where(Learner.id == learner_id, area_clause(user, Organisation.county_code))
    )


def learners_by_ids(user: Actor, ids: list[int]) -> list[Learner]:
    """The learners among ``ids`` that lie in ``user``'s area (others are left out), in the
    order given (duplicates once)."""
    if not ids:
        return []
    found = {
        learner.id: learner
        for learner in db.session.scalars(learner_list_stmt(user).where(Learner.id.in_(ids))).unique()
    }
    return [found[i] for i in dict.fromkeys(ids) if i in found]


def learner_of_user(user: Actor) -> Learner | None:
    """The learner record of a trainee account (None for staff and unlinked accounts)."""
    return db.session.scalar(sa.select(Learner).where(Learner.user_id == user.id))


def not_activated(user: Actor, filters: LearnerFilters, ids: list[int] | None = None) -> list[Learner]:
    """Learners in the area matching ``filters`` (and ``ids`` when given) whose trainee
    account is not activated yet: those who need an activation link."""
    stmt = learner_list_stmt(user, filters).where(sa.not_(activated_clause()))
    if ids is not None:
        stmt = stmt.where(Learner.id.in_(ids))
    return list(db.session.scalars(stmt).unique())


# groups of learners (choosing whom to enrol) ----------------------------------------------------


def _learners_in_area(user: Actor) -> sa.Select:
    return (
        sa.select(Learner)
        .join(Organisation, Organisation.id == Learner.organisation_id)
        .where(area_clause(user, Organisation.county_code))
    )


@dataclass(frozen=True)
class OrganisationChoice:
    organisation: Organisation
    learners: int


def organisations_matching(user: Actor, q: str | None, *, limit: int = 20) -> list[OrganisationChoice]:
    """Organisations in ``user``'s area whose name contains ``q`` and that have learners."""
    text = (q or "").strip()
    if not text:
        return []
    count = sa.func.count(Learner.id)
    rows = db.session.execute(
        sa.select(Organisation, count)
        .join(Learner, Learner.organisation_id == Organisation.id)
        .where(area_clause(user, Organisation.county_code),
               Organisation.name.contains(text, autoescape=True))
        .group_by(Organisation.id)
        .order_by(Organisation.county_code, Organisation.name)
        .limit(limit)
    )
    return [OrganisationChoice(org, n) for org, n in rows]


def learners_of_organisation(user: Actor, organisation_id: int) -> list[Learner]:
    """Every learner of the organisation (in ``user``'s area), by name."""
    return list(
        db.session.scalars(
            _learners_in_area(user)
            .where(Learner.organisation_id == organisation_id)
            .order_by(Learner.name, Learner.id)
        )
    )


@dataclass(frozen=True)
class CountyChoice:
    code: str
    name: str
    province: str
    learners: int

    @property
    def label(self) -> str:
        return f"{self.province} {self.name}（{self.code}，{self.learners} 名学员）"


def counties_with_learners(user: Actor) -> list[CountyChoice]:
    """Counties of ``user``'s area that have learners, with how many."""
    rows = db.session.execute(
        sa.select(County.code, County.name, County.province, sa.func.count(Learner.id))
        .join(Organisation, Organisation.county_code == County.code)
        .join(Learner, Learner.organisation_id == Organisation.id)
        .where(area_clause(user, County.code))
        .group_by(County.code, County.name, County.province)
        .order_by(County.code)
    )
    return [CountyChoice(*row) for row in rows]


def learners_of_county(user: Actor, county_code: str) -> list[Learner]:
    """Every learner of the county's organisations (in ``user``'s area), by organisation and name."""
    return list(
        db.session.scalars(
            _learners_in_area(user)
            .where(Organisation.county_code == county_code)
            .order_by(Organisation.name, Learner.name, Learner.id)
        )
    )


# export ----------------------------------------------------------------------------------------

EXPORT_COLUMNS = (
    "姓名", "性别", "出生年份", "身份证号码（脱敏）", "手机号码（脱敏）", "所在机构", "县区代码", "县区", "省份",
    "职务", "职业资格", "入职日期", "用户名", "账号状态",
)


def learners_frame(learners) -> pd.DataFrame:
    """The export sheet of ``learners``: masked ID and phone numbers only."""
    rows = []
    for learner in learners:
        org = learner.organisation
        rows.append((
            learner.name,
            learner.gender.label,
            learner.birth_year,
            learner.id_number_masked,
            learner.phone_masked or "",
            org.name,
            org.county_code,
            org.county.name,
            org.county.province,
            learner.position or "",
            learner.qualification.label,
            learner.joined_on.isoformat() if isinstance(learner.joined_on, date) else "",
            learner.user.username if learner.user else "",
            account_status(learner).label,
        ))
    return pd.DataFrame(rows, columns=list(EXPORT_COLUMNS))


def export_frame(user: Actor, filters: LearnerFilters) -> pd.DataFrame:
    return learners_frame(db.session.scalars(learner_list_stmt(user, filters)).unique())


# figures for the pages of features below -------------------------------------------------------


def learners_per_organisation(sender, *, keys: list[int]) -> Figure:
    """The learners of each organisation (the organisations feature's list, page and export)."""
    rows = db.session.execute(
        sa.select(Learner.organisation_id, sa.func.count(Learner.id))
        .where(Learner.organisation_id.in_(keys))
        .group_by(Learner.organisation_id)
    ).all() if keys else []
    return Figure("learners", "学员", "名", dict(rows),
                  endpoint="learners.list", argument="organisation", order=20)


def learners_per_county(sender, *, keys: list[str]) -> Figure:
    """The learners of the organisations of each county (a county's page)."""
    rows = db.session.execute(
        sa.select(Organisation.county_code, sa.func.count(Learner.id))
        .join(Organisation, Organisation.id == Learner.organisation_id)
        .where(Organisation.county_code.in_(keys))
        .group_by(Organisation.county_code)
    ).all() if keys else []
    return Figure("learners", "学员", "名", dict(rows),
                  endpoint="learners.list", argument="county", order=20)


organisation_figures.connect(learners_per_organisation)
county_figures.connect(learners_per_county)
