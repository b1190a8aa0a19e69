"""The programme, phases and tracks: the office's pages (create, edit, archive, restore),
what each form refuses, the audit log, and what archiving takes out of lists."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import sqlalchemy as sa
from catalogue_world import add_session, audit_actions, row, upcoming

from trainhub.courses import phases
from trainhub.courses.catalogue import CatalogueError
from trainhub.courses.models import Course, Phase, Programme, Track
from trainhub.extensions import db


@pytest.fixture
def ids(app, world):
    """The ids of the programme and phase 1 (``trainhub init``'s facts)."""
    with app.app_context():
        phase = db.session.scalar(sa.select(Phase).where(Phase.number == 1))
        return {"programme": phase.programme_id, "phase": phase.id}


def _text(response) -> str:
    return response.get_data(as_text=True)


# the programme page --------------------------------------------------------------------------


def test_programme_page_lists_phases_with_tracks_and_counts(app, client, login, world, ids, make_course):
    course = make_course()
    make_course(track=1)
    add_session(app, course, datetime(2023, 3, 1, 19, 0))
    add_session(app, course, datetime(2023, 3, 8, 19, 0), cancelled=True)
    login("office")
    page = _text(client.get("/programme"))
    phase_row = page.split("第一阶段</a>")[1].split("</tr>")[0]
    assert "2023-02-15 至 2023-08-14" in phase_row
    assert "社工机构管理运营、乡镇（街道）社工站建设" in phase_row
    assert '<td class="text-end" data-label="课程">2</td>' in phase_row
    assert '<td class="text-end" data-label="课次">1</td>' in phase_row  # the cancelled one left out
    assert f'/programmes/{ids["programme"]}/phases/new' in page
    assert f'/phases/{ids["phase"]}/edit' in page


def test_readers_see_the_programme_but_not_the_office_buttons(client, login, world, ids):
    login("coordinator")
    response = client.get("/programme")
    assert response.status_code == 200
    page = _text(response)
    assert "第一阶段" in page and "新增阶段" not in page and "/edit" not in page
    assert client.get(f"/programmes/{ids['programme']}/phases/new").status_code == 403


def test_office_edits_the_programme(app, client, login, world, ids):
    login("office")
    response = client.post(f"/programmes/{ids['programme']}/edit",
                           data={"name": "牵手计划系列培训（2023—2026）", "starts_on": "2023-01-01",
                                 "ends_on": "2026-12-31"})
    assert response.status_code == 302
    programme = row(app, Programme, ids["programme"])
    assert programme.ends_on == date(2026, 12, 31) and programme.name.endswith("（2023—2026）")
    (entry,) = audit_actions(app, "programme.update")
    assert entry[2]["changes"]["ends_on"] == ["2025-12-31", "2026-12-31"]


def test_programme_window_must_hold_its_phases(app, client, login, world, ids, database_rows):
    login("office")
    before = database_rows()
    response = client.post(f"/programmes/{ids['programme']}/edit",
                           data={"name": "牵手计划系列培训", "starts_on": "2023-03-01", "ends_on": "2025-12-31"})
    assert response.status_code == 422
    assert "第一阶段（2023-02-15 至 2023-08-14）" in _text(response)
    response = client.post(f"/programmes/{ids['programme']}/edit",
                           data={"name": "牵手计划系列培训", "starts_on": "2023-01-01", "ends_on": "2022-12-31"})
    assert response.status_code == 422
    assert "项目结束日期应晚于开始日期（2023-01-01）" in _text(response)
    assert database_rows() == before


# phases --------------------------------------------------------------------------------------


def test_office_adds_phase_two_with_the_next_number(app, client, login, world, ids):
    login("office")
    form = client.get(f"/programmes/{ids['programme']}/phases/new")
    assert 'value="2"' in _text(form)  # the next number, filled in
    response = client.post(f"/programmes/{ids['programme']}/phases/new",
                           data={"number": "", "name": "第二阶段", "starts_on": "2024-03-01",
                                 "ends_on": "2024-08-31"})
    assert response.status_code == 302
    with app.app_context():
        phase = db.session.scalar(sa.select(Phase).where(Phase.name == "第二阶段"))
        assert (phase.number, phase.starts_on, phase.ends_on) == (2, date(2024, 3, 1), date(2024, 8, 31))
        assert response.headers["Location"].endswith(f"/phases/{phase.id}")
    (entry,) = audit_actions(app, "phase.create")
    assert entry[2] == {"number": 2, "name": "第二阶段", "starts_on": "2024-03-01", "ends_on": "2024-08-31"}


@pytest.mark.parametrize(("data", "message"), [
    ({"starts_on": "2024-08-31", "ends_on": "2024-03-01"}, "阶段结束日期应晚于开始日期（2024-08-31）"),
    ({"starts_on": "2025-09-01", "ends_on": "2026-02-28"}, "阶段结束日期不能晚于项目结束日期（2025-12-31）"),
    ({"starts_on": "2022-11-01", "ends_on": "2023-01-31"}, "阶段开始日期不能早于项目开始日期（2023-01-01）"),
    ({"starts_on": "2024-02-30", "ends_on": "2024-08-31"}, "日期无效，请按 2023-03-01 的格式填写。"),
    ({"starts_on": "", "ends_on": "2024-08-31"}, "请填写阶段开始日期。"),
    ({"name": "", "starts_on": "2024-03-01", "ends_on": "2024-08-31"}, "请填写阶段名称。"),
    ({"number": "二", "starts_on": "2024-03-01", "ends_on": "2024-08-31"}, "阶段编号应为整数。"),
])
def test_phase_form_refuses_bad_input(client, login, world, ids, database_rows, data, message):
    login("office")
    before = database_rows()
    response = client.post(f"/programmes/{ids['programme']}/phases/new",
                           data={"number": "2", "name": "第二阶段", **data})
    assert response.status_code == 422
    assert message in _text(response)
    assert database_rows() == before


def test_phase_number_taken_is_a_conflict(client, login, world, ids):
    login("office")
    response = client.post(f"/programmes/{ids['programme']}/phases/new",
                           data={"number": "1", "name": "又一个第一阶段", "starts_on": "2024-03-01",
                                 "ends_on": "2024-08-31"})
    assert response.status_code == 409
    assert "本项目已有第 1 号阶段“第一阶段”" in _text(response)


def test_phases_may_overlap(app, world, ids):
    with app.app_context():
        programme = db.session.get(Programme, ids["programme"])
        phase = phases.create_phase(programme, actor=None, name="第一阶段补充", starts_on=date(2023, 8, 1),
                                    ends_on=date(2023, 10, 31))
        assert phase.number == 2


def test_phase_edit_leaving_sessions_outside_names_their_local_dates(app, client, login, world, ids,
                                                                      make_course, database_rows):
    course = make_course()
    add_session(app, course, datetime(2023, 2, 15, 7, 30))  # 2023-02-14 23:30 UTC: still the 15th here
    add_session(app, course, datetime(2023, 2, 16, 19, 0))
    add_session(app, course, datetime(2023, 8, 14, 7, 0))   # 2023-08-13 23:00 UTC
    add_session(app, course, datetime(2023, 8, 10, 19, 0), cancelled=True)
    login("office")
    before = database_rows()
    response = client.post(f"/phases/{ids['phase']}/edit",
                           data={"number": "1", "name": "第一阶段", "starts_on": "2023-02-17", "ends_on": "2023-08-09"})
    assert response.status_code == 422
    page = _text(response)
    assert "该阶段有 2 个已排期的课次早于开始日期 2023-02-17（2023-02-15、2023-02-16）" in page
    assert "该阶段有 1 个已排期的课次晚于结束日期 2023-08-09（2023-08-14）" in page  # not the cancelled one
    assert database_rows() == before
    # compared in local time: ending on 2023-08-14 (its local date) keeps the early-morning session in
    response = client.post(f"/phases/{ids['phase']}/edit",
                           data={"number": "1", "name": "第一阶段", "starts_on": "2023-02-15", "ends_on": "2023-08-14"})
    assert response.status_code == 302
    with app.app_context():
        phase = db.session.get(Phase, ids["phase"])
        with pytest.raises(CatalogueError) as refused:
            phases.update_phase(phase, {"ends_on": date(2023, 8, 13)}, actor=None)
        assert refused.value.errors == {"ends_on": "该阶段有 1 个已排期的课次晚于结束日期 2023-08-13（2023-08-14），"
                                                   "请先调整或取消这些课次。"}


def test_office_edits_a_phase_and_the_audit_names_the_change(app, client, login, world, ids):
    login("office")
    response = client.post(f"/phases/{ids['phase']}/edit",
                           data={"number": "1", "name": "第一阶段（线上启动）", "starts_on": "2023-02-15",
                                 "ends_on": "2023-08-31"})
    assert response.status_code == 302
    (entry,) = audit_actions(app, "phase.update")
    assert entry[2]["changes"] == {"name": ["第一阶段", "第一阶段（线上启动）"], "ends_on": ["2023-08-14", "2023-08-31"]}


def test_only_the_office_writes(app, world, ids, make_user):
    coordinator = make_user("coordinator")
    with app.app_context():
        phase = db.session.get(Phase, ids["phase"])
        with pytest.raises(CatalogueError) as refused:
            phases.update_phase(phase, {"name": "改名"}, actor=coordinator)
        assert refused.value.field == "actor"


# archiving -----------------------------------------------------------------------------------


def test_archived_phase_leaves_lists_and_stays_on_its_page(app, client, login, world, ids, make_course):
    make_course(title="机构治理与内部管理")
    login("office")
    response = client.post(f"/phases/{ids['phase']}/archive", follow_redirects=True)
    assert "已归档第一阶段。" in _text(response)
    assert row(app, Phase, ids["phase"]).archived_at is not None
    assert [a for a, *_ in audit_actions(app, "phase.")] == ["phase.archive"]
    assert "第一阶段" not in _text(client.get("/programme"))
    assert "第一阶段" in _text(client.get("/programme?archived=y"))
    courses = _text(client.get("/courses"))
    assert "机构治理与内部管理" not in courses and "共 0 门课程" in courses
    assert "机构治理与内部管理" in _text(client.get("/courses?archived=y"))
    page = _text(client.get(f"/phases/{ids['phase']}"))
    assert "已归档" in page and "2023-02-15" in page
    # the course's own page stays, marked, and takes no enrolment
    with app.app_context():
        course_id = db.session.scalar(sa.select(Course.id))
    course_page = _text(client.get(f"/courses/{course_id}"))
    assert "所属阶段已归档" in course_page and f"/courses/{course_id}/enrol\"" not in course_page
    # archiving again changes nothing; restoring brings it back
    assert client.post(f"/phases/{ids['phase']}/archive").status_code == 302
    assert client.post(f"/phases/{ids['phase']}/restore").status_code == 302
    assert row(app, Phase, ids["phase"]).archived_at is None
    assert [a for a, *_ in audit_actions(app, "phase.")] == ["phase.archive", "phase.restore"]


def test_a_coordinator_does_not_see_archived_items_even_when_asking(app, client, login, world, ids, make_course):
    make_course(title="机构治理与内部管理")
    with app.app_context():
        phases.archive_phase(db.session.get(Phase, ids["phase"]), actor=None)
        db.session.commit()
    login("coordinator")
    assert "机构治理与内部管理" not in _text(client.get("/courses?archived=y"))
    assert "显示已归档" not in _text(client.get("/courses"))


def test_phase_with_sessions_to_come_cannot_be_archived(app, client, login, world, ids, make_course):
    course = make_course()
    with app.app_context():  # a phase around now, so that a session can be still to come
        phase = db.session.get(Phase, ids["phase"])
        phase.programme.ends_on = date(2099, 12, 31)
        phase.ends_on = date(2099, 12, 31)
        db.session.commit()
    add_session(app, course, upcoming(3))
    add_session(app, course, upcoming(10))
    login("office")
    response = client.post(f"/phases/{ids['phase']}/archive")
    assert response.status_code == 409
    assert "该阶段还有 2 个尚未结束的已排期课次，不能归档" in _text(response)
    assert row(app, Phase, ids["phase"]).archived_at is None
    assert audit_actions(app, "phase.archive") == []


# tracks --------------------------------------------------------------------------------------


def test_office_adds_renames_and_archives_a_track(app, client, login, world, ids):
    login("office")
    response = client.post(f"/phases/{ids['phase']}/tracks/new", data={"name": "乡村振兴社会工作服务", "position": ""})
    assert response.status_code == 302
    with app.app_context():
        track = db.session.scalar(sa.select(Track).where(Track.name == "乡村振兴社会工作服务"))
        assert track.position == 3  # after the two of phase 1
        track_id = track.id
    response = client.post(f"/tracks/{track_id}/edit", data={"name": "乡村振兴社会工作", "position": "0"},
                           follow_redirects=True)
    assert "已保存课程模块的修改。" in _text(response)
    assert (row(app, Track, track_id).name, row(app, Track, track_id).position) == ("乡村振兴社会工作", 0)
    assert "已归档课程模块" in _text(client.post(f"/tracks/{track_id}/archive", follow_redirects=True))
    page = _text(client.get(f"/phases/{ids['phase']}"))
    assert "乡村振兴社会工作" not in page
    assert "乡村振兴社会工作" in _text(client.get(f"/phases/{ids['phase']}?archived=y"))
    assert "乡村振兴社会工作" not in _text(client.get("/courses"))  # not among the track choices
    assert "乡村振兴社会工作" not in _text(client.get("/courses/new"))
    assert [a for a, *_ in audit_actions(app, "track.")] == ["track.create", "track.update", "track.archive"]


@pytest.mark.parametrize(("data", "status", "message"), [
    ({"name": "社工机构管理运营"}, 409, "第一阶段已有名为“社工机构管理运营”的课程模块。"),
    ({"name": ""}, 422, "请填写课程模块名称。"),
    ({"name": "新模块", "position": "第一"}, 422, "排列顺序应为整数。"),
    ({"name": "新模块", "position": "1000"}, 422, "排列顺序应在 0–999 之间。"),
    ({"name": "模" * 101}, 422, "课程模块名称最多 100 个字。"),
])
def test_track_form_refuses_bad_input(client, login, world, ids, database_rows, data, status, message):
    login("office")
    before = database_rows()
    response = client.post(f"/phases/{ids['phase']}/tracks/new", data=data)
    assert response.status_code == status
    assert message in _text(response)
    assert database_rows() == before


def test_no_track_in_an_archived_phase(app, world, ids):
    with app.app_context():
        phase = db.session.get(Phase, ids["phase"])
        phases.archive_phase(phase, actor=None)
        with pytest.raises(CatalogueError) as refused:
            phases.create_track(phase, actor=None, name="新模块")
        assert refused.value.errors == {"phase_id": "第一阶段已归档，不能新增课程模块。"}
        track = phase.tracks[0]
        phases.archive_track(track, actor=None)
        phases.restore_phase(phase, actor=None)
        assert phases.restore_track(track, actor=None) is True
