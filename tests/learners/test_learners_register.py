"""The learner register on the web: list, filters, search by full ID or phone (never in an
address), masked output, the Excel export, a learner's page and the office's audited view
of the full values; area scope for coordinators; trainees kept out."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from trainhub.accounts.models import Role


def page(response) -> str:
    return response.get_data(as_text=True)


def assert_masked(text: str, world) -> None:
    for person in world.people:
        assert person.id_number not in text, f"full ID number of {person.name} shown"
        assert person.phone not in text, f"full phone number of {person.name} shown"


# the list --------------------------------------------------------------------------------------


def test_office_sees_every_learner_masked(client, world, login):
    login(Role.OFFICE)
    response = client.get("/learners")
    assert response.status_code == 200
    text = page(response)
    for name in ("张明", "李芳", "阿依"):
        assert name in text
    assert "共 3 名学员" in text
    assert_masked(text, world)
    assert world.zhang.id_number[:4] + "**********" + world.zhang.id_number[-4:] in text
    assert "138****5678" in text
    # each learner's account, not yet activated (not the words of the links button)
    assert re.findall(r'class="badge [^"]*account-status" data-status="(\w+)">([^<]*)<', text) == [
        ("not_activated", "未激活")] * 3


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("province=52", {"张明", "李芳"}, {"阿依"}),
        ("county=513431", {"阿依"}, {"张明", "李芳"}),
        ("qualification=assistant", {"李芳"}, {"张明", "阿依"}),
        ("q=阿", {"阿依"}, {"张明", "李芳"}),
        ("activated=1", set(), {"张明", "李芳", "阿依"}),
    ],
)
def test_filters(client, world, login, query, shown, hidden):
    login(Role.OFFICE)
    text = page(client.get(f"/learners?{query}"))
    for name in shown:
        assert f">{name}</a>" in text
    for name in hidden:
        assert f">{name}</a>" not in text


def test_organisation_filter(client, world, login):
    login(Role.OFFICE)
    text = page(client.get(f"/learners?organisation={world.zhengan}"))
    assert ">李芳</a>" in text and ">张明</a>" not in text


@pytest.mark.parametrize("query", ["organisation=abc", "organisation=99999", "county=12",
                                   "qualification=doctor", "activated=maybe", "province=zz"])
def test_bad_filter_values_are_reported_and_ignored(client, world, login, query):
    login(Role.OFFICE)
    response = client.get(f"/learners?{query}")
    assert response.status_code == 200
    text = page(response)
    assert "无效的筛选条件，已忽略。" in text
    assert "共 3 名学员" in text


def test_pagination_keeps_filters(app, client, world, login, monkeypatch):
    monkeypatch.setattr("trainhub.learners.views.PER_PAGE", 1)
    login(Role.OFFICE)
    text = page(client.get("/learners?province=52"))
    assert "第 1 / 2 页" in text
    assert "/learners?province=52&amp;page=2" in text
    second = page(client.get("/learners?province=52&page=2"))
    assert "第 2 / 2 页" in second


def test_search_by_full_id_number_is_posted_and_never_redirected(client, world, login):
    login(Role.OFFICE)
    response = client.post("/learners", data={"q": world.li.id_number})
    assert response.status_code == 200  # answered in place: the number stays out of the URL
    text = page(response)
    assert ">李芳</a>" in text and ">张明</a>" not in text
    assert response.headers["Cache-Control"] == "no-store"
    # page links and the address carry no personal number (the hidden search field may)
    for line in text.splitlines():
        if "href=" in line:
            assert world.li.id_number not in line


def test_search_by_full_phone(client, world, login):
    login(Role.OFFICE)
    text = page(client.post("/learners", data={"q": "150 1111 2222"}))
    assert ">阿依</a>" in text and ">张明</a>" not in text


def test_search_by_name_redirects_to_an_address(client, world, login):
    login(Role.OFFICE)
    response = client.post("/learners", data={"q": "张", "province": "52"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/learners?")
    assert "province=52" in response.headers["Location"]


def test_partial_numbers_find_nothing(client, world, login):
    login(Role.OFFICE)
    text = page(client.get("/learners?q=" + world.zhang.id_number[:6]))
    assert "没有符合条件的学员" in text


# scope -----------------------------------------------------------------------------------------


def test_province_coordinator_sees_their_province_only(client, world, login):
    login(Role.COORDINATOR, scope_code="52")
    text = page(client.get("/learners"))
    assert ">张明</a>" in text and ">李芳</a>" in text and ">阿依</a>" not in text
    assert_masked(text, world)
    # searching for someone outside the area finds nothing
    text = page(client.post("/learners", data={"q": world.ayi.id_number}))
    assert "没有符合条件的学员" in text


def test_county_coordinator_sees_their_county_only(client, world, login):
    login(Role.COORDINATOR, scope_code="520204")
    text = page(client.get("/learners"))
    assert ">张明</a>" in text and ">李芳</a>" not in text
    # an organisation of another county cannot be chosen as a filter
    text = page(client.get(f"/learners?organisation={world.zhengan}"))
    assert "无效的筛选条件" in text and ">李芳</a>" not in text


@pytest.mark.parametrize("scope", ["52", "520204"])
def test_coordinator_gets_404_outside_their_area(client, world, login, learner_row, scope):
    login(Role.COORDINATOR, scope_code=scope)
    assert client.get(f"/learners/{world.zhang.id}").status_code == 200
    assert client.get(f"/learners/{world.ayi.id}").status_code == 404
    assert client.get(f"/learners/{world.ayi.id}/edit").status_code == 404
    response = client.post(f"/learners/{world.ayi.id}/edit", data={
        "name": "改名", "organisation_id": str(world.shuicheng), "qualification": "none"})
    assert response.status_code == 404
    assert learner_row(world.ayi.id)["name"] == "阿依"
    assert client.post(f"/learners/{world.ayi.id}/temporary-password").status_code == 404
    assert client.post(f"/learners/{world.ayi.id}/activation-link").status_code == 404
    if scope == "520204":
        assert client.get(f"/learners/{world.li.id}").status_code == 404


@pytest.mark.parametrize("role", [Role.TRAINEE, Role.INSTRUCTOR, Role.CERTIFIER])
def test_other_roles_are_kept_out(client, world, login, role):
    login(role)
    assert client.get("/learners").status_code == 403
    assert client.get(f"/learners/{world.zhang.id}").status_code == 403
    assert client.post("/learners/export").status_code == 403


def test_anonymous_is_sent_to_sign_in(client, world):
    response = client.get(f"/learners/{world.zhang.id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# export ----------------------------------------------------------------------------------------


def read_sheet(response) -> list[list]:
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    workbook = load_workbook(io.BytesIO(response.data), read_only=True)
    sheet = workbook["学员"]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    workbook.close()
    return rows


def test_export_follows_the_filter_and_is_masked(client, world, login, audit_entries):
    login(Role.OFFICE)
    rows = read_sheet(client.post("/learners/export", data={"province": "52"}))
    header, body = rows[0], rows[1:]
    assert header[:5] == ["姓名", "性别", "出生年份", "身份证号码（脱敏）", "手机号码（脱敏）"]
    assert sorted(row[0] for row in body) == ["张明", "李芳"]
    flat = repr(rows)
    assert_masked(flat, world)
    assert "138****5678" in flat
    assert {row[0]: row[2] for row in body} == {"张明": 1990, "李芳": 1988}  # the year, not the date
    assert "1990-03-07" not in flat and "19900307" not in flat
    entries = audit_entries("learner.export")
    assert entries[-1][1]["rows"] == 2 and entries[-1][1]["filters"] == {"province_code": "52"}
    assert entries[-1][1]["via"] == "web"


def test_export_by_a_full_number_leaves_it_out_of_the_audit(client, world, login, audit_entries):
    login(Role.OFFICE)
    rows = read_sheet(client.post("/learners/export", data={"q": world.zhang.phone}))
    assert [row[0] for row in rows[1:]] == ["张明"]
    detail = audit_entries("learner.export")[-1][1]
    assert detail["search"] == "phone"
    assert world.zhang.phone not in repr(detail)


def test_coordinator_exports_their_area_only(client, world, login):
    login(Role.COORDINATOR, scope_code="520204")
    rows = read_sheet(client.get("/learners/export"))
    assert [row[0] for row in rows[1:]] == ["张明"]


def test_export_neutralises_formulas(app, client, world, login):
    from trainhub.extensions import db
    from trainhub.learners.models import Learner

    with app.app_context():
        db.session.get(Learner, world.zhang.id).position = "=HYPERLINK(\"http://x\")"
        db.session.commit()
    login(Role.OFFICE)
    rows = read_sheet(client.get("/learners/export"))
    position = next(row[8] for row in rows[1:] if row[0] == "张明")
    assert not str(position).startswith("=")


# a learner's page ------------------------------------------------------------------------------


def test_learner_page_is_masked(client, world, login):
    login(Role.OFFICE)
    response = client.get(f"/learners/{world.zhang.id}")
    assert response.status_code == 200
    text = page(response)
    assert "张明" in text and "水城区阳光社会工作服务中心" in text and world.zhang.username in text
    assert_masked(text, world)
    assert "显示完整信息" in text
    assert "报名课程" in text


def test_office_full_view_shows_and_audits(client, world, login, audit_entries):
    login(Role.OFFICE)
    response = client.post(f"/learners/{world.zhang.id}/personal-data")
    assert response.status_code == 200
    text = page(response)
    assert world.zhang.id_number in text and world.zhang.phone in text
    assert "1990-03-07" in text
    assert response.headers["Cache-Control"] == "no-store"
    entries = audit_entries("learner.view_personal_data")
    assert entries == [(str(world.zhang.id), {"via": "web"})]
    assert world.zhang.id_number not in repr(entries) and world.zhang.phone not in repr(entries)
    # a plain GET afterwards is masked again
    assert world.zhang.id_number not in page(client.get(f"/learners/{world.zhang.id}"))


def test_coordinator_has_no_full_view(client, world, login, audit_entries):
    login(Role.COORDINATOR, scope_code="52")
    text = page(client.get(f"/learners/{world.zhang.id}"))
    assert "显示完整信息" not in text
    assert client.post(f"/learners/{world.zhang.id}/personal-data").status_code == 403
    assert audit_entries("learner.view_personal_data") == []


def test_full_view_of_a_missing_learner_is_404(client, world, login, audit_entries):
    login(Role.OFFICE)
    assert client.post("/learners/999999/personal-data").status_code == 404
    assert audit_entries("learner.view_personal_data") == []


def test_full_view_needs_a_csrf_token(make_app, world, make_user, audit_entries):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    user = make_user(Role.OFFICE)
    login_page = page(client.get("/login"))
    import re

    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login_page).group(1)
    client.post("/login", data={"username": user.username, "password": "Xunlian-2023",
                                "csrf_token": token})
    response = client.post(f"/learners/{world.zhang.id}/personal-data")
    assert response.status_code == 400
    assert audit_entries("learner.view_personal_data") == []


# the trainee's own page ------------------------------------------------------------------------


def test_trainee_sees_their_own_full_data(client, world, app):
    from trainhub.accounts.operations import set_password
    from trainhub.accounts.queries import user_by_username
    from trainhub.extensions import db

    with app.app_context():
        set_password(user_by_username(world.li.username), "Ziji-mima-2023")
        db.session.commit()
    assert client.post("/login", data={"username": world.li.username,
                                       "password": "Ziji-mima-2023"}).status_code == 302
    response = client.get("/me")
    assert response.status_code == 200
    text = page(response)
    assert "李芳" in text and world.li.id_number in text and world.li.phone in text
    assert "正安县安场镇社工站" in text and "助理社会工作师" in text
    assert response.headers["Cache-Control"] == "no-store"
    assert world.zhang.name not in text
    # other learners stay closed
    assert client.get(f"/learners/{world.zhang.id}").status_code == 403
    assert client.get("/learners").status_code == 403


def test_trainee_without_a_learner_record(client, world, login):
    login(Role.TRAINEE)
    response = client.get("/me")
    assert response.status_code == 200
    assert "尚未关联学员档案" in page(response)


def test_me_is_for_trainees(client, world, login):
    login(Role.OFFICE)
    assert client.get("/me").status_code == 403


def test_masked_pages_show_the_birth_year_not_the_date(client, world, login):
    login(Role.OFFICE)
    for path in (f"/learners/{world.zhang.id}", f"/learners/{world.zhang.id}/edit"):
        text = client.get(path).get_data(as_text=True)
        assert "1990 年" in text
        assert "1990-03-07" not in text and "03-07" not in text and "3月7日" not in text
    full = client.post(f"/learners/{world.zhang.id}/personal-data").get_data(as_text=True)
    assert "1990-03-07" in full


def test_api_items_carry_the_birth_year_and_only_full_data_the_date(client, world, api_headers):
    office = api_headers(Role.OFFICE)
    item = client.get(f"/api/v1/learners/{world.zhang.id}", headers=office).get_json()
    assert item["birth_year"] == 1990 and "birth_date" not in item
    listed = client.get("/api/v1/learners", headers=office).get_json()["items"]
    assert all("birth_date" not in row and row["birth_year"] for row in listed)
    full = client.get(f"/api/v1/learners/{world.zhang.id}/personal-data", headers=office).get_json()
    assert full["birth_date"] == "1990-03-07"
