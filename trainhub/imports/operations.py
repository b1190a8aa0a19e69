"""Bulk import of learners: the one pipeline behind the web page, the API, the CLI and the demo.

A roster (``.xlsx`` or ``.csv`` as the counties send it) goes through three steps:

1. :func:`read_roster` reads it (size and row limits, file type, encoding) into text cells;
2. :func:`plan_import` recognises the columns by their Chinese or English headers, checks every
   row (the learner's fields with :func:`~trainhub.learners.validation.check_learner_fields`,
   the county, the organisation, duplicates inside the file, Excel's numeric IDs, the
   importer's area) and works out what would happen: new learners, updates (with the
   changed fields), rows without change, organisations to create. This is the dry run; it
   reads the database with a handful of queries whatever the number of rows (all ID hashes
   at once, the counties and organisations once), and writes nothing;
3. :func:`commit_import` writes the plan: all or nothing by default, or the valid rows only,
   then enrols the imported learners in a course when asked. It flushes and audits; the
   caller commits.

Learners are matched by their ID number, so importing the same file twice changes nothing
the second time. Cells are text as typed: formulas are kept as their text, never
evaluated; leading zeros and the ``X`` check digit survive. Messages are Chinese and never
repeat an ID or phone number.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

import pandas as pd
import sqlalchemy as sa
from flask import current_app

from trainhub.accounts.models import User
from trainhub.audit.operations import record
from trainhub.auth import in_area
from trainhub.courses.models import Course, Enrolment, EnrolmentStatus
from trainhub.courses.operations import enrol_many
from trainhub.db import LabelledEnum
from trainhub.extensions import db
from trainhub.geo.models import County
from trainhub.learners import idcard
from trainhub.learners.models import Gender, Learner
from trainhub.learners.operations import (
    FIELD_LABELS,
    apply_learner_fields,
    create_learners,
    learner_changes,
)
from trainhub.learners.validation import LearnerFields, check_learner_fields
from trainhub.orgs.models import Organisation, OrgKind
from trainhub.orgs.operations import create_organisation
from trainhub.pii import cipher
from trainhub.spreadsheets import SpreadsheetError, Table, read_table, to_xlsx

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_ROWS = 20_000
#: Audit action of a committed import.
AUDIT_ACTION = "import.learners"
#: Header of the column that explains, in the rejected-rows workbook, what is wrong.
ERROR_COLUMN = "错误说明"
ROW_COLUMN = "原行号"
#: Lookups by ID hash are sent in chunks of this size (bound parameters per statement).
HASH_CHUNK = 500
#: Longest organisation name the register accepts.
MAX_ORG_NAME = 120


class ImportRefused(ValueError):
    """The file (or the whole import) is refused; ``message`` is Chinese, nothing was written."""

    def __init__(self, message: str, field: str = "file"):
        super().__init__(message)
        self.message = message
        self.field = field


# columns -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    #: Header of the template and of messages when the file lacks the column.
    label: str
    aliases: tuple[str, ...]
    required: bool = False
    #: How to fill the column (the template's notes sheet).
    note: str = ""


COLUMNS: tuple[Column, ...] = (
    Column("name", "姓名", ("姓名", "学员姓名", "name", "full_name"), True,
           "2–50 个汉字或字母；少数民族姓名可用“·”分隔。"),
    Column("id_number", "身份证号码",
           ("身份证号", "身份证号码", "证件号码", "公民身份号码", "身份证", "居民身份证号码",
            "id_number", "idnumber", "id_no", "id_card"), True,
           "18 位公民身份号码，最后一位可以是 X。请把该列设为“文本”格式，否则 Excel 会把号码存成"
           "数字（如 5.2E+17）并丢失末几位。按身份证号码识别学员：已登记的学员会被更新，不会重复登记。"),
    Column("phone", "手机号码",
           ("手机", "手机号", "手机号码", "联系电话", "电话", "移动电话", "联系方式",
            "phone", "mobile", "mobile_phone"), True,
           "11 位中国大陆手机号码，可带 +86。"),
    Column("gender", "性别", ("性别", "gender", "sex"), False,
           "男或女；可留空（以身份证号码为准，填写时须与之一致）。"),
    Column("birth_date", "出生日期", ("出生日期", "出生年月日", "birth_date", "birthday", "date_of_birth"),
           False, "如 1990-03-07；可留空（以身份证号码为准，填写时须与之一致）。"),
    Column("organisation", "工作单位",
           ("工作单位", "所在机构", "机构名称", "单位", "单位名称", "机构", "所在单位", "服务机构",
            "organisation", "organization", "org", "employer"), True,
           "机构或社工站的全称。在所在县（区）内按名称查找；找不到时导入会新建该机构。"),
    Column("county", "所在县（区）",
           ("所在县", "区县", "县（区）", "所在县（区）", "所在区县", "县区", "县", "县（市、区）",
            "县级代码", "区县代码", "county", "county_code"), True,
           "县（区）名称（如 威宁彝族回族苗族自治县）或 6 位县级行政区划代码（如 520526）。"
           "县名重复时请同时填写省份和地市，或直接填写代码。"),
    Column("province", "省份", ("省份", "省", "所在省份", "省（区、市）", "province"), False,
           "可选：用于区分同名的县（区）。"),
    Column("prefecture", "地市", ("地市", "市（州）", "市州", "所在地市", "地级市", "prefecture", "city"),
           False, "可选：用于区分同名的县（区）。"),
    Column("org_kind", "机构类型", ("机构类型", "单位类型", "org_kind", "organisation_kind", "kind"), False,
           "可选：社工机构、乡镇（街道）社工站或支援方机构；只在新建机构时使用。"
           "留空时按名称判断（含“社工站”“工作站”“服务站”的为社工站）。"),
    Column("position", "职务", ("职务", "岗位", "职务/岗位", "职务（岗位）", "职位", "position", "job_title"),
           False, "可选，最多 50 个字。已登记的学员留空表示不修改。"),
    Column("qualification", "职业资格",
           ("职业资格", "持证情况", "职业资格证书", "社会工作者职业资格", "资格证书", "qualification"), False,
           "可选：助理社会工作师、社会工作师、高级社会工作师或无。已登记的学员留空表示不修改。"),
    Column("joined_on", "入职日期", ("入职日期", "入职时间", "joined_on", "date_joined"), False,
           "可选，如 2021-07-01。已登记的学员留空表示不修改。"),
)
COLUMNS_BY_KEY = {column.key: column for column in COLUMNS}
#: Fields whose blank cell leaves an existing learner's value as it is.
KEEP_WHEN_BLANK = ("position", "qualification", "joined_on")

_HEADER_MARKS = re.compile(r"[*]|\((必填|选填|可选|必须)\)$")


def header_key(text: str) -> str:
    """A header reduced to compare: half-width, lower-case, no spaces or required marks."""
    text = unicodedata.normalize("NFKC", text or "").strip().lower()
    text = re.sub(r"\s+", "", text)
    text = _HEADER_MARKS.sub("", text)
    return text.replace("-", "_")


_ALIASES = {header_key(alias): column.key for column in COLUMNS for alias in column.aliases}


@dataclass
class ColumnMap:
    """Which column of the file holds which field."""

    index: dict[str, int]
    headers: list[str]
    #: Headers (as in the file) that were not recognised.
    ignored: list[str]

    def header(self, key: str) -> str:
        position = self.index.get(key)
        if position is None:
            return COLUMNS_BY_KEY[key].label if key in COLUMNS_BY_KEY else key
        return self.headers[position] or f"第 {position + 1} 列"


def map_columns(headers: list[str]) -> ColumnMap:
    """Recognise the columns; refuses a file that lacks required ones or repeats one."""
    index: dict[str, int] = {}
    ignored: list[str] = []
    repeated: list[str] = []
    for position, text in enumerate(headers):
        key = _ALIASES.get(header_key(text))
        if key is None:
            if text.strip():
                ignored.append(text.strip())
            continue
        if key in index:
            repeated.append(f"“{headers[index[key]]}”和“{text}”（都表示{COLUMNS_BY_KEY[key].label}）")
            continue
        index[key] = position
    if repeated:
        raise ImportRefused("表头中有重复的列：" + "；".join(repeated) + "。请只保留其中一列。")
    missing = [column for column in COLUMNS if column.required and column.key not in index]
    if missing:
        listed = "、".join(
            f"{column.label}（可用表头：{'、'.join(column.aliases[:4])}）" for column in missing
        )
        raise ImportRefused(
            f"文件缺少必需的列：{listed}。请在第一行填写表头，或下载导入模板对照填写。"
        )
    return ColumnMap(index=index, headers=list(headers), ignored=ignored)


def unnamed_columns_with_data(table: Table) -> list[str]:
    """Columns holding data under an empty header (or beyond the header): they are ignored,
    and the preview must say so rather than drop what was typed there unmentioned."""
    named = {position for position, text in enumerate(table.headers) if text.strip()}
    unnamed: set[int] = set()
    for cells in table.rows:
        for position, cell in enumerate(cells):
            if position not in named and cell.text.strip():
                unnamed.add(position)
    return [f"第 {position + 1} 列（无表头，有数据）" for position in sorted(unnamed)]


# reading -----------------------------------------------------------------------------------


def max_bytes() -> int:
    return int(current_app.config.get("IMPORT_MAX_BYTES") or DEFAULT_MAX_BYTES)


def max_rows() -> int:
    return int(current_app.config.get("IMPORT_MAX_ROWS") or DEFAULT_MAX_ROWS)


def size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.4g} MB"
    if size >= 1024:
        return f"{size / 1024:.4g} KB"
    return f"{size} 字节"


def check_size(size: int) -> None:
    limit = max_bytes()
    if size > limit:
        raise ImportRefused(
            f"文件过大（{size_text(size)}），超过导入上限 {size_text(limit)}。请拆分后分批导入。"
        )


def looks_like_header(texts: list[str]) -> bool:
    """A row naming at least two of the roster's columns (not a title row above it)."""
    return len({_ALIASES[key] for key in map(header_key, texts) if key in _ALIASES}) >= 2


def read_roster(filename: str, data: bytes) -> Table:
    """Read an uploaded roster into text cells, within the size and row limits.

    The header may come below a title row; of a workbook, the sheet holding the roster is
    read (see :func:`~trainhub.spreadsheets.read_table`)."""
    check_size(len(data))
    try:
        return read_table(filename, data, max_rows=max_rows(), is_header=looks_like_header)
    except SpreadsheetError as exc:
        raise ImportRefused(exc.message) from None


# the plan ----------------------------------------------------------------------------------


class RowAction(LabelledEnum):
    CREATE = ("create", "新增")
    UPDATE = ("update", "更新")
    UNCHANGED = ("unchanged", "无变化")
    REJECTED = ("rejected", "有问题")


@dataclass(frozen=True)
class RowProblem:
    #: Spreadsheet row number (the header is row 1).
    row: int
    #: The column's header as in the file.
    column: str
    #: The field the column holds (``id_number``, ``county``, …).
    field: str
    message: str


@dataclass
class NewOrganisation:
    """An organisation named in the file that the import would create."""

    name: str
    kind: OrgKind
    county: County
    #: Rows (spreadsheet numbers) naming it.
    rows: list[int] = field(default_factory=list)
    #: The row whose 机构类型 cell set ``kind`` (None: inferred from the name).
    kind_row: int | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.county.code, org_key(self.name))


@dataclass
class RowPlan:
    row: int
    #: Every cell's text as read, in the file's column order (for the rejected-rows sheet).
    cells: list[str]
    #: The name as typed (for display).
    name: str
    action: RowAction = RowAction.REJECTED
    problems: list[RowProblem] = field(default_factory=list)
    fields: LearnerFields | None = None
    county: County | None = None
    organisation: Organisation | None = None
    new_organisation: NewOrganisation | None = None
    learner: Learner | None = None
    #: Keys of :data:`~trainhub.learners.operations.FIELD_LABELS` an update would change.
    changes: list[str] = field(default_factory=list)

    @property
    def rejected(self) -> bool:
        return bool(self.problems)

    @property
    def change_labels(self) -> list[str]:
        return [FIELD_LABELS.get(name, name) for name in self.changes]

    @property
    def organisation_name(self) -> str:
        if self.organisation is not None:
            return self.organisation.name
        return self.new_organisation.name if self.new_organisation else ""


@dataclass
class CourseInfo:
    course: Course
    #: Learners of the file (found in the register) already enrolled or waiting.
    already: int
    enrolled: int
    waitlisted: int

    @property
    def seats_left(self) -> int | None:
        if self.course.capacity is None:
            return None
        return max(self.course.capacity - self.enrolled, 0)


@dataclass
class ImportPlan:
    filename: str
    columns: ColumnMap
    rows: list[RowPlan]
    new_organisations: list[NewOrganisation]
    course: CourseInfo | None = None
    encoding: str | None = None
    #: Who imports (a coordinator's rows are limited to their area); None: the whole country.
    user: User | None = None

    def of(self, action: RowAction) -> list[RowPlan]:
        return [row for row in self.rows if row.action == action]

    @property
    def problems(self) -> list[RowProblem]:
        return [problem for row in self.rows for problem in row.problems]

    @property
    def organisations_to_create(self) -> list[NewOrganisation]:
        """New organisations named by at least one valid row (rejected rows create nothing)."""
        wanted = {row.new_organisation.key for row in self.rows
                  if row.new_organisation is not None and not row.rejected}
        return [org for org in self.new_organisations if org.key in wanted]

    @property
    def counts(self) -> dict[str, int]:
        counts = {action.value: 0 for action in RowAction}
        for row in self.rows:
            counts[row.action.value] += 1
        return {
            "rows": len(self.rows),
            "new": counts["create"],
            "updated": counts["update"],
            "unchanged": counts["unchanged"],
            "rejected": counts["rejected"],
            "organisations": len(self.organisations_to_create),
        }

    @property
    def has_problems(self) -> bool:
        return any(row.rejected for row in self.rows)

    def refusal(self) -> str:
        """Why an all-or-nothing commit of this plan is refused (Chinese)."""
        rejected = self.counts["rejected"]
        return (f"文件中有 {rejected} 行有问题，按“全部导入或全部不导入”的规则，未导入任何数据。"
                "请修改后重新上传，或选择“只导入无误的行”。")


def org_key(name: str) -> str:
    """An organisation name reduced to compare: half-width, no spaces."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name or ""))


def _clean_cell(text: str) -> str:
    """A cell's text; an apostrophe that a formula-safe export put before ``= + - @`` is
    dropped, so that a rejected-rows sheet sent back reads as it was first typed."""
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@":
        return text[1:]
    return text


KIND_WORDS = {
    "社工机构": OrgKind.AGENCY, "社会工作服务机构": OrgKind.AGENCY, "社会工作机构": OrgKind.AGENCY,
    "机构": OrgKind.AGENCY, "agency": OrgKind.AGENCY,
    "社工站": OrgKind.STATION, "乡镇社工站": OrgKind.STATION, "街道社工站": OrgKind.STATION,
    "乡镇(街道)社工站": OrgKind.STATION, "乡镇街道社工站": OrgKind.STATION, "工作站": OrgKind.STATION,
    "社会工作服务站": OrgKind.STATION, "station": OrgKind.STATION,
    "支援方": OrgKind.SUPPORTER, "支援方机构": OrgKind.SUPPORTER, "支援机构": OrgKind.SUPPORTER,
    "supporter": OrgKind.SUPPORTER,
}
_STATION_NAME = re.compile(r"社工站|工作站|服务站")


def parse_org_kind(value: str) -> OrgKind | None:
    """The organisation kind named in a cell; None when the cell is empty.

    Raises ValueError for a value that names no kind."""
    text = org_key(value).lower()
    if not text:
        return None
    try:
        return KIND_WORDS[text]
    except KeyError:
        raise ValueError(text) from None


def infer_org_kind(name: str) -> OrgKind:
    """社工站 / 工作站 / 服务站 in the name → a station; otherwise a social work agency."""
    return OrgKind.STATION if _STATION_NAME.search(name) else OrgKind.AGENCY


_PROVINCE_SUFFIX = re.compile(r"(省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区)$")
_PREFECTURE_SUFFIX = re.compile(r"(市|地区|盟|自治州)$")
_COUNTY_SUFFIX = re.compile(r"(自治县|自治旗|县|区|市|旗)$")


def _short(name: str, pattern: re.Pattern) -> str:
    short = pattern.sub("", name)
    return short if len(short) >= 2 else name


_PLACE_SUFFIX = re.compile(r"(省|市|州|地区|盟|自治区|自治州)$")


def _names_place(text: str, full: str, code: str | None = None) -> bool:
    """Whether ``text`` names the province or prefecture ``full``: in full, by its code, or
    shortened as people write it (``贵州`` for 贵州省, ``黔南州`` for 黔南布依族苗族自治州)."""
    if not text or text == full or (code is not None and text == code):
        return True
    stem = _PLACE_SUFFIX.sub("", text)
    return len(stem) >= 2 and full.startswith(stem)


class CountyIndex:
    """The county code list in memory, to resolve what people type in a county column."""

    def __init__(self):
        counties = list(db.session.scalars(sa.select(County)))
        self.by_code = {county.code: county for county in counties}
        self.current = [county for county in counties if county.is_current]
        self.by_name: dict[str, list[County]] = {}
        for county in self.current:
            self.by_name.setdefault(county.name, []).append(county)
        self._cache: dict[tuple[str, str, str], County | str] = {}

    def resolve(self, text: str, province: str = "", prefecture: str = "") -> County | str:
        """The county meant, or a Chinese message saying why none could be chosen."""
        key = (text, province, prefecture)
        if key not in self._cache:
            self._cache[key] = self._resolve(*key)
        return self._cache[key]

    def _resolve(self, text: str, province: str, prefecture: str) -> County | str:
        value = org_key(text)
        province = org_key(province)
        prefecture = org_key(prefecture)
        if re.fullmatch(r"\d{6}", value):
            county = self.by_code.get(value)
            if county is None:
                return f"县级代码 {value} 不在行政区划代码表中，请核对。"
            if not county.is_current:
                return (f"县级代码 {value}（{county.name}）已不在现行代码表中，"
                        "请填写现行的县级代码或县名。")
            if not self._agrees(county, province, prefecture):
                return (f"县级代码 {value} 是{county.province}{county.prefecture}{county.name}，"
                        "与所填的省份或地市不符。")
            return county
        if re.fullmatch(r"\d+", value):
            return "县级代码应为 6 位数字。"
        candidates = self.by_name.get(value) or self._by_full_name(value) or self._by_short_name(value)
        if not candidates:
            shown = text if len(text) <= 30 else text[:30] + "…"
            return f"未找到县（区）“{shown}”：请填写行政区划代码表中的县（区）名称或 6 位县级代码。"
        narrowed = [county for county in candidates if self._agrees(county, province, prefecture)]
        if len(narrowed) == 1:
            return narrowed[0]
        if not narrowed:
            return f"县（区）“{text}”与所填的省份或地市不符，请核对，或直接填写 6 位县级代码。"
        places = "、".join(f"{c.province}{c.prefecture}（{c.code}）" for c in narrowed[:6])
        return (f"有多个县（区）名为“{text}”：{places}。"
                "请在“省份”“地市”列注明，或直接填写 6 位县级代码。")

    @staticmethod
    def _agrees(county: County, province: str, prefecture: str) -> bool:
        return (_names_place(province, county.province, county.province_code)
                and _names_place(prefecture, county.prefecture))

    def _by_full_name(self, value: str) -> list[County]:
        """``贵州省毕节市威宁彝族回族苗族自治县``: the county named last, its places before it."""
        found = []
        for name, counties in self.by_name.items():
            if len(value) <= len(name) or not value.endswith(name):
                continue
            prefix = value[: -len(name)]
            for county in counties:
                rest = prefix
                for place in (county.province, _short(county.province, _PROVINCE_SUFFIX)):
                    if rest.startswith(place):
                        rest = rest[len(place):]
                        break
                for place in (county.prefecture, _short(county.prefecture, _PREFECTURE_SUFFIX)):
                    if rest.startswith(place):
                        rest = rest[len(place):]
                        break
                if not rest:
                    found.append(county)
        return found

    def _by_short_name(self, value: str) -> list[County]:
        """``威宁县`` for ``威宁彝族回族苗族自治县``: the same stem and the same kind of unit."""
        match = _COUNTY_SUFFIX.search(value)
        stem = value[: match.start()] if match else value
        if len(stem) < 2:
            return []
        suffix = match.group(0) if match else ""
        return [
            county for county in self.current
            if county.name.startswith(stem) and (not suffix or county.name.endswith(suffix))
        ]


def _learners_by_hash(hashes: list[str]) -> dict[str, Learner]:
    found: dict[str, Learner] = {}
    for start in range(0, len(hashes), HASH_CHUNK):
        chunk = hashes[start:start + HASH_CHUNK]
        for learner in db.session.scalars(sa.select(Learner).where(Learner.id_number_hash.in_(chunk))):
            found[learner.id_number_hash] = learner
    return found


def _organisations_in(county_codes: set[str]) -> dict[tuple[str, str], Organisation]:
    found: dict[tuple[str, str], Organisation] = {}
    codes = sorted(county_codes)
    for start in range(0, len(codes), HASH_CHUNK):
        stmt = sa.select(Organisation).where(Organisation.county_code.in_(codes[start:start + HASH_CHUNK]))
        for org in db.session.scalars(stmt):
            found.setdefault((org.county_code, org_key(org.name)), org)
    return found


def course_by_code(code: str) -> Course:
    """The course with this code; refuses an unknown one."""
    code = (code or "").strip()
    course = db.session.scalar(sa.select(Course).where(Course.code == code)) if code else None
    if course is None:
        raise ImportRefused(f"课程代码“{code}”不存在，请核对课程代码（如 P1-ORG-01）。", field="enrol")
    return course


def _excel_number_message(text: str) -> str:
    try:
        shown = f"{float(text):.1E}"
    except ValueError:
        shown = text
    return f"身份证号被 Excel 存成了数字 ({shown})，末几位已丢失，请把该列设为文本后重新填写。"


_SCIENTIFIC = re.compile(r"\d+(\.\d+)?E\+?\d+", re.IGNORECASE)


def _is_lost_number(text: str, numeric: bool) -> bool:
    """An ID that Excel kept as a number: stored as one and too long for a double, or
    written out in exponent form (``5.20526E+17``, as in a CSV saved by Excel)."""
    text = text.strip()
    if _SCIENTIFIC.fullmatch(text):
        return True
    return numeric and len(re.sub(r"\D", "", text)) > 15


class _Planner:
    def __init__(self, table: Table, user: User | None):
        self.table = table
        self.user = user
        self.columns = map_columns(table.headers)
        self.columns.ignored.extend(unnamed_columns_with_data(table))
        self.counties = CountyIndex()
        self.rows: list[RowPlan] = []
        self.new_orgs: dict[tuple[str, str], NewOrganisation] = {}

    def text(self, cells: list[str], key: str) -> str:
        position = self.columns.index.get(key)
        if position is None or position >= len(cells):
            return ""
        return cells[position]

    def problem(self, row: RowPlan, key: str, message: str) -> None:
        row.problems.append(RowProblem(row.row, self.columns.header(key), key, message))

    def plan(self) -> list[RowPlan]:
        recognised = sorted(self.columns.index.values())
        width = len(self.table.headers)
        checked: list[tuple[RowPlan, dict]] = []
        for number, cells in zip(self.table.row_numbers, self.table.rows, strict=True):
            texts = [_clean_cell(cell.text) for cell in cells]
            texts += [""] * (width - len(texts))
            if not any(texts[position] for position in recognised):
                continue  # only unrecognised columns filled (a serial number): not a learner
            row = RowPlan(row=number, cells=texts, name=self.text(texts, "name"))
            raw = {key: self.text(texts, key) for key in COLUMNS_BY_KEY}
            self._check_person(row, raw, cells)
            row.county = self._check_county(row, raw)
            self.rows.append(row)
            checked.append((row, raw))
        organisations = _organisations_in({row.county.code for row in self.rows if row.county})
        for row, raw in checked:
            self._check_organisation(row, raw, organisations)
        self._check_duplicates(checked)
        self._match_learners(checked)
        return self.rows

    def _check_person(self, row: RowPlan, raw: dict, cells) -> None:
        fields, errors = check_learner_fields(raw)
        position = self.columns.index["id_number"]
        numeric = position < len(cells) and cells[position].numeric
        if _is_lost_number(raw["id_number"], numeric):
            errors["id_number"] = _excel_number_message(raw["id_number"])
            fields = None
        for key, message in errors.items():
            self.problem(row, key, message)
        row.fields = fields

    def _check_county(self, row: RowPlan, raw: dict) -> County | None:
        text = raw["county"].strip()
        if not text:
            self.problem(row, "county", f"请填写{COLUMNS_BY_KEY['county'].label}。")
            return None
        found = self.counties.resolve(text, raw["province"], raw["prefecture"])
        if isinstance(found, str):
            self.problem(row, "county", found)
            return None
        if self.user is not None and not in_area(self.user, found.code):
            self.problem(row, "county", f"{found.province}{found.name}不在您的负责区域内，不能导入该行。")
            return None
        return found

    def _check_organisation(self, row: RowPlan, raw: dict,
                            organisations: dict[tuple[str, str], Organisation]) -> None:
        kind = None
        try:
            kind = parse_org_kind(raw["org_kind"])
        except ValueError:
            self.problem(row, "org_kind", "机构类型应为：社工机构、乡镇（街道）社工站或支援方机构。")
        name = re.sub(r"\s+", " ", raw["organisation"].strip())
        if not name:
            self.problem(row, "organisation", f"请填写{COLUMNS_BY_KEY['organisation'].label}。")
            return
        if len(name) > MAX_ORG_NAME:
            self.problem(row, "organisation", f"机构名称不能超过 {MAX_ORG_NAME} 个字符。")
            return
        if row.county is None:
            return
        key = (row.county.code, org_key(name))
        existing = organisations.get(key)
        if existing is not None:
            if kind is not None and kind != existing.kind:
                self.problem(row, "org_kind",
                             f"已登记的机构“{existing.name}”是{existing.kind.label}，与所填的机构类型不一致："
                             "导入不会修改已登记机构的类型，请改正或留空。")
            row.organisation = existing
            return
        new = self.new_orgs.get(key)
        if new is None:
            new = NewOrganisation(name=name, kind=kind or infer_org_kind(name), county=row.county,
                                  kind_row=row.row if kind else None)
            self.new_orgs[key] = new
        elif kind is not None and new.kind_row is None:
            new.kind, new.kind_row = kind, row.row
        elif kind is not None and kind != new.kind:
            self.problem(row, "org_kind",
                         f"与第 {new.kind_row} 行为同一机构填写的机构类型（{new.kind.label}）不一致。")
        new.rows.append(row.row)
        row.new_organisation = new

    def _check_duplicates(self, checked: list[tuple[RowPlan, dict]]) -> None:
        seen: dict[str, list[RowPlan]] = {}
        for row, raw in checked:
            number = idcard.normalize(raw["id_number"])
            if number:
                seen.setdefault(number, []).append(row)
        for rows in seen.values():
            if len(rows) < 2:
                continue
            for row in rows:
                others = "、".join(str(other.row) for other in rows if other is not row)
                self.problem(row, "id_number",
                             f"与本文件第 {others} 行的身份证号码相同：每名学员只能出现一次。")

    def _match_learners(self, checked: list[tuple[RowPlan, dict]]) -> None:
        search_hash = cipher().search_hash
        hashes = {row.row: search_hash(row.fields.id_number) for row, _ in checked if row.fields is not None}
        existing = _learners_by_hash(sorted(set(hashes.values())))
        for row, raw in checked:
            if row.fields is None:
                row.action = RowAction.REJECTED
                continue
            learner = existing.get(hashes[row.row])
            row.learner = learner
            if learner is not None:
                if self.user is not None and not in_area(self.user, learner.organisation.county_code):
                    self.problem(row, "id_number",
                                 "该学员已登记在您负责区域以外的机构，不能通过导入修改，请联系项目办。")
                row.fields = _keep_blank_fields(row.fields, raw, learner)
            if row.rejected:
                row.action = RowAction.REJECTED
            elif learner is None:
                row.action = RowAction.CREATE
            else:
                target = row.organisation or _placeholder(row.new_organisation)
                row.changes = learner_changes(learner, row.fields, target)
                row.action = RowAction.UPDATE if row.changes else RowAction.UNCHANGED


def _placeholder(new: NewOrganisation) -> Organisation:
    """A transient stand-in for an organisation not created yet (compares as different)."""
    return Organisation(name=new.name, kind=new.kind, county_code=new.county.code)


def _keep_blank_fields(fields: LearnerFields, raw: dict, learner: Learner) -> LearnerFields:
    """Blank optional cells (or missing columns) leave an existing learner's values alone."""
    kept = {key: getattr(learner, key) for key in KEEP_WHEN_BLANK if not (raw.get(key) or "").strip()}
    return dataclasses.replace(fields, **kept) if kept else fields


def _course_info(course: Course, rows: list[RowPlan]) -> CourseInfo:
    learner_ids = [row.learner.id for row in rows if row.learner is not None and not row.rejected]
    already = 0
    for start in range(0, len(learner_ids), HASH_CHUNK):
        already += db.session.scalar(
            sa.select(sa.func.count()).select_from(Enrolment).where(
                Enrolment.course_id == course.id,
                Enrolment.learner_id.in_(learner_ids[start:start + HASH_CHUNK]),
                Enrolment.status != EnrolmentStatus.WITHDRAWN,
            )
        ) or 0
    by_status = dict(db.session.execute(
        sa.select(Enrolment.status, sa.func.count()).where(Enrolment.course_id == course.id)
        .group_by(Enrolment.status)
    ).all())
    return CourseInfo(course=course, already=already,
                      enrolled=by_status.get(EnrolmentStatus.ENROLLED, 0),
                      waitlisted=by_status.get(EnrolmentStatus.WAITLISTED, 0))


def plan_import(table: Table, *, user: User | None, filename: str = "",
                course_code: str | None = None) -> ImportPlan:
    """The dry run: every row checked and classified; nothing is written.

    ``user`` limits rows to a coordinator's area; None (the command line, the demo) means
    the whole country.
    """
    course = course_by_code(course_code) if course_code else None
    planner = _Planner(table, user)
    rows = planner.plan()
    if not rows:
        raise ImportRefused("文件中没有学员数据：表头下面的行都是空的。")
    plan = ImportPlan(filename=filename, columns=planner.columns, rows=rows,
                      new_organisations=list(planner.new_orgs.values()), encoding=table.encoding,
                      user=user)
    if course is not None:
        plan.course = _course_info(course, rows)
    return plan


# committing --------------------------------------------------------------------------------


@dataclass
class ImportResult:
    plan: ImportPlan
    valid_only: bool = False
    created: list[Learner] = field(default_factory=list)
    updated: list[Learner] = field(default_factory=list)
    unchanged: list[Learner] = field(default_factory=list)
    #: Every imported learner (new, updated, unchanged) in the file's row order.
    learners: list[Learner] = field(default_factory=list)
    organisations: list[Organisation] = field(default_factory=list)
    #: Enrolment outcome when a course was given: enrolled, waitlisted, already.
    enrolment: dict[str, int] | None = None

    @property
    def rejected(self) -> list[RowPlan]:
        return self.plan.of(RowAction.REJECTED)

    @property
    def counts(self) -> dict[str, int]:
        return {
            "rows": len(self.plan.rows),
            "new": len(self.created),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "rejected": len(self.rejected),
            "organisations": len(self.organisations),
        }


def _enrol_all(course: Course, learners: list[Learner]) -> dict[str, int]:
    """Enrol every learner in ``course`` (waiting list when full; enrolled ones unchanged)."""
    summary = enrol_many(learners, course, waitlist=True)
    return {"enrolled": len(summary.enrolled), "waitlisted": len(summary.waitlisted),
            "already": len(summary.already)}


def commit_import(plan: ImportPlan, *, valid_only: bool = False, create_accounts: bool = True,
                  via: str = "web") -> ImportResult:
    """Write ``plan``: all or nothing unless ``valid_only``; then enrol when a course is set.

    Refuses with :class:`ImportRefused` (nothing written) when a row has a problem and
    ``valid_only`` is false, or when no row is valid. Learners get a trainee account unless
    ``create_accounts`` is false (the demo links its own accounts). Flushes and records one
    audit entry with the counts and the file name (no personal data); the caller commits.
    """
    if plan.has_problems and not valid_only:
        raise ImportRefused(plan.refusal())
    if valid_only and len(plan.of(RowAction.REJECTED)) == len(plan.rows):
        raise ImportRefused("文件中没有无误的行，未导入任何数据。请按问题清单修改后重新上传。")
    result = ImportResult(plan=plan, valid_only=valid_only)
    created_orgs: dict[tuple[str, str], Organisation] = {}
    for new in plan.organisations_to_create:
        org = create_organisation(name=new.name, kind=new.kind, county_code=new.county.code,
                                  actor=plan.user)
        created_orgs[new.key] = org
        result.organisations.append(org)
    valid = [row for row in plan.rows if not row.rejected]

    def organisation_of(row: RowPlan) -> Organisation:
        return row.organisation or created_orgs[row.new_organisation.key]

    new_rows = [row for row in valid if row.action == RowAction.CREATE]
    created = create_learners([(row.fields, organisation_of(row)) for row in new_rows],
                              actor=plan.user, with_accounts=create_accounts)
    learner_of = {row.row: learner for row, learner in zip(new_rows, created, strict=True)}
    result.created = created
    for row in valid:
        if row.action == RowAction.UPDATE:
            apply_learner_fields(row.learner, row.fields, organisation_of(row), actor=plan.user)
            result.updated.append(row.learner)
        elif row.action == RowAction.UNCHANGED:
            result.unchanged.append(row.learner)
        result.learners.append(learner_of.get(row.row) or row.learner)
    if plan.course is not None:
        result.enrolment = _enrol_all(plan.course.course, result.learners)
    detail = {
        "file": plan.filename[:200],
        "via": via,
        "valid_only": valid_only,
        "counts": result.counts,
    }
    if plan.course is not None:
        detail["course"] = plan.course.course.code
        detail["enrolment"] = result.enrolment
    record(AUDIT_ACTION, target_type="import", detail=detail)
    return result


# spreadsheets out ---------------------------------------------------------------------------


def _unique_headers(headers: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    unique = []
    for position, header in enumerate(headers):
        text = header.strip() or f"第 {position + 1} 列"
        seen[text] = seen.get(text, 0) + 1
        unique.append(text if seen[text] == 1 else f"{text} ({seen[text]})")
    return unique


def problem_text(row: RowPlan) -> str:
    return "；".join(f"{problem.column}：{problem.message}" for problem in row.problems)


def rejected_rows_workbook(plan: ImportPlan) -> bytes | None:
    """The rejected rows with their original columns, the row number and what is wrong.

    Written through :func:`~trainhub.spreadsheets.to_xlsx`: text stays text and formulas
    stay inert.
    """
    rejected = plan.of(RowAction.REJECTED)
    if not rejected:
        return None
    headers = _unique_headers(plan.columns.headers)
    width = len(headers)
    records = []
    for row in rejected:
        cells = (row.cells + [""] * width)[:width]
        records.append([*cells, row.row, problem_text(row)])
    frame = pd.DataFrame(records, columns=[*headers, ROW_COLUMN, ERROR_COLUMN], dtype=object)
    return to_xlsx({"未导入的行": frame})


#: A synthetic, valid ID number for the template's example row (not a real person's).
EXAMPLE_ID_FIRST17 = "52052619900307001"


def example_id_number() -> str:
    return EXAMPLE_ID_FIRST17 + idcard.check_character(EXAMPLE_ID_FIRST17)


def template_workbook() -> bytes:
    """The import template: the expected columns with an example row, and filling notes.

    The ID and phone columns are formatted as text, so that Excel keeps what is typed.
    """
    import io

    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    parsed = idcard.parse(example_id_number())
    example = {
        "name": "张晓明", "id_number": parsed.number, "phone": "13800138000",
        "gender": Gender.MALE.label if parsed.gender == Gender.MALE else Gender.FEMALE.label,
        "birth_date": parsed.birth_date.isoformat(),
        "organisation": "威宁县阳光社会工作服务中心", "county": "威宁彝族回族苗族自治县",
        "province": "贵州省", "prefecture": "毕节市", "org_kind": OrgKind.AGENCY.label,
        "position": "项目社工", "qualification": "助理社会工作师",
        "joined_on": date(2021, 7, 1).isoformat(),
    }
    roster = pd.DataFrame([[example[column.key] for column in COLUMNS]],
                          columns=[column.label for column in COLUMNS], dtype=object)
    notes = pd.DataFrame(
        [[column.label, "必填" if column.required else "可选", "、".join(column.aliases), column.note]
         for column in COLUMNS]
        + [["（整体）", "", "", "第一行是表头，从第二行起每行一名学员；示例行请删除后再填写。"
            "接受 .xlsx 和 .csv（UTF-8 或 GBK 编码）文件，最多 "
            f"{max_rows()} 行、{size_text(max_bytes())}。以“=”“+”“-”“@”开头的内容按文字保存，不作公式计算。"]],
        columns=["列名", "是否必填", "可用的表头写法", "填写说明"], dtype=object,
    )
    data = to_xlsx({"学员名单": roster, "填写说明": notes})
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook["学员名单"]
    for position, column in enumerate(COLUMNS, start=1):
        if column.key in {"id_number", "phone", "county"}:
            letter = get_column_letter(position)
            sheet.column_dimensions[letter].number_format = "@"
            for row in range(2, 1002):
                sheet[f"{letter}{row}"].number_format = "@"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# summaries for the API and the command line --------------------------------------------------


def plan_summary(plan: ImportPlan) -> dict:
    """What the dry run found, as plain data (no ID or phone numbers)."""
    summary = {
        "filename": plan.filename,
        "counts": plan.counts,
        "ignored_columns": plan.columns.ignored,
        "columns": {key: plan.columns.header(key) for key in plan.columns.index},
        "problems": [dataclasses.asdict(problem) for problem in plan.problems],
        "updates": [
            {"row": row.row, "name": row.fields.name, "fields": row.changes}
            for row in plan.of(RowAction.UPDATE)
        ],
        "organisations_to_create": [
            {"name": org.name, "kind": org.kind.value, "county_code": org.county.code,
             "county_name": org.county.name, "rows": org.rows}
            for org in plan.organisations_to_create
        ],
        "course": None,
    }
    if plan.course is not None:
        info = plan.course
        summary["course"] = {
            "code": info.course.code, "title": info.course.title, "capacity": info.course.capacity,
            "enrolled": info.enrolled, "waitlisted": info.waitlisted,
            "already_in_course": info.already,
        }
    return summary
