"""Reports across features: the coverage of the priority counties (organisations by kind,
pairings in progress and learners of each county flagged as a priority county), limited to
the reader's area (:func:`trainhub.auth.area_clause`).

Reports are functions that take filters and return plain data; :func:`coverage_frames`
turns a report into ``pandas.DataFrame`` sheets for :mod:`trainhub.spreadsheets`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd
import sqlalchemy as sa

from trainhub.auth import Actor, Role, area_clause
from trainhub.extensions import db
from trainhub.geo.models import County
from trainhub.geo.operations import EXPECTED_PRIORITY_COUNT
from trainhub.learners.models import Learner
from trainhub.localtime import local_today
from trainhub.orgs.models import Organisation, OrgKind, Pairing, PairingStatus
from trainhub.orgs.queries import Recipient, status_clause

#: Roles that read the coverage, on the web and through the API.
COVERAGE_READERS = (Role.OFFICE, Role.COORDINATOR)


@dataclass
class CountyCoverage:
    """One county flagged as a priority county and what it has."""

    code: str
    name: str
    prefecture: str
    province_code: str
    province: str
    organisations: dict[OrgKind, int] = field(default_factory=dict)
    #: Pairings in progress today whose recipient lies in the county.
    pairings: int = 0
    learners: int = 0

    @property
    def organisations_total(self) -> int:
        return sum(self.organisations.values())

    @property
    def gaps(self) -> list[str]:
        """What the county still lacks, in Chinese (empty when it has everything)."""
        missing = []
        if not self.organisations_total:
            missing.append("无机构")
        if not self.pairings:
            missing.append("无结对")
        if not self.learners:
            missing.append("无学员")
        return missing


@dataclass
class CoverageTotals:
    flagged: int = 0
    with_organisations: int = 0
    with_pairings: int = 0
    with_learners: int = 0
    #: Counties with an organisation, a pairing and learners.
    complete: int = 0

    def add(self, county: CountyCoverage) -> None:
        self.flagged += 1
        self.with_organisations += bool(county.organisations_total)
        self.with_pairings += bool(county.pairings)
        self.with_learners += bool(county.learners)
        self.complete += not county.gaps


@dataclass
class ProvinceCoverage:
    province_code: str
    province: str
    totals: CoverageTotals
    #: The counties shown (all of them, or only those with gaps).
    counties: list[CountyCoverage]


@dataclass
class CoverageReport:
    provinces: list[ProvinceCoverage]
    #: Over every flagged county in the reader's area (and province filter), gaps or not.
    totals: CoverageTotals
    #: Counties flagged in the whole country, and how many the notice names.
    national_flagged: int
    expected: int
    #: True for the office without a province filter: the figures are the programme's.
    whole_programme: bool
    gaps_only: bool
    #: The day "in progress" refers to.
    today: date

    @property
    def counties(self) -> list[CountyCoverage]:
        return [county for province in self.provinces for county in province.counties]

    @property
    def summary(self) -> str:
        return coverage_summary_text(self)


def coverage(
    user: Actor,
    *,
    province_code: str | None = None,
    gaps_only: bool = False,
    today: date | None = None,
) -> CoverageReport:
    """Organisations (by kind), pairings in progress and learners of each county flagged as
    a priority county in ``user``'s area, grouped by province.

    Four grouped queries, whatever the number of counties: the counties, organisations by
    county and kind, pairings in progress by the recipient's county, learners by county.
    """
    today = today or local_today()
    in_scope = [County.is_priority.is_(True), area_clause(user, County.code)]
    if province_code:
        in_scope.append(County.province_code == province_code)
    counties = {
        row.code: CountyCoverage(row.code, row.name, row.prefecture, row.province_code, row.province)
        for row in db.session.execute(
            sa.select(County.code, County.name, County.prefecture, County.province_code,
                      County.province)
            .where(*in_scope)
            .order_by(County.province_code, County.code)
        )
    }
    scope_codes = sa.select(County.code).where(*in_scope)

    for code, kind, count in db.session.execute(
        sa.select(Organisation.county_code, Organisation.kind, sa.func.count(Organisation.id))
        .where(Organisation.county_code.in_(scope_codes))
        .group_by(Organisation.county_code, Organisation.kind)
    ):
        counties[code].organisations[kind] = count
    for code, count in db.session.execute(
        sa.select(Recipient.county_code, sa.func.count(Pairing.id))
        .join(Recipient, Pairing.recipient_id == Recipient.id)
        .where(Recipient.county_code.in_(scope_codes), status_clause(PairingStatus.ACTIVE, today))
        .group_by(Recipient.county_code)
    ):
        counties[code].pairings = count
    for code, count in db.session.execute(
        sa.select(Organisation.county_code, sa.func.count(Learner.id))
        .join(Organisation, Organisation.id == Learner.organisation_id)
        .where(Organisation.county_code.in_(scope_codes))
        .group_by(Organisation.county_code)
    ):
        counties[code].learners = count

    totals = CoverageTotals()
    provinces: dict[str, ProvinceCoverage] = {}
    for county in counties.values():
        county.organisations = {kind: county.organisations.get(kind, 0) for kind in OrgKind}
        totals.add(county)
        province = provinces.setdefault(
            county.province_code,
            ProvinceCoverage(county.province_code, county.province, CoverageTotals(), []),
        )
        province.totals.add(county)
        if county.gaps or not gaps_only:
            province.counties.append(county)
    national = db.session.scalar(
        sa.select(sa.func.count()).select_from(County).where(County.is_priority.is_(True))
    )
    return CoverageReport(
        provinces=[p for p in provinces.values() if p.counties or not gaps_only],
        totals=totals,
        national_flagged=national or 0,
        expected=EXPECTED_PRIORITY_COUNT,
        whole_programme=user.role in (Role.OFFICE, Role.CERTIFIER) and not province_code,
        gaps_only=gaps_only,
        today=today,
    )


def coverage_summary_text(report: CoverageReport) -> str:
    """The headline: "N of the M counties flagged as priority (160 expected)", in Chinese."""
    t = report.totals
    scope = "" if report.whole_programme else "本范围内"
    text = (
        f"{scope}已标记重点帮扶县 {t.flagged} 个"
        + (f"（应为 {report.expected} 个）" if report.whole_programme else "")
        + f"，其中 {t.with_organisations} 个已有机构，{t.with_pairings} 个已有进行中的结对，"
        f"{t.with_learners} 个已有学员，{t.complete} 个三项齐全。"
    )
    if not report.whole_programme:
        text += f"全国已标记重点帮扶县 {report.national_flagged} 个（应为 {report.expected} 个）。"
    return text


COVERAGE_COLUMNS = (
    "省份", "县级代码", "县（区）", "地市", *(kind.label for kind in OrgKind), "机构合计",
    "进行中的结对", "学员", "缺口",
)
SUMMARY_COLUMNS = ("省份", "已标记重点帮扶县", "已有机构", "已有结对", "已有学员", "三项齐全")


def coverage_frames(report: CoverageReport) -> dict[str, pd.DataFrame]:
    """The coverage as workbook sheets: one row per county, the provinces' totals, a note."""
    county_rows = [
        (
            c.province, c.code, c.name, c.prefecture,
            *(c.organisations[kind] for kind in OrgKind), c.organisations_total,
            c.pairings, c.learners, "、".join(c.gaps) or "齐全",
        )
        for c in report.counties
    ]

    def summary_row(name: str, t: CoverageTotals) -> tuple:
        return (name, t.flagged, t.with_organisations, t.with_pairings, t.with_learners, t.complete)

    summary_rows = [summary_row(p.province, p.totals) for p in report.provinces]
    summary_rows.append(summary_row("合计", report.totals))
    note = [coverage_summary_text(report)]
    if report.gaps_only:
        note.append("县级明细仅列出尚有缺口的县。")
    note.append(f"结对按 {report.today.isoformat()} 当日仍在进行中的计算。")
    return {
        "重点帮扶县覆盖": pd.DataFrame(county_rows, columns=list(COVERAGE_COLUMNS)),
        "分省汇总": pd.DataFrame(summary_rows, columns=list(SUMMARY_COLUMNS)),
        "说明": pd.DataFrame({"说明": note}),
    }
