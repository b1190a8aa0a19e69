"""Pairings (牵手结对): the rules of the operations, the web pages (list, create, end, export)
and ``/api/v1/pairings``, with the wrong things people and clients send."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from trainhub.audit.models import AuditEntry
from trainhub.extensions import db
from trainhub.orgs.models import Pairing, PairingStatus

TODAY = date(2024, 6, 1)


def pairing_count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Pairing))


# operations ----------------------------------------------------------------------------------


def test_status_follows_the_dates():
    pairing = Pairing(started_on=date(2024, 1, 1), ended_on=None)
    assert pairing.status(date(2023, 12, 31)) == PairingStatus.PLANNED
    assert pairing.status(date(2024, 1, 1)) == PairingStatus.ACTIVE
    pairing.ended_on = date(2024, 6, 1)
    assert pairing.status(date(2024, 5, 31)) == PairingStatus.ACTIVE
    assert pairing.status(date(2024, 6, 1)) == PairingStatus.ENDED  # over from its end date on


def test_create_audits_the_parties_and_dates(app, org_world):
    from trainhub.orgs.pairings import create_pairing

    with app.app_context():
        pairing = create_pairing(supporter_id=org_world.orgs["shenzhen_supporter"],
                                 recipient_id=org_world.orgs["zhengan_station"],
                                 started_on=date(2024, 3, 1), note="  远程督导  ", today=TODAY)
        db.session.commit()
        assert pairing.note == "远程督导"
        entry = db.session.scalar(sa.select(AuditEntry).where(
            AuditEntry.action == "pairing.create", AuditEntry.target_id == str(pairing.id)))
        assert entry.detail == {
            "supporter_id": org_world.orgs["shenzhen_supporter"], "supporter": "深圳市福田区社会工作者协会",
            "recipient_id": org_world.orgs["zhengan_station"], "recipient": "正安县安场镇社工站",
            "recipient_county_code": "520324", "started_on": "2024-03-01", "ended_on": None,
        }


@pytest.mark.parametrize(
    ("supporter", "recipient", "started_on", "ended_on", "field", "message"),
    [
        ("shuicheng_station", "zhengan_station", date(2024, 1, 1), None, "supporter_id",
         "类型是乡镇（街道）社工站，不是支援方机构"),
        ("beijing_supporter", "shenzhen_supporter", date(2024, 1, 1), None, "recipient_id",
         "是支援方机构；受援方应为社工机构或乡镇（街道）社工站"),
        ("beijing_supporter", "nanming_agency", date(2024, 1, 1), None, "recipient_id",
         "未标记为国家乡村振兴重点帮扶县"),
        ("beijing_supporter", "beijing_supporter", date(2024, 1, 1), None, "recipient_id",
         "支援方与受援方不能是同一机构。"),
        (999999, "zhengan_station", date(2024, 1, 1), None, "supporter_id", "机构 999999 不存在。"),
        ("beijing_supporter", 999999, date(2024, 1, 1), None, "recipient_id", "机构 999999 不存在。"),
        (None, "zhengan_station", date(2024, 1, 1), None, "supporter_id", "请选择支援方机构。"),
        ("abc", "zhengan_station", date(2024, 1, 1), None, "supporter_id", "应为机构编号（整数）"),
        ("beijing_supporter", "zhengan_station", None, None, "started_on", "请填写开始日期。"),
        ("beijing_supporter", "zhengan_station", date(2020, 12, 31), None, "started_on",
         "早于“十四五”牵手计划的起始"),
        ("beijing_supporter", "zhengan_station", TODAY + timedelta(days=181), None, "started_on",
         "距今超过 180 天"),
        ("beijing_supporter", "zhengan_station", date(2024, 1, 1), date(2023, 12, 31), "ended_on",
         "结束日期 2023-12-31 早于开始日期 2024-01-01。"),
        ("beijing_supporter", "zhengan_station", date(2024, 1, 1), date(2031, 1, 1), "ended_on",
         "距今超过五年"),
    ],
    ids=["supporter-not-a-supporter", "recipient-is-a-supporter", "recipient-not-priority",
         "same-party", "unknown-supporter", "unknown-recipient", "no-supporter",
         "supporter-not-an-id", "no-start", "start-too-early", "start-too-far-ahead",
         "end-before-start", "end-too-far-ahead"],
)
def test_create_refuses(app, org_world, supporter, recipient, started_on, ended_on, field, message):
    from trainhub.orgs.operations import OrgError
    from trainhub.orgs.pairings import create_pairing

    def org_id(value):
        return org_world.orgs.get(value, value) if isinstance(value, str) else value

    with app.app_context(), pytest.raises(OrgError) as info:
        create_pairing(supporter_id=org_id(supporter), recipient_id=org_id(recipient),
                       started_on=started_on, ended_on=ended_on, today=TODAY)
    assert info.value.field == field
    assert message in info.value.message
    assert pairing_count(app) == 2


def test_the_same_two_cannot_overlap(app, org_world):
    from trainhub.orgs.operations import OrgConflict
    from trainhub.orgs.pairings import create_pairing

    beijing, shuicheng, zhaojue = (org_world.orgs[k] for k in
                                   ("beijing_supporter", "shuicheng_agency", "zhaojue_agency"))
    with app.app_context():
        # 北京 → 水城区 runs since 2023-03-01 without an end
        with pytest.raises(OrgConflict) as info:
            create_pairing(supporter_id=beijing, recipient_id=shuicheng, started_on=date(2024, 1, 1),
                           today=TODAY)
        assert info.value.field == "recipient_id"
        assert "已有时间重叠的结对（自 2023-03-01 起，尚未结束）" in info.value.message
        # 北京 → 昭觉县 ran 2023-03-01 to 2023-12-31: overlapping is refused, afterwards is fine
        with pytest.raises(OrgConflict):
            create_pairing(supporter_id=beijing, recipient_id=zhaojue, started_on=date(2023, 6, 1),
                           today=TODAY)
        with pytest.raises(OrgConflict):
            create_pairing(supporter_id=beijing, recipient_id=zhaojue, started_on=date(2022, 6, 1),
                           ended_on=date(2023, 4, 1), today=TODAY)
        create_pairing(supporter_id=beijing, recipient_id=zhaojue, started_on=date(2023, 12, 31),
                       today=TODAY)
        # another supporter may pair with the same recipient
        create_pairing(supporter_id=org_world.orgs["shenzhen_supporter"], recipient_id=shuicheng,
                       started_on=date(2024, 1, 1), today=TODAY)
        db.session.commit()
    assert pairing_count(app) == 4


def test_end_and_reopen(app, org_world):
    from trainhub.orgs.operations import OrgConflict, OrgError
    from trainhub.orgs.pairings import create_pairing, end_pairing, update_pairing

    with app.app_context():
        active = db.session.get(Pairing, org_world.pairings["active"])
        with pytest.raises(OrgError) as info:
            end_pairing(active, date(2023, 2, 1), today=TODAY)
        assert info.value.field == "ended_on" and "早于开始日期" in info.value.message
        changed = end_pairing(active, date(2024, 5, 1), note="协议到期", today=TODAY)
        assert changed == {"ended_on": (None, date(2024, 5, 1)),
                           "note": ("派驻督导", "协议到期")}
        assert active.status(TODAY) == PairingStatus.ENDED
        with pytest.raises(OrgError) as info:
            end_pairing(active, date(2024, 5, 20), today=TODAY)
        assert "该结对已于 2024-05-01 结束。" in info.value.message
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "pairing.end"))
        assert entry.detail["changes"]["ended_on"] == [None, "2024-05-01"]

        # a new pairing of the same two after the end; reopening the old one would overlap it
        create_pairing(supporter_id=active.supporter_id, recipient_id=active.recipient_id,
                       started_on=date(2024, 5, 1), today=TODAY)
        with pytest.raises(OrgConflict):
            update_pairing(active, {"ended_on": None}, today=TODAY)
        with pytest.raises(OrgError) as info:
            update_pairing(active, {"started_on": date(2023, 1, 1)}, today=TODAY)
        assert info.value.field == "started_on"
        assert update_pairing(active, {"note": "协议到期"}, today=TODAY) == {}  # nothing changed


# web -------------------------------------------------------------------------------------------


def pairing_form(org_world, **changes) -> dict:
    data = {
        "supporter_id": str(org_world.orgs["shenzhen_supporter"]),
        "recipient_id": str(org_world.orgs["zhengan_station"]),
        "started_on": "2024-03-01",
        "ended_on": "",
        "note": "",
    }
    data.update(changes)
    return data


def test_office_registers_a_pairing(app, client, login, org_world):
    login("office")
    form = client.get(f"/pairings/new?recipient={org_world.orgs['zhengan_station']}").get_data(as_text=True)
    assert f'<option selected value="{org_world.orgs["zhengan_station"]}">' in form
    # only supporters, and only agencies and stations in priority counties, are offered
    supporters = form.split('name="supporter_id"')[1].split("</select>")[0]
    assert "北京市东城区社会工作协会" in supporters and "水城区董地街道社工站" not in supporters
    recipients = form.split('name="recipient_id"')[1].split("</select>")[0]
    assert "正安县安场镇社工站" in recipients
    assert "南明区社会工作服务中心" not in recipients and "深圳市" not in recipients

    response = client.post("/pairings/new", data=pairing_form(org_world, note="远程督导"))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已登记牵手结对。" in page and "深圳市福田区社会工作者协会" in page and "远程督导" in page
    assert pairing_count(app) == 3


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"supporter_id": ""}, "请选择支援方机构。"),
        ({"supporter_id": "abc"}, "支援方机构应为机构编号（整数）。"),
        ({"supporter_id": "999999"}, "机构 999999 不存在。"),
        ({"supporter_id": "shuicheng_station"}, "不是支援方机构"),
        ({"recipient_id": ""}, "请选择受援方机构。"),
        ({"recipient_id": "nanming_agency"}, "未标记为国家乡村振兴重点帮扶县"),
        ({"recipient_id": "beijing_supporter"}, "是支援方机构"),
        ({"recipient_id": "shenzhen_supporter"}, "支援方与受援方不能是同一机构。"),
        ({"started_on": ""}, "请填写开始日期。"),
        ({"started_on": "2023-02-30"}, "日期无效，请按 2023-03-01 的格式填写。"),
        ({"started_on": "明天"}, "日期无效"),
        ({"started_on": "2019-01-01"}, "早于“十四五”牵手计划的起始"),
        ({"ended_on": "2024-02-01"}, "结束日期 2024-02-01 早于开始日期 2024-03-01。"),
        ({"note": "长" * 501}, "备注不能超过 500 个字符。"),
    ],
    ids=["no-supporter", "supporter-not-a-number", "unknown-supporter", "supporter-not-a-supporter",
         "no-recipient", "recipient-not-priority", "recipient-is-a-supporter", "same-party",
         "no-start", "impossible-date", "start-not-a-date", "start-too-early", "end-before-start",
         "long-note"],
)
def test_pairing_form_refuses_bad_input(app, client, login, org_world, changes, message):
    changes = {key: str(org_world.orgs.get(value, value)) for key, value in changes.items()}
    login("office")
    response = client.post("/pairings/new", data=pairing_form(org_world, **changes))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert pairing_count(app) == 2


def test_the_pairing_form_shows_every_mistake_at_once(app, client, login, org_world):
    login("office")
    response = client.post("/pairings/new", data=pairing_form(
        org_world, supporter_id=str(org_world.orgs["shuicheng_station"]), recipient_id="",
        started_on="2019-01-01", note="长" * 501))
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    for message in ("不是支援方机构", "请选择受援方机构。", "早于“十四五”牵手计划的起始",
                    "备注不能超过 500 个字符。"):
        assert message in text
    assert pairing_count(app) == 2


def test_duplicate_pairing_is_refused_on_the_web(app, client, login, org_world):
    login("office")
    response = client.post("/pairings/new", data=pairing_form(
        org_world, supporter_id=str(org_world.orgs["beijing_supporter"]),
        recipient_id=str(org_world.orgs["shuicheng_agency"])))
    assert response.status_code == 400
    assert "已有时间重叠的结对" in response.get_data(as_text=True)
    assert pairing_count(app) == 2


def test_office_ends_a_pairing(app, client, login, org_world):
    login("office")
    pairing_id = org_world.pairings["active"]
    page = client.get(f"/pairings/{pairing_id}").get_data(as_text=True)
    assert "结束结对" in page and "进行中" in page
    response = client.post(f"/pairings/{pairing_id}/end", data={"ended_on": "2023-01-01"})
    assert response.status_code == 400
    assert "早于开始日期 2023-03-01" in response.get_data(as_text=True)
    response = client.post(f"/pairings/{pairing_id}/end", data={"ended_on": ""})
    assert response.status_code == 400 and "请填写结束日期。" in response.get_data(as_text=True)
    response = client.post(f"/pairings/{pairing_id}/end", data={"ended_on": "2024-13-01"})
    assert response.status_code == 400 and "日期无效" in response.get_data(as_text=True)
    response = client.post(f"/pairings/{pairing_id}/end", data={"ended_on": "2024-05-01", "note": "长" * 501})
    assert response.status_code == 400 and "备注不能超过 500 个字符。" in response.get_data(as_text=True)
    response = client.post(f"/pairings/{pairing_id}/end", data={"ended_on": "2024-05-01", "note": ""})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已结束该牵手结对。" in page and "已结束" in page
    assert 'id="end-pairing"' not in page  # nothing left to end
    with app.app_context():
        pairing = db.session.get(Pairing, pairing_id)
        assert pairing.ended_on == date(2024, 5, 1) and pairing.note == "派驻督导"  # kept
    response = client.post(f"/pairings/{pairing_id}/end", data={"ended_on": "2024-05-02"})
    assert response.status_code == 400
    assert "该结对已于 2024-05-01 结束。" in response.get_data(as_text=True)


def test_coordinator_reads_pairings_of_their_area_only_and_writes_none(app, client, login, org_world):
    login("coordinator", scope_code="52")
    page = client.get("/pairings").get_data(as_text=True)
    assert "共 1 对" in page and "水城区阳光社会工作服务中心" in page and "昭觉县" not in page
    assert "新建结对" not in page
    assert client.get(f"/pairings/{org_world.pairings['active']}").status_code == 200
    assert 'id="end-pairing"' not in client.get(f"/pairings/{org_world.pairings['active']}").get_data(as_text=True)
    assert client.get(f"/pairings/{org_world.pairings['ended']}").status_code == 404
    assert client.get("/pairings/new").status_code == 403
    assert client.get("/pairings/999999").status_code == 404
    assert client.post("/pairings/new", data=pairing_form(org_world)).status_code == 403
    assert client.post(f"/pairings/{org_world.pairings['active']}/end",
                       data={"ended_on": "2024-05-01"}).status_code == 403
    assert pairing_count(app) == 2


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"水城区阳光社会工作服务中心", "昭觉县社会工作服务中心"}),
        ("status=active", {"水城区阳光社会工作服务中心"}),
        ("status=ended", {"昭觉县社会工作服务中心"}),
        ("status=planned", set()),
        ("province=51", {"昭觉县社会工作服务中心"}),
        ("county=520204", {"水城区阳光社会工作服务中心"}),
        ("county=昭觉", {"昭觉县社会工作服务中心"}),
        ("q=阳光", {"水城区阳光社会工作服务中心"}),
        ("status=sometimes", {"水城区阳光社会工作服务中心", "昭觉县社会工作服务中心"}),
    ],
)
def test_pairing_list_filters(client, login, org_world, query, expected):
    login("office")
    response = client.get(f"/pairings?{query}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    shown = {name for name in ("水城区阳光社会工作服务中心", "昭觉县社会工作服务中心") if name in page}
    assert shown == expected
    assert f"共 {len(expected)} 对" in page


def test_pairing_export(app, client, login, org_world, read_workbook, as_dicts):
    login("office")
    response = client.get("/pairings/export.xlsx")
    assert response.status_code == 200
    rows = as_dicts(read_workbook(response.data)["牵手结对"])
    by_recipient = {row["受援方机构"]: row for row in rows}
    assert set(by_recipient) == {"水城区阳光社会工作服务中心", "昭觉县社会工作服务中心"}
    ended = by_recipient["昭觉县社会工作服务中心"]
    assert ended["支援方机构"] == "北京市东城区社会工作协会" and ended["支援方省份"] == "北京市"
    assert ended["开始日期"].date() == date(2023, 3, 1) and ended["结束日期"].date() == date(2023, 12, 31)
    assert ended["状态"] == "已结束" and ended["受援方县级代码"] == "513431"
    assert by_recipient["水城区阳光社会工作服务中心"]["状态"] == "进行中"
    assert by_recipient["水城区阳光社会工作服务中心"]["结束日期"] is None
    # a coordinator's export holds their area only
    client.post("/logout")
    login("coordinator", scope_code="51")
    rows = as_dicts(read_workbook(client.get("/pairings/export.xlsx?status=ended").data)["牵手结对"])
    assert [row["受援方机构"] for row in rows] == ["昭觉县社会工作服务中心"]


# API -------------------------------------------------------------------------------------------


@pytest.fixture
def office(api_headers, org_world):
    return api_headers("office")


def test_api_lists_pairings_with_total(client, office, org_world):
    body = client.get("/api/v1/pairings", headers=office).get_json()
    assert body["total"] == 2
    item = next(i for i in body["items"] if i["id"] == org_world.pairings["ended"])
    assert item["supporter"]["name"] == "北京市东城区社会工作协会"
    assert item["recipient"] == {
        "id": org_world.orgs["zhaojue_agency"], "name": "昭觉县社会工作服务中心", "kind": "agency",
        "kind_label": "社工机构", "county_code": "513431", "county_name": "昭觉县", "province": "四川省",
    }
    assert item["started_on"] == "2023-03-01" and item["ended_on"] == "2023-12-31"
    assert item["status"] == "ended" and item["status_label"] == "已结束" and item["active"] is False


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("active=true", {"active"}),
        ("active=false", {"ended"}),
        ("status=ended", {"ended"}),
        ("county=520204", {"active"}),
        ("province=四川", {"ended"}),
        ("province=52", {"active"}),
        ("recipient={zhaojue_agency}", {"ended"}),
        ("supporter={beijing_supporter}", {"active", "ended"}),
        ("supporter={shenzhen_supporter}", set()),
    ],
)
def test_api_pairing_filters(client, office, org_world, query, expected):
    body = client.get(f"/api/v1/pairings?{query.format(**org_world.orgs)}", headers=office).get_json()
    assert {i["id"] for i in body["items"]} == {org_world.pairings[k] for k in expected}
    assert body["total"] == len(expected)


@pytest.mark.parametrize(
    ("query", "field"),
    [("active=maybe", "active"), ("supporter=abc", "supporter"), ("county=5202", "county"),
     ("province=火星", "province"), ("status=paused", "status"), ("page=0", "page")],
)
def test_api_pairing_bad_filters(client, office, query, field):
    response = client.get(f"/api/v1/pairings?{query}", headers=office)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert field in response.get_json()["errors"]


def test_api_coordinator_sees_pairings_whose_recipient_is_in_their_area(client, api_headers, org_world):
    headers = api_headers("coordinator", scope_code="52")
    body = client.get("/api/v1/pairings", headers=headers).get_json()
    assert [i["id"] for i in body["items"]] == [org_world.pairings["active"]]
    assert client.get(f"/api/v1/pairings/{org_world.pairings['active']}", headers=headers).status_code == 200
    response = client.get(f"/api/v1/pairings/{org_world.pairings['ended']}", headers=headers)
    assert response.status_code == 404 and response.mimetype == "application/problem+json"
    # and cannot write
    response = client.post("/api/v1/pairings", headers=headers, json={
        "supporter_id": org_world.orgs["shenzhen_supporter"],
        "recipient_id": org_world.orgs["zhengan_station"], "started_on": "2024-03-01"})
    assert response.status_code == 403
    response = client.patch(f"/api/v1/pairings/{org_world.pairings['active']}", headers=headers,
                            json={"ended_on": "2024-05-01"})
    assert response.status_code == 403


def test_api_unknown_pairing_is_404(client, office):
    assert client.get("/api/v1/pairings/999999", headers=office).status_code == 404
    assert client.patch("/api/v1/pairings/999999", headers=office, json={"note": "x"}).status_code == 404


def test_api_creates_a_pairing(app, client, office, org_world):
    response = client.post("/api/v1/pairings", headers=office, json={
        "supporter_id": org_world.orgs["shenzhen_supporter"],
        "recipient_id": org_world.orgs["zhengan_station"],
        "started_on": "2024-03-01", "note": "远程督导",
    })
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["supporter"]["id"] == org_world.orgs["shenzhen_supporter"]
    assert body["status"] == "active" and body["ended_on"] is None and body["note"] == "远程督导"
    assert response.headers["Location"].endswith(f"/api/v1/pairings/{body['id']}")
    with app.app_context():
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "pairing.create",
                                                              AuditEntry.target_id == str(body["id"])))
        assert entry.actor_id is not None


@pytest.mark.parametrize(
    ("changes", "field", "status"),
    [
        ({"supporter_id": "shuicheng_station"}, "supporter_id", 422),
        ({"recipient_id": "nanming_agency"}, "recipient_id", 422),
        ({"recipient_id": "beijing_supporter"}, "recipient_id", 422),
        ({"supporter_id": "beijing_supporter", "recipient_id": "beijing_supporter"}, "recipient_id", 422),
        ({"supporter_id": "beijing_supporter", "recipient_id": "shuicheng_agency"}, "recipient_id", 409),
        ({"ended_on": "2024-02-01"}, "ended_on", 422),
        ({"supporter_id": 999999}, "supporter_id", 422),
        ({"recipient_id": 999999}, "recipient_id", 422),
        ({"supporter_id": "6"}, "supporter_id", 422),
        ({"supporter_id": True}, "supporter_id", 422),
        ({"recipient_id": 3.5}, "recipient_id", 422),
        ({"supporter_id": None}, "supporter_id", 422),
        ({"started_on": "2024/03/01"}, "started_on", 422),
        ({"started_on": "2023-02-30"}, "started_on", 422),
        ({"started_on": 20240301}, "started_on", 422),
        ({"started_on": "2019-06-01"}, "started_on", 422),
        ({"note": 5}, "note", 422),
        ({"note": "长" * 501}, "note", 422),
        ({"status": "active"}, "status", 422),
        ({"started_on": None}, "started_on", 422),
    ],
    ids=["supporter-not-a-supporter", "recipient-not-priority", "recipient-is-a-supporter",
         "same-party", "duplicate", "end-before-start", "unknown-supporter", "unknown-recipient",
         "id-as-string", "id-as-boolean", "id-as-float", "id-null", "date-with-slashes",
         "impossible-date", "date-as-number", "start-too-early", "note-not-text", "long-note",
         "unknown-field", "start-null"],
)
def test_api_create_refuses_bad_input_naming_the_field(app, client, office, org_world, changes,
                                                       field, status):
    body = {
        "supporter_id": org_world.orgs["shenzhen_supporter"],
        "recipient_id": org_world.orgs["zhengan_station"],
        "started_on": "2024-03-01",
    }
    for key, value in changes.items():
        body[key] = org_world.orgs[value] if key.endswith("_id") and value in org_world.orgs else value
    response = client.post("/api/v1/pairings", headers=office, json=body)
    assert response.status_code == status, response.get_json()
    assert response.mimetype == "application/problem+json"
    errors = response.get_json()["errors"]
    assert field in errors and all(isinstance(m, str) and m for m in errors[field])
    assert pairing_count(app) == 2


def test_api_create_refuses_missing_fields_and_bodies_that_are_not_objects(app, client, office):
    response = client.post("/api/v1/pairings", headers=office, json={})
    assert response.status_code == 422
    assert {"supporter_id", "recipient_id", "started_on"} <= set(response.get_json()["errors"])
    assert client.post("/api/v1/pairings", headers=office, json=[1, 2]).status_code == 422
    response = client.post("/api/v1/pairings", headers=office, data="supporter_id=1",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    response = client.post("/api/v1/pairings", headers=office, data="{not json",
                           content_type="application/json")
    assert response.status_code == 400
    assert pairing_count(app) == 2


def test_api_ends_a_pairing_and_changes_its_note(app, client, office, org_world):
    url = f"/api/v1/pairings/{org_world.pairings['active']}"
    response = client.patch(url, headers=office, json={"ended_on": "2024-05-01", "note": "协议到期"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["ended_on"] == "2024-05-01" and body["status"] == "ended" and body["note"] == "协议到期"
    with app.app_context():
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "pairing.update"))
        assert entry.detail["changes"] == {"ended_on": [None, "2024-05-01"], "note": ["派驻督导", "协议到期"]}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"ended_on": "2023-01-01"}, "ended_on"),
        ({"ended_on": "soon"}, "ended_on"),
        ({"ended_on": 1}, "ended_on"),
        ({"started_on": "2023-01-01"}, "started_on"),
        ({"recipient_id": 1}, "recipient_id"),
        ({"note": ["x"]}, "note"),
    ],
)
def test_api_patch_refuses_bad_input_and_changes_nothing(app, client, office, org_world, body, field):
    url = f"/api/v1/pairings/{org_world.pairings['active']}"
    response = client.patch(url, headers=office, json=body)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    with app.app_context():
        pairing = db.session.get(Pairing, org_world.pairings["active"])
        assert (pairing.ended_on, pairing.note) == (None, "派驻督导")


def test_api_reopening_an_ended_pairing(app, client, office, org_world):
    url = f"/api/v1/pairings/{org_world.pairings['ended']}"
    response = client.patch(url, headers=office, json={"ended_on": None})
    assert response.status_code == 200
    assert response.get_json()["status"] == "active"
