"""``trainhub import learners FILE``: summary, problems, exit codes, rejected rows."""

from __future__ import annotations

import io

import openpyxl
import sqlalchemy as sa
from import_rosters import BAD_ROWS, GOOD_ROWS, bad_roster_rows, gbk_csv_file, xlsx_file

from trainhub.audit.models import AuditEntry
from trainhub.extensions import db
from trainhub.learners.models import Learner


def _good_rows() -> list[list]:
    rows = bad_roster_rows()
    return [rows[number - 2] for number in GOOD_ROWS]


def _learner_count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Learner))


def test_dry_run_prints_a_chinese_summary_and_the_problems(app, runner, organisation, tmp_path):
    path = tmp_path / "名单.csv"
    path.write_bytes(gbk_csv_file(bad_roster_rows()))
    result = runner.invoke(args=["import", "learners", str(path), "--dry-run"])
    assert result.exit_code == 1
    assert "将新增 4 名" in result.output and "有问题 9 行" in result.output
    assert "第 4 行【身份证号码】身份证号码校验位" in result.output
    assert "第 6 行【身份证号码】与本文件第 7 行" in result.output
    assert "将新建机构：威宁县龙场镇社会工作服务站（乡镇（街道）社工站" in result.output
    assert "错误：" in result.output and "未写入任何数据" in result.output
    assert _learner_count(app) == 0

    path.write_bytes(gbk_csv_file(bad_roster_rows()[2:4]))  # two bad rows only
    result = runner.invoke(args=["import", "learners", str(path), "--dry-run", "--valid-only"])
    assert result.exit_code == 1 and "没有无误的行" in result.output

    path.write_bytes(gbk_csv_file(_good_rows()))
    result = runner.invoke(args=["import", "learners", str(path), "--dry-run"])
    assert result.exit_code == 0 and "预览完成，未写入任何数据" in result.output
    assert _learner_count(app) == 0


def test_a_file_with_problems_is_refused_whole(app, runner, organisation, tmp_path, table_counts):
    path = tmp_path / "名单.xlsx"
    path.write_bytes(xlsx_file(bad_roster_rows()))
    before = table_counts()
    result = runner.invoke(args=["import", "learners", str(path)])
    assert result.exit_code == 1
    assert "9 行有问题" in result.output and "未导入任何数据" in result.output
    assert table_counts() == before


def test_valid_only_writes_the_rejected_rows_beside_the_file(app, runner, organisation, tmp_path):
    path = tmp_path / "名单.xlsx"
    path.write_bytes(xlsx_file(bad_roster_rows()))
    result = runner.invoke(args=["import", "learners", str(path), "--valid-only"])
    assert result.exit_code == 0, result.output
    assert "已新增 4 名" in result.output and "导入完成" in result.output
    rejected = tmp_path / "名单-未导入的行.xlsx"
    rows = list(openpyxl.load_workbook(io.BytesIO(rejected.read_bytes())).active.iter_rows(values_only=True))
    assert [row[-2] for row in rows[1:]] == list(BAD_ROWS)
    assert _learner_count(app) == 4
    with app.app_context():
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "import.learners"))
        assert entry.detail["via"] == "cli" and entry.actor_id is None

    # again: nothing changes
    path.write_bytes(xlsx_file(_good_rows()))
    result = runner.invoke(args=["import", "learners", str(path)])
    assert result.exit_code == 0
    assert "已新增 0 名，已更新 0 名，无变化 4 名" in result.output


def test_enrol_option(app, runner, organisation, course, tmp_path):
    path = tmp_path / "名单.xlsx"
    path.write_bytes(xlsx_file(_good_rows()))
    result = runner.invoke(args=["import", "learners", str(path), "--enrol", course])
    assert result.exit_code == 0, result.output
    assert "报名结果：新报名 2 人，进入候补名单 2 人，此前已报名 0 人" in result.output

    result = runner.invoke(args=["import", "learners", str(path), "--enrol", "NO-SUCH"])
    assert result.exit_code == 1 and "课程代码“NO-SUCH”不存在" in result.output


def test_unreadable_and_oversized_files_exit_1(app, runner, counties, tmp_path):
    broken = tmp_path / "坏.xlsx"
    broken.write_bytes(b"PK\x03\x04broken")
    result = runner.invoke(args=["import", "learners", str(broken)])
    assert result.exit_code == 1 and "已损坏" in result.output

    app.config["IMPORT_MAX_BYTES"] = 10
    big = tmp_path / "大.csv"
    big.write_bytes(b"x" * 100)
    result = runner.invoke(args=["import", "learners", str(big)])
    assert result.exit_code == 1 and "文件过大" in result.output

    result = runner.invoke(args=["import", "learners", str(tmp_path / "没有.xlsx")])
    assert result.exit_code == 2
