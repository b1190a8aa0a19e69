"""The organisation register on the web: list, filters, learner counts, the organisation's
page, registering and editing (office; coordinator within their area), the export."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from trainhub.audit.models import AuditEntry
from trainhub.extensions import db
from trainhub.orgs.models import Organisation

CREDIT_CODE = "91350100M000100Y43"


def names_in(page: str) -> set[str]:
    """Organisation names linked from a list page."""
    return set(re.findall(r'<a href="/organisations/\d+">([^<]+)</a>', page))


def org_count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Organisation))


def valid_form(**changes) -> dict:
    data = {"name": "水城区新星社会工作服务中心", "kind": "agency", "county": "520204",
            "credit_code": "", "address": "", "contact_name": "", "contact_phone": ""}
    data.update(changes)
    return data


# the list --------------------------------------------------------------------------------------


def test_office_lists_every_organisation_with_learner_counts(client, login, org_world):
    login("office")
    response = client.get("/organisations")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "共 7 个机构" in page
    assert len(names_in(page)) == 7
    row = page.split("水城区阳光社会工作服务中心")[1].split("</tr>")[0]
    assert '<td class="text-end" data-label="学员">2</td>' in row  # two learners
    assert "138****5678" in row and "13812345678" not in page  # the contact phone is masked
    assert "重点帮扶县" in row


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kind=station", {"水城区董地街道社工站", "正安县安场镇社工站"}),
        ("province=52", {"水城区阳光社会工作服务中心", "水城区董地街道社工站", "正安县安场镇社工站",
                         "南明区社会工作服务中心"}),
        ("province=52&priority=y", {"水城区阳光社会工作服务中心", "水城区董地街道社工站",
                                     "正安县安场镇社工站"}),
        ("county=520204", {"水城区阳光社会工作服务中心", "水城区董地街道社工站"}),
        ("county=正安", {"正安县安场镇社工站"}),
        ("q=协会", {"北京市东城区社会工作协会", "深圳市福田区社会工作者协会"}),
        ("kind=supporter&province=44", {"深圳市福田区社会工作者协会"}),
    ],
)
def test_list_filters(client, login, org_world, query, expected):
    login("office")
    page = client.get(f"/organisations?{query}").get_data(as_text=True)
    assert names_in(page) == expected
    assert f"共 {len(expected)} 个机构" in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("kind=school", "请从列表中选择机构类型。"),
        ("province=99", "请从列表中选择省份。"),
        ("county=5202", "县级代码应为 6 位数字"),
        ("q=" + "长" * 51, "最多 50 个字符。"),
    ],
)
def test_bad_filters_are_explained_and_ignored(client, login, org_world, query, message):
    login("office")
    response = client.get(f"/organisations?{query}&page=abc")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in page
    assert "共 7 个机构" in page  # a refused filter filters nothing


def test_list_is_paginated(app, client, login, reference_data):
    from trainhub.orgs.operations import create_organisation

    with app.app_context():
        for number in range(55):
            create_organisation(name=f"水城区第{number:02d}社工站", kind="station", county_code="520204")
        db.session.commit()
    login("office")
    first = client.get("/organisations").get_data(as_text=True)
    assert "共 55 个机构，第 1 / 2 页" in first and len(names_in(first)) == 50
    second = client.get("/organisations?page=2").get_data(as_text=True)
    assert len(names_in(second)) == 5
    assert client.get("/organisations?page=99").status_code == 200


def test_province_coordinator_sees_only_their_area(client, login, org_world):
    login("coordinator", scope_code="52")
    page = client.get("/organisations").get_data(as_text=True)
    assert names_in(page) == {"水城区阳光社会工作服务中心", "水城区董地街道社工站", "正安县安场镇社工站",
                              "南明区社会工作服务中心"}
    # a filter cannot widen the area: another province is not even offered
    page = client.get("/organisations?province=11").get_data(as_text=True)
    assert "所选区域（11）不在您的负责区域（52）内。" in page and "北京市东城区社会工作协会" not in page
    assert names_in(client.get("/organisations?q=协会").get_data(as_text=True)) == set()
    assert client.get(f"/organisations/{org_world.orgs['shuicheng_agency']}").status_code == 200
    assert client.get(f"/organisations/{org_world.orgs['zhaojue_agency']}").status_code == 404
    assert client.get(f"/organisations/{org_world.orgs['beijing_supporter']}/edit").status_code == 404


def test_county_coordinator_sees_one_county(client, login, org_world):
    login("coordinator", scope_code="520324")
    page = client.get("/organisations").get_data(as_text=True)
    assert names_in(page) == {"正安县安场镇社工站"}
    assert client.get(f"/organisations/{org_world.orgs['shuicheng_agency']}").status_code == 404


def test_trainee_and_visitors_are_kept_out(client, login, org_world):
    assert client.get("/organisations").status_code == 302
    login("trainee")
    assert client.get("/organisations").status_code == 403
    assert client.get(f"/organisations/{org_world.orgs['shuicheng_agency']}").status_code == 403


# the organisation's page -------------------------------------------------------------------------


def test_organisation_page(client, login, org_world):
    login("office")
    org_id = org_world.orgs["shuicheng_agency"]
    response = client.get(f"/organisations/{org_id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "水城区阳光社会工作服务中心" in page and "社工机构" in page
    assert 'href="/counties/520204"' in page and "国家乡村振兴重点帮扶县" in page
    assert "13812345678" in page  # the full contact number on the organisation's own page
    learners = page.split('id="learners-count">')[1].split("</dd>")[0]
    assert "2 名" in learners and f"/learners?organisation={org_id}" in learners
    pairings = page.split('id="pairings"')[1]
    assert "北京市东城区社会工作协会" in pairings and "进行中" in pairings
    assert f"/pairings/new?recipient={org_id}" in pairings  # the office may pair it


def test_supporter_page_lists_its_pairings_both_ended_and_active(client, login, org_world):
    login("office")
    page = client.get(f"/organisations/{org_world.orgs['beijing_supporter']}").get_data(as_text=True)
    pairings = page.split('id="pairings"')[1]
    assert "水城区阳光社会工作服务中心" in pairings and "昭觉县社会工作服务中心" in pairings
    assert "已结束" in pairings and "进行中" in pairings
    assert "以本机构为支援方新建结对" in pairings


def test_coordinator_sees_the_supporter_name_but_no_link_outside_their_area(client, login, org_world):
    login("coordinator", scope_code="52")
    page = client.get(f"/organisations/{org_world.orgs['shuicheng_agency']}").get_data(as_text=True)
    pairings = page.split('id="pairings"')[1]
    assert "北京市东城区社会工作协会" in pairings
    assert f"/organisations/{org_world.orgs['beijing_supporter']}" not in pairings
    assert "新建结对" not in pairings  # only the office registers pairings


def test_certifier_reads_organisations_without_ways_to_change_them(app, client, login, org_world):
    login("certifier")
    listing = client.get("/organisations")
    assert listing.status_code == 200
    assert "昭觉县社会工作服务中心" in names_in(listing.get_data(as_text=True))  # every area
    assert "登记机构" not in listing.get_data(as_text=True)
    org_id = org_world.orgs["shuicheng_agency"]
    page = client.get(f"/organisations/{org_id}").get_data(as_text=True)
    assert "水城区阳光社会工作服务中心" in page
    # no links to pages the Certification Centre may not open: editing, the county, the
    # learners and the pairings (the API does not show them pairings either)
    assert f"/organisations/{org_id}/edit" not in page and 'href="/counties/' not in page
    assert "/learners?organisation=" not in page and 'id="pairings"' not in page
    assert "北京市东城区社会工作协会" not in page
    assert client.get(f"/organisations/{org_id}/edit").status_code == 403
    before = org_count(app)
    assert client.post("/organisations/new", data=valid_form()).status_code == 403
    assert org_count(app) == before
    export = client.get("/organisations/export.xlsx")
    assert export.status_code == 200 and export.data[:2] == b"PK"


def test_unknown_organisation_is_404(client, login, org_world):
    login("office")
    assert client.get("/organisations/999999").status_code == 404
    assert client.get("/organisations/999999/edit").status_code == 404
    assert client.post("/organisations/999999/edit", data=valid_form()).status_code == 404


# registering ---------------------------------------------------------------------------------------


def test_office_registers_an_organisation(app, client, login, reference_data):
    login("office")
    assert client.get("/organisations/new").status_code == 200
    response = client.post("/organisations/new", data=valid_form(
        credit_code=CREDIT_CODE.lower(), contact_phone="0858-8221234", contact_name="李老师",
    ))
    assert response.status_code == 302
    with app.app_context():
        org = db.session.scalar(sa.select(Organisation))
        assert (org.name, org.kind.value, org.county_code, org.credit_code) == (
            "水城区新星社会工作服务中心", "agency", "520204", CREDIT_CODE)
        assert response.headers["Location"].endswith(f"/organisations/{org.id}")
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "organisation.create"))
        assert entry.target_id == str(org.id) and entry.actor_id is not None
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已登记机构“水城区新星社会工作服务中心”。" in page


def test_county_can_be_given_by_name(app, client, login, reference_data):
    login("office")
    assert client.post("/organisations/new", data=valid_form(county="正安县")).status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(Organisation.county_code)) == "520324"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "请填写机构名称。"),
        ({"name": "长" * 121}, "机构名称应为 2–120 个字符。"),
        ({"name": "甲"}, "机构名称应为 2–120 个字符。"),
        ({"kind": ""}, "请选择机构类型。"),
        ({"kind": "school"}, "请从列表中选择机构类型。"),
        ({"county": ""}, "请填写所在县（6 位县级代码或县名）。"),
        ({"county": "5202"}, "县级代码应为 6 位数字。"),
        ({"county": "999999"}, "县级代码 999999 不在行政区划代码表中。"),
        ({"county": "火星县"}, "找不到县（区）“火星县”"),
        ({"county": "朝阳区"}, "有多个县（区）与“朝阳区”相符"),
        ({"credit_code": "91350100M000100Y44"}, "统一社会信用代码的校验位不正确"),
        ({"credit_code": "91350100M0001O0Y43"}, "不允许的字符：O"),
        ({"contact_phone": "打电话"}, "联系电话应为 11 位手机号码，或带区号的固定电话"),
        ({"contact_phone": "8221234"}, "联系电话应为 11 位手机号码，或带区号的固定电话"),
        ({"contact_phone": "1381234567"}, "联系电话应为 11 位手机号码，或带区号的固定电话"),
        ({"contact_name": "王"}, "联系人应为 2–50 个字符"),
        ({"address": "地" * 201}, "地址不能超过 200 个字符。"),
    ],
    ids=["empty-name", "long-name", "short-name", "no-kind", "bad-kind", "no-county", "short-county",
         "unknown-county", "unknown-county-name", "ambiguous-county-name", "bad-check-char",
         "letter-O", "bad-phone", "landline-without-area-code", "ten-digit-mobile",
         "one-character-contact", "long-address"],
)
def test_registering_refuses_bad_input_with_a_message(app, client, login, reference_data,
                                                      changes, message):
    login("office")
    response = client.post("/organisations/new", data=valid_form(**changes))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert org_count(app) == 0


def test_the_organisation_form_shows_every_mistake_at_once(app, client, login, reference_data):
    login("office")
    response = client.post("/organisations/new", data=valid_form(
        name="", kind="school", county="火星县", credit_code="91350100M000100Y44",
        contact_phone="8221234", contact_name="王", address="地" * 201))
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    for message in ("请填写机构名称。", "请从列表中选择机构类型。", "找不到县（区）“火星县”",
                    "统一社会信用代码的校验位不正确", "联系电话应为 11 位手机号码", "联系人应为 2–50 个字符",
                    "地址不能超过 200 个字符。"):
        assert message in text, message
    assert org_count(app) == 0


def test_duplicate_name_in_the_same_county_is_refused(app, client, login, org_world):
    login("office")
    response = client.post("/organisations/new", data=valid_form(name="水城区董地街道社工站"))
    assert response.status_code == 400
    assert "县级代码 520204 下已有名为“水城区董地街道社工站”的机构。" in response.get_data(as_text=True)
    # the same name in another county is a different organisation
    assert client.post("/organisations/new", data=valid_form(
        name="水城区董地街道社工站", county="520324")).status_code == 302
    assert org_count(app) == 8


def test_coordinator_registers_only_in_their_area(app, client, login, reference_data):
    login("coordinator", scope_code="52")
    form = client.get("/organisations/new").get_data(as_text=True)
    assert '<option value="520204">' in form and '<option value="110101">' not in form
    response = client.post("/organisations/new", data=valid_form(county="110101"))
    assert response.status_code == 400
    assert "县级代码 110101 不在您的负责区域（52）内，不能在该县登记机构。" in response.get_data(as_text=True)
    response = client.post("/organisations/new", data=valid_form(county="东城区"))
    assert response.status_code == 400
    assert "您负责的区域内找不到县（区）“东城区”" in response.get_data(as_text=True)
    assert org_count(app) == 0
    assert client.post("/organisations/new", data=valid_form()).status_code == 302
    assert org_count(app) == 1


def test_county_coordinator_cannot_register_in_the_neighbouring_county(app, client, login,
                                                                      reference_data):
    login("coordinator", scope_code="520324")
    response = client.post("/organisations/new", data=valid_form(county="520204"))
    assert response.status_code == 400
    assert "不在您的负责区域（520324）内" in response.get_data(as_text=True)
    assert org_count(app) == 0


# editing -------------------------------------------------------------------------------------------


def test_office_edits_an_organisation(app, client, login, org_world):
    login("office")
    org_id = org_world.orgs["shuicheng_station"]
    form = client.get(f"/organisations/{org_id}/edit").get_data(as_text=True)
    assert 'value="水城区董地街道社工站"' in form and 'value="520204"' in form
    response = client.post(f"/organisations/{org_id}/edit", data=valid_form(
        name="水城区董地街道社会工作服务站", kind="station", contact_phone="13800001111"))
    assert response.status_code == 302
    with app.app_context():
        org = db.session.get(Organisation, org_id)
        assert org.name == "水城区董地街道社会工作服务站" and org.contact_phone == "13800001111"
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "organisation.update"))
        assert entry.detail["changes"]["contact_phone"] == [None, "138****1111"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "请填写机构名称。"),
        ({"name": "水城区阳光社会工作服务中心"}, "下已有名为“水城区阳光社会工作服务中心”的机构"),
        ({"credit_code": "123"}, "统一社会信用代码应为 18 位"),
        ({"county": "000000"}, "不在行政区划代码表中"),
    ],
)
def test_editing_refuses_bad_input_and_changes_nothing(app, client, login, org_world, changes,
                                                       message):
    login("office")
    org_id = org_world.orgs["shuicheng_station"]
    response = client.post(f"/organisations/{org_id}/edit",
                           data=valid_form(**{"name": "水城区董地街道社工站", "kind": "station", **changes}))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        org = db.session.get(Organisation, org_id)
        assert (org.name, org.county_code, org.credit_code) == ("水城区董地街道社工站", "520204", None)


def test_coordinator_cannot_move_an_organisation_out_of_their_area(app, client, login, org_world):
    login("coordinator", scope_code="52")
    org_id = org_world.orgs["shuicheng_station"]
    response = client.post(f"/organisations/{org_id}/edit",
                           data=valid_form(name="水城区董地街道社工站", kind="station", county="513431"))
    assert response.status_code == 400
    assert "不在您的负责区域（52）内" in response.get_data(as_text=True)
    # within the area is fine
    response = client.post(f"/organisations/{org_id}/edit",
                           data=valid_form(name="水城区董地街道社工站", kind="station", county="520324"))
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Organisation, org_id).county_code == "520324"


# the export ------------------------------------------------------------------------------------------


def test_export_of_the_filtered_list(app, client, login, org_world, read_workbook, as_dicts):
    login("office")
    response = client.get("/organisations/export.xlsx?province=52&page=3")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = read_workbook(response.data)["机构"]
    assert rows[0][:3] == ("编号", "机构名称", "机构类型")
    records = {r["机构名称"]: r for r in as_dicts(rows)}
    assert set(records) == {"水城区阳光社会工作服务中心", "水城区董地街道社工站", "正安县安场镇社工站",
                            "南明区社会工作服务中心"}
    agency = records["水城区阳光社会工作服务中心"]
    assert agency["联系电话"] == "138****5678"  # masked
    assert agency["学员数"] == 2 and agency["县级代码"] == "520204" and agency["重点帮扶县"] == "是"
    assert agency["省份"] == "贵州省" and agency["机构类型"] == "社工机构"
    assert records["南明区社会工作服务中心"]["重点帮扶县"] == "否"
    assert records["正安县安场镇社工站"]["联系电话"] == "085*****1234"
    assert b"13812345678" not in response.data
    with app.app_context():
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "organisation.export"))
        assert entry.detail == {"filters": {"province_code": "52"}, "rows": 4}


def test_export_neutralises_formulas(app, client, login, reference_data, read_workbook):
    from trainhub.orgs.operations import create_organisation

    with app.app_context():
        create_organisation(name="=HYPERLINK(\"http://x\")", kind="agency", county_code="520204")
        db.session.commit()
    login("office")
    rows = read_workbook(client.get("/organisations/export.xlsx").data)["机构"]
    assert rows[1][1] == "'=HYPERLINK(\"http://x\")"


def test_coordinator_exports_only_their_area(client, login, org_world, read_workbook, as_dicts):
    login("coordinator", scope_code="520324")
    rows = read_workbook(client.get("/organisations/export.xlsx").data)["机构"]
    assert [r["机构名称"] for r in as_dicts(rows)] == ["正安县安场镇社工站"]


def test_every_mistake_is_reported_at_once(app, client, login, reference_data):
    login("office")
    response = client.post("/organisations/new", data=valid_form(name="", kind="", county="火星县"))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "请填写机构名称。" in page and "请选择机构类型。" in page and "找不到县（区）“火星县”" in page
    assert org_count(app) == 0
