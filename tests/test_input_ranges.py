"""Numbers too large for the database are bad input (404/422/400), never a server error."""

from __future__ import annotations

import pytest

HUGE = "99999999999999999999999"


@pytest.fixture
def app_config(app_config):
    # answer as in production: an exception the handlers miss would become a 500 page
    return {**app_config, "PROPAGATE_EXCEPTIONS": False}


@pytest.mark.parametrize("path", [
    f"/api/v1/organisations/{HUGE}",
    f"/api/v1/learners/{HUGE}",
    f"/api/v1/enrolments/{HUGE}",
    f"/api/v1/jobs/{HUGE}",
])
def test_huge_ids_in_api_paths_are_not_found(client, api_headers, path):
    response = client.get(path, headers=api_headers("office"))
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize(("path", "field"), [
    (f"/api/v1/counties?page={HUGE}", "page"),
    (f"/api/v1/enrolments?learner_id={HUGE}", "learner_id"),
    (f"/api/v1/courses?phase_id={HUGE}", "phase_id"),
])
def test_huge_numbers_in_api_queries_name_the_field(client, api_headers, path, field):
    response = client.get(path, headers=api_headers("office"))
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_huge_numbers_in_api_bodies_name_the_field(client, api_headers):
    response = client.post("/api/v1/learners/search", headers=api_headers("office"),
                           json={"page": int(HUGE)})
    assert response.status_code == 422
    assert "page" in response.get_json()["errors"]


def test_huge_numbers_in_web_pages_get_a_chinese_400(client, login):
    login("office")
    assert client.get(f"/learners/{HUGE}").status_code == 404
    response = client.get(f"/learners?organisation={HUGE}")
    assert response.status_code == 400
    assert "超出允许范围" in response.get_data(as_text=True)
    response = client.get(f"/organisations?page={HUGE}")
    assert response.status_code == 400 and "超出允许范围" in response.get_data(as_text=True)
