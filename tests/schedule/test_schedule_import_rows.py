"""The schedule import's dry run: every bad row named by its row and column, clashes with
the timetable and between the rows, holidays, and all or nothing."""

from __future__ import annotations

from datetime import date, time

import pytest
import sqlalchemy as sa
from schedule_sheets import ENGLISH, LINK, add_import_world, csv_bytes, row, utc, xlsx

from trainhub.audit.models import AuditEntry
from trainhub.courses.models import TrainingSession
from trainhub.extensions import db
from trainhub.schedule.import_plan import ScheduleImportRefused
from trainhub.schedule.import_planner import plan_schedule
from trainhub.schedule.importing import ScheduleImportConflict, import_schedule, read_schedule


@pytest.fixture
def world(app, plan):
    return add_import_world(app, plan)


def _plan(data: bytes, filename: str = "课表.xlsx", **options):
    return plan_schedule(read_schedule(filename, data), filename=filename, **options)


def _problems(plan) -> dict[int, list[tuple[str, str]]]:
    """Problems by row: (column as the file names it, message)."""
    found: dict[int, list[tuple[str, str]]] = {}
    for problem in plan.problems:
        found.setdefault(problem.row, []).append((problem.column, problem.message))
    return found


def _sessions() -> list[tuple]:
    return db.session.execute(sa.select(TrainingSession.course_id, TrainingSession.starts_at)
                              .order_by(TrainingSession.starts_at)).all()


def test_every_kind_of_bad_row_is_named_by_its_row_and_column(app, plan, world):
    rows = [
        row("S-A", instructor="teacher-a", title="第 1 讲"),                    # 2 good
        row("S-X"),                                                             # 3 unknown course
        row("S-Z"),                                                             # 4 archived course
        row("S-A", "2023-03-08", instructor="nobody"),                          # 5 unknown instructor
        row("S-A", "2023-03-09", instructor="teacher-b"),                       # 6 not teaching S-A
        row("S-A", "2023-03-10", "21:00", "19:00"),                             # 7 end before start
        row("S-A", "2023-03-13", "25:00", "26:00"),                             # 8 impossible hour
        row("S-A", "2023-03-14", "19:60", "21:00"),                             # 9 impossible minute
        row("S-A", "2023-09-01"),                                               # 10 outside phase 1
        row("S-A", "2023-05-01"),                                               # 11 劳动节
        row("S-A", instructor="teacher-a"),                                     # 12 duplicate of 2
        row("S-C", "2023-03-15", venue="不存在的教室", link=""),                # 13 unknown venue
        row("S-C", "2023-03-16", link=""),                                      # 14 neither venue nor link
        row("S-A", "2023-02-30"),                                               # 15 no such date
        row("S-A", "下周三"),                                                    # 16 unreadable date
        row("S-A", "2023-03-17", "19:00", "19:00"),                             # 17 end equals start
        row("S-C", "2023-03-20", venue="同名培训室", link=""),                  # 18 ambiguous venue
        row("S-A", "2023-03-21", link="meeting.test/j/1"),                      # 19 link without https://
    ]
    with app.app_context():
        result = _plan(xlsx(rows))
        problems = _problems(result)
        assert sorted(problems) == list(range(3, 20))
        assert not result.rows[0].problems

        def only(number: int) -> tuple[str, str]:
            assert len(problems[number]) == 1, problems[number]
            return problems[number][0]

        assert only(3) == ("课程编号", "课程编号“S-X”不存在，请核对（如 P1-ORG-01）。")
        assert only(4)[0] == "课程编号" and "已归档" in only(4)[1]
        assert only(5) == ("讲师", "未找到用户名为“nobody”的用户，请填写讲师的登录用户名。")
        assert only(6)[0] == "讲师" and "不是课程“排课课程A”的讲师" in only(6)[1] and "王老师" in only(6)[1]
        assert only(7) == ("结束时间", "结束时间应晚于开始时间。")
        assert [column for column, _ in problems[8]] == ["开始时间", "结束时间"]
        assert "“25:00”不存在" in problems[8][0][1] and "“26:00”不存在" in problems[8][1][1]
        assert only(9)[0] == "开始时间" and "“19:60”不存在" in only(9)[1]
        assert only(10)[0] == "日期" and "2023-09-01" in only(10)[1] and "第一阶段" in only(10)[1]
        assert only(11)[0] == "日期" and only(11)[1].startswith("2023-05-01 劳动节")
        assert only(12) == ("课程编号", "与第 2 行重复：同一课程、同一时间的课次只能有一行。")
        assert only(13)[0] == "地点" and "未找到名为“不存在的教室”的场地" in only(13)[1]
        assert only(14) == ("地点", "请填写地点（线下）或会议链接（线上），至少一项。")
        assert only(15) == ("日期", "日期“2023-02-30”不存在，请检查月份和日。")
        assert only(16)[0] == "日期" and "无法识别" in only(16)[1]
        assert only(17) == ("结束时间", "结束时间应晚于开始时间。")
        assert only(18)[0] == "地点" and "有 2 个名为“同名培训室”的场地" in only(18)[1]
        assert "水城区" in only(18)[1] and "威宁彝族回族苗族自治县" in only(18)[1]
        assert only(19)[0] == "会议链接" and "https://" in only(19)[1]


def test_a_venue_named_with_its_county_is_found(app, plan, world):
    from trainhub.courses.models import Venue

    with app.app_context():
        hall = Venue(name="多功能厅（二楼）", county_code="520204")
        db.session.add(hall)
        db.session.commit()
        rows = [row("S-C", "2023-03-20", venue="同名培训室（威宁彝族回族苗族自治县）", link=""),
                row("S-C", "2023-03-21", venue="同名培训室(520204)", link=""),
                row("S-C", "2023-03-22", venue=" 多功能厅（二楼） ", link="")]
        result = _plan(xlsx(rows))
        assert not result.problems
        assert [r.venue.id for r in result.rows] == [world["namesakes"][1], world["namesakes"][0], hall.id]


def test_english_headers_and_a_title_block_above_the_header(app, plan):
    title = [["2023 年第一阶段课表"], ["制表：项目办", None, "2023-02-10"], []]
    with app.app_context():
        result = _plan(xlsx([row("S-A")], ENGLISH, title_rows=title))
        assert not result.problems and [r.row for r in result.rows] == [5]
        assert result.columns.header("course_code") == "Course code"


def test_a_gbk_csv_with_slashed_and_chinese_dates(app, plan):
    rows = [row("s-a", "2023/3/1", "9:00", "11:30"), row("S-A", "2023年3月2日", "19:00:00", "21:00:00"),
            row("S-A", "2023-03-06（周一）", "下午7:00", "21:00")]
    with app.app_context():
        result = _plan(csv_bytes(rows, encoding="gbk"), "课表.csv")
        assert result.encoding == "gbk" and not result.problems
        assert [(r.starts_at, r.ends_at) for r in result.rows] == [
            (utc("2023-03-01", "09:00"), utc("2023-03-01", "11:30")),
            (utc("2023-03-02", "19:00"), utc("2023-03-02", "21:00")),
            (utc("2023-03-06", "19:00"), utc("2023-03-06", "21:00")),
        ]


def test_excel_dates_and_times_as_excel_keeps_them(app, plan):
    """Real date and time cells, and the same kept as numbers (a column formatted 常规)."""
    rows = [row("S-A", date(2023, 3, 1), time(19, 0), time(21, 30)),
            row("S-A", 44986 + 1, 19 / 24, 21.5 / 24)]  # 44986 is 2023-03-01
    with app.app_context():
        result = _plan(xlsx(rows))
        assert not result.problems
        assert [(r.starts_at, r.ends_at) for r in result.rows] == [
            (utc("2023-03-01", "19:00"), utc("2023-03-01", "21:30")),
            (utc("2023-03-02", "19:00"), utc("2023-03-02", "21:30")),
        ]


def test_a_sheet_with_the_wrong_columns_says_what_is_missing_and_what_was_found(app, plan):
    with app.app_context(), pytest.raises(ScheduleImportRefused) as refused:
        _plan(csv_bytes([["S-A", "2023-03-01", "讲座"]], ["课程编号", "日期", "备注"]), "课表.csv")
    message = refused.value.message
    assert refused.value.field == "file"
    assert "缺少必需的列" in message and "开始时间" in message and "结束时间" in message
    assert "地点或会议链接（至少一列）" in message
    assert "文件中找到的表头：“课程编号”、“日期”、“备注”" in message


@pytest.mark.parametrize(("data", "filename", "said"), [
    (xlsx([]), "课表.xlsx", "没有课次数据"),
    (b"", "课表.csv", "文件是空的"),
    (b"\r\n\r\n", "课表.csv", "文件是空的"),
])
def test_an_empty_sheet_is_refused(app, plan, data, filename, said):
    with app.app_context(), pytest.raises(ScheduleImportRefused, match=said):
        _plan(data, filename)


def test_the_template_example_left_in_is_skipped(app, plan):
    from trainhub.schedule.import_columns import EXAMPLE_MEETING_URL

    example = row("P1-ORG-01", link=EXAMPLE_MEETING_URL, instructor="teacher01")
    with app.app_context():
        result = _plan(xlsx([example, row("S-A")]))
        assert result.example_rows == [2] and [r.row for r in result.rows] == [3]
        assert "第 2 行是导入模板中的示例" in result.example_note
        with pytest.raises(ScheduleImportRefused, match="只有导入模板的示例行"):
            _plan(xlsx([example]))


# clashes ------------------------------------------------------------------------------------


def test_clashes_with_the_timetable_name_the_instructor_the_learners_and_the_venue(app, plan, world):
    rows = [
        row("S-D", "2023-03-02", "10:00", "12:00", venue="水城区社工站培训室", link=""),  # 2 venue
        row("S-C", "2023-03-03", "20:00", "22:00", venue="六盘水市会议室", link=""),  # 3 李老师 teaches B then
        row("S-A", "2023-03-03", "20:30", "21:30", instructor="teacher-a"),  # 4 A shares 2 learners with B
    ]
    with app.app_context():
        problems = _problems(_plan(xlsx(rows)))
    assert [column for column, _ in problems[2]] == ["地点"]
    assert "场地“水城区社工站培训室”同时安排了课次“S-C 排课课程C”" in problems[2][0][1]
    assert [column for column, _ in problems[3]] == ["讲师"]
    assert "讲师 李老师 同时有课次“S-B 排课课程B”" in problems[3][0][1]
    assert [column for column, _ in problems[4]] == ["课程编号"]
    assert "有 2 名共同报名的学员" in problems[4][0][1]


def test_a_clash_between_two_rows_of_the_file_names_the_other_row(app, plan):
    rows = [row("S-A", instructor="teacher-a"),
            row("S-B", "2023-03-01", "20:00", "22:00", instructor="teacher-a")]
    with app.app_context():
        problems = _problems(_plan(xlsx(rows)))
        assert list(problems) == [3]  # the later row is refused, naming the earlier
        columns = {column: message for column, message in problems[3]}
        assert set(columns) == {"讲师", "课程编号"}
        assert "讲师 王老师 同时有本次提交的另一课次" in columns["讲师"] and "（文件第 2 行）" in columns["讲师"]
        assert "有 2 名共同报名的学员" in columns["课程编号"]
        assert _sessions() == []


def test_clashes_overridden_with_a_reason_are_saved_and_the_reason_kept(app, plan, world):
    rows = [row("S-A", instructor="teacher-a"),
            row("S-B", "2023-03-01", "20:00", "22:00", instructor="teacher-a")]
    with app.app_context():
        result = _plan(xlsx(rows), override_reason="两班合上，已与讲师确认")
        assert not result.problems and len(result.overridden) == 2
        imported = import_schedule(result, actor=None, via="test")
        db.session.commit()
        overrides = [s.clash_override for s in imported.sessions]
        assert overrides == [None, "两班合上，已与讲师确认"]
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "schedule.import"))
        assert entry.detail["override_reason"] == "两班合上，已与讲师确认" and entry.detail["overridden"] == 1


# holidays -----------------------------------------------------------------------------------


def test_a_holiday_is_refused_naming_it_unless_allowed(app, plan):
    rows = [row("S-A", "2023-04-05"), row("S-A", "2023-06-22"), row("S-A", "2023-04-23")]  # 清明, 端午, 调休
    with app.app_context():
        problems = _problems(_plan(xlsx(rows)))
        assert problems[2][0][1].startswith("2023-04-05 清明：法定节假日") and problems[2][0][0] == "日期"
        assert problems[3][0][1].startswith("2023-06-22 端午：")
        assert 4 not in problems  # a make-up working day is a working day

        allowed = _plan(xlsx(rows), allow_holidays=True)
        assert not allowed.problems
        assert allowed.rows[0].notes == ["2023-04-05 清明（已允许在节假日排课）"]
        assert "调休上班日" in allowed.rows[2].notes[0]
        import_schedule(allowed, actor=None, via="test")
        db.session.commit()
        assert len(_sessions()) == 3


# all or nothing -----------------------------------------------------------------------------


def test_one_bad_row_saves_nothing(app, plan, database_rows):
    before = database_rows()
    with app.app_context():
        result = _plan(xlsx([row("S-A"), row("S-A", "2023-03-02"), row("S-X", "2023-03-03")]))
        with pytest.raises(ScheduleImportRefused, match="文件中有 1 行有问题"):
            import_schedule(result, actor=None, via="test")
        db.session.commit()
    assert database_rows() == before


def test_a_good_file_creates_every_session_with_one_audit_entry(app, plan):
    rows = [row("S-A", title="第 1 讲", number="123 456 789"), row("S-A", "2023-03-08"),
            row("S-C", "2023-03-09", "09:00", "12:00", venue="水城区社工站培训室", link="", instructor="teacher-b"),
            row("S-D", "2023-03-10", link=LINK)]
    with app.app_context():
        result = _plan(xlsx(rows))
        imported = import_schedule(result, actor=None, via="test")
        db.session.commit()
        assert imported.per_course == [
            {"id": plan.courses["a"], "code": "S-A", "title": "排课课程A", "sessions": 2},
            {"id": plan.courses["c"], "code": "S-C", "title": "排课课程C", "sessions": 1},
            {"id": plan.courses["d"], "code": "S-D", "title": "排课课程D", "sessions": 1},
        ]
        first, _, onsite, unassigned = db.session.scalars(
            sa.select(TrainingSession).order_by(TrainingSession.starts_at)).all()
        assert (first.title, first.meeting_url, first.meeting_number) == ("第 1 讲", LINK, "123 456 789")
        assert first.instructor_id == plan.teacher  # blank: the course's first instructor
        assert (onsite.venue_id, onsite.meeting_url, onsite.instructor_id) == (plan.venues["hall"], None,
                                                                               plan.other_teacher)
        assert unassigned.instructor_id is None  # a course without instructors
        actions = db.session.scalars(sa.select(AuditEntry.action)).all()
        assert actions.count("session.create") == 4 and actions.count("schedule.import") == 1


def test_a_clash_scheduled_meanwhile_refuses_the_whole_import(app, plan, database_rows):
    from trainhub.courses.models import Course
    from trainhub.schedule.operations import create_session

    with app.app_context():
        result = _plan(xlsx([row("S-A", "2023-03-01"), row("S-A", "2023-03-08", instructor="teacher-a")]))
        assert not result.problems
        # someone schedules teacher-a on 2023-03-08 between the dry run and the confirmation
        create_session(db.session.get(Course, plan.courses["b"]), starts_at=utc("2023-03-08", "18:00"),
                       ends_at=utc("2023-03-08", "20:00"), meeting_url=LINK, instructor_id=plan.teacher,
                       actor=None)
        db.session.commit()
        before = database_rows()
        with pytest.raises(ScheduleImportConflict) as refused:
            import_schedule(result, actor=None, via="test")
        assert refused.value.status == 409 and "课表已有变化" in refused.value.message
        assert "讲师 王老师" in refused.value.message
        db.session.commit()  # the caller's unit of work goes on: the savepoint undid the import
    assert database_rows() == before


def test_only_the_office_imports(app, plan, make_user):
    from trainhub.accounts.models import User
    from trainhub.schedule.operations import ScheduleError

    coordinator = make_user("coordinator")
    with app.app_context():
        result = _plan(xlsx([row("S-A")]))
        with pytest.raises(ScheduleError, match="只有项目办"):
            import_schedule(result, actor=db.session.get(User, coordinator.id), via="test")


def test_importing_the_same_file_again_is_refused_row_by_row(app, plan):
    data = xlsx([row("S-A"), row("S-A", "2023-03-08")])
    with app.app_context():
        import_schedule(_plan(data), actor=None, via="test")
        db.session.commit()
        problems = _problems(_plan(data))
        assert sorted(problems) == [2, 3]
        assert all(column == "课程编号" and "该课次已经排定" in message
                   for found in problems.values() for column, message in found)
        assert len(_sessions()) == 2


def test_the_dry_run_costs_the_same_queries_for_few_rows_and_many(app, plan, world):
    from sqlalchemy import event

    def queries(rows) -> int:
        data = xlsx(rows)
        with app.app_context():
            table = read_schedule("课表.xlsx", data)
            counted = []
            listener = lambda *args: counted.append(1)  # noqa: E731
            event.listen(db.engine, "before_cursor_execute", listener)
            try:
                checked = plan_schedule(table, filename="课表.xlsx")
            finally:
                event.remove(db.engine, "before_cursor_execute", listener)
            assert checked.rows
            return len(counted)

    def rows(count: int) -> list[list]:
        made = []
        for number in range(count):
            day = f"2023-03-{1 + number % 28:02d}"
            made.append(row(("S-A", "S-B", "S-C")[number % 3], day, f"{8 + number // 28}:00",
                            f"{8 + number // 28}:30", venue="水城区社工站培训室" if number % 3 == 2 else "",
                            link="" if number % 3 == 2 else LINK,
                            instructor=("teacher-a", "", "teacher-b")[number % 3]))
        return made

    few = queries(rows(3))
    assert few > 0 and queries(rows(90)) == few
