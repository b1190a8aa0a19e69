"""The dry run: every row of a roster checked and classified, nothing written.

:func:`plan_import` recognises the columns, checks every row (the learner's fields with
:func:`~trainhub.learners.validation.check_learner_fields`, the county, the organisation,
duplicates inside the file, Excel's numeric IDs, the importer's area) and works out what
would happen: new learners, updates (with the changed fields), rows without change,
organisations to create. It reads the database with a handful of queries whatever the
number of rows (all ID hashes at once, the counties and organisations once). The import
template's example row is recognised and left out.
"""

from __future__ import annotations

import dataclasses
import re

import sqlalchemy as sa

from trainhub.accounts.models import User
from trainhub.auth import in_area
from trainhub.courses.models import Course, Enrolment, EnrolmentStatus
from trainhub.courses.queries import course_by_code
from trainhub.extensions import db
from trainhub.geo.models import County
from trainhub.imports.columns import (
    COLUMNS_BY_KEY,
    EXAMPLE_NAME,
    KEEP_WHEN_BLANK,
    is_template_example,
    map_columns,
)
from trainhub.imports.errors import ImportRefused
from trainhub.imports.places import CountyIndex, infer_org_kind, org_key, parse_org_kind
from trainhub.imports.plan import (
    CourseInfo,
    ImportPlan,
    NewOrganisation,
    RowAction,
    RowPlan,
)
from trainhub.learners import idcard
from trainhub.learners.models import Learner
from trainhub.learners.operations import learner_changes
from trainhub.learners.search import learners_by_id_numbers
from trainhub.learners.validation import LearnerFields, check_learner_fields
from trainhub.orgs.models import Organisation
from trainhub.sheet_columns import RowProblem, clean_cell, unnamed_columns_with_data
from trainhub.spreadsheets import Table

#: Lookups by ID hash are sent in chunks of this size (bound parameters per statement).
HASH_CHUNK = 500
#: Longest organisation name the register accepts.
MAX_ORG_NAME = 120


def _organisations_in(county_codes: set[str]) -> dict[tuple[str, str], Organisation]:
    found: dict[tuple[str, str], Organisation] = {}
    codes = sorted(county_codes)
    for start in range(0, len(codes), HASH_CHUNK):
        stmt = sa.select(Organisation).where(Organisation.county_code.in_(codes[start:start + HASH_CHUNK]))
        for org in db.session.scalars(stmt):
            found.setdefault((org.county_code, org_key(org.name)), org)
    return found


def _enrolment_course(code: str) -> Course:
    """The course to enrol the roster in; refuses an unknown code."""
    course = course_by_code(code)
    if course is None:
        raise ImportRefused(f"课程代码“{code.strip()}”不存在，请核对课程代码（如 P1-ORG-01）。",
                            field="enrol")
    if course.archived_note:
        raise ImportRefused(f"课程“{course.code} {course.title}”{course.archived_note}，不能再报名。",
                            field="enrol")
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
        #: Rows holding the template's example, left out.
        self.example_rows: list[int] = []

    def problem(self, row: RowPlan, key: str, message: str) -> None:
        row.problems.append(RowProblem(row.row, self.columns.header(key), key, message))

    def plan(self) -> list[RowPlan]:
        recognised = sorted(self.columns.index.values())
        width = len(self.table.headers)
        checked: list[tuple[RowPlan, dict]] = []
        for number, cells in zip(self.table.row_numbers, self.table.rows, strict=True):
            texts = [clean_cell(cell.text) for cell in cells]
            texts += [""] * (width - len(texts))
            if not any(texts[position] for position in recognised):
                continue  # only unrecognised columns filled (a serial number): not a learner
            raw = self.columns.texts(texts)
            if is_template_example(raw):
                self.example_rows.append(number)
                continue
            row = RowPlan(row=number, cells=texts, name=raw["name"])
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
        existing = learners_by_id_numbers(
            {row.fields.id_number for row, _ in checked if row.fields is not None})
        for row, raw in checked:
            if row.fields is None:
                row.action = RowAction.REJECTED
                continue
            learner = existing.get(row.fields.id_number)
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
    the whole country. The import template's example row, left in the file, is not a
    learner: it is left out and listed in ``example_rows``.
    """
    course = _enrolment_course(course_code) if course_code else None
    planner = _Planner(table, user)
    rows = planner.plan()
    if not rows and planner.example_rows:
        raise ImportRefused(f"文件中只有导入模板的示例行（第 {planner.example_rows[0]} 行，{EXAMPLE_NAME}），"
                            "没有要导入的学员。请删除示例行，从第二行起填写学员名单后重新上传。")
    if not rows:
        raise ImportRefused("文件中没有学员数据：表头下面的行都是空的。")
    plan = ImportPlan(filename=filename, columns=planner.columns, rows=rows,
                      new_organisations=list(planner.new_orgs.values()), encoding=table.encoding,
                      user=user, example_rows=planner.example_rows)
    if course is not None:
        plan.course = _course_info(course, rows)
    return plan

