"""``/api/v1/organisations``: list and filters within the caller's area, create and update
(office; coordinators within their area), and the wrong things clients send."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from trainhub.audit.models import AuditEntry
from trainhub.extensions import db
from trainhub.orgs.models import Organisation

#: Real unified social credit codes (their check characters verify under GB 32100).
CREDIT_CODE = "91350100M000100Y43"
OTHER_CREDIT_CODE = "9144030071526726XG"


@pytest.fixture
def office(api_headers, reference_data):
    return api_headers("office")


@pytest.fixture
def orgs(app, reference_data):
    """Organisations in Guizhou (two counties), Sichuan and Beijing; returns their ids."""
    from trainhub.orgs.operations import create_organisation

    rows = {
        "shuicheng_agency": ("水城区阳光社会工作服务中心", "agency", "520204"),
        "shuicheng_station": ("水城区董地街道社工站", "station", "520204"),
        "zhengan_station": ("正安县安场镇社工站", "station", "520324"),
        "zhaojue_agency": ("昭觉县社会工作服务中心", "agency", "513431"),
        "beijing_supporter": ("北京市东城区社会工作协会", "supporter", "110101"),
    }
    ids = {}
    with app.app_context():
        for key, (name, kind, county) in rows.items():
            ids[key] = create_organisation(name=name, kind=kind, county_code=county).id
        db.session.commit()
    return ids


def post(client, headers, body, **kwargs):
    return client.post("/api/v1/organisations", json=body, headers=headers, **kwargs)


def org_count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Organisation))


def org_state(app, org_id: int) -> dict:
    """Every column of the organisation's row, read afresh from the database."""
    with app.app_context():
        row = db.session.execute(
            sa.select(Organisation.__table__).where(Organisation.__table__.c.id == org_id)
        ).one()
        return dict(row._mapping)


def audit_count(app, prefix: str) -> int:
    with app.app_context():
        return db.session.scalar(
            sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.action.startswith(prefix))
        )


# reading -------------------------------------------------------------------------------------


def test_office_lists_all_with_total(client, office, orgs):
    response = client.get("/api/v1/organisations", headers=office)
    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] == 5 and len(body["items"]) == 5
    item = next(i for i in body["items"] if i["id"] == orgs["shuicheng_agency"])
    assert item["kind"] == "agency" and item["kind_label"] == "社工机构"
    assert item["county_code"] == "520204" and item["county_name"] == "水城区"
    assert item["province"] == "贵州省"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kind=station", {"shuicheng_station", "zhengan_station"}),
        ("county=520204", {"shuicheng_agency", "shuicheng_station"}),
        ("province=52", {"shuicheng_agency", "shuicheng_station", "zhengan_station"}),
        ("province=四川", {"zhaojue_agency"}),
        ("q=社会工作服务中心", {"shuicheng_agency", "zhaojue_agency"}),
        ("province=贵州省&kind=agency", {"shuicheng_agency"}),
    ],
)
def test_filters(client, office, orgs, query, expected):
    body = client.get(f"/api/v1/organisations?{query}", headers=office).get_json()
    assert {i["id"] for i in body["items"]} == {orgs[key] for key in expected}
    assert body["total"] == len(expected)


@pytest.mark.parametrize(
    ("query", "field"),
    [("kind=school", "kind"), ("county=5202", "county"), ("province=火星", "province")],
)
def test_bad_filters_answer_422(client, office, orgs, query, field):
    response = client.get(f"/api/v1/organisations?{query}", headers=office)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_province_coordinator_sees_only_guizhou(client, api_headers, orgs):
    headers = api_headers("coordinator", scope_code="52")
    body = client.get("/api/v1/organisations", headers=headers).get_json()
    assert {i["id"] for i in body["items"]} == {
        orgs["shuicheng_agency"], orgs["shuicheng_station"], orgs["zhengan_station"]
    }
    assert body["total"] == 3
    # a filter cannot widen the area: one elsewhere is refused, naming the field
    outside = client.get("/api/v1/organisations?province=51", headers=headers)
    assert outside.status_code == 422
    assert "不在您的负责区域（52）内" in outside.get_json()["errors"]["province"][0]
    assert client.get(f"/api/v1/organisations/{orgs['shuicheng_agency']}", headers=headers).status_code == 200
    response = client.get(f"/api/v1/organisations/{orgs['zhaojue_agency']}", headers=headers)
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_county_coordinator_sees_only_their_county(client, api_headers, orgs):
    headers = api_headers("coordinator", scope_code="520324")
    body = client.get("/api/v1/organisations", headers=headers).get_json()
    assert [i["id"] for i in body["items"]] == [orgs["zhengan_station"]]
    assert client.get(f"/api/v1/organisations/{orgs['shuicheng_agency']}",
                      headers=headers).status_code == 404


def test_trainee_and_instructor_cannot_read_or_write(client, api_headers, orgs):
    for role in ("trainee", "instructor"):
        headers = api_headers(role)
        assert client.get("/api/v1/organisations", headers=headers).status_code == 403
        response = post(client, headers, {"name": "某机构", "kind": "agency", "county_code": "520204"})
        assert response.status_code == 403
        assert response.mimetype == "application/problem+json"


def test_coordinator_writes_within_their_area(app, client, api_headers, orgs):
    headers = api_headers("coordinator", scope_code="52", username="gz-coordinator")
    response = post(client, headers, {"name": "水城区米箩镇社工站", "kind": "station",
                                      "county_code": "520204"})
    assert response.status_code == 201, response.get_json()
    created = response.get_json()["id"]
    response = client.patch(f"/api/v1/organisations/{orgs['shuicheng_station']}",
                            json={"contact_name": "王站长", "county_code": "520324"}, headers=headers)
    assert response.status_code == 200, response.get_json()
    assert (response.get_json()["contact_name"], response.get_json()["county_code"]) == ("王站长", "520324")
    with app.app_context():
        entries = db.session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.action.startswith("organisation."), AuditEntry.actor_id.is_not(None))
            .order_by(AuditEntry.id)
        ).all()
        assert [(e.action, e.target_id) for e in entries] == [
            ("organisation.create", str(created)),
            ("organisation.update", str(orgs["shuicheng_station"])),
        ]
        assert {e.actor.username for e in entries} == {"gz-coordinator"}


def test_coordinator_cannot_write_outside_their_area(app, client, api_headers, orgs):
    headers = api_headers("coordinator", scope_code="52")
    before = {key: org_state(app, org_id) for key, org_id in orgs.items()}

    response = post(client, headers, {"name": "昭觉县新社工站", "kind": "station", "county_code": "513431"})
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert "不在您的负责区域" in response.get_json()["errors"]["county_code"][0]

    # an organisation of the area cannot be moved out of it
    response = client.patch(f"/api/v1/organisations/{orgs['shuicheng_station']}",
                            json={"county_code": "513431"}, headers=headers)
    assert response.status_code == 422
    assert "不在您的负责区域" in response.get_json()["errors"]["county_code"][0]

    # and one outside the area is not there for them
    response = client.patch(f"/api/v1/organisations/{orgs['zhaojue_agency']}",
                            json={"name": "改名"}, headers=headers)
    assert response.status_code == 404 and response.mimetype == "application/problem+json"

    assert org_count(app) == 5
    assert {key: org_state(app, org_id) for key, org_id in orgs.items()} == before
    assert audit_count(app, "organisation.") == 5  # the fixture's registrations only


def test_unknown_organisation_is_404(client, office, orgs):
    assert client.get("/api/v1/organisations/999999", headers=office).status_code == 404
    assert client.patch("/api/v1/organisations/999999", json={"name": "x"},
                        headers=office).status_code == 404


# creating ------------------------------------------------------------------------------------


def test_office_creates_an_organisation(app, client, office):
    response = post(client, office, {
        "name": "  水城区阳光社会工作服务中心 ",
        "kind": "agency",
        "county_code": "520204",
        "credit_code": CREDIT_CODE.lower(),
        "address": "贵州省六盘水市水城区双水街道",
        "contact_name": "李老师",
        "contact_phone": "0858-8221234",
    })
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["name"] == "水城区阳光社会工作服务中心"  # trimmed
    assert body["credit_code"] == CREDIT_CODE  # upper-cased
    assert response.headers["Location"].endswith(f"/api/v1/organisations/{body['id']}")
    with app.app_context():
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "organisation.create"))
        assert entry.target_id == str(body["id"]) and entry.actor_id is not None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "", "kind": "agency", "county_code": "520204"}, "name"),
        ({"name": "   ", "kind": "agency", "county_code": "520204"}, "name"),
        ({"name": "长" * 121, "kind": "agency", "county_code": "520204"}, "name"),
        ({"kind": "agency", "county_code": "520204"}, "name"),
        ({"name": "某机构", "kind": "school", "county_code": "520204"}, "kind"),
        ({"name": "某机构", "kind": "agency", "county_code": "999999"}, "county_code"),
        ({"name": "某机构", "kind": "agency", "county_code": "5202"}, "county_code"),
        ({"name": "某机构", "kind": "agency", "county_code": "520204",
          "credit_code": "91350100M000100Y44"}, "credit_code"),
        ({"name": "某机构", "kind": "agency", "county_code": "520204",
          "credit_code": "91350100M000100"}, "credit_code"),
        ({"name": "某机构", "kind": "agency", "county_code": "520204",
          "credit_code": "91350100M0001O0Y43"}, "credit_code"),
        ({"name": "某机构", "kind": "agency", "county_code": "520204",
          "contact_phone": "打电话"}, "contact_phone"),
        ({"name": "某机构", "kind": "agency", "county_code": "520204", "website": "x"}, "website"),
        ({"name": 42, "kind": "agency", "county_code": "520204"}, "name"),
        ({"name": "某机构", "kind": "agency", "county_code": 520204}, "county_code"),
        ({"name": None, "kind": "agency", "county_code": "520204"}, "name"),
    ],
    ids=["empty-name", "blank-name", "long-name", "missing-name", "bad-kind", "unknown-county",
         "short-county", "bad-check-char", "short-credit-code", "letter-O-in-credit-code",
         "bad-phone", "unknown-field", "name-not-string", "county-not-string", "name-null"],
)
def test_create_refuses_bad_input_naming_the_field(app, client, office, body, field):
    response = post(client, office, body)
    assert response.status_code == 422, response.get_json()
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert field in problem["errors"]
    assert all(isinstance(m, str) and m for m in problem["errors"][field])
    assert org_count(app) == 0


def test_create_refuses_a_body_that_is_not_a_json_object(app, client, office):
    response = post(client, office, ["水城区社工站", "agency", "520204"])
    assert response.status_code == 422
    assert "请求体应为 JSON 对象" in str(response.get_json()["errors"])
    response = client.post("/api/v1/organisations", data="name=水城区社工站&kind=agency",
                           headers=office, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert response.mimetype == "application/problem+json"
    response = client.post("/api/v1/organisations", data="{name: 水城区社工站",
                           headers=office, content_type="application/json")
    assert response.status_code == 400
    assert "不是有效的 JSON" in response.get_json()["detail"]
    assert org_count(app) == 0


def test_duplicates_answer_409_naming_the_field(app, client, office, orgs):
    response = post(client, office, {"name": "水城区阳光社会工作服务中心", "kind": "agency",
                                     "county_code": "520204"})
    assert response.status_code == 409
    assert "name" in response.get_json()["errors"]
    # the same name in another county is fine
    assert post(client, office, {"name": "水城区阳光社会工作服务中心", "kind": "agency",
                                 "county_code": "520324", "credit_code": CREDIT_CODE}).status_code == 201
    response = post(client, office, {"name": "另一机构", "kind": "agency", "county_code": "520204",
                                     "credit_code": CREDIT_CODE})
    assert response.status_code == 409
    assert "credit_code" in response.get_json()["errors"]
    assert org_count(app) == 6


def test_a_retired_county_is_refused_for_new_organisations(app, client, office, tmp_path):
    from trainhub.geo.operations import load_code_list

    path = tmp_path / "small.csv"
    path.write_text("code,county,prefecture,province\n520204,水城区,六盘水市,贵州省\n", encoding="utf-8")
    with app.app_context():
        load_code_list(path, "V1", "test")
        db.session.commit()
    response = post(client, office, {"name": "某机构", "kind": "agency", "county_code": "520324"})
    assert response.status_code == 422
    assert "现行代码表" in response.get_json()["errors"]["county_code"][0]


# updating ------------------------------------------------------------------------------------


def test_office_updates_some_fields(app, client, office, orgs):
    org_id = orgs["shuicheng_station"]
    response = client.patch(f"/api/v1/organisations/{org_id}", headers=office, json={
        "name": "水城区董地街道社会工作服务站", "contact_phone": "13812345678",
        "credit_code": OTHER_CREDIT_CODE,
    })
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["name"] == "水城区董地街道社会工作服务站" and body["kind"] == "station"
    assert body["credit_code"] == OTHER_CREDIT_CODE
    with app.app_context():
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "organisation.update"))
        changes = entry.detail["changes"]
        assert changes["name"] == ["水城区董地街道社工站", "水城区董地街道社会工作服务站"]
        assert changes["contact_phone"] == [None, "138****5678"]  # never the number in clear


def test_update_that_changes_nothing_writes_no_audit(app, client, office, orgs):
    org_id = orgs["shuicheng_station"]
    response = client.patch(f"/api/v1/organisations/{org_id}", headers=office,
                            json={"kind": "station", "county_code": "520204"})
    assert response.status_code == 200
    response = client.patch(f"/api/v1/organisations/{org_id}", headers=office, json={})
    assert response.status_code == 200
    with app.app_context():
        assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "organisation.update")) is None


@pytest.mark.parametrize(
    ("body", "field", "status"),
    [
        ({"name": ""}, "name", 422),
        ({"name": None}, "name", 422),
        ({"kind": "school"}, "kind", 422),
        ({"county_code": "999999"}, "county_code", 422),
        ({"credit_code": "123"}, "credit_code", 422),
        ({"nickname": "x", "name": "ok"}, "nickname", 422),
        ({"address": ["not", "text"]}, "address", 422),
        ({"name": "水城区阳光社会工作服务中心"}, "name", 409),
    ],
    ids=["empty-name", "null-name", "bad-kind", "unknown-county", "bad-credit-code",
         "unknown-field", "address-not-string", "duplicate-name"],
)
def test_update_refuses_bad_input_and_changes_nothing(app, client, office, orgs, body, field, status):
    org_id = orgs["shuicheng_station"]
    before = org_state(app, org_id)
    assert (before["name"], before["kind"], before["county_code"]) == ("水城区董地街道社工站", "station", "520204")
    response = client.patch(f"/api/v1/organisations/{org_id}", headers=office, json=body)
    assert response.status_code == status
    assert field in response.get_json()["errors"]
    assert org_state(app, org_id) == before
    assert audit_count(app, "organisation.update") == 0


def test_update_moving_into_a_county_with_the_same_name_is_a_conflict(app, client, office, orgs):
    before = org_state(app, orgs["zhengan_station"])
    response = client.patch(f"/api/v1/organisations/{orgs['zhengan_station']}", headers=office,
                            json={"county_code": "520204", "name": "水城区董地街道社工站"})
    assert response.status_code == 409
    assert "name" in response.get_json()["errors"]
    assert org_state(app, orgs["zhengan_station"]) == before
    assert audit_count(app, "organisation.update") == 0


def test_update_refuses_a_body_that_is_not_json(app, client, office, orgs):
    before = org_state(app, orgs["zhengan_station"])
    response = client.patch(f"/api/v1/organisations/{orgs['zhengan_station']}", headers=office,
                            data="name=x", content_type="text/plain")
    assert response.status_code == 415
    assert org_state(app, orgs["zhengan_station"]) == before


def test_list_masks_the_contact_phone_and_one_organisation_shows_it(client, office, org_world):
    body = client.get("/api/v1/organisations?q=阳光", headers=office).get_json()
    assert [i["contact_phone"] for i in body["items"]] == ["138****5678"]
    one = client.get(f"/api/v1/organisations/{org_world.orgs['shuicheng_agency']}", headers=office)
    assert one.get_json()["contact_phone"] == "13812345678"


def test_priority_filter(client, office, org_world):
    body = client.get("/api/v1/organisations?priority=true&province=52", headers=office).get_json()
    assert {i["name"] for i in body["items"]} == {"水城区阳光社会工作服务中心", "水城区董地街道社工站",
                                                   "正安县安场镇社工站"}
    response = client.get("/api/v1/organisations?priority=perhaps", headers=office)
    assert response.status_code == 422 and "priority" in response.get_json()["errors"]


def test_create_names_every_field_at_fault_at_once(app, client, office):
    response = client.post("/api/v1/organisations", headers=office, json={
        "name": "甲", "kind": "school", "county_code": "520204", "contact_phone": "8221234",
    })
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"name", "kind", "contact_phone"}
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Organisation.id))) == 0


def test_control_and_direction_characters_are_cleaned_from_api_text(app, client, office):
    response = client.post("/api/v1/organisations", headers=office, json={
        "name": "水城区\u202e阳光\u200b社工\u0007服务\n中心", "kind": "agency", "county_code": "520204",
        "contact_name": "\u200b王\u202e芳 ",
    })
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["name"] == "水城区阳光社工 服务 中心"
    assert body["contact_name"] == "王芳"
