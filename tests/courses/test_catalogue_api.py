"""The catalogue through the API: phases, tracks and courses (create, update, archive,
restore), the course detail's sessions, and the refusals: fields named, 409 on conflicts,
404 for what does not exist."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa
from catalogue_world import add_session, audit_actions, row, upcoming

from trainhub.courses.models import Course, Phase, Track
from trainhub.extensions import db

PROBLEM = "application/problem+json"


@pytest.fixture
def phase_one(app, world) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(Phase.id).where(Phase.number == 1))


def _errors(response) -> dict:
    assert response.mimetype == PROBLEM, response.get_data(as_text=True)
    return response.get_json()["errors"]


# phases and tracks ---------------------------------------------------------------------------


def test_phases_are_listed_with_their_tracks(client, api_headers, world, phase_one):
    response = client.get("/api/v1/phases", headers=api_headers("instructor"))
    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] == 1
    (phase,) = body["items"]
    assert (phase["id"], phase["number"], phase["starts_on"], phase["ends_on"]) == (
        phase_one, 1, "2023-02-15", "2023-08-14")
    assert [t["name"] for t in phase["tracks"]] == ["社工机构管理运营", "乡镇（街道）社工站建设"]
    assert phase["archived"] is False and phase["programme"] == "牵手计划系列培训"


def test_office_creates_updates_archives_and_restores_a_phase(app, client, api_headers, world, phase_one):
    headers = api_headers("office")
    response = client.post("/api/v1/phases", headers=headers,
                           json={"name": "第二阶段", "starts_on": "2024-03-01", "ends_on": "2024-08-31"})
    assert response.status_code == 201, response.get_json()
    phase = response.get_json()
    assert phase["number"] == 2 and response.headers["Location"].endswith(f"/api/v1/phases/{phase['id']}")
    response = client.patch(f"/api/v1/phases/{phase['id']}", headers=headers, json={"ends_on": "2024-09-15"})
    assert response.status_code == 200 and response.get_json()["ends_on"] == "2024-09-15"
    response = client.post(f"/api/v1/phases/{phase['id']}/archive", headers=headers)
    assert response.status_code == 200 and response.get_json()["archived"] is True
    listed = client.get("/api/v1/phases", headers=headers).get_json()
    assert [p["id"] for p in listed["items"]] == [phase_one]
    listed = client.get("/api/v1/phases?archived=true", headers=headers).get_json()
    assert [p["id"] for p in listed["items"]] == [phase_one, phase["id"]]
    assert client.get(f"/api/v1/phases/{phase['id']}", headers=headers).get_json()["archived"] is True
    response = client.post(f"/api/v1/phases/{phase['id']}/restore", headers=headers)
    assert response.get_json()["archived"] is False
    assert [a for a, *_ in audit_actions(app, "phase.")] == [
        "phase.create", "phase.update", "phase.archive", "phase.restore"]


@pytest.mark.parametrize(("body", "status", "errors"), [
    ({"name": "第二阶段", "starts_on": "2024-08-31", "ends_on": "2024-03-01"}, 422,
     {"ends_on": ["阶段结束日期应晚于开始日期（2024-08-31）。"]}),
    ({"name": "第二阶段", "starts_on": "2025-09-01", "ends_on": "2026-03-01"}, 422,
     {"ends_on": ["阶段结束日期不能晚于项目结束日期（2025-12-31）。"]}),
    ({"name": "第二阶段", "starts_on": "2024-13-01", "ends_on": "2024-12-31"}, 422,
     {"starts_on": ["应为日期，格式如 2023-03-01。"]}),
    ({"name": "  ", "starts_on": "2024-03-01", "ends_on": "2024-08-31"}, 422, {"name": ["请填写阶段名称。"]}),
    ({"number": 1, "name": "重复", "starts_on": "2024-03-01", "ends_on": "2024-08-31"}, 409,
     {"number": ["本项目已有第 1 号阶段“第一阶段”。"]}),
    ({"name": "第二阶段", "starts_on": "2024-03-01", "ends_on": "2024-08-31", "colour": "red"}, 422,
     {"colour": ["未知字段。"]}),
    ({"programme_id": 999, "name": "第二阶段", "starts_on": "2024-03-01", "ends_on": "2024-08-31"}, 422,
     {"programme_id": ["项目不存在。"]}),
])
def test_phase_refusals_name_the_field(client, api_headers, world, database_rows, body, status, errors):
    headers = api_headers("office")
    before = database_rows()
    response = client.post("/api/v1/phases", headers=headers, json=body)
    assert response.status_code == status
    assert _errors(response) == errors
    assert database_rows() == before


def test_phase_window_leaving_sessions_outside_is_refused(app, client, api_headers, world, phase_one, make_course):
    course = make_course()
    add_session(app, course, datetime(2023, 8, 14, 20, 0))
    response = client.patch(f"/api/v1/phases/{phase_one}", headers=api_headers("office"),
                            json={"ends_on": "2023-08-13"})
    assert response.status_code == 422
    assert _errors(response) == {"ends_on": ["该阶段有 1 个已排期的课次晚于结束日期 2023-08-13（2023-08-14），"
                                             "请先调整或取消这些课次。"]}


def test_tracks_through_the_api(app, client, api_headers, world, phase_one):
    headers = api_headers("office")
    response = client.post("/api/v1/tracks", headers=headers, json={"phase_id": phase_one, "name": "乡村振兴社会工作服务"})
    assert response.status_code == 201
    track = response.get_json()
    assert (track["phase_id"], track["position"], track["archived"]) == (phase_one, 3, False)
    response = client.post("/api/v1/tracks", headers=headers, json={"phase_id": phase_one, "name": "社工机构管理运营"})
    assert response.status_code == 409 and _errors(response) == {"name": ["第一阶段已有名为“社工机构管理运营”的课程模块。"]}
    response = client.post("/api/v1/tracks", headers=headers, json={"phase_id": 999, "name": "新模块"})
    assert response.status_code == 422 and _errors(response) == {"phase_id": ["阶段不存在。"]}
    response = client.patch(f"/api/v1/tracks/{track['id']}", headers=headers, json={"position": -1})
    assert response.status_code == 422 and _errors(response) == {"position": ["排列顺序应在 0–999 之间。"]}
    response = client.patch(f"/api/v1/tracks/{track['id']}", headers=headers, json={"position": 0})
    assert response.get_json()["position"] == 0
    response = client.post(f"/api/v1/tracks/{track['id']}/archive", headers=headers)
    assert response.status_code == 200 and response.get_json()["archived"] is True
    assert row(app, Track, track["id"]).archived_at is not None
    assert client.post("/api/v1/tracks/999/archive", headers=headers).status_code == 404


def test_readers_cannot_write_the_catalogue(client, api_headers, world, phase_one):
    response = client.patch(f"/api/v1/phases/{phase_one}", headers=api_headers("coordinator"), json={"name": "改名"})
    assert response.status_code == 403 and response.mimetype == PROBLEM
    assert client.post("/api/v1/phases", json={}).status_code == 401


# courses -------------------------------------------------------------------------------------


def _course(world, **changes) -> dict:
    return {"code": "p2-org-01", "title": "社会工作服务机构战略规划与法人治理", "track_id": world.tracks[0],
            "class_hours": 7.5, "mode": "blended", **changes}


def test_office_creates_and_patches_a_course(app, client, api_headers, world, make_user):
    teacher = make_user("instructor", display_name="王老师")
    headers = api_headers("office")
    response = client.post("/api/v1/courses", headers=headers,
                           json=_course(world, instructor_ids=[teacher.id], capacity=40, has_assessment=True,
                                        pass_score=60, min_attendance_percent=85, excused_counts_against=True))
    assert response.status_code == 201, response.get_json()
    course = response.get_json()
    assert response.headers["Location"].endswith(f"/api/v1/courses/{course['id']}")
    assert (course["code"], course["class_hours"], course["mode"], course["capacity"]) == ("P2-ORG-01", 7.5,
                                                                                          "blended", 40)
    assert (course["min_attendance_percent"], course["completion_min_rate"], course["pass_score"]) == (85, 0.85, 60)
    assert course["instructor_ids"] == [teacher.id] and course["instructors"] == ["王老师"]
    assert course["excused_counts_against"] is True and course["archived"] is False
    response = client.patch(f"/api/v1/courses/{course['id']}", headers=headers,
                            json={"capacity": None, "excused_counts_against": None, "instructor_ids": []})
    assert response.status_code == 200
    patched = response.get_json()
    assert (patched["capacity"], patched["excused_counts_against"], patched["instructor_ids"]) == (None, None, [])
    assert patched["title"] == course["title"]
    (entry,) = audit_actions(app, "course.update")
    assert entry[2]["changes"] == {"capacity": [40, None], "excused_counts_against": [True, None],
                                   "instructor_ids": [[teacher.id], []]}


@pytest.mark.parametrize(("changes", "status", "errors"), [
    ({"min_attendance_percent": 120}, 422, {"min_attendance_percent": ["最低出勤率（%）应不小于 0，且不超过 100（当前 120）。"]}),
    ({"has_assessment": True}, 422, {"pass_score": ["需要考核的课程请填写及格分数（0–100）。"]}),
    ({"class_hours": 0}, 422, {"class_hours": ["学时应大于 0，且不超过 9999.9（当前 0）。"]}),
    ({"class_hours": "abc"}, 422, {"class_hours": ["应为数字。"]}),
    ({"mode": "remote"}, 422, {"mode": ["授课形式应为以下之一：online（线上）、onsite（线下）、blended（线上线下结合）。"]}),
    ({"track_id": 999}, 422, {"track_id": ["课程模块 999 不存在。"]}),
    ({"capacity": 0}, 422, {"capacity": ["容量应在 1–100000 之间。"]}),
    ({"instructor_ids": [999]}, 422, {"instructor_ids": ["用户 999 不存在。"]}),
    ({"code": None}, 422, {"code": ["此字段不能为 null。"]}),
])
def test_course_refusals_name_the_field(client, api_headers, world, database_rows, changes, status, errors):
    headers = api_headers("office")
    before = database_rows()
    response = client.post("/api/v1/courses", headers=headers, json=_course(world, **changes))
    assert response.status_code == status
    assert _errors(response) == errors
    assert database_rows() == before


def test_a_taken_code_is_409(client, api_headers, world, make_course):
    make_course(code="P2-ORG-01", title="已有课程")
    response = client.post("/api/v1/courses", headers=api_headers("office"), json=_course(world))
    assert response.status_code == 409
    assert _errors(response) == {"code": ["课程编号 P2-ORG-01 已被课程“已有课程”使用。"]}


def test_capacity_and_instructor_refusals_through_patch(app, client, api_headers, world, make_course, make_user):
    teacher = make_user("instructor", display_name="王老师")
    course_id = make_course(capacity=5, instructors=[teacher])
    add_session(app, course_id, datetime(2023, 3, 1, 19, 0), instructor_id=teacher.id)
    from trainhub.courses.operations import enrol
    from trainhub.learners.models import Learner

    with app.app_context():
        for index in (0, 1):
            enrol(db.session.get(Learner, world.learners[index]), db.session.get(Course, course_id))
        db.session.commit()
    headers = api_headers("office")
    response = client.patch(f"/api/v1/courses/{course_id}", headers=headers, json={"capacity": 1, "instructor_ids": []})
    assert response.status_code == 422
    errors = _errors(response)
    assert errors == {"instructor_ids": ["“王老师”仍担任本课程的 1 个课次（含已取消的课次），请先为这些课次更换讲师，再移出该讲师。"]}
    response = client.patch(f"/api/v1/courses/{course_id}", headers=headers, json={"capacity": 1})
    assert response.status_code == 422
    assert _errors(response) == {"capacity": ["本课程已有 2 名学员报名，容量不能低于 2。"]}


def test_course_detail_lists_its_sessions_with_ids(app, client, api_headers, world, make_course):
    course_id = make_course()
    first = add_session(app, course_id, datetime(2023, 3, 1, 19, 0))
    cancelled = add_session(app, course_id, datetime(2023, 3, 8, 19, 0), cancelled=True)
    body = client.get(f"/api/v1/courses/{course_id}", headers=api_headers("certifier")).get_json()
    assert [(s["id"], s["status"]) for s in body["sessions"]] == [(first, "scheduled"), (cancelled, "cancelled")]
    session = body["sessions"][0]
    assert session["starts_at"] == "2023-03-01T11:00:00+00:00" and session["ends_at"] == "2023-03-01T13:00:00+00:00"
    assert datetime.fromisoformat(session["starts_at"]).utcoffset() is not None
    assert body["sessions"][1]["cancelled_at"] is not None


def test_archive_and_restore_a_course(app, client, api_headers, world, make_course):
    course_id = make_course(title="机构治理")
    other = make_course(title="社工站服务")
    add_session(app, other, upcoming(5))
    headers = api_headers("office")
    response = client.post(f"/api/v1/courses/{course_id}/archive", headers=headers)
    assert response.status_code == 200 and response.get_json()["archived"] is True
    titles = [c["title"] for c in client.get("/api/v1/courses", headers=headers).get_json()["items"]]
    assert titles == ["社工站服务"]
    titles = [c["title"] for c in client.get("/api/v1/courses?archived=true", headers=headers).get_json()["items"]]
    assert sorted(titles) == ["机构治理", "社工站服务"]
    assert client.get(f"/api/v1/courses/{course_id}", headers=headers).get_json()["archived"] is True
    response = client.post(f"/api/v1/courses/{other}/archive", headers=headers)
    assert response.status_code == 409
    assert _errors(response) == {"sessions": ["本课程还有 1 个尚未结束的已排期课次，不能归档。请先取消这些课次（或等它们结束）。"]}
    response = client.post(f"/api/v1/courses/{course_id}/restore", headers=headers)
    assert response.get_json()["archived"] is False
    assert client.post("/api/v1/courses/999/archive", headers=headers).status_code == 404
    # an archived course takes no enrolment through the API either
    client.post(f"/api/v1/courses/{course_id}/archive", headers=headers)
    response = client.post("/api/v1/enrolments", headers=headers, json={"learner_id": world.learners[0],
                                                                        "course_id": course_id})
    assert response.status_code == 409
    assert _errors(response) == {"course_id": ["课程“机构治理”已归档，不能再报名。"]}


def test_a_course_under_an_archived_track_cannot_be_restored_alone(app, client, api_headers, world, make_course):
    course_id = make_course()
    headers = api_headers("office")
    client.post(f"/api/v1/courses/{course_id}/archive", headers=headers)
    client.post(f"/api/v1/tracks/{world.tracks[0]}/archive", headers=headers)
    response = client.post(f"/api/v1/courses/{course_id}/restore", headers=headers)
    assert response.status_code == 409
    assert "track_id" in _errors(response)
    assert row(app, Course, course_id).archived_at is not None
