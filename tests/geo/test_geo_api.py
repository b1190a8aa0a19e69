"""``/api/v1/counties``: filters, totals, pagination, 404, who may read."""

from __future__ import annotations

import pytest


def get(client, headers, url):
    response = client.get(url, headers=headers)
    return response, response.get_json()


def test_every_signed_in_role_reads_the_list(client, api_headers, reference_data):
    for role in ("office", "coordinator", "instructor", "certifier", "trainee"):
        response, body = get(client, api_headers(role), "/api/v1/counties")
        assert response.status_code == 200, role
        assert body["total"] == 2978
        assert body["page"] == 1 and body["per_page"] == 50 and len(body["items"]) == 50


def test_without_a_token_the_list_is_refused(client, reference_data):
    response = client.get("/api/v1/counties")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize(
    ("query", "total"),
    [
        ("province=52", 88),
        ("province=贵州省", 88),
        ("province=贵州", 88),
        ("province=52&priority=true", 20),
        ("priority=true", 100),
        ("priority=false", 2878),
        ("q=水城", 1),
        ("q=六盘水", 4),
        ("q=5202", 4),
        ("province=内蒙古&priority=true", 10),
    ],
)
def test_filters_and_totals(client, api_headers, reference_data, query, total):
    response, body = get(client, api_headers("office"), f"/api/v1/counties?{query}")
    assert response.status_code == 200
    assert body["total"] == total


def test_item_fields_and_pages(client, api_headers, reference_data):
    headers = api_headers("office")
    _, body = get(client, headers, "/api/v1/counties?province=52&priority=true&per_page=5&page=4")
    assert body["page"] == 4 and body["per_page"] == 5 and len(body["items"]) == 5
    _, first = get(client, headers, "/api/v1/counties?q=水城")
    assert first["items"] == [{
        "code": "520204",
        "name": "水城区",
        "prefecture": "六盘水市",
        "province": "贵州省",
        "province_code": "52",
        "is_priority": True,
        "priority_source": first["items"][0]["priority_source"],
        "list_version": "NBS-2023",
        "is_current": True,
    }]
    assert "2021-08-27" in first["items"][0]["priority_source"]


@pytest.mark.parametrize(
    ("query", "field"),
    [("province=火星", "province"), ("priority=maybe", "priority"), ("page=0", "page"),
     ("per_page=100000", "per_page")],
)
def test_bad_filters_answer_422_naming_the_field(client, api_headers, reference_data, query, field):
    response, body = get(client, api_headers("office"), f"/api/v1/counties?{query}")
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert field in body["errors"]


def test_one_county(client, api_headers, reference_data):
    headers = api_headers("trainee")
    response, body = get(client, headers, "/api/v1/counties/520204")
    assert response.status_code == 200
    assert body["name"] == "水城区" and body["is_priority"] is True
    response, body = get(client, headers, "/api/v1/counties/520221")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert "520221" in body["detail"]
