"""``GET /api/v1/me/sessions``: the caller's own sessions, in local time with the offset."""

from __future__ import annotations

from datetime import date

import pytest
from timetable_world import MEETING_NUMBER, MEETING_URL, at, build_timetable, fixed_now

from trainhub.accounts.operations import create_token
from trainhub.extensions import db

NOW = at(date(2023, 5, 10), "12:00")


@pytest.fixture
def tt(app, make_user, monkeypatch):
    fixed_now(monkeypatch, NOW)
    return build_timetable(app, make_user)


@pytest.fixture
def token_of(app):
    def headers(user_id: int) -> dict:
        from trainhub.accounts.models import User

        with app.app_context():
            _, secret = create_token(db.session.get(User, user_id), "test")
            db.session.commit()
        return {"Authorization": f"Bearer {secret}"}

    return headers


def test_a_trainee_gets_their_sessions_in_local_time(client, tt, token_of):
    response = client.get("/api/v1/me/sessions", headers=token_of(tt.users["trainee-gz"]))
    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] == 15 and len(body["items"]) == 15
    first = body["items"][0]
    assert first == {
        "id": tt.sessions["org1-2023-03-01"], "course_id": tt.courses["ORG-01"], "course_code": "ORG-01",
        "course_title": "社工机构战略管理", "mode": "online", "track": "社工机构管理运营",
        "phase_id": tt.phase, "phase": "第一阶段", "title": None,
        "starts_at": "2023-03-01T19:00:00+08:00", "ends_at": "2023-03-01T21:00:00+08:00",
        "place": None, "meeting_url": MEETING_URL, "meeting_number": MEETING_NUMBER,
        "instructor": "张老师", "status": "scheduled", "state": "ended", "state_label": "已结束",
        "cancelled_at": None, "cancel_reason": None,
    }
    cancelled = next(i for i in body["items"] if i["id"] == tt.sessions["org1-2023-03-15"])
    assert cancelled["status"] == "cancelled" and cancelled["state_label"] == "已取消"
    assert cancelled["cancelled_at"] == "2023-03-10T10:00:00+08:00"
    assert cancelled["cancel_reason"] == "讲师临时出差"
    onsite = next(i for i in body["items"] if i["id"] == tt.sessions["org2-0506"])
    assert onsite["place"] == "水城区实施点，二楼培训室" and onsite["meeting_url"] is None
    starts = [item["starts_at"] for item in body["items"]]
    assert starts == sorted(starts)


def test_from_and_to_are_local_dates(client, tt, token_of):
    headers = token_of(tt.users["teacher-zhang"])
    body = client.get("/api/v1/me/sessions?from=2023-05-20&to=2023-05-20", headers=headers).get_json()
    # 07:30 in Shanghai: the day before in UTC
    assert [(i["id"], i["starts_at"]) for i in body["items"]] == [
        (tt.sessions["sta-0520"], "2023-05-20T07:30:00+08:00")]
    body = client.get("/api/v1/me/sessions?from=2023-05-10", headers=headers).get_json()
    # zhang's own: ORG-01 from 05-10 (4) and STA-01's unassigned 05-20, 06-21 — not the guest's
    assert body["total"] == 6
    assert tt.sessions["sta-0512"] not in {i["id"] for i in body["items"]}
    assert body["items"][0]["state"] == "scheduled"


def test_a_coordinator_gets_their_areas_sessions(client, make_user, tt, app):
    from trainhub.accounts.models import User

    coordinator = make_user("coordinator", scope_code="621126")
    with app.app_context():
        _, secret = create_token(db.session.get(User, coordinator.id), "test")
        db.session.commit()
    body = client.get("/api/v1/me/sessions", headers={"Authorization": f"Bearer {secret}"}).get_json()
    assert {i["course_code"] for i in body["items"]} == {"STA-01"} and body["total"] == 3


def test_the_certification_centre_is_not_given_meeting_links(client, api_headers, tt):
    body = client.get("/api/v1/me/sessions?per_page=500", headers=api_headers("certifier")).get_json()
    assert body["total"] == 18
    assert all(i["meeting_url"] is None and i["meeting_number"] is None for i in body["items"])
    office = client.get("/api/v1/me/sessions?per_page=500", headers=api_headers("office")).get_json()
    assert sum(1 for i in office["items"] if i["meeting_url"] == MEETING_URL) == 12


def test_pages(client, tt, token_of):
    headers = token_of(tt.users["trainee-gz"])
    body = client.get("/api/v1/me/sessions?per_page=10&page=2", headers=headers).get_json()
    assert body["total"] == 15 and body["page"] == 2 and len(body["items"]) == 5


@pytest.mark.parametrize(("query", "field"), [
    ("from=2023-13-01", "from"),
    ("to=tomorrow", "to"),
    ("from=2023-06-01&to=2023-05-01", "to"),
    ("from=9999-01-01", "from"),
    ("per_page=0", "per_page"),
])
def test_bad_dates_are_refused_naming_the_field(client, tt, token_of, query, field):
    response = client.get(f"/api/v1/me/sessions?{query}", headers=token_of(tt.users["trainee-gz"]))
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert field in response.get_json()["errors"]


def test_without_a_token_the_api_answers_401(client, tt):
    response = client.get("/api/v1/me/sessions")
    assert response.status_code == 401 and response.mimetype == "application/problem+json"


def test_the_endpoint_is_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/me/sessions"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"from", "to", "page", "per_page"}
