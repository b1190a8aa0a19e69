"""``trainhub init`` and ``trainhub counties …``: output, exit codes, what changes."""

from __future__ import annotations

import sqlalchemy as sa

from trainhub import create_app
from trainhub.audit.models import AuditEntry
from trainhub.extensions import db
from trainhub.geo.models import CodeListVersion, County

HEADER = "code,county,prefecture,province\n"


def flagged(app, code: str) -> bool:
    with app.app_context():
        return db.session.get(County, code).is_priority


def priority_total(app) -> int:
    with app.app_context():
        return db.session.scalar(
            sa.select(sa.func.count()).select_from(County).where(County.is_priority)
        )


def test_init_builds_the_schema_and_loads_reference_data_twice_without_change(app_config, tmp_path):
    # a database of its own: init must start from nothing, through the migrations
    config = {**app_config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'fresh.sqlite'}"}
    fresh = create_app(config)
    try:
        runner = fresh.test_cli_runner()
        first = runner.invoke(args=["init"])
        assert first.exit_code == 0, first.output
        assert "2978 个县级行政区划" in first.output
        assert "已标记重点帮扶县 100 个（应为 160 个）" in first.output
        assert "第一阶段 2023-02-15 至 2023-08-14" in first.output

        second = runner.invoke(args=["init"])
        assert second.exit_code == 0, second.output
        assert "此前已载入，未作更改" in second.output
        with fresh.app_context():
            assert db.session.scalar(sa.select(sa.func.count()).select_from(County)) == 2978
            assert db.session.scalar(sa.select(sa.func.count()).select_from(CodeListVersion)) == 1
            assert "alembic_version" in sa.inspect(db.engine).get_table_names()
    finally:
        with fresh.app_context():
            db.engine.dispose()


def test_set_priority_by_codes(app, runner, reference_data):
    result = runner.invoke(args=["counties", "set-priority", "620121", "620122",
                                 "--source", "甘肃省乡村振兴局通知"])
    assert result.exit_code == 0, result.output
    assert "已标记 2 个县" in result.output
    assert "现共标记重点帮扶县 102 个（应为 160 个）" in result.output
    assert flagged(app, "620121") and flagged(app, "620122")
    with app.app_context():
        entries = db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.target_id.in_(["620121", "620122"]))
        ).all()
        assert {e.action for e in entries} == {"county.flag_priority"}
        assert all(e.detail["via"] == "cli" and e.actor_id is None for e in entries)


def test_set_priority_from_a_file_and_unflag(app, runner, reference_data, tmp_path):
    codes = tmp_path / "gansu.txt"
    codes.write_text("# 甘肃（已核实）\n620121\n620122\n", encoding="utf-8")
    assert runner.invoke(args=["counties", "set-priority", str(codes), "--source", "通知"]).exit_code == 0
    assert priority_total(app) == 102

    result = runner.invoke(args=["counties", "set-priority", "--unflag", "620121", "--source", "误标"])
    assert result.exit_code == 0, result.output
    assert "已取消标记 1 个县" in result.output
    assert not flagged(app, "620121")
    with app.app_context():
        entry = db.session.scalar(
            sa.select(AuditEntry).where(AuditEntry.action == "county.unflag_priority")
        )
        assert entry.target_id == "620121" and entry.detail["reason"] == "误标"


def test_set_priority_csv_in_the_packaged_format(app, runner, reference_data, tmp_path):
    path = tmp_path / "more.csv"
    path.write_text("code,county,province,list_source\n620121,永登县,甘肃省,通知\n", encoding="utf-8")
    result = runner.invoke(args=["counties", "set-priority", str(path), "--source", "甘肃通知"])
    assert result.exit_code == 0, result.output
    assert flagged(app, "620121")


def test_set_priority_refuses_an_unknown_code_and_changes_nothing(app, runner, reference_data):
    result = runner.invoke(args=["counties", "set-priority", "620121", "999999", "--source", "x"])
    assert result.exit_code == 1
    assert "999999" in result.output and "不在县级行政区划代码表中" in result.output
    assert not flagged(app, "620121")


def test_set_priority_refuses_an_empty_file(app, runner, reference_data, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    result = runner.invoke(args=["counties", "set-priority", str(empty), "--source", "x"])
    assert result.exit_code == 1
    assert "没有县级代码" in result.output
    assert priority_total(app) == 100


def test_set_priority_refuses_a_file_with_bad_lines(app, runner, reference_data, tmp_path):
    path = tmp_path / "codes.txt"
    path.write_text("620121\n永登县\n", encoding="utf-8")
    result = runner.invoke(args=["counties", "set-priority", str(path), "--source", "x"])
    assert result.exit_code == 1
    assert "第 2 行" in result.output
    assert not flagged(app, "620121")


def test_set_priority_refuses_what_is_neither_code_nor_file(app, runner, reference_data):
    result = runner.invoke(args=["counties", "set-priority", "榆中县", "--source", "x"])
    assert result.exit_code == 1
    assert "既不是 6 位县级代码，也不是存在的文件" in result.output


def test_flagging_needs_a_source(app, runner, reference_data):
    result = runner.invoke(args=["counties", "set-priority", "620121"])
    assert result.exit_code == 1
    assert "标记依据" in result.output
    assert not flagged(app, "620121")


def test_set_priority_needs_an_argument(runner, reference_data):
    assert runner.invoke(args=["counties", "set-priority", "--source", "x"]).exit_code == 2


def test_load_a_newer_code_list(app, runner, reference_data, tmp_path):
    path = tmp_path / "nbs2024.csv"
    path.write_text(HEADER + "520204,水城区,六盘水市,贵州省\n520299,新设县,六盘水市,贵州省\n",
                    encoding="utf-8")
    result = runner.invoke(args=["counties", "load", str(path), "--version", "NBS-2024"])
    assert result.exit_code == 0, result.output
    assert "新增 1 个" in result.output and "不再现行 2977 个" in result.output
    assert "注意" in result.output  # retired priority counties are pointed out
    with app.app_context():
        assert db.session.get(County, "520299").name == "新设县"
        assert db.session.get(CodeListVersion, "NBS-2024").source == "文件 nbs2024.csv"


def test_load_refuses_a_bad_file_and_changes_nothing(app, runner, reference_data, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "520204,水城区,六盘水市,贵州省\n520204,水城区,六盘水市,贵州省\n",
                    encoding="utf-8")
    result = runner.invoke(args=["counties", "load", str(path), "--version", "NBS-2024"])
    assert result.exit_code == 1
    assert "第 3 行" in result.output and "重复" in result.output
    with app.app_context():
        assert db.session.get(CodeListVersion, "NBS-2024") is None


def test_load_needs_a_version_and_an_existing_file(runner, reference_data, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text(HEADER, encoding="utf-8")
    assert runner.invoke(args=["counties", "load", str(path)]).exit_code == 2
    missing = runner.invoke(args=["counties", "load", str(tmp_path / "nope.csv"), "--version", "V"])
    assert missing.exit_code == 1
    assert "无法读取文件" in missing.output


def test_list_filters_by_province_and_priority(runner, reference_data):
    result = runner.invoke(args=["counties", "list", "--province", "贵州", "--priority"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[-1] == "共 20 个。"
    assert any(line.startswith("520204\t水城区\t六盘水市\t贵州省\t重点帮扶县") for line in lines)

    by_code = runner.invoke(args=["counties", "list", "--province", "11"])
    assert by_code.output.strip().splitlines()[-1] == "共 16 个。"


def test_list_refuses_an_unknown_province(runner, reference_data):
    result = runner.invoke(args=["counties", "list", "--province", "火星"])
    assert result.exit_code == 1
    assert "未知的省份" in result.output
