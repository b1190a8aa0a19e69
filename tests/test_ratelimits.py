"""Heavy endpoints (imports, exports) share one per-user budget (``HEAVY_RATE_LIMIT``)."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest

from trainhub.accounts.models import Role
from trainhub.extensions import db

LIMIT = 3
EXPORTS = ["/organisations/export.xlsx", "/pairings/export.xlsx", "/coverage/export.xlsx", "/learners/export"]
PASSWORD = "Xunlian-2023"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "HEAVY_RATE_LIMIT": f"{LIMIT} per minute"}


@pytest.fixture
def course_id(app) -> int:
    from trainhub.courses.models import Course, CourseMode
    from trainhub.courses.operations import ensure_initial_programme

    with app.app_context():
        setup = ensure_initial_programme()
        course = Course(track=setup.tracks[0], code="P1-RATE-01", title="限流测试课程",
                        class_hours=Decimal(4), mode=CourseMode.ONLINE)
        db.session.add(course)
        db.session.commit()
        return course.id


def _signed_in_client(app, make_user, role: Role = Role.OFFICE):
    user = make_user(role)
    client = app.test_client()
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def _throttled_page(response) -> None:
    assert response.status_code == 429
    assert "操作过于频繁" in response.get_data(as_text=True)
    assert int(response.headers["Retry-After"]) > 0


def test_every_export_counts_against_one_budget_per_user(app, make_user, course_id):
    urls = [*EXPORTS, f"/courses/{course_id}/enrolments.xlsx"]
    client = _signed_in_client(app, make_user)
    for url in urls[:LIMIT]:
        assert client.get(url).status_code == 200, url
    for url in urls[LIMIT:]:  # the other heavy endpoints are throttled too, for this user
        _throttled_page(client.get(url))

    # another user, from the same address, has a budget of their own
    other = _signed_in_client(app, make_user)
    for url in reversed(urls[-LIMIT:]):
        assert other.get(url).status_code == 200, url
    _throttled_page(other.get(urls[0]))


def test_the_import_pages_count_submissions_and_previews_not_the_form(app, make_user):
    client = _signed_in_client(app, make_user)
    for _ in range(LIMIT + 2):
        assert client.get("/imports/new").status_code == 200  # the form itself is light
    for _ in range(LIMIT):
        form = {"file": (io.BytesIO(b"not a roster"), "a.pdf")}
        assert client.post("/imports/new", data=form, content_type="multipart/form-data").status_code == 422
    form = {"file": (io.BytesIO(b"not a roster"), "a.pdf")}
    _throttled_page(client.post("/imports/new", data=form, content_type="multipart/form-data"))
    _throttled_page(client.post("/imports/any-token-at-all1234/confirm", data={}))
    _throttled_page(client.get("/imports/any-token-at-all1234"))
    _throttled_page(client.get("/learners/export"))


def test_the_import_api_answers_a_429_problem_per_token_user(client, api_headers):
    first, second = api_headers("office"), api_headers("office")

    def post(headers):
        form = {"file": (io.BytesIO(b"not a roster"), "a.pdf")}
        return client.post("/api/v1/imports/learners", data=form, headers=headers,
                           content_type="multipart/form-data")

    for _ in range(LIMIT):
        assert post(first).status_code == 422
    response = post(first)
    assert response.status_code == 429
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["detail"] == "导入、导出等操作过于频繁，请稍后再试。"
    assert int(response.headers["Retry-After"]) > 0
    assert post(second).status_code == 422  # a budget per user, not per address


def test_requests_refused_before_the_view_do_not_count(app, client, make_user, login):
    for _ in range(LIMIT + 1):  # not signed in: sent to the sign-in page, nothing counted
        assert client.get("/organisations/export.xlsx").status_code == 302
    trainee = _signed_in_client(app, make_user, Role.TRAINEE)
    for _ in range(LIMIT + 1):  # no permission: 403, nothing counted
        assert trainee.get("/organisations/export.xlsx").status_code == 403
    login(Role.OFFICE)
    assert client.get("/organisations/export.xlsx").status_code == 200


def test_the_budget_is_configured_by_environment(tmp_path, monkeypatch):
    from trainhub import create_app

    monkeypatch.delenv("TRAINHUB_HEAVY_RATE_LIMIT", raising=False)
    default = create_app({"INSTANCE_PATH": str(tmp_path / "one")})
    assert default.config["HEAVY_RATE_LIMIT"] == "20 per minute;200 per hour"
    monkeypatch.setenv("TRAINHUB_HEAVY_RATE_LIMIT", "5 per minute;50 per hour")
    configured = create_app({"INSTANCE_PATH": str(tmp_path / "two")})
    assert configured.config["HEAVY_RATE_LIMIT"] == "5 per minute;50 per hour"
