"""Writes on counties: the code list, its versions and the priority flag.

Each function flushes; the request or command commits. Files are read completely and
checked before anything is written, so a refused file changes nothing.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import sqlalchemy as sa

from trainhub.audit.operations import record
from trainhub.db import utcnow
from trainhub.extensions import db
from trainhub.geo.models import CodeListVersion, County
from trainhub.refusals import Refusal

#: The code list shipped in ``trainhub/data`` and loaded by ``trainhub init``.
PACKAGED_LIST_FILE = "counties_2023.csv"
PACKAGED_LIST_VERSION = "NBS-2023"
PACKAGED_LIST_SOURCE = "国家统计局 2023 年统计用区划代码（截至 2023-06-30）"
PACKAGED_PRIORITY_FILE = "priority_counties.csv"
#: Number of national key assistance counties in the 2021-08-27 notice (not all confirmed).
EXPECTED_PRIORITY_COUNT = 160

REQUIRED_COLUMNS = ("code", "county", "prefecture", "province")
#: First two digits of GB/T 2260 codes: the provinces, Taiwan, Hong Kong and Macao.
PROVINCE_CODES = frozenset({
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65",
    "71", "81", "82",
})
CODE_RE = re.compile(r"\d{6}")
MAX_LENGTHS = {"county": 64, "prefecture": 64, "province": 32}
COLUMN_LABELS = {"county": "县名", "prefecture": "地市", "province": "省份"}
#: At most this many problems are listed when a file is refused.
MAX_LISTED_PROBLEMS = 20


class CountyError(Refusal):
    """A refused change of the county list or the priority flags."""

    def __init__(self, field: str, message: str, problems: list[str] | None = None):
        super().__init__(field, message)
        #: For files: one Chinese line per faulty row.
        self.problems = problems or []


def _refuse_file(problems: list[str]) -> CountyError:
    listed = problems[:MAX_LISTED_PROBLEMS]
    if len(problems) > len(listed):
        listed.append(f"……另有 {len(problems) - len(listed)} 处错误未列出。")
    message = "文件有误，未做任何更改：\n" + "\n".join(listed)
    return CountyError("file", message, listed)


def decode_text(data: bytes) -> str:
    """Text of an uploaded or given file: UTF-8 (with or without BOM) or GBK/GB18030."""
    if b"\x00" in data:
        raise CountyError(
            "file",
            "无法识别文件编码：请另存为 UTF-8 或 GBK 编码的 CSV 文本文件"
            "（不是 UTF-16 文本或 Excel 工作簿）。",
        )
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise CountyError("file", "无法识别文件编码：请另存为 UTF-8 或 GBK 编码的 CSV 文本文件。")


# reading code lists --------------------------------------------------------------------------


@dataclass(frozen=True)
class CodeListRow:
    line: int
    code: str
    name: str
    prefecture: str
    province: str


def read_code_list(data: bytes) -> list[CodeListRow]:
    """Parse and check a code list (columns code, county, prefecture, province).

    Raises :class:`CountyError` naming every faulty row: malformed or duplicate codes,
    unknown province prefixes, empty or over-long names, provinces that disagree with
    their code's first two digits.
    """
    text = decode_text(data)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [(name or "").strip().lower() for name in (reader.fieldnames or [])]
    if not header:
        raise CountyError("file", "文件是空的：应有表头 code,county,prefecture,province 和数据行。")
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise CountyError(
            "file",
            f"第 1 行（表头）缺少列：{', '.join(missing)}。应有列：{', '.join(REQUIRED_COLUMNS)}。",
        )
    reader.fieldnames = header

    rows: list[CodeListRow] = []
    problems: list[str] = []
    first_line: dict[str, int] = {}
    province_of: dict[str, tuple[str, int]] = {}
    for raw in reader:
        line = reader.line_num
        values = {key: (raw.get(key) or "").strip() for key in REQUIRED_COLUMNS}
        if not any(values.values()):
            continue
        code = values["code"]
        row_problems = []
        if not CODE_RE.fullmatch(code):
            row_problems.append(f"代码“{code}”应为 6 位数字")
        elif code[:2] not in PROVINCE_CODES:
            row_problems.append(f"代码 {code} 的前两位 {code[:2]} 不是省级代码")
        for key, limit in MAX_LENGTHS.items():
            if not values[key]:
                row_problems.append(f"{COLUMN_LABELS[key]}（{key}）为空")
            elif len(values[key]) > limit:
                row_problems.append(f"{COLUMN_LABELS[key]}（{key}）超过 {limit} 个字符")
        if not row_problems and code in first_line:
            row_problems.append(f"代码 {code} 与第 {first_line[code]} 行重复")
        if not row_problems:
            known = province_of.get(code[:2])
            if known and known[0] != values["province"]:
                row_problems.append(
                    f"省份“{values['province']}”与代码前两位 {code[:2]} 不符"
                    f"（第 {known[1]} 行为“{known[0]}”）"
                )
        if row_problems:
            problems.append(f"第 {line} 行：" + "；".join(row_problems) + "。")
            continue
        first_line[code] = line
        province_of.setdefault(code[:2], (values["province"], line))
        rows.append(CodeListRow(line, code, values["county"], values["prefecture"], values["province"]))
    if problems:
        raise _refuse_file(problems)
    if not rows:
        raise CountyError("file", "文件中没有数据行：表头之后应为每个县级行政区划一行。")
    return rows


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
    version = (version or "").strip()
    source = (source or "").strip()
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


def read_codes(data: bytes) -> list[str]:
    """County codes from a file: a CSV with a ``code`` column, or one code per line.

    In a file without a ``code`` header the first field of each line (separated by a comma,
    tab or semicolon) is the code; blank lines and lines starting with ``#`` are skipped.
    """
    text = decode_text(data)
    lines = text.splitlines()
    first = next((line for line in lines if line.strip() and not line.lstrip().startswith("#")), None)
    if first is None:
        raise CountyError("file", "文件中没有县级代码。")
    codes: list[str] = []
    problems: list[str] = []
    header = [cell.strip().lower() for cell in next(csv.reader([first]))]
    if "code" in header:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        reader.fieldnames = [(name or "").strip().lower() for name in reader.fieldnames or []]
        for raw in reader:
            code = (raw.get("code") or "").strip()
            if not code:
                continue
            if CODE_RE.fullmatch(code):
                codes.append(code)
            else:
                problems.append(f"第 {reader.line_num} 行：“{code}”不是 6 位县级代码。")
    else:
        for number, line in enumerate(lines, start=1):
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            code = re.split(r"[,\t;，；]", stripped, maxsplit=1)[0].strip()
            if CODE_RE.fullmatch(code):
                codes.append(code)
            else:
                problems.append(f"第 {number} 行：“{code[:20]}”不是 6 位县级代码。")
    if problems:
        raise _refuse_file(problems)
    if not codes:
        raise CountyError("file", "文件中没有县级代码。")
    return codes


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
    source = (source or "").strip() or None
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
