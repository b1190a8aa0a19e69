"""Rosters as county staff really lay them out: a title row above the header, merged cells,
the roster on another sheet (or on several), semicolon or tab separators, invisible
characters, and organisation kinds that contradict each other."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
import sqlalchemy as sa
from import_rosters import EXISTING_ORG, HEADERS, make_id, person

from trainhub.extensions import db
from trainhub.imports import operations
from trainhub.imports.errors import ImportRefused
from trainhub.imports.plan import ImportPlan, RowAction
from trainhub.imports.planner import plan_import
from trainhub.imports.reading import read_roster
from trainhub.learners.models import Learner
from trainhub.orgs.models import Organisation, OrgKind

NEW_ORG = "威宁县星光社会工作服务中心"


def _plan(filename: str, data: bytes) -> ImportPlan:
    return plan_import(read_roster(filename, data), user=None, filename=filename)


def _save(workbook: openpyxl.Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _roster(rows: list[list], *, above: list[list] = (), title: str = "学员名单") -> openpyxl.Workbook:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title
    for line in above:
        sheet.append(line)
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    return workbook


def test_a_title_row_above_the_header_is_skipped(app, organisation):
    workbook = _roster([person("张晓明", make_id(seq=1)), person("李娜", make_id(seq=2, male=False))],
                       above=[["2023年牵手计划学员报名表"], [], ["填报单位：威宁县民政局"]])
    workbook.active.merge_cells("A1:J1")
    with app.app_context():
        plan = _plan("名单.xlsx", _save(workbook))
        assert not plan.problems
        assert [row.row for row in plan.rows] == [5, 6]
        assert plan.counts["new"] == 2


def test_vertically_merged_cells_fill_the_rows_they_cover(app, organisation):
    rows = [person("张晓明", make_id(seq=1), org=NEW_ORG),
            person("李娜", make_id(seq=2, male=False), org=None, county=None),
            person("王强", make_id(seq=3), org=None, county=None)]
    workbook = _roster(rows)
    workbook.active.merge_cells("F2:F4")
    workbook.active.merge_cells("G2:G4")
    with app.app_context():
        plan = _plan("名单.xlsx", _save(workbook))
        assert not plan.problems
        assert {row.organisation_name for row in plan.rows} == {NEW_ORG}
        operations.commit_import(plan)
        org = db.session.scalar(sa.select(Organisation).where(Organisation.name == NEW_ORG))
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Learner)
                                 .where(Learner.organisation_id == org.id)) == 3


def test_the_roster_on_a_later_sheet_is_read(app, organisation):
    workbook = _roster([person("张晓明", make_id(seq=1))], title="名单")
    notes = workbook.create_sheet("填写说明", 0)
    notes.append(["请在“名单”工作表中填写，每行一名学员。"])
    with app.app_context():
        table = read_roster("名单.xlsx", _save(workbook))
        assert table.sheet == "名单"
        assert _plan("名单.xlsx", _save(workbook)).counts["new"] == 1


def test_several_roster_sheets_are_refused_rather_than_one_read(app, organisation, table_counts):
    workbook = _roster([person("张晓明", make_id(seq=1))], title="龙场镇")
    other = workbook.create_sheet("雪山镇")
    other.append(HEADERS)
    other.append(person("李娜", make_id(seq=2, male=False)))
    before = table_counts()
    with app.app_context(), pytest.raises(ImportRefused) as refused:
        read_roster("名单.xlsx", _save(workbook))
    assert "“龙场镇”、“雪山镇”" in refused.value.message
    assert table_counts() == before


@pytest.mark.parametrize(("filename", "delimiter", "encoding"), [
    ("名单.csv", ";", "utf-8-sig"),
    ("名单.txt", "\t", "gbk"),
])
def test_semicolon_and_tab_separated_files(app, organisation, filename, delimiter, encoding):
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(HEADERS)
    writer.writerow(person("张晓明", make_id(seq=1), "+86 138-0013-8001"))
    with app.app_context():
        plan = _plan(filename, buffer.getvalue().encode(encoding))
        assert not plan.problems
        assert plan.counts["new"] == 1


def test_invisible_characters_pasted_from_chat_are_dropped(app, organisation):
    number = make_id(seq=1)
    workbook = _roster([person("张晓明\u200b", "\u200b" + number + "\ufeff")])
    with app.app_context():
        plan = _plan("名单.xlsx", _save(workbook))
        assert not plan.problems
        assert plan.rows[0].fields.id_number == number
        assert plan.rows[0].fields.name == "张晓明"


def test_contradicting_organisation_kinds_are_reported_not_dropped(app, organisation):
    headers = [*HEADERS, "机构类型"]
    rows = [[*person("张晓明", make_id(seq=1), org=NEW_ORG), ""],
            [*person("李娜", make_id(seq=2, male=False), org=NEW_ORG), "社工站"],
            [*person("王强", make_id(seq=3), org=NEW_ORG), "支援方机构"],
            [*person("赵敏", make_id(seq=4, male=False), org=EXISTING_ORG), "社工站"]]
    workbook = openpyxl.Workbook()
    workbook.active.append(headers)
    for row in rows:
        workbook.active.append(row)
    with app.app_context():
        plan = _plan("名单.xlsx", _save(workbook))
        problems = {(p.row, p.column): p.message for p in plan.problems}
        assert set(problems) == {(4, "机构类型"), (5, "机构类型")}
        assert "第 3 行" in problems[(4, "机构类型")]
        assert "社工机构" in problems[(5, "机构类型")]
        # the explicit kind of row 3 wins over the one guessed for row 2
        assert plan.organisations_to_create[0].kind == OrgKind.STATION
        assert [row.row for row in plan.of(RowAction.CREATE)] == [2, 3]


def test_a_very_long_county_is_not_echoed_whole(app, organisation):
    workbook = _roster([person("张晓明", make_id(seq=1), county="县" * 5000)])
    with app.app_context():
        plan = _plan("名单.xlsx", _save(workbook))
        (problem,) = plan.problems
        assert problem.column == "所在县（区）"
        assert len(problem.message) < 100
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Learner)) == 0


def test_data_under_a_column_without_header_is_reported_as_ignored():
    from trainhub.sheet_columns import unnamed_columns_with_data
    from trainhub.spreadsheets import read_table

    text = "姓名,身份证号码,,备注\r\n张三,52022119900101001X,在第三列,\r\n李四,52022119900101002X,,,多出的一列\r\n"
    table = read_table("名单.csv", text.encode("utf-8"))
    assert unnamed_columns_with_data(table) == ["第 3 列（无表头，有数据）", "第 5 列（无表头，有数据）"]
