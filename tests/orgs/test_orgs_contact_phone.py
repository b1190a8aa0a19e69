"""An organisation's contact phone is personal data (often the contact's own mobile): stored
encrypted, masked in lists and exports, and on one organisation's page and API answer shown
in full to the office only — the web and the API agree."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from trainhub.auth import Role
from trainhub.extensions import db

FULL, MASKED = "13812345678", "138****5678"


@pytest.mark.parametrize(("role", "scope", "shown"), [
    (Role.OFFICE, None, FULL),
    (Role.COORDINATOR, "52", MASKED),
    (Role.CERTIFIER, None, MASKED),
])
def test_one_organisation_through_the_api(client, api_headers, org_world, role, scope, shown):
    org_id = org_world.orgs["shuicheng_agency"]
    body = client.get(f"/api/v1/organisations/{org_id}",
                      headers=api_headers(role, scope_code=scope)).get_json()
    assert body["contact_phone"] == shown


@pytest.mark.parametrize(("role", "scope", "shown"), [
    (Role.OFFICE, None, FULL),
    (Role.COORDINATOR, "52", MASKED),
])
def test_one_organisation_on_the_web(client, login, org_world, role, scope, shown):
    login(role, scope_code=scope)
    page = client.get(f"/organisations/{org_world.orgs['shuicheng_agency']}").get_data(as_text=True)
    assert shown in page
    if shown == MASKED:
        assert FULL not in page


def test_landlines_are_masked_alike_and_missing_ones_stay_empty(client, api_headers, org_world):
    headers = api_headers(Role.COORDINATOR, scope_code="52")
    zhengan = client.get(f"/api/v1/organisations/{org_world.orgs['zhengan_station']}",
                         headers=headers).get_json()
    assert zhengan["contact_phone"] == "085*****1234"
    nanming = client.get(f"/api/v1/organisations/{org_world.orgs['nanming_agency']}",
                         headers=headers).get_json()
    assert nanming["contact_phone"] is None


def test_the_contact_phone_is_stored_encrypted(app, org_world):
    from trainhub.orgs.models import Organisation

    with app.app_context():
        stored = repr(db.session.execute(sa.text("SELECT * FROM organisation")).all())
        assert FULL not in stored and "13911112222" not in stored and "6221234" not in stored
        org = db.session.get(Organisation, org_world.orgs["shuicheng_agency"])
        assert org.contact_phone == FULL
        org.contact_phone = None
        db.session.flush()
        assert org.contact_phone_enc is None
        db.session.rollback()


def test_a_coordinator_edits_without_seeing_the_phone_and_keeps_it(app, client, login, org_world):
    from trainhub.orgs.models import Organisation

    org_id = org_world.orgs["shuicheng_agency"]
    login(Role.COORDINATOR, scope_code="52")
    page = client.get(f"/organisations/{org_id}/edit").get_data(as_text=True)
    assert FULL not in page and f"当前为 {MASKED}" in page
    data = {"name": "水城区阳光社会工作服务中心（新）", "kind": "agency", "county": "520204",
            "credit_code": "", "address": "", "contact_name": "王老师", "contact_phone": ""}
    assert client.post(f"/organisations/{org_id}/edit", data=data).status_code == 302
    with app.app_context():
        org = db.session.get(Organisation, org_id)
        assert org.contact_phone == FULL and org.contact_name == "王老师"
    # a number typed replaces it
    data["contact_phone"] = "13700001111"
    assert client.post(f"/organisations/{org_id}/edit", data=data).status_code == 302
    with app.app_context():
        assert db.session.get(Organisation, org_id).contact_phone == "13700001111"


def test_the_office_edits_the_full_phone_and_may_clear_it(app, client, login, org_world):
    from trainhub.orgs.models import Organisation

    org_id = org_world.orgs["shuicheng_agency"]
    login(Role.OFFICE)
    assert f'value="{FULL}"' in client.get(f"/organisations/{org_id}/edit").get_data(as_text=True)
    data = {"name": "水城区阳光社会工作服务中心", "kind": "agency", "county": "520204",
            "credit_code": "", "address": "", "contact_name": "", "contact_phone": ""}
    assert client.post(f"/organisations/{org_id}/edit", data=data).status_code == 302
    with app.app_context():
        assert db.session.get(Organisation, org_id).contact_phone is None
