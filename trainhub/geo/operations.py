"""Writes on counties: the code list, its versions and the priority flag.

Each function flushes; the request or command commits. Files are read and checked
completely first (:mod:`trainhub.geo.files`), so a refused file changes nothing.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import sqlalchemy as sa

from trainhub.audit.operations import record
from trainhub.db import utcnow
from trainhub.extensions import db
from trainhub.geo.files import CODE_RE, CodeListRow, CountyError, decode_text, read_code_list
from trainhub.geo.models import CodeListVersion, County
from trainhub.text import clean_line, clean_text

#: The code list shipped in ``trainhub/data`` and loaded by ``trainhub init``.
PACKAGED_LIST_FILE = "counties_2023.csv"
PACKAGED_LIST_VERSION = "NBS-2023"
PACKAGED_LIST_SOURCE = "国家统计局 2023 年统计用区划代码（截至 2023-06-30）"
PACKAGED_PRIORITY_FILE = "priority_counties.csv"
#: Number of national key assistance counties in the 2021-08-27 notice (not all confirmed).
EXPECTED_PRIORITY_COUNT = 160

# loading code lists --------------------------------------------------------------------------


@dataclass
class CodeListSummary:
    version: str
    total: int
    added: int = 0
    #: Codes whose name, prefecture or province changed, or that came back into the list.
    updated: int = 0
    #: Codes missing from this list: kept, marked no longer current.
    retired: int = 0
    unchanged: int = 0
    #: "code name" of retired codes that are still flagged as priority counties.
    retired_priority: list[str] = field(default_factory=list)


def _check_version(version: str, source: str) -> tuple[str, str]:
    version = clean_line(version)
    source = clean_line(source)
    if not version:
        raise CountyError("version", "请填写代码表版本，例如 NBS-2024。")
    if len(version) > 32:
        raise CountyError("version", "代码表版本不能超过 32 个字符。")
    if not source:
        raise CountyError("source", "请填写代码表来源。")
    if len(source) > 300:
        raise CountyError("source", "代码表来源不能超过 300 个字符。")
    return version, source


def _expire_loaded_counties() -> None:
    """Bulk statements bypass the identity map: reload counties the session already holds."""
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, County):
            db.session.expire(obj)


def apply_code_list(rows: list[CodeListRow], version: str, source: str) -> CodeListSummary:
    """Merge checked rows into the county table and record the list's version.

    New codes are added; changed names are updated; codes missing from the list are kept
    with ``is_current = False`` (organisations and ID numbers refer to them). Priority
    flags are left alone.
    """
    version, source = _check_version(version, source)
    db.session.flush()
    existing = {
        row.code: row
        for row in db.session.execute(
            sa.select(
                County.code, County.name, County.prefecture, County.province,
                County.is_current, County.list_version, County.is_priority,
            )
        )
    }
    now = utcnow()
    summary = CodeListSummary(version=version, total=len(rows))
    inserts: list[dict] = []
    updates: list[dict] = []
    for row in rows:
        values = {
            "code": row.code,
            "name": row.name,
            "prefecture": row.prefecture,
            "province": row.province,
            "province_code": row.code[:2],
            "list_version": version,
            "is_current": True,
            "updated_at": now,
        }
        old = existing.get(row.code)
        if old is None:
            inserts.append({**values, "is_priority": False, "priority_source": None})
            summary.added += 1
            continue
        changed = (old.name, old.prefecture, old.province) != (row.name, row.prefecture, row.province)
        if changed or not old.is_current:
            summary.updated += 1
        else:
            summary.unchanged += 1
        if changed or not old.is_current or old.list_version != version:
            updates.append(values)
    listed = {row.code for row in rows}
    for code, old in existing.items():
        if code in listed or not old.is_current:
            continue
        updates.append({"code": code, "is_current": False, "updated_at": now})
        summary.retired += 1
        if old.is_priority:
            summary.retired_priority.append(f"{code} {old.name}")

    if inserts:
        db.session.execute(sa.insert(County), inserts)
    if updates:
        db.session.execute(sa.update(County), updates)
    _expire_loaded_counties()

    list_row = db.session.get(CodeListVersion, version)
    if list_row is None:
        db.session.add(CodeListVersion(version=version, source=source, county_count=len(rows)))
    else:
        list_row.source = source
        list_row.county_count = len(rows)
        list_row.loaded_at = now
    db.session.flush()
    record(
        "county.load_code_list",
        target_type="code_list",
        target_id=version,
        detail={
            "source": source,
            "total": summary.total,
            "added": summary.added,
            "updated": summary.updated,
            "retired": summary.retired,
        },
    )
    return summary


def load_code_list(path: str | Path, version: str, source: str) -> CodeListSummary:
    """Load a county code list CSV (same columns as the packaged one) as ``version``.

    A refused file (unreadable, wrong encoding, missing columns, bad or duplicate codes)
    raises :class:`CountyError` naming the rows, and nothing is changed.
    """
    version, source = _check_version(version, source)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise CountyError("file", f"无法读取文件 {path}：{exc.strerror or exc}。") from exc
    return apply_code_list(read_code_list(data), version, source)


# reference data ------------------------------------------------------------------------------


@dataclass
class CountyReferenceSummary:
    code_list: CodeListSummary | None
    #: Codes flagged from the packaged priority list by this call (only on the first load).
    flagged: list[str]
    county_count: int
    priority_count: int


def packaged_file(name: str) -> bytes:
    return resources.files("trainhub").joinpath("data", name).read_bytes()


def _flag_packaged_priority_counties() -> list[str]:
    """Flag the confirmed priority counties, each with the published source it came from."""
    reader = csv.DictReader(io.StringIO(decode_text(packaged_file(PACKAGED_PRIORITY_FILE))))
    wanted = {row["code"].strip(): row["list_source"].strip()[:300] for row in reader}
    known = set(db.session.scalars(sa.select(County.code).where(County.code.in_(wanted))))
    unknown = sorted(set(wanted) - known)
    if unknown:  # the packaged files disagree: a defect of the package, not of user input
        raise RuntimeError(f"priority counties missing from the code list: {', '.join(unknown)}")
    db.session.execute(
        sa.update(County),
        [
            {"code": code, "is_priority": True, "priority_source": source, "updated_at": utcnow()}
            for code, source in wanted.items()
        ],
    )
    _expire_loaded_counties()
    for code, source in wanted.items():
        record(
            "county.flag_priority",
            target_type="county",
            target_id=code,
            detail={"source": source, "via": "init"},
        )
    return list(wanted)


def load_counties() -> CountyReferenceSummary:
    """The county reference data ``trainhub init`` loads: the packaged code list and the
    confirmed priority counties.

    Idempotent. They are applied only when no code list has been loaded yet, so a second
    run neither reverts a newer code list the operator loaded nor undoes flags the office
    set or removed since.
    """
    code_list = None
    flagged: list[str] = []
    if db.session.scalar(sa.select(sa.func.count()).select_from(CodeListVersion)) == 0:
        rows = read_code_list(packaged_file(PACKAGED_LIST_FILE))
        code_list = apply_code_list(rows, PACKAGED_LIST_VERSION, PACKAGED_LIST_SOURCE)
        flagged = _flag_packaged_priority_counties()
    counts = db.session.execute(
        sa.select(
            sa.func.count(),
            sa.func.count().filter(County.is_priority),
        ).where(County.is_current)
    ).one()
    return CountyReferenceSummary(
        code_list=code_list, flagged=flagged, county_count=counts[0], priority_count=counts[1],
    )


# priority flags ------------------------------------------------------------------------------


@dataclass
class FlagResult:
    #: Counties whose flag this call changed.
    changed: list[County]
    #: Codes that already had the requested state.
    unchanged: list[str]


def set_priority(codes: list[str], *, priority: bool, source: str | None = None,
                 via: str = "web") -> FlagResult:
    """Flag (``priority=True``) or unflag counties as national key assistance counties.

    ``source`` says where the flag comes from (required when flagging) or why it is
    removed. Every code must be a known county, and newly flagged ones must be current;
    otherwise nothing changes. Each change is audited (``county.flag_priority`` /
    ``county.unflag_priority``).
    """
    wanted = list(dict.fromkeys((code or "").strip() for code in codes))
    wanted = [code for code in wanted if code]
    if not wanted:
        raise CountyError("codes", "请至少给出一个县级代码。")
    malformed = [code for code in wanted if not CODE_RE.fullmatch(code)]
    if malformed:
        raise CountyError("codes", f"以下代码不是 6 位数字：{'、'.join(malformed)}。")
    source = clean_text(source) or None
    if priority and not source:
        raise CountyError("source", "请填写标记依据，例如文件名称、文号或网址。")
    if source and len(source) > 300:
        raise CountyError("source", "依据或原因不能超过 300 个字符。")

    counties = {
        county.code: county
        for county in db.session.scalars(sa.select(County).where(County.code.in_(wanted)))
    }
    unknown = [code for code in wanted if code not in counties]
    if unknown:
        raise CountyError("codes", f"以下代码不在县级行政区划代码表中：{'、'.join(unknown)}。")
    if priority:
        retired = [code for code in wanted if not counties[code].is_current]
        if retired:
            raise CountyError(
                "codes",
                f"以下代码已不在现行代码表中，请改用其现行代码：{'、'.join(retired)}。",
            )

    result = FlagResult(changed=[], unchanged=[])
    previous_source: dict[str, str | None] = {}
    for code in wanted:
        county = counties[code]
        if county.is_priority == priority:
            result.unchanged.append(code)
            continue
        previous_source[code] = county.priority_source
        county.is_priority = priority
        county.priority_source = source if priority else None
        result.changed.append(county)
    db.session.flush()
    for county in result.changed:
        detail = {"name": county.name, "via": via}
        if priority:
            detail["source"] = source
        else:
            detail["reason"] = source
            detail["previous_source"] = previous_source[county.code]
        record(
            "county.flag_priority" if priority else "county.unflag_priority",
            target_type="county",
            target_id=county.code,
            detail=detail,
        )
    return result
