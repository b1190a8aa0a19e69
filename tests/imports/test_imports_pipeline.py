"""The import pipeline: reading, checking every row, all-or-nothing, valid rows only,
idempotent re-import, updates, scope and limits."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest
import sqlalchemy as sa
from import_rosters import (
    BAD_ROWS,
    EXISTING_ORG,
    GANLUO,
    GOOD_ROWS,
    HEADERS,
    NEW_STATION,
    WEINING,
    bad_roster_rows,
    csv_file,
    gbk_csv_file,
    id_with_x,
    make_id,
    person,
    xlsx_file,
)

from trainhub.accounts.models import Role, User
from trainhub.audit.models import AuditEntry
from trainhub.extensions import db
from trainhub.imports import operations
from trainhub.imports.errors import ImportRefused
from trainhub.imports.plan import ImportPlan, RowAction
from trainhub.imports.planner import plan_import
from trainhub.imports.reading import read_roster
from trainhub.imports.workbooks import rejected_rows_workbook, template_workbook
from trainhub.learners.models import Learner, Qualification
from trainhub.learners.search import learner_by_id_number
from trainhub.orgs.models import Organisation, OrgKind
from trainhub.pii import cipher

FILES = {
    "xlsx": ("名单.xlsx", xlsx_file),
    "gbk-csv": ("名单.csv", gbk_csv_file),
}


def _plan(filename: str, data: bytes, user=None, **kwargs) -> ImportPlan:
    return plan_import(read_roster(filename, data), user=user, filename=filename, **kwargs)


def _problems(plan) -> dict[int, list[tuple[str, str]]]:
    found: dict[int, list[tuple[str, str]]] = {}
    for problem in plan.problems:
        found.setdefault(problem.row, []).append((problem.column, problem.message))
    return found


def _has(problems, row: int, column: str, text: str) -> bool:
    return any(col == column and text in message for col, message in problems.get(row, []))


def _learner_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Learner))


@pytest.mark.parametrize("kind", FILES)
def test_the_preview_explains_every_bad_row(app, organisation, kind):
    filename, write = FILES[kind]
    with app.app_context():
        plan = _plan(filename, write(bad_roster_rows()))
        problems = _problems(plan)

        assert plan.counts == {"rows": 13, "new": 4, "updated": 0, "unchanged": 0,
                               "rejected": 9, "organisations": 1}
        assert sorted(problems) == list(BAD_ROWS)
        assert _has(problems, 4, "身份证号码", "校验位")
        assert _has(problems, 5, "所在县（区）", "未找到县（区）“不存在县”")
        assert _has(problems, 6, "身份证号码", "第 7 行") and _has(problems, 7, "身份证号码", "第 6 行")
        assert _has(problems, 8, "手机号码", "11 位")
        assert _has(problems, 9, "姓名", "请填写姓名")
        assert _has(problems, 10, "身份证号码", "身份证号被 Excel 存成了数字 (5.2E+17)，末几位已丢失，"
                                             "请把该列设为文本后重新填写")
        assert _has(problems, 11, "性别", "性别与身份证号码不一致")
        assert _has(problems, 13, "姓名", "姓名应为")
        # no message repeats an ID or phone number
        assert not any(make_id(seq=3)[:10] in message or "1380013" in message
                       for problem in plan.problems for message in [problem.message])

        # the organisation named by row 3 would be created as a station
        [station] = plan.organisations_to_create
        assert (station.name, station.kind, station.county.code, station.rows) == (
            NEW_STATION, OrgKind.STATION, WEINING, [3])
        assert plan.rows[0].organisation.name == EXISTING_ORG
        assert plan.columns.ignored == ["序号", "备注"]
        assert [row.row for row in plan.of(RowAction.CREATE)] == list(GOOD_ROWS)
        if kind == "gbk-csv":
            assert plan.encoding == "gbk"
        assert _learner_count() == 0


@pytest.mark.parametrize("kind", FILES)
def test_any_bad_row_refuses_the_whole_file(app, organisation, table_counts, kind):
    filename, write = FILES[kind]
    before = table_counts()
    with app.app_context():
        plan = _plan(filename, write(bad_roster_rows()))
        with pytest.raises(ImportRefused, match=r"9 行有问题.*未导入任何数据"):
            operations.commit_import(plan)
        db.session.rollback()
    assert table_counts() == before


@pytest.mark.parametrize("kind", FILES)
def test_valid_rows_only_and_the_rejected_rows_workbook(app, organisation, kind):
    filename, write = FILES[kind]
    with app.app_context():
        plan = _plan(filename, write(bad_roster_rows()))
        result = operations.commit_import(plan, valid_only=True)
        rejected = rejected_rows_workbook(plan)
        db.session.commit()
        assert result.counts == {"rows": 13, "new": 4, "updated": 0, "unchanged": 0,
                                 "rejected": 9, "organisations": 1}

        learners = {learner.name: learner for learner in db.session.scalars(sa.select(Learner))}
        assert set(learners) == {"张晓明", "李娜", "冯雪", "陈红"}
        # the formula is kept as its text, never evaluated
        assert learners["冯雪"].position == '=HYPERLINK("http://x.test","点我")'
        # the X check digit survives; +86 and separators are normalised away
        assert learners["陈红"].id_number(cipher()) == id_with_x()
        assert learners["陈红"].phone(cipher()) == "13800138014"
        assert learners["陈红"].qualification == Qualification.SOCIAL_WORKER
        station = learners["李娜"].organisation
        assert (station.name, station.kind, station.county_code) == (NEW_STATION, OrgKind.STATION, WEINING)
        assert learners["张晓明"].organisation_id == organisation
        assert all(learner.user is not None and learner.user.role == Role.TRAINEE
                   for learner in learners.values())

        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "import.learners"))
        assert entry.detail["file"] == filename and entry.detail["counts"]["rejected"] == 9
        assert entry.detail["valid_only"] is True
        assert "1380013" not in str(entry.detail)

    sheet = openpyxl.load_workbook(io.BytesIO(rejected)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == [*HEADERS, "原行号", "错误说明"]
    assert [row[-2] for row in rows[1:]] == list(BAD_ROWS)
    by_row = {row[-2]: row for row in rows[1:]}
    assert by_row[4][2] == make_id(seq=3)[:-1] + ("0" if make_id(seq=3)[-1] != "0" else "1")
    assert "身份证号码：" in by_row[4][-1] and "校验位" in by_row[4][-1]
    assert "第 7 行" in by_row[6][-1]
    assert by_row[13][1] == "'=1+2"  # written inert, as text
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f"  # no formula anywhere
            assert not (isinstance(cell.value, str) and cell.value.startswith("="))


def test_leading_zeros_survive_in_the_rejected_rows(app, organisation):
    rows = [person("王强", make_id(seq=3)[:-1] + "0", serial="0007", note="000123")]
    if rows[0][2] == make_id(seq=3):
        rows[0][2] = make_id(seq=3)[:-1] + "1"
    with app.app_context():
        plan = _plan("a.xlsx", xlsx_file(rows))
        data = rejected_rows_workbook(plan)
    values = list(openpyxl.load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))[1]
    assert values[0] == "0007" and values[9] == "000123"


def test_a_returned_rejected_sheet_reads_as_first_typed(app, organisation):
    """The apostrophe that makes a formula inert is dropped when the sheet comes back."""
    rows = [person("冯雪", make_id(seq=12, male=False), "1380013", position="=SUM(1,2)")]
    with app.app_context():
        returned = rejected_rows_workbook(_plan("a.xlsx", xlsx_file(rows)))
        plan = _plan("a.xlsx", returned)
        assert plan.columns.ignored == ["序号", "备注", "原行号", "错误说明"]
        assert plan.rows[0].cells[7] == "=SUM(1,2)"


def _valid_rows() -> list[list]:
    rows = bad_roster_rows()
    return [rows[number - 2] for number in GOOD_ROWS]


def test_importing_the_same_file_twice_changes_nothing(app, organisation):
    data = xlsx_file(_valid_rows())
    with app.app_context():
        result = operations.commit_import(_plan("a.xlsx", data))
        db.session.commit()
        assert result.counts["new"] == 4
        stamps = dict(db.session.execute(sa.select(Learner.id, Learner.updated_at)).all())
        org_stamps = dict(db.session.execute(sa.select(Organisation.id, Organisation.updated_at)).all())
        users = db.session.scalar(sa.select(sa.func.count()).select_from(User))
        audit_before = list(db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))

    with app.app_context():
        plan = _plan("a.xlsx", data)
        assert plan.counts == {"rows": 4, "new": 0, "updated": 0, "unchanged": 4, "rejected": 0,
                               "organisations": 0}
        again = operations.commit_import(plan)
        db.session.commit()
        assert again.counts["unchanged"] == 4 and again.counts["new"] == 0
        assert dict(db.session.execute(sa.select(Learner.id, Learner.updated_at)).all()) == stamps
        assert dict(db.session.execute(sa.select(Organisation.id, Organisation.updated_at)).all()) == org_stamps
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == users
        audit_after = list(db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))
        # only the record of the import itself: no learner or organisation was written
        assert audit_after == [*audit_before, "import.learners"]


def test_a_changed_phone_or_organisation_is_an_update(app, organisation):
    rows = _valid_rows()
    with app.app_context():
        operations.commit_import(_plan("a.xlsx", xlsx_file(rows)))
        db.session.commit()

    rows[0][3] = "13900139000"  # 张晓明: new phone
    rows[3][5] = NEW_STATION  # 陈红: moves to the station
    rows[3][7] = ""  # blank position: kept as it was
    rows[1][8] = ""  # blank qualification: kept as it was
    with app.app_context():
        plan = _plan("a.xlsx", xlsx_file(rows))
        updates = {row.name: row.changes for row in plan.of(RowAction.UPDATE)}
        assert updates == {"张晓明": ["phone"], "陈红": ["organisation"]}
        assert plan.counts["unchanged"] == 2
        assert [row.change_labels for row in plan.of(RowAction.UPDATE)] == [["手机号码"], ["所在机构"]]
        result = operations.commit_import(plan)
        db.session.commit()
        assert result.counts["updated"] == 2

        learner = learner_by_id_number(id_with_x())
        assert learner.organisation.name == NEW_STATION and learner.position == "项目社工"
        assert learner_by_id_number(make_id(seq=1)).phone(cipher()) == "13900139000"
        assert learner_by_id_number(make_id(seq=2, male=False)).qualification == Qualification.ASSISTANT
        actions = list(db.session.scalars(
            sa.select(AuditEntry.detail).where(AuditEntry.action == "learner.update")))
        assert sorted(detail["fields"] for detail in actions) == [["organisation"], ["phone"]]


def test_a_coordinator_imports_only_their_area(app, organisation, make_user):
    coordinator = make_user(Role.COORDINATOR, scope_code="52")
    rows = [
        person("张晓明", make_id(seq=1), "13800138001"),
        person("马兰", make_id(GANLUO, seq=2, male=False), "13800138002", org="甘洛县新建社会工作服务中心",
               county="甘洛县"),
    ]
    with app.app_context():
        user = db.session.get(User, coordinator.id)
        plan = _plan("a.xlsx", xlsx_file(rows), user=user)
        assert _has(_problems(plan), 3, "所在县（区）", "不在您的负责区域内")
        assert plan.organisations_to_create == []
        result = operations.commit_import(plan, valid_only=True)
        db.session.commit()
        assert result.counts["new"] == 1
        assert db.session.scalar(sa.select(Organisation).where(Organisation.county_code == GANLUO)) is None


def test_a_coordinator_cannot_take_over_a_learner_registered_elsewhere(app, organisation, make_user):
    coordinator = make_user(Role.COORDINATOR, scope_code=WEINING)
    number = make_id(GANLUO, seq=2, male=False)
    with app.app_context():
        operations.commit_import(_plan("a.xlsx", xlsx_file([
            person("马兰", number, org="甘洛县阳光社会工作服务中心", county=GANLUO)])))
        db.session.commit()
        plan = _plan("b.xlsx", xlsx_file([person("马兰", number)]), user=db.session.get(User, coordinator.id))
        assert _has(_problems(plan), 2, "身份证号码", "负责区域以外")
        assert plan.counts["rejected"] == 1


def test_counties_by_name_code_or_with_province(app, organisation):
    rows = [
        person("张晓明", make_id(seq=1), county="520526"),
        person("李娜", make_id(seq=2, male=False), county="威宁县"),
        person("王强", make_id(seq=3), county="贵州省毕节市威宁彝族回族苗族自治县"),
        person("赵敏", make_id(seq=4, male=False), org="朝阳区社工中心", county="朝阳区"),
        person("钱多", make_id(seq=5), county="520221"),
        person("孙丽", make_id(seq=6), county="12345"),
    ]
    with app.app_context():
        plan = _plan("a.xlsx", xlsx_file(rows))
        assert [row.county.code if row.county else None for row in plan.rows] == [
            WEINING, WEINING, WEINING, None, None, None]
        problems = _problems(plan)
        assert _has(problems, 5, "所在县（区）", "有多个县（区）名为“朝阳区”")
        assert _has(problems, 6, "所在县（区）", "已不在现行代码表中")
        assert _has(problems, 7, "所在县（区）", "6 位数字")

    headers = [*HEADERS, "省份", "地市"]
    with app.app_context():
        plan = _plan("a.xlsx", xlsx_file([[*rows[3], "吉林", ""], [*rows[0], "", "毕节"],
                                         [*rows[1], "52", "毕节市"]], headers))
        assert [row.county.code for row in plan.rows] == ["220104", WEINING, WEINING]
        plan = _plan("a.xlsx", xlsx_file([[*rows[0], "四川省", ""]], headers))
        assert _has(_problems(plan), 2, "所在县（区）", "不符")


def test_english_headers_and_variants_are_recognised(app, organisation):
    headers = ["Name", "ID Number", "Phone", "organisation", "county_code", "kind", "Position"]
    rows = [["Zhang San", make_id(seq=1), "13800138001", "威宁县新社工机构", WEINING, "社工站", "主任"]]
    with app.app_context():
        plan = _plan("a.csv", csv_file(rows, headers, "utf-8-sig"))
        assert plan.columns.ignored == []
        assert plan.problems == []
        assert plan.organisations_to_create[0].kind == OrgKind.STATION

    headers = ["姓名", "证件号码", "联系电话", "所在机构", "区县", "机构类型"]
    rows = [["张三", make_id(seq=1), "13800138001", "威宁县新社工机构", WEINING, "学校"]]
    with app.app_context():
        plan = _plan("a.csv", csv_file(rows, headers, "utf-8"))
        assert _has(_problems(plan), 2, "机构类型", "机构类型应为")


def test_missing_required_columns_are_named(app, counties):
    data = csv_file([["张三", "13800138001"]], ["姓名", "手机"])
    with app.app_context(), pytest.raises(ImportRefused) as info:
        _plan("a.csv", data)
    message = info.value.message
    assert "缺少必需的列" in message
    for label in ("身份证号码", "工作单位", "所在县（区）"):
        assert label in message
    assert "姓名" not in message.split("：", 1)[1].split("（")[0]


def test_a_repeated_column_is_refused(app, counties):
    data = csv_file([], ["姓名", "身份证号", "身份证号码", "手机", "单位", "县"])
    with app.app_context(), pytest.raises(ImportRefused, match="重复的列"):
        _plan("a.csv", data)


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("a.pdf", b"%PDF-1.4", "只接受"),
        ("a.xlsx", b"name,id\n1,2\n", "不是 Excel 工作簿"),
        ("a.xlsx", b"PK\x03\x04broken", "已损坏"),
        ("a.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "EncryptedPackage".encode("utf-16-le"), "密码"),
        ("a.csv", "姓名,身份证号码,手机,单位,县\n,,,,\n".encode(), "没有学员数据"),
    ],
)
def test_unreadable_files_are_refused(app, counties, filename, data, message):
    with app.app_context(), pytest.raises(ImportRefused, match=message):
        _plan(filename, data)


def test_a_decompression_bomb_is_refused(app, counties):
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (20 * 1024 * 1024))
    assert len(buffer.getvalue()) < 100_000
    with app.app_context(), pytest.raises(ImportRefused, match="解压后过大"):
        _plan("炸弹.xlsx", buffer.getvalue())


def test_size_and_row_limits(app, counties):
    app.config.update(IMPORT_MAX_BYTES=2000, IMPORT_MAX_ROWS=3)
    rows = [person(f"学员{chr(0x4e00 + n)}", make_id(seq=n)) for n in range(1, 5)]
    with app.app_context():
        with pytest.raises(ImportRefused, match="超过 3 行数据的上限"):
            _plan("a.csv", csv_file(rows, encoding="utf-8"))
        with pytest.raises(ImportRefused, match=r"文件过大.*超过导入上限 1\.953 KB"):
            _plan("a.csv", b"x" * 2001)


def test_enrol_every_imported_learner(app, organisation, course):
    from trainhub.courses.models import Enrolment, EnrolmentStatus

    data = xlsx_file(_valid_rows())
    with app.app_context():
        plan = _plan("a.xlsx", data, course_code=course)
        assert plan.course.seats_left == 2
        result = operations.commit_import(plan)
        db.session.commit()
        assert result.enrolment == {"enrolled": 2, "waitlisted": 2, "already": 0}
        statuses = [e.status for e in db.session.scalars(sa.select(Enrolment).order_by(Enrolment.id))]
        assert statuses == [EnrolmentStatus.ENROLLED] * 2 + [EnrolmentStatus.WAITLISTED] * 2

    with app.app_context():
        plan = _plan("a.xlsx", data, course_code=course)
        assert plan.course.already == 4
        result = operations.commit_import(plan)
        db.session.commit()
        assert result.enrolment == {"enrolled": 0, "waitlisted": 0, "already": 4}


def test_an_unknown_course_is_refused(app, organisation):
    with app.app_context(), pytest.raises(ImportRefused, match="课程代码“NOPE”不存在") as info:
        _plan("a.xlsx", xlsx_file(_valid_rows()), course_code="NOPE")
    assert info.value.field == "enrol"


def test_an_archived_course_is_refused_and_left_out_of_the_choices(app, organisation, course):
    from trainhub.courses.course_edits import archive_course
    from trainhub.courses.queries import course_by_code
    from trainhub.imports.queries import course_choices

    with app.app_context():
        assert course in dict(course_choices())
        archive_course(course_by_code(course), actor=None)
        db.session.commit()
        assert course not in dict(course_choices())
        with pytest.raises(ImportRefused, match="课程“P1-TEST-01 测试课程”已归档，不能再报名。") as info:
            _plan("a.xlsx", xlsx_file(_valid_rows()), course_code=course)
    assert info.value.field == "enrol"


def _template_with(*rows: list) -> bytes:
    """The downloaded template, its example row left in, with ``rows`` filled in below."""
    workbook = openpyxl.load_workbook(io.BytesIO(template_workbook()))
    for number, row in enumerate(rows, start=3):
        for column, value in enumerate(row, start=1):
            workbook["学员名单"].cell(row=number, column=column, value=value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_the_template_is_well_formed_and_its_example_row_alone_is_refused(app, counties, table_counts):
    with app.app_context():
        data = template_workbook()
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["学员名单", "填写说明"]
    sheet = workbook["学员名单"]
    headers = [cell.value for cell in sheet[1]]
    assert headers[:3] == ["姓名", "身份证号码", "手机号码"]
    assert sheet["A2"].value == "张晓明"
    assert sheet["B2"].number_format == "@" and sheet["B2"].data_type == "s"
    before = table_counts()
    with app.app_context(), pytest.raises(ImportRefused, match="只有导入模板的示例行（第 2 行，张晓明）"):
        _plan("模板.xlsx", data)
    assert table_counts() == before


def test_the_template_example_row_left_in_is_skipped(app, counties):
    """The user filled the template below its example row and forgot to delete it."""
    real = ["李娜", make_id(seq=2, male=False), "13800138002", "女", "", "威宁县星光社会工作服务中心",
            "威宁彝族回族苗族自治县", "贵州省", "毕节市", "", "项目社工", "", ""]
    with app.app_context():
        data = _template_with(real)
        plan = _plan("模板.xlsx", data)
        assert plan.example_rows == [2]
        assert "第 2 行是导入模板中的示例（张晓明），已跳过" in plan.example_note
        assert [row.row for row in plan.rows] == [3] and plan.counts["new"] == 1
        assert [org.name for org in plan.organisations_to_create] == ["威宁县星光社会工作服务中心"]
        assert plan.rows[0].fields.birth_date == date(1990, 3, 7)
        result = operations.commit_import(plan)
        db.session.commit()
        assert result.counts["new"] == 1
        assert list(db.session.scalars(sa.select(Learner.name))) == ["李娜"]
        assert db.session.scalar(sa.select(Organisation).where(Organisation.name == "威宁县阳光社会工作服务中心")) is None
        entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "import.learners")).one()
        assert entry.detail["example_rows_skipped"] == 1


def test_a_row_that_only_resembles_the_example_is_a_learner(app, counties):
    """Recognised by its exact example values: the same name with another ID is a person."""
    with app.app_context():
        example = template_workbook()
    workbook = openpyxl.load_workbook(io.BytesIO(example))
    workbook["学员名单"]["B2"] = make_id(seq=1)
    buffer = io.BytesIO()
    workbook.save(buffer)
    with app.app_context():
        plan = _plan("模板.xlsx", buffer.getvalue())
        assert plan.example_rows == [] and plan.example_note is None
        assert plan.problems == [] and plan.counts["new"] == 1
        assert plan.organisations_to_create[0].kind == OrgKind.AGENCY


def test_serial_number_only_rows_are_not_learners(app, organisation):
    rows = [*_valid_rows(), ["15", "", "", "", "", "", "", "", "", ""]]
    with app.app_context():
        assert _plan("a.xlsx", xlsx_file(rows)).counts["rows"] == 4


def test_a_learner_registered_meanwhile_stops_the_commit(app, organisation):
    """Between the dry run and the write someone registers one of the learners: the import
    is refused as a conflict and leaves nothing behind, even if the caller then commits."""
    from trainhub.imports.errors import ImportConflict
    from trainhub.learners.operations import create_learner

    data = xlsx_file(_valid_rows())
    with app.app_context():
        plan = _plan("a.xlsx", data)
        row = plan.rows[0]
        create_learner(row.fields, row.organisation, actor=None)
        db.session.commit()
        with pytest.raises(ImportConflict, match="未导入任何数据") as info:
            operations.commit_import(plan)
        assert info.value.status == 409
        db.session.commit()  # what a careless caller might do: nothing of the import is kept
    with app.app_context():
        assert _learner_count() == 1
        assert db.session.scalar(sa.select(Organisation).where(Organisation.name == NEW_STATION)) is None
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                                 .where(AuditEntry.action == "import.learners")) == 0


def test_an_import_refused_later_in_the_unit_of_work_is_undone(app, organisation):
    """The import's savepoint nests in the caller's transaction (SQLite included): a caller
    that fails after a successful import and rolls back keeps nothing of it."""
    with app.app_context():
        operations.commit_import(_plan("a.xlsx", xlsx_file(_valid_rows())))
        assert _learner_count() == 4
        db.session.rollback()
    with app.app_context():
        assert _learner_count() == 0
        assert db.session.scalar(sa.select(Organisation).where(Organisation.name == NEW_STATION)) is None
