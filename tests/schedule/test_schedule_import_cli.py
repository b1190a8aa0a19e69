"""``trainhub schedule import FILE``: the problems by row and column, exit codes, all or
nothing, the sessions created per course."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from schedule_sheets import add_import_world, csv_bytes, row, xlsx

from trainhub.audit.models import AuditEntry
from trainhub.courses.models import TrainingSession
from trainhub.extensions import db


@pytest.fixture
def world(app, plan):
    return add_import_world(app, plan)


def _sessions(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(TrainingSession))


def _run(runner, path, *options):
    return runner.invoke(args=["schedule", "import", str(path), *options])


def test_the_dry_run_lists_every_problem_and_exits_1(app, runner, world, tmp_path):
    path = tmp_path / "课表.csv"
    path.write_bytes(csv_bytes([row("S-A"), row("S-X", "2023-03-02"), row("S-A", "2023-05-01", "25:00"),
                                row("S-C", "2023-03-02", "10:00", "12:00", venue="水城区社工站培训室", link="")],
                               encoding="gbk"))
    before = _sessions(app)
    result = _run(runner, path, "--dry-run")
    assert result.exit_code == 1
    output = result.output
    assert "文件 课表.csv：课次 4 行。" in output and "有问题的行（3 行，5 处）" in output
    assert "第 3 行【课程编号】课程编号“S-X”不存在" in output
    assert "第 4 行【开始时间】开始时间“25:00”不存在" in output
    assert "第 4 行【日期】2023-05-01 劳动节" in output
    assert "第 5 行【地点】" in output and "场地“水城区社工站培训室”同时安排了" in output
    assert "错误：" in output and "未保存任何课次" in output and "预览" in output
    assert _sessions(app) == before


def test_the_dry_run_of_a_good_file_exits_0_and_saves_nothing(app, runner, plan, tmp_path):
    path = tmp_path / "课表.xlsx"
    path.write_bytes(xlsx([row("S-A"), row("S-A", "2023-03-08"), row("S-B", "2023-03-09")]))
    result = _run(runner, path, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "将创建课次 3 个" in result.output and "S-A 排课课程A：2 个" in result.output
    assert "预览完成，未保存任何数据" in result.output
    assert _sessions(app) == 0


def test_a_refused_file_saves_nothing_and_exits_1(app, runner, plan, tmp_path, database_rows):
    path = tmp_path / "课表.xlsx"
    path.write_bytes(xlsx([row("S-A"), row("S-A", "2023-09-01")]))
    before = database_rows()
    result = _run(runner, path)
    assert result.exit_code == 1
    assert "第 3 行【日期】" in result.output and "不在第一阶段的时间范围" in result.output
    assert "文件中有 1 行有问题" in result.output
    assert database_rows() == before


def test_an_import_prints_the_sessions_per_course_and_is_audited(app, runner, plan, tmp_path):
    path = tmp_path / "课表.xlsx"
    path.write_bytes(xlsx([row("S-A"), row("S-B", "2023-03-09"), row("S-A", "2023-03-08")]))
    result = _run(runner, path)
    assert result.exit_code == 0, result.output
    assert "已创建课次 3 个" in result.output
    assert "S-A 排课课程A：2 个" in result.output and "S-B 排课课程B：1 个" in result.output
    assert "导入完成" in result.output
    assert _sessions(app) == 3
    with app.app_context():
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "schedule.import"))
        assert entry.detail["via"] == "cli" and entry.detail["sessions"] == 3 and entry.actor_id is None
        assert [course["code"] for course in entry.detail["courses"]] == ["S-A", "S-B"]


def test_holidays_and_clashes_pass_only_when_allowed(app, runner, plan, tmp_path):
    path = tmp_path / "课表.xlsx"
    path.write_bytes(xlsx([row("S-A", "2023-05-01", instructor="teacher-a"),
                           row("S-B", "2023-05-01", "20:00", "22:00", instructor="teacher-a")]))
    result = _run(runner, path)
    assert result.exit_code == 1 and _sessions(app) == 0
    assert "第 2 行【日期】2023-05-01 劳动节" in result.output and "第 3 行【讲师】" in result.output

    result = _run(runner, path, "--allow-holidays")
    assert result.exit_code == 1 and "第 3 行【讲师】" in result.output and "劳动节" not in result.output.split("有问题的行")[1]

    result = _run(runner, path, "--allow-holidays", "--override-clashes", "合班授课")
    assert result.exit_code == 0, result.output
    assert "按理由“合班授课”覆盖" in result.output and "第 2 行：2023-05-01 劳动节（已允许在节假日排课）" in result.output
    with app.app_context():
        overrides = db.session.scalars(sa.select(TrainingSession.clash_override)
                                       .order_by(TrainingSession.starts_at)).all()
    assert overrides == [None, "合班授课"]


@pytest.mark.parametrize(("name", "content", "said"), [
    ("课表.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, ".xls"),
    ("课表.csv", "课程编号,日期,备注\nS-A,2023-03-01,讲座\n".encode(), "缺少必需的列"),
    ("课表.csv", b"", "文件是空的"),
])
def test_unreadable_files_are_refused_with_exit_code_1(app, runner, plan, tmp_path, name, content, said):
    path = tmp_path / name
    path.write_bytes(content)
    result = _run(runner, path)
    assert result.exit_code == 1 and "错误：" in result.output and said in result.output


def test_an_override_reason_too_long_is_refused(app, runner, plan, tmp_path):
    path = tmp_path / "课表.xlsx"
    path.write_bytes(xlsx([row("S-A")]))
    result = _run(runner, path, "--override-clashes", "很" * 301)
    assert result.exit_code == 1 and "覆盖冲突的理由最多 300 个字" in result.output
