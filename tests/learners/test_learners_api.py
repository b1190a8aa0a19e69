"""``/api/v1/learners``: masked listings and filters within the caller's area, search by a
full number in the body (never the address), registering and changing learners with
problem documents naming the fields, the office's audited full view, the trainee's own
record."""

from __future__ import annotations

import pytest

from trainhub.accounts.models import Role

PROBLEM = "application/problem+json"


@pytest.fixture
def office(api_headers, world):
    return api_headers(Role.OFFICE)


@pytest.fixture
def trainee_headers(app, world):
    """Bearer headers of 李芳's own trainee account."""
    from trainhub.accounts.models import User
    from trainhub.accounts.operations import create_token
    from trainhub.extensions import db

    def make(person):
        import sqlalchemy as sa

        with app.app_context():
            user = db.session.scalar(sa.select(User).where(User.username == person.username))
            _, secret = create_token(user, "mini-program")
            db.session.commit()
        return {"Authorization": f"Bearer {secret}"}

    return make


def body_of(response) -> dict:
    return response.get_json()


def assert_masked(response, world) -> None:
    text = response.get_data(as_text=True)
    for person in world.people:
        assert person.id_number not in text and person.phone not in text


def new_learner(world, numbers, **changes) -> dict:
    body = {
        "name": "王小红",
        "id_number": numbers.new,
        "phone": "13600001111",
        "organisation_id": world.shuicheng,
        "position": "社工助理",
        "qualification": "social_worker",
        "joined_on": "2021-09-01",
    }
    body.update(changes)
    return body


# reading ---------------------------------------------------------------------------------------


def test_office_lists_every_learner_masked(client, world, office):
    response = client.get("/api/v1/learners", headers=office)
    assert response.status_code == 200
    body = body_of(response)
    assert body["total"] == 3 and body["page"] == 1 and len(body["items"]) == 3
    assert_masked(response, world)
    item = next(i for i in body["items"] if i["id"] == world.zhang.id)
    assert item["phone_masked"] == "138****5678"
    assert item["id_number_masked"] == world.zhang.id_number[:4] + "*" * 10 + world.zhang.id_number[-4:]
    assert item["county_code"] == "520204" and item["province"] == "贵州省"
    assert item["gender"] == "male" and item["gender_label"] == "男"
    assert item["username"] == world.zhang.username and item["account_status"] == "not_activated"
    assert "id_number" not in item and "phone" not in item


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("province=贵州", {"zhang", "li"}),
        ("province=51", {"ayi"}),
        ("county=520324", {"li"}),
        ("qualification=assistant", {"li"}),
        ("q=张", {"zhang"}),
        ("activated=false", {"zhang", "li", "ayi"}),
        ("activated=true", set()),
        ("per_page=1", {"zhang", "li", "ayi"}),
    ],
)
def test_filters(client, world, office, query, expected):
    body = body_of(client.get(f"/api/v1/learners?{query}", headers=office))
    assert body["total"] == len(expected)
    if "per_page" not in query:
        assert {i["id"] for i in body["items"]} == {getattr(world, key).id for key in expected}


def test_organisation_filter(client, world, office):
    body = body_of(client.get(f"/api/v1/learners?organisation={world.zhaojue}", headers=office))
    assert [i["name"] for i in body["items"]] == ["阿依"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("county=5202", "county"),
        ("province=火星", "province"),
        ("qualification=doctor", "qualification"),
        ("activated=maybe", "activated"),
        ("organisation=abc", "organisation"),
        ("page=0", "page"),
        ("per_page=1000", "per_page"),
    ],
)
def test_bad_filters_are_named(client, world, office, query, field):
    response = client.get(f"/api/v1/learners?{query}", headers=office)
    assert response.status_code == 422
    assert response.mimetype == PROBLEM
    assert field in body_of(response)["errors"]


def test_full_numbers_are_refused_in_the_address(client, world, office):
    for value in (world.zhang.id_number, world.zhang.phone):
        response = client.get(f"/api/v1/learners?q={value}", headers=office)
        assert response.status_code == 422
        assert "POST /api/v1/learners/search" in body_of(response)["errors"]["q"][0]


def test_search_by_full_numbers_in_the_body(client, world, office):
    for value, name in ((world.li.id_number, "李芳"), (world.ayi.phone, "阿依"),
                        (world.zhang.id_number.lower(), "张明")):
        response = client.post("/api/v1/learners/search", json={"q": value}, headers=office)
        assert response.status_code == 200
        assert [i["name"] for i in body_of(response)["items"]] == [name]
        assert_masked(response, world)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"q": 5}, "q"),
        ({"page": "1"}, "page"),
        ({"activated": "yes please"}, "activated"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_search_bodies(client, world, office, body, field):
    response = client.post("/api/v1/learners/search", json=body, headers=office)
    assert response.status_code == 422
    assert field in body_of(response)["errors"]


def test_search_needs_json(client, world, office):
    response = client.post("/api/v1/learners/search", data="q=1", headers=office)
    assert response.status_code == 415


def test_get_one_is_masked(client, world, office):
    response = client.get(f"/api/v1/learners/{world.li.id}", headers=office)
    assert response.status_code == 200
    assert body_of(response)["name"] == "李芳"
    assert_masked(response, world)
    assert client.get("/api/v1/learners/999999", headers=office).status_code == 404


# scope -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("scope", "visible"), [("52", {"zhang", "li"}), ("520204", {"zhang"}),
                                                ("51", {"ayi"})])
def test_coordinators_see_their_area_only(client, world, api_headers, scope, visible):
    headers = api_headers(Role.COORDINATOR, scope_code=scope)
    response = client.get("/api/v1/learners", headers=headers)
    assert {i["id"] for i in body_of(response)["items"]} == {getattr(world, k).id for k in visible}
    assert_masked(response, world)
    for key in ("zhang", "li", "ayi"):
        person = getattr(world, key)
        status = client.get(f"/api/v1/learners/{person.id}", headers=headers).status_code
        assert status == (200 if key in visible else 404)
        patched = client.patch(f"/api/v1/learners/{person.id}", json={"position": "新职务"}, headers=headers)
        assert patched.status_code == (200 if key in visible else 404)
    # a full-number search does not reach across the border
    hidden = next(getattr(world, k) for k in ("zhang", "li", "ayi") if k not in visible)
    response = client.post("/api/v1/learners/search", json={"q": hidden.phone}, headers=headers)
    assert body_of(response)["total"] == 0


@pytest.mark.parametrize("role", [Role.INSTRUCTOR, Role.CERTIFIER, Role.TRAINEE])
def test_other_roles_are_refused(client, world, api_headers, role):
    headers = api_headers(role)
    assert client.get("/api/v1/learners", headers=headers).status_code == 403
    assert client.get(f"/api/v1/learners/{world.zhang.id}", headers=headers).status_code == 403
    assert client.post("/api/v1/learners", json={}, headers=headers).status_code == 403


def test_anonymous_gets_401(client, world):
    response = client.get("/api/v1/learners")
    assert response.status_code == 401 and response.mimetype == PROBLEM


# the full values -------------------------------------------------------------------------------


def test_office_reads_personal_data_and_it_is_audited(client, world, office, audit_entries):
    response = client.get(f"/api/v1/learners/{world.zhang.id}/personal-data", headers=office)
    assert response.status_code == 200
    body = body_of(response)
    assert body["id_number"] == world.zhang.id_number and body["phone"] == world.zhang.phone
    assert body["birth_date"] == "1990-03-07" and body["gender"] == "male"
    entries = audit_entries("learner.view_personal_data")
    assert entries == [(str(world.zhang.id), {"via": "api"})]


@pytest.mark.parametrize("scope", ["52", "520204"])
def test_coordinators_cannot_read_personal_data(client, world, api_headers, audit_entries, scope):
    headers = api_headers(Role.COORDINATOR, scope_code=scope)
    response = client.get(f"/api/v1/learners/{world.zhang.id}/personal-data", headers=headers)
    assert response.status_code == 403
    assert audit_entries("learner.view_personal_data") == []


def test_personal_data_of_a_missing_learner(client, world, office, audit_entries):
    assert client.get("/api/v1/learners/999999/personal-data", headers=office).status_code == 404
    assert audit_entries("learner.view_personal_data") == []


def test_trainee_reads_their_own_record(client, world, trainee_headers):
    headers = trainee_headers(world.li)
    response = client.get("/api/v1/me/learner", headers=headers)
    assert response.status_code == 200
    body = body_of(response)
    assert body["name"] == "李芳" and body["id_number"] == world.li.id_number
    assert body["phone"] == world.li.phone and body["organisation_name"] == "正安县安场镇社工站"
    assert world.zhang.id_number not in response.get_data(as_text=True)
    assert client.get(f"/api/v1/learners/{world.zhang.id}", headers=headers).status_code == 403
    assert client.get(f"/api/v1/learners/{world.li.id}/personal-data", headers=headers).status_code == 403


def test_trainee_without_a_record(client, world, api_headers):
    response = client.get("/api/v1/me/learner", headers=api_headers(Role.TRAINEE))
    assert response.status_code == 404 and response.mimetype == PROBLEM
    assert client.get("/api/v1/me/learner", headers=api_headers(Role.OFFICE)).status_code == 403


# registering -----------------------------------------------------------------------------------


def test_create(client, world, numbers, office, learner_row):
    response = client.post("/api/v1/learners", json=new_learner(world, numbers, gender="女",
                                                                birth_date="1992-06-15"), headers=office)
    assert response.status_code == 201
    body = body_of(response)
    assert response.headers["Location"].endswith(f"/api/v1/learners/{body['id']}")
    assert body["name"] == "王小红" and body["gender"] == "female"
    assert body["qualification"] == "social_worker" and body["account_status"] == "not_activated"
    assert numbers.new not in response.get_data(as_text=True)
    row = learner_row(body["id"])
    assert row["id_number"] == numbers.new and row["phone"] == "13600001111"
    assert row["username"] == body["username"]


def test_create_accepts_chinese_qualification_and_minimal_fields(client, world, numbers, office):
    response = client.post("/api/v1/learners", json={
        "name": "王小红", "id_number": numbers.new, "phone": "+86 136 0000 1111",
        "organisation_id": world.shuicheng, "qualification": "助理社工师",
    }, headers=office)
    assert response.status_code == 201
    assert body_of(response)["qualification"] == "assistant"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": ""}, "name", "请填写姓名。"),
        ({"name": None}, "name", "此字段不能为 null。"),
        ({"name": 123}, "name", "应为字符串。"),
        ({"id_number": "BAD_CHECK"}, "id_number", "校验位（最后一位）不正确"),
        ({"id_number": 520204199206150460}, "id_number", "应为字符串。"),
        ({"gender": "male"}, "gender", "性别与身份证号码不一致"),
        ({"gender": "unknown"}, "gender", "性别应填写“男”或“女”。"),
        ({"birth_date": "1992-06-14"}, "birth_date", "出生日期与身份证号码中的出生日期不一致。"),
        ({"phone": "1360000111"}, "phone", "手机号码应为 11 位数字"),
        ({"phone": 13600001111}, "phone", "应为字符串。"),
        ({"organisation_id": "1"}, "organisation_id", "应为整数。"),
        ({"organisation_id": None}, "organisation_id", "此字段不能为 null。"),
        ({"organisation_id": 999999}, "organisation_id", "所选机构不存在，或不在您的负责区域内。"),
        ({"qualification": "博士"}, "qualification", "职业资格应为"),
        ({"joined_on": "2021-02-30"}, "joined_on", "入职日期不是有效日期"),
        ({"position": ["社工"]}, "position", "应为字符串。"),
        ({"salary": 3000}, "salary", "未知字段。"),
    ],
)
def test_create_refuses_bad_input_naming_the_field(client, world, numbers, office, learner_count,
                                                   changes, field, message):
    if changes.get("id_number") == "BAD_CHECK":
        changes = {"id_number": numbers.bad_check(numbers.new)}
    response = client.post("/api/v1/learners", json=new_learner(world, numbers, **changes), headers=office)
    assert response.status_code == 422, response.get_json()
    assert response.mimetype == PROBLEM
    errors = body_of(response)["errors"]
    assert field in errors and any(message in m for m in errors[field]), errors
    assert learner_count() == 3


def test_create_without_a_body_names_the_required_fields(client, world, office, learner_count):
    response = client.post("/api/v1/learners", json={}, headers=office)
    assert response.status_code == 422
    assert {"name", "id_number", "phone", "organisation_id"} <= set(body_of(response)["errors"])
    assert learner_count() == 3


@pytest.mark.parametrize(("payload", "status"), [("[1, 2]", 422), ('"text"', 422), ("{not json", 400)])
def test_create_refuses_what_is_not_a_json_object(client, world, office, learner_count, payload, status):
    response = client.post("/api/v1/learners", data=payload,
                           headers={**office, "Content-Type": "application/json"})
    assert response.status_code == status
    assert response.mimetype == PROBLEM
    assert learner_count() == 3


def test_create_duplicate_id_is_409(client, world, numbers, office, learner_count):
    response = client.post("/api/v1/learners",
                           json=new_learner(world, numbers, id_number=world.li.id_number), headers=office)
    assert response.status_code == 409
    assert "id_number" in body_of(response)["errors"]
    assert learner_count() == 3


def test_coordinator_creates_within_their_area_only(client, world, numbers, api_headers, learner_count):
    headers = api_headers(Role.COORDINATOR, scope_code="520204")
    response = client.post("/api/v1/learners", json=new_learner(world, numbers, organisation_id=world.zhengan),
                           headers=headers)
    assert response.status_code == 422
    assert "organisation_id" in body_of(response)["errors"]
    assert learner_count() == 3
    response = client.post("/api/v1/learners", json=new_learner(world, numbers), headers=headers)
    assert response.status_code == 201


# changing --------------------------------------------------------------------------------------


def test_patch_changes_only_what_is_given(client, world, office, learner_row, audit_entries):
    response = client.patch(f"/api/v1/learners/{world.zhang.id}",
                            json={"phone": "13700002222", "qualification": "助理社会工作师"}, headers=office)
    assert response.status_code == 200
    body = body_of(response)
    assert body["phone_masked"] == "137****2222" and body["qualification"] == "assistant"
    row = learner_row(world.zhang.id)
    assert row["phone"] == "13700002222" and row["name"] == "张明" and row["position"] == "社工"
    assert set(audit_entries("learner.update")[-1][1]["fields"]) == {"phone", "qualification"}


def test_patch_may_repeat_the_same_id_number_and_clear_the_position(client, world, office, learner_row):
    response = client.patch(f"/api/v1/learners/{world.zhang.id}",
                            json={"id_number": world.zhang.id_number, "position": None}, headers=office)
    assert response.status_code == 200
    assert learner_row(world.zhang.id)["position"] is None


@pytest.mark.parametrize(
    ("body", "field", "status"),
    [
        ({"id_number": "OTHER"}, "id_number", 422),
        ({"phone": "1381234567"}, "phone", 422),
        ({"phone": None}, "phone", 422),
        ({"name": "张"}, "name", 422),
        ({"gender": "女"}, "gender", 422),
        ({"organisation_id": "2"}, "organisation_id", 422),
        ({"organisation_id": "ZHAOJUE"}, "organisation_id", 422),
        ({"joined_on": None}, "joined_on", 422),
        ({"nickname": "小张"}, "nickname", 422),
    ],
)
def test_patch_refuses_bad_input(client, world, api_headers, learner_row, body, field, status):
    headers = api_headers(Role.COORDINATOR, scope_code="52")
    if body.get("id_number") == "OTHER":
        body = {"id_number": world.li.id_number}
    if body.get("organisation_id") == "ZHAOJUE":
        body = {"organisation_id": world.zhaojue}
    before = learner_row(world.zhang.id)
    response = client.patch(f"/api/v1/learners/{world.zhang.id}", json=body, headers=headers)
    assert response.status_code == status
    assert field in body_of(response)["errors"]
    assert learner_row(world.zhang.id) == before


def test_patch_with_a_blank_phone_keeps_it_as_the_web_form_does(client, world, office, learner_row):
    response = client.patch(f"/api/v1/learners/{world.zhang.id}",
                            json={"phone": " ", "position": "督导"}, headers=office)
    assert response.status_code == 200
    row = learner_row(world.zhang.id)
    assert row["phone"] == world.zhang.phone and row["position"] == "督导"


def test_correct_id_number_is_for_the_office(client, world, numbers, office, api_headers, learner_row):
    new_number = numbers.make("520204", "19900307", "135")
    coordinator = api_headers(Role.COORDINATOR, scope_code="52")
    response = client.put(f"/api/v1/learners/{world.zhang.id}/id-number", json={"id_number": new_number},
                          headers=coordinator)
    assert response.status_code == 403
    response = client.put(f"/api/v1/learners/{world.zhang.id}/id-number", json={"id_number": new_number},
                          headers=office)
    assert response.status_code == 200
    assert learner_row(world.zhang.id)["id_number"] == new_number
    assert new_number not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("value", "status"),
    [("BAD_CHECK", 422), ("SAME", 422), ("OTHER", 409), (None, 422), (18, 422)],
)
def test_bad_id_corrections(client, world, numbers, office, learner_row, value, status):
    value = {"BAD_CHECK": numbers.bad_check(numbers.new), "SAME": world.zhang.id_number,
             "OTHER": world.li.id_number}.get(value, value)
    response = client.put(f"/api/v1/learners/{world.zhang.id}/id-number", json={"id_number": value},
                          headers=office)
    assert response.status_code == status
    assert "id_number" in body_of(response)["errors"]
    assert learner_row(world.zhang.id)["id_number"] == world.zhang.id_number


def test_openapi_documents_the_learner_endpoints(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/learners" in spec["paths"] and "/api/v1/learners/search" in spec["paths"]
    schemas = spec["components"]["schemas"]
    assert "id_number_masked" in schemas["Learner"]["properties"]
    assert "id_number" not in schemas["Learner"]["properties"]
    assert "id_number" in schemas["PersonalData"]["properties"]
