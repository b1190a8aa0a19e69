"""The reference data (counties, priority flags, phase 1) and loading newer code lists."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from trainhub.audit.models import AuditEntry
from trainhub.cli import load_initial_data
from trainhub.courses.models import Phase, Programme, Track
from trainhub.extensions import db
from trainhub.geo.files import CountyError, read_codes
from trainhub.geo.models import CodeListVersion, County
from trainhub.geo.operations import load_code_list, set_priority

HEADER = "code,county,prefecture,province\n"


def count(stmt) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))


def county_snapshot() -> list[tuple]:
    return [
        tuple(row)
        for row in db.session.execute(
            sa.select(County.code, County.name, County.prefecture, County.province,
                      County.is_priority, County.priority_source, County.list_version,
                      County.is_current).order_by(County.code)
        )
    ]


def test_reference_data_loads_counties_priority_flags_and_phase_one(app, reference_data):
    with app.app_context():
        assert count(sa.select(County)) == 2978
        assert count(sa.select(County).where(County.is_priority)) == 100
        guizhou = sa.select(County).where(County.is_priority, County.province_code == "52")
        assert count(guizhou) == 20
        shuicheng = db.session.get(County, "520204")
        assert (shuicheng.name, shuicheng.prefecture, shuicheng.province) == ("水城区", "六盘水市", "贵州省")
        assert shuicheng.province_code == "52"
        assert shuicheng.is_priority
        assert "2021-08-27" in shuicheng.priority_source
        assert shuicheng.list_version == "NBS-2023"
        assert not db.session.get(County, "110101").is_priority

        version = db.session.get(CodeListVersion, "NBS-2023")
        assert version.county_count == 2978

        programme = db.session.scalar(sa.select(Programme))
        assert programme.name == "牵手计划系列培训"
        assert (programme.starts_on, programme.ends_on) == (date(2023, 1, 1), date(2025, 12, 31))
        phase = db.session.scalar(sa.select(Phase))
        assert (phase.number, phase.name) == (1, "第一阶段")
        assert (phase.starts_on, phase.ends_on) == (date(2023, 2, 15), date(2023, 8, 14))
        tracks = db.session.scalars(sa.select(Track).order_by(Track.position)).all()
        assert [(t.position, t.name) for t in tracks] == [
            (1, "社工机构管理运营"), (2, "乡镇（街道）社工站建设"),
        ]
        # the initial flags are in each county's flag history
        flags = count(sa.select(AuditEntry).where(AuditEntry.action == "county.flag_priority"))
        assert flags == 100


def test_reference_data_is_idempotent(app, reference_data):
    with app.app_context():
        before = county_snapshot()
        audit_before = count(sa.select(AuditEntry))
        summary = load_initial_data()
        db.session.commit()
        assert summary.counties.code_list is None and summary.counties.flagged == []
        assert summary.programme.created == []
        assert county_snapshot() == before
        assert count(sa.select(Programme)) == 1
        assert count(sa.select(Phase)) == 1
        assert count(sa.select(Track)) == 2
        assert count(sa.select(CodeListVersion)) == 1
        assert count(sa.select(AuditEntry)) == audit_before


def test_reference_data_does_not_undo_the_office_flags(app, reference_data):
    with app.app_context():
        set_priority(["520204"], priority=False, source="名单核实有误")
        set_priority(["620121"], priority=True, source="甘肃省乡村振兴局通知")
        db.session.commit()
        load_initial_data()
        db.session.commit()
        assert not db.session.get(County, "520204").is_priority
        gansu = db.session.get(County, "620121")
        assert gansu.is_priority and gansu.priority_source == "甘肃省乡村振兴局通知"
        assert count(sa.select(County).where(County.is_priority)) == 100


def test_reference_data_keeps_a_newer_code_list(app, reference_data, tmp_path):
    newer = tmp_path / "newer.csv"
    newer.write_text(HEADER + "520204,水城区,六盘水市,贵州省\n", encoding="utf-8")
    with app.app_context():
        load_code_list(newer, "NBS-2099", "test")
        db.session.commit()
        load_initial_data()
        db.session.commit()
        assert db.session.get(County, "520204").list_version == "NBS-2099"
        assert not db.session.get(County, "110101").is_current


def test_phase_edited_by_the_office_survives_init(app, reference_data):
    with app.app_context():
        phase = db.session.scalar(sa.select(Phase))
        phase.ends_on = date(2023, 8, 31)
        db.session.commit()
        load_initial_data()
        db.session.commit()
        assert db.session.scalar(sa.select(Phase)).ends_on == date(2023, 8, 31)


# load_code_list ----------------------------------------------------------------------------


def test_newer_code_list_adds_renames_and_retires(app, reference_data, tmp_path):
    path = tmp_path / "nbs2024.csv"
    lines = [
        # unchanged
        "520204,水城区,六盘水市,贵州省",
        # renamed
        "110101,东城新区,市辖区,北京市",
        # new code
        "520299,新设县,六盘水市,贵州省",
    ]
    path.write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    with app.app_context():
        summary = load_code_list(path, "NBS-2024", "国家统计局 2024")
        db.session.commit()
        assert (summary.total, summary.added, summary.updated, summary.unchanged) == (3, 1, 1, 1)
        assert summary.retired == 2978 - 2
        # priority counties whose code vanished are named, and keep their flag
        assert len(summary.retired_priority) == 99
        assert "520324 正安县" in summary.retired_priority

        assert db.session.get(County, "110101").name == "东城新区"
        new = db.session.get(County, "520299")
        assert (new.name, new.province_code, new.is_current, new.is_priority) == ("新设县", "52", True, False)
        old = db.session.get(County, "520324")
        assert not old.is_current and old.is_priority and old.list_version == "NBS-2023"
        assert db.session.get(County, "520204").list_version == "NBS-2024"
        assert count(sa.select(County)) == 2979  # nothing deleted
        assert db.session.get(CodeListVersion, "NBS-2024").county_count == 3
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "county.load_code_list",
                                                              AuditEntry.target_id == "NBS-2024"))
        assert entry.detail["added"] == 1


def test_code_list_brings_back_a_retired_code(app, reference_data, tmp_path):
    small = tmp_path / "small.csv"
    small.write_text(HEADER + "520204,水城区,六盘水市,贵州省\n", encoding="utf-8")
    full = tmp_path / "full.csv"
    full.write_text(HEADER + "520204,水城区,六盘水市,贵州省\n110101,东城区,市辖区,北京市\n",
                    encoding="utf-8")
    with app.app_context():
        load_code_list(small, "V1", "test")
        summary = load_code_list(full, "V2", "test")
        db.session.commit()
        assert summary.updated == 1 and summary.added == 0
        assert db.session.get(County, "110101").is_current


def test_gbk_code_list_is_read(app, reference_data, tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_bytes((HEADER + "520204,水城区,六盘水市,贵州省\n").encode("gbk"))
    with app.app_context():
        summary = load_code_list(path, "GBK-1", "test")
        db.session.commit()
        assert summary.unchanged == 1
        assert db.session.get(County, "520204").name == "水城区"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("code,county,province\n520204,水城区,贵州省\n", "缺少列：prefecture"),
        (HEADER + "52020,水城区,六盘水市,贵州省\n", "第 2 行：代码“52020”应为 6 位数字"),
        (HEADER + "52O204,水城区,六盘水市,贵州省\n", "第 2 行"),
        (HEADER + "990101,某县,某市,某省\n", "前两位 99 不是省级代码"),
        (HEADER + "520204,水城区,六盘水市,贵州省\n520204,水城县,六盘水市,贵州省\n",
         "第 3 行：代码 520204 与第 2 行重复"),
        (HEADER + "520204,,六盘水市,贵州省\n", "第 2 行：县名（county）为空"),
        (HEADER + "520204,水城区,六盘水市,贵州省\n520221,水城县,六盘水市,四川省\n",
         "第 3 行：省份“四川省”与代码前两位 52 不符"),
        (HEADER, "没有数据行"),
        ("", "文件是空的"),
    ],
    ids=["missing-column", "short-code", "letter-in-code", "unknown-province", "duplicate",
         "empty-name", "province-mismatch", "header-only", "empty-file"],
)
def test_bad_code_list_is_refused_and_changes_nothing(app, reference_data, tmp_path, content, expected):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    with app.app_context():
        before = county_snapshot()
        with pytest.raises(CountyError) as info:
            load_code_list(path, "BAD-1", "test")
        db.session.rollback()
        assert expected in info.value.message
        assert county_snapshot() == before
        assert db.session.get(CodeListVersion, "BAD-1") is None


@pytest.mark.parametrize(
    "data",
    [
        (HEADER + "520204,水城区,六盘水市,贵州省\n").encode("utf-16"),
        b"code,county,prefecture,province\n520204,\xff\xfe\x80,x,y\n",
    ],
    ids=["utf-16", "binary"],
)
def test_code_list_in_an_unreadable_encoding_is_refused(app, reference_data, tmp_path, data):
    path = tmp_path / "enc.csv"
    path.write_bytes(data)
    with app.app_context():
        with pytest.raises(CountyError) as info:
            load_code_list(path, "ENC-1", "test")
        assert "编码" in info.value.message
        assert db.session.get(CodeListVersion, "ENC-1") is None


def test_every_faulty_row_is_named(app, reference_data, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "1,a,b,c\n520204,水城区,六盘水市,贵州省\n2,a,b,c\n", encoding="utf-8")
    with app.app_context(), pytest.raises(CountyError) as info:
        load_code_list(path, "BAD-2", "test")
    assert "第 2 行" in info.value.message and "第 4 行" in info.value.message


def test_code_list_needs_a_version(app, reference_data, tmp_path):
    path = tmp_path / "ok.csv"
    path.write_text(HEADER + "520204,水城区,六盘水市,贵州省\n", encoding="utf-8")
    with app.app_context(), pytest.raises(CountyError) as info:
        load_code_list(path, "  ", "test")
    assert info.value.field == "version"


def test_missing_file_is_refused(app, reference_data, tmp_path):
    with app.app_context(), pytest.raises(CountyError) as info:
        load_code_list(tmp_path / "nope.csv", "X", "test")
    assert "无法读取文件" in info.value.message


# priority flags ----------------------------------------------------------------------------


def test_set_priority_flags_unflags_and_audits(app, reference_data):
    with app.app_context():
        result = set_priority(["620121", "520204"], priority=True, source="甘肃省通知")
        db.session.commit()
        assert [c.code for c in result.changed] == ["620121"]
        assert result.unchanged == ["520204"]
        entry = db.session.scalar(
            sa.select(AuditEntry).where(AuditEntry.target_id == "620121")
        )
        assert entry.action == "county.flag_priority"
        assert entry.detail["source"] == "甘肃省通知"

        set_priority(["620121"], priority=False, source="误标")
        db.session.commit()
        county = db.session.get(County, "620121")
        assert not county.is_priority and county.priority_source is None
        entry = db.session.scalar(
            sa.select(AuditEntry).where(AuditEntry.action == "county.unflag_priority")
        )
        assert entry.detail["reason"] == "误标"
        assert entry.detail["previous_source"] == "甘肃省通知"


@pytest.mark.parametrize(
    ("codes", "source", "field", "expected"),
    [
        ([], "x", "codes", "至少给出一个"),
        (["62012"], "x", "codes", "不是 6 位数字"),
        (["620121", "999999"], "x", "codes", "999999"),
        (["620121"], "  ", "source", "标记依据"),
        (["620121"], "x" * 301, "source", "300"),
    ],
)
def test_set_priority_refuses_bad_input_and_changes_nothing(app, reference_data, codes, source,
                                                            field, expected):
    with app.app_context():
        with pytest.raises(CountyError) as info:
            set_priority(codes, priority=True, source=source)
        db.session.rollback()
        assert info.value.field == field
        assert expected in info.value.message
        assert not db.session.get(County, "620121").is_priority


def test_retired_code_cannot_be_newly_flagged(app, reference_data, tmp_path):
    path = tmp_path / "small.csv"
    path.write_text(HEADER + "520204,水城区,六盘水市,贵州省\n", encoding="utf-8")
    with app.app_context():
        load_code_list(path, "V1", "test")
        with pytest.raises(CountyError) as info:
            set_priority(["620121"], priority=True, source="x")
        assert "现行代码表" in info.value.message
        # but a retired code can still be unflagged
        set_priority(["520324"], priority=False)
        assert not db.session.get(County, "520324").is_priority


def test_read_codes_from_csv_and_plain_text():
    assert read_codes(b"code,county\n520204,x\n\n620121,y\n") == ["520204", "620121"]
    assert read_codes("# 甘肃\n620121\n620122，某县\n".encode("gbk")) == ["620121", "620122"]
    with pytest.raises(CountyError, match="第 2 行"):
        read_codes(b"620121\nabc\n")
    with pytest.raises(CountyError, match="没有县级代码"):
        read_codes(b"\n# nothing\n")
