"""Courses and enrolments API: lists with counts, enrol (201 / 200 / 409 / 422), withdraw,
scope, masking, bad input, and a trainee's own enrolments."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from trainhub.courses.models import Course, Enrolment, EnrolmentStatus
from trainhub.courses.operations import enrol
from trainhub.extensions import db
from trainhub.learners.models import Learner

PROBLEM = "application/problem+json"


def _enrol(app, world, course_id, *indexes):
    with app.app_context():
        course = db.session.get(Course, course_id)
        ids = [enrol(db.session.get(Learner, world.learners[i]), course).id for i in indexes]
        db.session.commit()
    return ids


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(Enrolment.id)))


def test_course_list_and_detail_with_counts(app, client, api_headers, world, make_course):
    course_id = make_course(capacity=2, title="机构治理")
    make_course(title="社工站建设", track=1)
    _enrol(app, world, course_id, 0, 1, 2)
    headers = api_headers("certifier")
    body = client.get("/api/v1/courses", headers=headers).get_json()
    assert body["total"] == 2
    item = next(i for i in body["items"] if i["id"] == course_id)
    assert item["enrolled"] == 2 and item["waitlisted"] == 1 and item["free_places"] == 0
    assert item["phase"] == "第一阶段" and item["track"] == "社工机构管理运营"
    assert item["class_hours"] == 6.0 and item["mode"] == "online" and item["mode_label"] == "线上"
    other = next(i for i in body["items"] if i["id"] != course_id)
    assert other["capacity"] is None and other["free_places"] is None
    body = client.get(f"/api/v1/courses?track_id={world.tracks[1]}", headers=headers).get_json()
    assert [i["title"] for i in body["items"]] == ["社工站建设"]

    detail = client.get(f"/api/v1/courses/{course_id}", headers=headers).get_json()
    assert detail["enrolled"] == 2 and detail["sessions"] == [] and detail["completion_min_rate"] == 0.8
    response = client.get("/api/v1/courses/999999", headers=headers)
    assert response.status_code == 404 and response.mimetype == PROBLEM


def test_instructor_lists_only_their_courses(app, client, make_user, world, make_course):
    from trainhub.accounts.models import User
    from trainhub.accounts.operations import create_token

    teacher = make_user("instructor")
    make_course(title="我的课程", instructors=[teacher])
    other = make_course(title="别人的课程")
    with app.app_context():
        _, secret = create_token(db.session.get(User, teacher.id), "test")
        db.session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    body = client.get("/api/v1/courses", headers=headers).get_json()
    assert [i["title"] for i in body["items"]] == ["我的课程"]
    assert client.get(f"/api/v1/courses/{other}", headers=headers).status_code == 404
    _enrol(app, world, other, 0)
    body = client.get(f"/api/v1/enrolments?course_id={other}", headers=headers).get_json()
    assert body["total"] == 0


def test_enrol_through_the_api(app, client, api_headers, world, make_course):
    course_id = make_course(capacity=1)
    headers = api_headers("office")
    first, second = world.learners[0], world.learners[1]
    response = client.post("/api/v1/enrolments", headers=headers,
                           json={"learner_id": first, "course_id": course_id})
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "enrolled" and body["status_label"] == "已报名"
    assert body["id_number_masked"].count("*") == 10
    assert world.id_numbers[first] not in response.get_data(as_text=True)
    assert response.headers["Location"].endswith(f"/api/v1/enrolments/{body['id']}")

    again = client.post("/api/v1/enrolments", headers=headers,
                        json={"learner_id": first, "course_id": course_id, "waitlist": False})
    assert again.status_code == 200 and again.get_json()["id"] == body["id"]

    refused = client.post("/api/v1/enrolments", headers=headers,
                          json={"learner_id": second, "course_id": course_id, "waitlist": False})
    assert refused.status_code == 409 and refused.mimetype == PROBLEM
    assert refused.get_json()["errors"] == {"course_id": ["课程已满（容量 1 人）"]}
    assert _count(app) == 1

    waiting = client.post("/api/v1/enrolments", headers=headers,
                          json={"learner_id": second, "course_id": course_id})
    assert waiting.status_code == 201
    assert waiting.get_json()["status"] == "waitlisted" and waiting.get_json()["waitlist_position"] == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "learner_id"),
        ({"learner_id": "1", "course_id": 1}, "learner_id"),
        ({"learner_id": 1, "course_id": None}, "course_id"),
        ({"learner_id": 1, "course_id": 1, "waitlist": "maybe"}, "waitlist"),
        ({"learner_id": 1, "course_id": 1, "colour": "red"}, "colour"),
        ({"learner_id": 999999, "course_id": "COURSE"}, "course_id"),
    ],
)
def test_enrol_bad_input_names_the_field(app, client, api_headers, world, make_course, body, field):
    make_course()
    response = client.post("/api/v1/enrolments", headers=api_headers("office"), json=body)
    assert response.status_code == 422 and response.mimetype == PROBLEM
    assert field in response.get_json()["errors"]
    assert _count(app) == 0


def test_enrol_unknown_learner_or_course_and_not_json(app, client, api_headers, world, make_course):
    course_id = make_course()
    headers = api_headers("office")
    response = client.post("/api/v1/enrolments", headers=headers,
                           json={"learner_id": 999999, "course_id": course_id})
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"learner_id": ["学员不存在，或不在您的负责区域内。"]}
    response = client.post("/api/v1/enrolments", headers=headers,
                           json={"learner_id": world.learners[0], "course_id": 999999})
    assert response.status_code == 422 and "course_id" in response.get_json()["errors"]
    response = client.post("/api/v1/enrolments", headers=headers, data="learner_id=1")
    assert response.status_code == 415
    response = client.post("/api/v1/enrolments", headers={**headers, "Content-Type": "application/json"},
                           data="{oops")
    assert response.status_code == 400
    assert _count(app) == 0


def test_coordinator_enrols_only_in_their_area(app, client, api_headers, world, make_course):
    course_id = make_course()
    headers = api_headers("coordinator", scope_code="52")
    response = client.post("/api/v1/enrolments", headers=headers,
                           json={"learner_id": world.learners[5], "course_id": course_id})
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"learner_id": ["学员不存在，或不在您的负责区域内。"]}
    assert _count(app) == 0
    response = client.post("/api/v1/enrolments", headers=headers,
                           json={"learner_id": world.learners[3], "course_id": course_id})
    assert response.status_code == 201


def test_enrolment_list_filters_scope_and_masking(app, client, api_headers, world, make_course):
    course_id = make_course(capacity=1)
    other = make_course()
    _enrol(app, world, course_id, 0, 5, 6)
    _enrol(app, world, other, 0)
    office = api_headers("office")
    body = client.get("/api/v1/enrolments", headers=office).get_json()
    assert body["total"] == 4
    body = client.get(f"/api/v1/enrolments?course_id={course_id}&status=waitlisted", headers=office).get_json()
    assert [(i["learner_name"], i["waitlist_position"]) for i in body["items"]] == [("孙八", 1), ("周九", 2)]
    body = client.get(f"/api/v1/enrolments?learner_id={world.learners[0]}", headers=office)
    assert body.get_json()["total"] == 2
    text = body.get_data(as_text=True)
    assert world.id_numbers[world.learners[0]] not in text and world.phones[world.learners[0]] not in text

    sichuan = api_headers("coordinator", scope_code="51")
    body = client.get("/api/v1/enrolments", headers=sichuan).get_json()
    assert {i["learner_name"] for i in body["items"]} == {"孙八", "周九"}
    guizhou_enrolment = client.get(f"/api/v1/enrolments?learner_id={world.learners[0]}",
                                   headers=office).get_json()["items"][0]["id"]
    assert client.get(f"/api/v1/enrolments/{guizhou_enrolment}", headers=sichuan).status_code == 404

    for query in ("status=gone", "course_id=abc", "page=0", "per_page=1000"):
        response = client.get(f"/api/v1/enrolments?{query}", headers=office)
        assert response.status_code == 422, query
        assert response.mimetype == PROBLEM


def test_withdraw_through_the_api(app, client, api_headers, world, make_course):
    course_id = make_course(capacity=1)
    first, waiting = _enrol(app, world, course_id, 0, 1)
    headers = api_headers("office")
    for body, status in (({}, 422), ({"reason": ""}, 422), ({"reason": "   "}, 422), ({"reason": 5}, 422)):
        response = client.post(f"/api/v1/enrolments/{first}/withdraw", headers=headers, json=body)
        assert response.status_code == status, body
        assert "reason" in response.get_json()["errors"]
    response = client.post(f"/api/v1/enrolments/{first}/withdraw", headers=headers, json={"reason": ""})
    assert response.get_json()["errors"] == {"reason": ["请填写退课原因。"]}
    with app.app_context():
        assert db.session.get(Enrolment, first).status == EnrolmentStatus.ENROLLED

    response = client.post(f"/api/v1/enrolments/{first}/withdraw", headers=headers,
                           json={"reason": "工作调动"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["enrolment"]["status"] == "withdrawn" and body["enrolment"]["withdraw_reason"] == "工作调动"
    assert body["promoted"]["id"] == waiting and body["promoted"]["status"] == "enrolled"

    again = client.post(f"/api/v1/enrolments/{first}/withdraw", headers=headers, json={"reason": "再次"})
    assert again.status_code == 409 and "status" in again.get_json()["errors"]
    missing = client.post("/api/v1/enrolments/999999/withdraw", headers=headers, json={"reason": "x"})
    assert missing.status_code == 404


def test_coordinator_cannot_withdraw_outside_their_area(app, client, api_headers, world, make_course):
    course_id = make_course()
    (sichuan,) = _enrol(app, world, course_id, 5)
    response = client.post(f"/api/v1/enrolments/{sichuan}/withdraw",
                           headers=api_headers("coordinator", scope_code="52"), json={"reason": "x"})
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(Enrolment, sichuan).status == EnrolmentStatus.ENROLLED


def test_trainee_sees_only_their_own_enrolments(app, client, world, make_course):
    from trainhub.accounts.operations import create_token

    course_id = make_course(capacity=1)
    _enrol(app, world, course_id, 1, 0)
    with app.app_context():
        learner = db.session.get(Learner, world.learners[0])
        _, secret = create_token(learner.user, "phone")
        db.session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    body = client.get("/api/v1/me/enrolments", headers=headers).get_json()
    assert body["total"] == 1
    assert body["items"][0]["learner_name"] == "张三" and body["items"][0]["status"] == "waitlisted"
    for url in ("/api/v1/enrolments", "/api/v1/courses"):
        response = client.get(url, headers=headers)
        assert response.status_code == 403 and response.mimetype == PROBLEM
    response = client.post("/api/v1/enrolments", headers=headers,
                           json={"learner_id": world.learners[0], "course_id": course_id})
    assert response.status_code == 403


def test_roles_that_may_not_enrol(client, api_headers, world, make_course):
    course_id = make_course()
    for role in ("instructor", "certifier"):
        response = client.post("/api/v1/enrolments", headers=api_headers(role),
                               json={"learner_id": world.learners[0], "course_id": course_id})
        assert response.status_code == 403, role
    assert client.get("/api/v1/enrolments").status_code == 401


def test_racing_duplicate_enrolments_create_one_and_answer_201_once(app, api_headers, world,
                                                                    make_course):
    """Requests enrolling the same learner at once: one row, exactly one 201, the rest 200."""
    from concurrent.futures import ThreadPoolExecutor

    course_id = make_course(capacity=5)
    headers = api_headers("office")
    body = {"learner_id": world.learners[0], "course_id": course_id}

    def post(_):
        return app.test_client().post("/api/v1/enrolments", headers=headers, json=body).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(pool.map(post, range(16)))
    assert statuses == [200] * 15 + [201]
    assert _count(app) == 1
