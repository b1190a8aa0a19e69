"""Venues (场地 / 实施点): the office registers and edits them on the web and in the API,
coordinators read those of their area only, archived ones leave the lists."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from catalogue_world import add_session, audit_actions, row, upcoming

from trainhub.courses import venues
from trainhub.courses.models import Venue
from trainhub.extensions import db
from trainhub.orgs.models import Organisation

PROBLEM = "application/problem+json"


def _text(response) -> str:
    return response.get_data(as_text=True)


def _org(app, name: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(Organisation.id).where(Organisation.name == name))


@pytest.fixture
def sites(app, world) -> dict[str, int]:
    """A venue in 水城区 (贵州, 52) and one in 冕宁县 (四川, 51)."""
    with app.app_context():
        shuicheng = venues.create_venue(actor=None, name="米箩镇社工站培训室", county_code="520204",
                                        organisation_id=_org(app, "水城区米箩镇社工站"), capacity=40)
        mianning = venues.create_venue(actor=None, name="冕宁县社会工作服务中心会议室", county_code="513433")
        db.session.commit()
        return {"shuicheng": shuicheng.id, "mianning": mianning.id}


# the office's pages --------------------------------------------------------------------------


def test_office_registers_a_venue_by_county_name_and_host_name(app, client, login, world):
    login("office")
    response = client.post("/venues/new", data={"name": "六枝特区社工中心培训室", "county": "六枝特区",
                                                 "organisation": "六枝特区社会工作服务中心",
                                                 "address": "六枝特区平寨镇", "capacity": "60"})
    assert response.status_code == 302
    with app.app_context():
        venue = db.session.scalar(sa.select(Venue))
        assert (venue.county_code, venue.organisation.name, venue.capacity) == ("520203", "六枝特区社会工作服务中心", 60)
        assert response.headers["Location"].endswith(f"/venues/{venue.id}")
        venue_id = venue.id
    (entry,) = audit_actions(app, "venue.create")
    assert entry[2]["county_code"] == "520203"
    page = _text(client.get(f"/venues/{venue_id}"))
    assert "六枝特区社会工作服务中心" in page and "六枝特区平寨镇" in page


@pytest.mark.parametrize(("data", "status", "message"), [
    ({"county": "999999"}, 422, "县级代码 999999 不在行政区划代码表中。"),
    ({"county": "不存在县"}, 422, "找不到县（区）“不存在县”"),
    ({"county": ""}, 422, "请填写场地所在县（6 位县级代码）。"),
    ({"organisation": "冕宁县社会工作服务中心"}, 422, "县级代码 520204 下没有名为“冕宁县社会工作服务中心”的机构"),
    ({"name": ""}, 422, "请填写场地名称。"),
    ({"capacity": "很多"}, 422, "可容纳人数应为整数。"),
    ({"name": "米箩镇社工站培训室"}, 409, "贵州省水城区已有名为“米箩镇社工站培训室”的场地。"),
])
def test_venue_form_refuses_bad_input(client, login, sites, database_rows, data, status, message):
    login("office")
    before = database_rows()
    response = client.post("/venues/new", data={"name": "新场地", "county": "520204", **data})
    assert response.status_code == status
    assert message in _text(response)
    assert database_rows() == before


def test_office_edits_a_venue(app, client, login, sites):
    login("office")
    form = _text(client.get(f"/venues/{sites['shuicheng']}/edit"))
    assert 'value="水城区米箩镇社工站"' in form and 'value="520204"' in form
    response = client.post(f"/venues/{sites['shuicheng']}/edit",
                           data={"name": "米箩镇社工站二楼培训室", "county": "520204", "organisation": "", "capacity": "45"})
    assert response.status_code == 302
    venue = row(app, Venue, sites["shuicheng"])
    assert (venue.name, venue.organisation_id, venue.capacity) == ("米箩镇社工站二楼培训室", None, 45)
    (entry,) = audit_actions(app, "venue.update")
    assert entry[2]["changes"]["capacity"] == [40, 45]


def test_archived_venue_leaves_the_list_and_keeps_its_page(app, client, login, sites):
    login("office")
    response = client.post(f"/venues/{sites['mianning']}/archive", follow_redirects=True)
    assert "已归档场地" in _text(response)
    listing = _text(client.get("/venues"))
    assert "冕宁县社会工作服务中心会议室" not in listing and "米箩镇社工站培训室" in listing
    assert "冕宁县社会工作服务中心会议室" in _text(client.get("/venues?archived=y"))
    page = _text(client.get(f"/venues/{sites['mianning']}"))
    assert "本场地已归档" in page
    assert [a for a, *_ in audit_actions(app, "venue.")] == ["venue.create", "venue.create", "venue.archive"]


def test_venue_with_sessions_to_come_cannot_be_archived(app, client, login, sites, make_course):
    course = make_course()
    add_session(app, course, upcoming(4), venue_id=sites["shuicheng"])
    add_session(app, course, upcoming(6), venue_id=sites["shuicheng"], cancelled=True)
    login("office")
    response = client.post(f"/venues/{sites['shuicheng']}/archive")
    assert response.status_code == 409
    assert "该场地还有 1 个尚未结束的已排期课次，不能归档。" in _text(response)
    assert row(app, Venue, sites["shuicheng"]).archived_at is None


# areas ---------------------------------------------------------------------------------------


def test_coordinator_reads_the_venues_of_their_area_only(client, login, sites):
    login("coordinator", scope_code="51")
    listing = _text(client.get("/venues"))
    assert "冕宁县社会工作服务中心会议室" in listing and "米箩镇社工站培训室" not in listing
    assert "登记场地" not in listing
    assert client.get(f"/venues/{sites['mianning']}").status_code == 200
    assert client.get(f"/venues/{sites['shuicheng']}").status_code == 404
    assert client.get("/venues/new").status_code == 403
    assert client.post(f"/venues/{sites['mianning']}/archive").status_code == 403


def test_api_venues_in_the_callers_area(client, api_headers, sites):
    headers = api_headers("coordinator", scope_code="52")
    body = client.get("/api/v1/venues", headers=headers).get_json()
    assert [v["name"] for v in body["items"]] == ["米箩镇社工站培训室"] and body["total"] == 1
    venue = client.get(f"/api/v1/venues/{sites['shuicheng']}", headers=headers).get_json()
    assert (venue["county_code"], venue["province"], venue["organisation"]) == ("520204", "贵州省", "水城区米箩镇社工站")
    response = client.get(f"/api/v1/venues/{sites['mianning']}", headers=headers)
    assert response.status_code == 404 and response.mimetype == PROBLEM
    assert client.patch(f"/api/v1/venues/{sites['shuicheng']}", headers=headers, json={"capacity": 1}).status_code == 403
    assert client.get("/api/v1/venues", headers=api_headers("instructor")).status_code == 403


# the API -------------------------------------------------------------------------------------


def test_office_writes_venues_through_the_api(app, client, api_headers, sites):
    headers = api_headers("office")
    response = client.post("/api/v1/venues", headers=headers,
                           json={"name": "六枝特区社工中心培训室", "county_code": "520203",
                                 "organisation_id": _org(app, "六枝特区社会工作服务中心"), "capacity": 60})
    assert response.status_code == 201
    venue = response.get_json()
    assert response.headers["Location"].endswith(f"/api/v1/venues/{venue['id']}")
    response = client.patch(f"/api/v1/venues/{venue['id']}", headers=headers, json={"address": "平寨镇"})
    assert response.status_code == 200 and response.get_json()["address"] == "平寨镇"
    response = client.post(f"/api/v1/venues/{venue['id']}/archive", headers=headers)
    assert response.get_json()["archived"] is True
    names = [v["name"] for v in client.get("/api/v1/venues", headers=headers).get_json()["items"]]
    assert "六枝特区社工中心培训室" not in names
    names = [v["name"] for v in client.get("/api/v1/venues?archived=true", headers=headers).get_json()["items"]]
    assert "六枝特区社工中心培训室" in names
    assert client.post(f"/api/v1/venues/{venue['id']}/restore", headers=headers).get_json()["archived"] is False


@pytest.mark.parametrize(("body", "status", "errors"), [
    ({"county_code": "999999"}, 422, {"county_code": ["县级代码 999999 不在行政区划代码表中。"]}),
    ({"county_code": "5202"}, 422, {"county_code": ["县级代码应为 6 位数字。"]}),
    ({"organisation_id": "other-county"}, 422, None),
    ({"organisation_id": 999999}, 422, {"organisation_id": ["机构 999999 不存在。"]}),
    ({"name": "米箩镇社工站培训室"}, 409, {"name": ["贵州省水城区已有名为“米箩镇社工站培训室”的场地。"]}),
    ({"capacity": 0}, 422, {"capacity": ["可容纳人数应在 1–100000 之间。"]}),
])
def test_api_venue_refusals_name_the_field(app, client, api_headers, sites, database_rows, body, status, errors):
    if body.get("organisation_id") == "other-county":
        body = {"organisation_id": _org(app, "冕宁县社会工作服务中心")}
        errors = {"organisation_id": ["机构“冕宁县社会工作服务中心”不在贵州省水城区（520204），承办机构须位于场地所在县。"]}
    headers = api_headers("office")
    before = database_rows()
    response = client.post("/api/v1/venues", headers=headers, json={"name": "新场地", "county_code": "520204", **body})
    assert response.status_code == status
    assert response.mimetype == PROBLEM and response.get_json()["errors"] == errors
    assert database_rows() == before


def test_moving_a_venue_to_another_county_checks_its_host(app, client, api_headers, sites):
    response = client.patch(f"/api/v1/venues/{sites['shuicheng']}", headers=api_headers("office"),
                            json={"county_code": "520203"})
    assert response.status_code == 422
    assert "county_code" in response.get_json()["errors"]
    assert row(app, Venue, sites["shuicheng"]).county_code == "520204"
