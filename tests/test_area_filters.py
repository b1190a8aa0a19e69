"""A coordinator's filter for a place outside their area is refused in words (API: 422
naming the field; web: a message under the filter, which is ignored), never silently
answered with nothing or dropped."""

from __future__ import annotations

import pytest

from trainhub.auth import Role
from trainhub.extensions import db

PROBLEM = "application/problem+json"
OUTSIDE = "不在您的负责区域（52）内"


@pytest.fixture
def two_areas(app, reference_data):
    """An organisation in Guizhou (52, the coordinator's province) and one in Gansu (62)."""
    from trainhub.orgs.operations import create_organisation

    with app.app_context():
        inside = create_organisation(name="水城区阳光社工服务中心", kind="agency", county_code="520204")
        outside = create_organisation(name="康乐县社会工作服务站", kind="station", county_code="622922")
        db.session.commit()
        return {"inside": inside.id, "outside": outside.id}


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/organisations?province=62", "province"),
        ("/api/v1/organisations?province=甘肃省", "province"),
        ("/api/v1/organisations?county=622922", "county"),
        ("/api/v1/pairings?province=62", "province"),
        ("/api/v1/pairings?county=622922", "county"),
        ("/api/v1/coverage?province=62", "province"),
        ("/api/v1/learners?province=62", "province"),
        ("/api/v1/learners?county=622922", "county"),
    ],
)
def test_the_api_names_a_filter_outside_the_area(client, api_headers, two_areas, url, field):
    response = client.get(url, headers=api_headers(Role.COORDINATOR, scope_code="52"))
    assert response.status_code == 422
    assert response.mimetype == PROBLEM
    assert OUTSIDE in response.get_json()["errors"][field][0]


def test_the_api_names_an_organisation_outside_the_area(client, api_headers, two_areas):
    headers = api_headers(Role.COORDINATOR, scope_code="52")
    response = client.get(f"/api/v1/learners?organisation={two_areas['outside']}", headers=headers)
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"organisation": ["机构不存在，或不在您的负责区域内。"]}
    inside = client.get(f"/api/v1/learners?organisation={two_areas['inside']}", headers=headers)
    assert inside.status_code == 200


def test_filters_inside_the_area_and_for_the_office_still_work(client, api_headers, two_areas):
    coordinator = api_headers(Role.COORDINATOR, scope_code="520204")
    assert client.get("/api/v1/organisations?province=52", headers=coordinator).status_code == 200
    office = api_headers(Role.OFFICE)
    body = client.get("/api/v1/organisations?province=62", headers=office).get_json()
    assert [item["name"] for item in body["items"]] == ["康乐县社会工作服务站"]


@pytest.mark.parametrize(
    "url",
    ["/organisations?province=62", "/organisations?county=622922", "/pairings?province=62",
     "/coverage?province=62", "/learners?province=62", "/learners?county=622922",
     "/counties?province=62"],
)
def test_the_web_says_a_filter_lies_outside_the_area_and_shows_the_area(client, login, two_areas,
                                                                        url):
    login(Role.COORDINATOR, scope_code="52")
    response = client.get(url)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert OUTSIDE in text and "已忽略该筛选条件" in text
    assert "康乐" not in text
