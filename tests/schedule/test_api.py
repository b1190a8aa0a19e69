"""The sessions API: list and read within reach, schedule, change, cancel, delete, preview a
rule, check clashes, create, change and cancel a series; problems naming the field, 409
listing clashes."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa
from conftest import local

from trainhub.accounts.models import Role
from trainhub.attendance.models import Attendance, AttendanceStatus
from trainhub.courses.models import Course, SessionSeries, TrainingSession
from trainhub.extensions import db
from trainhub.schedule.operations import create_session
from trainhub.schedule.recurrence import Rule
from trainhub.schedule.series import create_series

PROBLEM = "application/problem+json"
RULE = {"weekdays": [3], "starts_time": "19:00", "ends_time": "21:00", "first_date": "2023-03-01",
        "count": 12}


@pytest.fixture
def office(api_headers, plan):
    return api_headers(Role.OFFICE)


def add(app, key_or_id, day, start, end, plan, **kwargs) -> int:
    with app.app_context():
        course_id = plan.courses[key_or_id] if isinstance(key_or_id, str) else key_or_id
        session = create_session(db.session.get(Course, course_id), starts_at=local(day, start),
                                 ends_at=local(day, end), actor=None, **kwargs)
        db.session.commit()
        return session.id


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_scheduling_one_session(app, client, plan, office):
    body = {"course_id": plan.courses["c"], "starts_at": "2023-03-06T09:00:00+08:00",
            "ends_at": "2023-03-06T11:00:00+08:00", "venue_id": plan.venues["hall"], "title": "开班"}
    response = client.post("/api/v1/sessions", json=body, headers=office)
    assert response.status_code == 201, response.json
    item = response.json
    assert item["starts_at"] == "2023-03-06T01:00:00+00:00" and item["local_date"] == "2023-03-06"
    assert (item["venue"], item["instructor_id"], item["status"], item["sequence"]) == (
        "水城区社工站培训室", plan.other_teacher, "scheduled", 0)
    assert response.headers["Location"].endswith(f"/api/v1/sessions/{item['id']}")
    assert client.get(f"/api/v1/sessions/{item['id']}", headers=office).json["title"] == "开班"


@pytest.mark.parametrize(("body", "field", "message"), [
    ({"starts_at": "2023-03-06T09:00:00"}, "starts_at", "应带时区"),
    ({"starts_at": "明天上午"}, "starts_at", "应为带时区的时间"),
    ({"ends_at": "2023-03-06T08:00:00+08:00"}, "ends_at", "结束时间应晚于开始时间"),
    ({"starts_at": "2023-09-01T09:00:00+08:00", "ends_at": "2023-09-01T10:00:00+08:00"}, "starts_at",
     "以下日期不在第一阶段的时间范围（2023-02-15 至 2023-08-14）内：2023-09-01"),
    ({"course_id": 9999}, "course_id", "课程 9999 不存在"),
    ({"course_id": "1"}, "course_id", "应为整数"),
    ({"instructor_id": 9999}, "instructor_id", "不是课程“排课课程A”的讲师"),
    ({"venue_id": 9999}, "venue_id", "场地 9999 不存在"),
    ({"meeting_url": "tencent://x"}, "meeting_url", "https://"),
    ({"title": "题" * 201}, "title", "最多 200 个字"),
    ({"colour": "red"}, "colour", "未知字段"),
])
def test_bad_sessions_are_refused_naming_the_field(app, client, plan, office, body, field, message):
    full = {"course_id": plan.courses["a"], "starts_at": "2023-03-06T09:00:00+08:00",
            "ends_at": "2023-03-06T11:00:00+08:00", **body}
    response = client.post("/api/v1/sessions", json=full, headers=office)
    assert response.status_code == 422, response.json
    assert response.mimetype == PROBLEM
    assert any(message in text for text in response.json["errors"][field]), response.json
    assert count(app, TrainingSession) == 0


def test_not_json_is_refused(client, plan, office):
    response = client.post("/api/v1/sessions", data="x", headers=office)
    assert response.status_code == 415


def test_a_clash_answers_409_listing_the_clashes(app, client, plan, office):
    existing = add(app, "a", "2023-03-06", "09:00", "11:00", plan)
    body = {"course_id": plan.courses["b"], "starts_at": "2023-03-06T10:00:00+08:00",
            "ends_at": "2023-03-06T12:00:00+08:00", "instructor_id": plan.teacher}
    response = client.post("/api/v1/sessions", json=body, headers=office)
    assert response.status_code == 409
    assert "override_reason" in response.json["errors"]
    kinds = {clash["kind"]: clash for clash in response.json["clashes"]}
    assert set(kinds) == {"instructor", "learners"}
    assert kinds["learners"]["learners"] == 2 and kinds["instructor"]["session_id"] == existing
    response = client.post("/api/v1/sessions", json={**body, "override_reason": "合班"}, headers=office)
    assert response.status_code == 201
    assert response.json["clash_override"] == "合班"


def test_listing_filters_and_scope(app, client, plan, office, api_headers, make_user):
    first = add(app, "a", "2023-03-06", "09:00", "11:00", plan)
    add(app, "b", "2023-03-08", "09:00", "11:00", plan)
    add(app, "c", "2023-04-10", "09:00", "11:00", plan)
    response = client.get("/api/v1/sessions", headers=office)
    assert response.json["total"] == 3
    response = client.get(f"/api/v1/sessions?course_id={plan.courses['a']}", headers=office)
    assert [item["id"] for item in response.json["items"]] == [first]
    response = client.get("/api/v1/sessions?from=2023-03-07&to=2023-03-31", headers=office)
    assert [item["course_code"] for item in response.json["items"]] == ["S-B"]
    response = client.get(f"/api/v1/sessions?instructor_id={plan.other_teacher}", headers=office)
    assert {item["course_code"] for item in response.json["items"]} <= {"S-B", "S-C"}
    response = client.get("/api/v1/sessions?status=cancelled", headers=office)
    assert response.json["total"] == 0
    for query, field in (("from=2023-13-01", "from"), ("status=done", "status"),
                         ("from=2023-04-01&to=2023-03-01", "to"), ("course_id=x", "course_id")):
        response = client.get(f"/api/v1/sessions?{query}", headers=office)
        assert response.status_code == 422 and field in response.json["errors"], query
    # an instructor reads the sessions of the courses they teach
    with app.app_context():
        teacher_token = _token(app, plan.teacher)
    response = client.get("/api/v1/sessions", headers=teacher_token)
    assert {item["course_code"] for item in response.json["items"]} == {"S-A", "S-B"}
    third = client.get(f"/api/v1/sessions?course_id={plan.courses['c']}", headers=office).json["items"][0]["id"]
    assert client.get(f"/api/v1/sessions/{third}", headers=teacher_token).status_code == 404


def _token(app, user_id: int) -> dict:
    from trainhub.accounts.models import User
    from trainhub.accounts.operations import create_token

    _, secret = create_token(db.session.get(User, user_id), "test")
    db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def test_only_the_office_schedules(client, plan, api_headers):
    headers = api_headers(Role.INSTRUCTOR)
    body = {"course_id": plan.courses["a"], "starts_at": "2023-03-06T09:00:00+08:00",
            "ends_at": "2023-03-06T11:00:00+08:00"}
    assert client.post("/api/v1/sessions", json=body, headers=headers).status_code == 403


def test_rescheduling_cancelling_and_deleting(app, client, plan, office):
    session_id = add(app, "a", "2023-03-06", "09:00", "11:00", plan)
    url = f"/api/v1/sessions/{session_id}"
    moved = {"starts_at": "2023-03-07T09:00:00+08:00", "ends_at": "2023-03-07T11:00:00+08:00"}
    response = client.patch(url, json=moved, headers=office)
    assert response.status_code == 422 and response.json["errors"] == {"reason": ["请填写调课原因。"]}
    response = client.patch(url, json={**moved, "reason": "改期"}, headers=office)
    assert response.status_code == 200 and response.json["sequence"] == 1
    response = client.patch(url, json={"meeting_number": "987 654 321"}, headers=office)
    assert response.json["sequence"] == 2 and response.json["meeting_number"] == "987 654 321"
    response = client.patch(url, json={"instructor_id": plan.other_teacher}, headers=office)
    assert response.status_code == 422 and "instructor_id" in response.json["errors"]

    with app.app_context():
        db.session.add(Attendance(learner_id=plan.learners[0], session_id=session_id,
                                  status=AttendanceStatus.PRESENT))
        db.session.commit()
    response = client.delete(url, headers=office)
    assert response.status_code == 409 and "1 条考勤记录" in response.json["detail"]
    response = client.post(f"{url}/cancel", json={}, headers=office)
    assert response.status_code == 422 and "reason" in response.json["errors"]
    response = client.post(f"{url}/cancel", json={"reason": "停课"}, headers=office)
    assert response.status_code == 200
    assert (response.json["status"], response.json["cancel_reason"]) == ("cancelled", "停课")
    assert client.post(f"{url}/cancel", json={"reason": "再次"}, headers=office).status_code == 409
    assert client.patch(url, json={"title": "x"}, headers=office).status_code == 409
    assert count(app, Attendance) == 1
    assert client.delete("/api/v1/sessions/99999", headers=office).status_code == 404


def test_deleting_a_future_session(app, client, plan, office, current_course):
    with app.app_context():
        from trainhub.db import utcnow

        starts = utcnow().replace(microsecond=0) + timedelta(days=3)
        session = create_session(db.session.get(Course, current_course), starts_at=starts,
                                 ends_at=starts + timedelta(hours=1), actor=None)
        db.session.commit()
        session_id = session.id
    response = client.delete(f"/api/v1/sessions/{session_id}", headers=office)
    assert response.status_code == 204
    assert count(app, TrainingSession) == 0


def test_previewing_a_rule_names_the_skipped_holidays(app, client, plan, office, database_rows):
    before = database_rows()
    response = client.post("/api/v1/sessions/preview", json={"course_id": plan.courses["a"], **RULE},
                           headers=office)
    assert response.status_code == 200, response.json
    body = response.json
    assert [item["text"] for item in body["skipped"]] == ["2023-04-05 清明", "2023-05-03 劳动节"]
    assert len(body["sessions"]) == 12 and body["sessions"][-1]["date"] == "2023-05-31"
    assert body["rule"] == "每周三 19:00–21:00，自 2023-03-01 起共 12 次"
    assert body["can_save"] and body["window"] is None and body["clashes"] == []
    assert database_rows() == before


def test_preview_marks_makeup_days_and_kept_holidays(client, plan, office):
    rule = {"weekdays": [7], "starts_time": "09:00", "ends_time": "10:00", "first_date": "2023-04-16",
            "until_date": "2023-05-07", "keep_holidays": ["2023-04-30"]}
    body = client.post("/api/v1/sessions/preview", json={"course_id": plan.courses["a"], **rule},
                       headers=office).json
    notes = {item["date"]: (item["makeup_for"], item["holiday"]) for item in body["sessions"]}
    assert notes["2023-04-23"] == ("劳动节", None)
    assert notes["2023-04-30"] == (None, "劳动节")


@pytest.mark.parametrize(("body", "field"), [
    ({"weekdays": []}, "weekdays"),
    ({"weekdays": [8]}, "weekdays"),
    ({"weekdays": "3"}, "weekdays"),
    ({"starts_time": "25:00"}, "starts_time"),
    ({"ends_time": "18:00"}, "ends_time"),
    ({"count": 0}, "count"),
    ({"count": 100000}, "count"),
    ({"count": None}, "until_date"),
    ({"until_date": "2023-06-01"}, "count"),
    ({"count": None, "until_date": "2023-01-01"}, "until_date"),
    ({"first_date": "2023-02-29"}, "first_date"),
    ({"keep_holidays": ["x"]}, "keep_holidays"),
    ({"skip_holidays": "maybe"}, "skip_holidays"),
    ({"course_id": 9999}, "course_id"),
])
def test_bad_rules_are_refused_naming_the_field(client, plan, office, body, field):
    response = client.post("/api/v1/sessions/preview", json={"course_id": plan.courses["a"], **RULE, **body},
                           headers=office)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"], response.json


def test_the_clash_check_covers_overlapping_rules(app, client, plan, office):
    add(app, "c", "2023-03-06", "09:00", "11:00", plan, venue_id=plan.venues["hall"])
    sessions = [
        {"course_id": plan.courses["d"], "starts_at": "2023-03-06T10:00:00+08:00",
         "ends_at": "2023-03-06T12:00:00+08:00", "venue_id": plan.venues["hall"]},
        {"course_id": plan.courses["a"], "starts_at": "2023-03-08T19:00:00+08:00",
         "ends_at": "2023-03-08T21:00:00+08:00"},
        {"course_id": plan.courses["b"], "starts_at": "2023-03-08T20:00:00+08:00",
         "ends_at": "2023-03-08T22:00:00+08:00", "instructor_id": plan.teacher},
        {"course_id": plan.courses["a"], "starts_at": "2023-09-08T19:00:00+08:00",
         "ends_at": "2023-09-08T21:00:00+08:00"},
    ]
    response = client.post("/api/v1/sessions/clash-check", json={"sessions": sessions}, headers=office)
    assert response.status_code == 200, response.json
    found = sorted((c["index"], c["kind"], c["other_index"]) for c in response.json["clashes"])
    assert found == [(0, "venue", None), (2, "instructor", 1), (2, "learners", 1)]
    (window,) = response.json["outside_phase"]
    assert window["course_id"] == plan.courses["a"] and window["dates"] == ["2023-09-08"]


@pytest.mark.parametrize(("body", "field"), [
    ({"sessions": []}, "sessions"),
    ({"sessions": "x"}, "sessions"),
    ({}, "sessions"),
    ({"sessions": [{"course_id": 9999, "starts_at": "2023-03-06T10:00:00+08:00",
                    "ends_at": "2023-03-06T11:00:00+08:00"}]}, "sessions.0.course_id"),
    ({"sessions": [{"course_id": 1, "starts_at": "2023-03-06T10:00:00+08:00",
                    "ends_at": "2023-03-06T09:00:00+08:00"}]}, "sessions.0.ends_at"),
])
def test_bad_clash_checks_are_refused(client, plan, office, body, field):
    response = client.post("/api/v1/sessions/clash-check", json=body, headers=office)
    assert response.status_code == 422, response.json
    errors = response.json["errors"]
    assert field in errors or field.split(".")[0] in errors, errors


def test_creating_changing_and_cancelling_a_series(app, client, plan, office):
    body = {"course_id": plan.courses["a"], **RULE, "meeting_url": "https://meeting.tencent.com/dm/x",
            "keep_holidays": ["2023-05-03"]}
    response = client.post("/api/v1/series", json=body, headers=office)
    assert response.status_code == 201, response.json
    created = response.json
    assert [item["text"] for item in created["skipped"]] == ["2023-04-05 清明"]
    assert created["kept_holidays"] == ["2023-05-03"] and len(created["sessions"]) == 12
    assert created["rule"] == "每周三 19:00–21:00，自 2023-03-01 起共 12 次"
    series_id = created["id"]

    response = client.patch(f"/api/v1/series/{series_id}",
                            json={"from_date": "2023-05-01", "starts_time": "18:00", "ends_time": "20:00"},
                            headers=office)
    assert response.status_code == 422 and "reason" in response.json["errors"]
    response = client.patch(f"/api/v1/series/{series_id}",
                            json={"from_date": "2023-05-01", "starts_time": "18:00", "ends_time": "20:00",
                                  "reason": "作息调整"}, headers=office)
    assert response.status_code == 200
    assert len(response.json["changed"]) == 4  # 05-03 (kept), 05-10, 05-17, 05-24
    assert response.json["series"]["starts_time"] == "18:00"

    response = client.post(f"/api/v1/series/{series_id}/cancel", json={"from_date": "2023-05-20"},
                           headers=office)
    assert response.status_code == 422 and "reason" in response.json["errors"]
    response = client.post(f"/api/v1/series/{series_id}/cancel",
                           json={"from_date": "2023-05-20", "reason": "提前结课"}, headers=office)
    assert response.status_code == 200 and len(response.json["changed"]) == 1
    assert {s["status"] for s in response.json["series"]["sessions"]} == {"scheduled", "cancelled"}
    assert client.patch("/api/v1/series/999", json={}, headers=office).status_code == 404


def test_a_series_outside_the_phase_or_clashing_is_refused(app, client, plan, office):
    late = {"course_id": plan.courses["a"], **RULE, "first_date": "2023-07-19"}
    response = client.post("/api/v1/series", json=late, headers=office)
    assert response.status_code == 422 and "2023-08-16" in response.json["errors"]["count"][0]
    with app.app_context():
        create_series(db.session.get(Course, plan.courses["a"]),
                      Rule(weekdays=(3,), starts_time=time(19), ends_time=time(21),
                           first_date=date(2023, 3, 1), count=2), actor=None)
        db.session.commit()
    body = {"course_id": plan.courses["b"], **RULE, "count": 2, "instructor_id": plan.other_teacher}
    response = client.post("/api/v1/series", json=body, headers=office)
    assert response.status_code == 409 and len(response.json["clashes"]) == 2
    assert count(app, SessionSeries) == 1
    response = client.post("/api/v1/series", json={**body, "override_reason": "看回放"}, headers=office)
    assert response.status_code == 201
