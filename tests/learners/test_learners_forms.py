"""Registering and editing learners on the web, and correcting an ID number (office):
what users get right, and the wrong things they do — each refused with a Chinese message
under its field and nothing written."""

from __future__ import annotations

import re

import pytest

from trainhub.accounts.models import Role


def page(response) -> str:
    return response.get_data(as_text=True)


def form_data(world, numbers, **changes) -> dict:
    data = {
        "name": "王小红",
        "id_number": numbers.new,
        "gender": "",
        "birth_date": "",
        "phone": "13600001111",
        "organisation_id": str(world.shuicheng),
        "position": "社工助理",
        "qualification": "social_worker",
        "joined_on": "2021-09-01",
    }
    data.update(changes)
    return data


# registering -----------------------------------------------------------------------------------


def test_form_offers_the_organisations_of_the_area(client, world, login):
    login(Role.COORDINATOR, scope_code="52")
    text = page(client.get("/learners/new"))
    assert "水城区阳光社会工作服务中心" in text and "正安县安场镇社工站" in text
    assert "昭觉县社会工作服务中心" not in text


def test_office_registers_a_learner_with_an_account(client, world, numbers, login, learner_row,
                                                     audit_entries):
    login(Role.OFFICE)
    response = client.post("/learners/new", data=form_data(
        world, numbers, id_number=" " + numbers.new.lower(), gender="女", birth_date="1992-06-15"))
    assert response.status_code == 302
    learner_id = int(response.headers["Location"].rsplit("/", 1)[1])
    row = learner_row(learner_id)
    assert row["name"] == "王小红" and row["id_number"] == numbers.new
    assert row["gender"] == "female" and str(row["birth_date"]) == "1992-06-15"
    assert row["phone"] == "13600001111" and row["qualification"] == "social_worker"
    assert row["username"] == f"xy{learner_id:06d}"
    assert audit_entries("learner.create")[-1][0] == str(learner_id)
    followed = page(client.get(response.headers["Location"]))
    assert "已登记" in followed and numbers.new not in followed


def test_coordinator_registers_within_their_area(client, world, numbers, login, learner_count):
    login(Role.COORDINATOR, scope_code="520204")
    response = client.post("/learners/new", data=form_data(world, numbers))
    assert response.status_code == 302
    assert learner_count() == 4


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": ""}, "name", "请填写姓名。"),
        ({"name": "王1"}, "name", "姓名应为 2–50 个汉字或字母"),
        ({"id_number": ""}, "id_number", "请填写身份证号码。"),
        ({"id_number": "BAD_CHECK"}, "id_number", "校验位（最后一位）不正确"),
        ({"id_number": "52020419920615046"}, "id_number", "应为 18 位"),
        ({"id_number": "990204199206150468"}, "id_number", "前两位不是有效的省级行政区划代码"),
        ({"id_number": "520204199202300460"}, "id_number", "不是有效日期"),
        ({"gender": "男"}, "gender", "性别与身份证号码不一致：身份证号码显示为“女”。"),
        ({"birth_date": "1992-06-16"}, "birth_date", "出生日期与身份证号码中的出生日期不一致。"),
        ({"birth_date": "1992-13-45"}, "birth_date", "出生日期不是有效日期"),
        ({"phone": ""}, "phone", "请填写手机号码。"),
        ({"phone": "1360000111"}, "phone", "手机号码应为 11 位数字"),
        ({"phone": "02088886666"}, "phone", "手机号码应为 11 位数字"),
        ({"organisation_id": ""}, "organisation_id", "请选择所在机构。"),
        ({"organisation_id": "abc"}, "organisation_id", "请选择所在机构。"),
        ({"organisation_id": "99999"}, "organisation_id", "所选机构不存在，或不在您的负责区域内。"),
        ({"qualification": "博士"}, "qualification", "职业资格应为"),
        ({"joined_on": "昨天"}, "joined_on", "入职日期不是有效日期"),
        ({"joined_on": "1980-01-01"}, "joined_on", "入职日期应在出生日期之后"),
        ({"position": "长" * 51}, "position", "职务不能超过 50 个字。"),
    ],
)
def test_bad_input_is_refused_under_its_field(client, world, numbers, login, learner_count,
                                              changes, field, message):
    if changes.get("id_number") == "BAD_CHECK":
        changes = {"id_number": numbers.bad_check(numbers.new)}
    login(Role.OFFICE)
    response = client.post("/learners/new", data=form_data(world, numbers, **changes))
    assert response.status_code == 400
    text = page(response)
    assert message in text
    assert f'id="{field}"' in text and "is-invalid" in text
    assert learner_count() == 3
    # what was typed comes back, except nothing is invented
    if field != "name":
        assert "王小红" in text


def field_errors(text: str) -> dict[str, list[str]]:
    """The messages shown under each invalid field, by the field's id."""
    errors: dict[str, list[str]] = {}
    for block in re.split(r'(?=<div class="mb-3">)|(?=<fieldset)', text):
        invalid = re.search(r'id="([\w-]+)"[^>]*class="[^"]*\bis-invalid\b|'
                            r'class="[^"]*\bis-invalid\b[^"]*"[^>]*id="([\w-]+)"', block)
        messages = re.findall(r'<div class="invalid-feedback[^"]*">([^<]*)</div>', block)
        if invalid or messages:
            errors[next(filter(None, invalid.groups())) if invalid else "?"] = messages
    return errors


def test_several_errors_at_once(client, world, numbers, login, learner_count):
    login(Role.OFFICE)
    response = client.post("/learners/new", data=form_data(world, numbers, name="", phone="12345"))
    assert response.status_code == 400
    errors = field_errors(page(response))
    assert errors == {
        "name": ["请填写姓名。"],
        "phone": ["手机号码应为 11 位数字、以 13–19 开头的中国大陆手机号。"],
    }
    assert learner_count() == 3


def test_duplicate_id_number_is_refused(client, world, numbers, login, learner_count):
    login(Role.OFFICE)
    response = client.post("/learners/new", data=form_data(world, numbers, id_number=world.zhang.id_number))
    assert response.status_code == 400
    assert "该身份证号码已登记为学员，请勿重复登记。" in page(response)
    assert learner_count() == 3


def test_organisation_outside_the_area_is_refused(client, world, numbers, login, learner_count):
    login(Role.COORDINATOR, scope_code="52")
    response = client.post("/learners/new", data=form_data(world, numbers, organisation_id=str(world.zhaojue)))
    assert response.status_code == 400
    assert "所选机构不存在，或不在您的负责区域内。" in page(response)
    assert learner_count() == 3


def test_other_roles_cannot_register(client, world, numbers, login, learner_count):
    login(Role.INSTRUCTOR)
    assert client.post("/learners/new", data=form_data(world, numbers)).status_code == 403
    assert learner_count() == 3


# editing ---------------------------------------------------------------------------------------


def test_edit_form_does_not_show_the_full_numbers(client, world, login):
    login(Role.COORDINATOR, scope_code="52")
    response = client.get(f"/learners/{world.zhang.id}/edit")
    assert response.status_code == 200
    text = page(response)
    assert world.zhang.phone not in text and world.zhang.id_number not in text
    assert "138****5678" in text and "张明" in text


def test_edit_changes_fields_and_keeps_an_empty_phone(client, world, login, learner_row, audit_entries):
    login(Role.OFFICE)
    response = client.post(f"/learners/{world.zhang.id}/edit", data={
        "name": "张明明", "phone": "", "organisation_id": str(world.zhengan),
        "position": "督导", "qualification": "senior", "joined_on": "2020-05-01",
    })
    assert response.status_code == 302
    row = learner_row(world.zhang.id)
    assert row["name"] == "张明明" and row["phone"] == world.zhang.phone
    assert row["organisation_id"] == world.zhengan and row["qualification"] == "senior"
    assert str(row["joined_on"]) == "2020-05-01" and row["id_number"] == world.zhang.id_number
    detail = audit_entries("learner.update")[-1][1]
    assert set(detail["fields"]) == {"name", "organisation", "position", "qualification", "joined_on"}
    followed = page(client.get(response.headers["Location"]))
    assert "已保存修改：" in followed


def test_edit_replaces_the_phone(client, world, login, learner_row):
    login(Role.COORDINATOR, scope_code="520204")
    response = client.post(f"/learners/{world.zhang.id}/edit", data={
        "name": "张明", "phone": "13700002222", "organisation_id": str(world.shuicheng),
        "position": "社工", "qualification": "none", "joined_on": "",
    })
    assert response.status_code == 302
    assert learner_row(world.zhang.id)["phone"] == "13700002222"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "请填写姓名。"),
        ({"phone": "abc"}, "手机号码应为 11 位数字"),
        ({"organisation_id": "ORG_OUT"}, "所选机构不存在，或不在您的负责区域内。"),
        ({"qualification": "x"}, "职业资格应为"),
        ({"joined_on": "2020-02-30"}, "入职日期不是有效日期"),
    ],
)
def test_bad_edits_change_nothing(client, world, login, learner_row, changes, message):
    login(Role.COORDINATOR, scope_code="52")
    data = {"name": "张明", "phone": "", "organisation_id": str(world.shuicheng),
            "position": "社工", "qualification": "none", "joined_on": ""}
    data.update(changes)
    if data["organisation_id"] == "ORG_OUT":
        data["organisation_id"] = str(world.zhaojue)
    before = learner_row(world.zhang.id)
    response = client.post(f"/learners/{world.zhang.id}/edit", data=data)
    assert response.status_code == 400
    assert message in page(response)
    assert learner_row(world.zhang.id) == before


def test_edit_without_changes(client, world, login, audit_entries):
    login(Role.OFFICE)
    response = client.post(f"/learners/{world.zhang.id}/edit", data={
        "name": "张明", "phone": "", "organisation_id": str(world.shuicheng),
        "position": "社工", "qualification": "none", "joined_on": "",
    }, follow_redirects=True)
    assert "没有需要保存的修改。" in page(response)
    assert audit_entries("learner.update") == []


# correcting an ID number (office) --------------------------------------------------------------


def test_office_corrects_an_id_number(client, world, numbers, login, learner_row, audit_entries):
    login(Role.OFFICE)
    new_number = numbers.make("520204", "19900307", "135")
    response = client.post(f"/learners/{world.zhang.id}/id-number", data={"id_number": new_number})
    assert response.status_code == 302
    row = learner_row(world.zhang.id)
    assert row["id_number"] == new_number and row["gender"] == "male"
    entries = audit_entries("learner.correct_id_number")
    assert entries == [(str(world.zhang.id), {})]
    # the new number finds the learner, the old one no longer does
    text = page(client.post("/learners", data={"q": new_number}))
    assert ">张明</a>" in text
    assert "没有符合条件的学员" in page(client.post("/learners", data={"q": world.zhang.id_number}))


def test_correction_follows_gender_and_birth_date(client, world, numbers, login, learner_row):
    login(Role.OFFICE)
    new_number = numbers.make("520204", "19910101", "042")  # female
    assert client.post(f"/learners/{world.zhang.id}/id-number",
                       data={"id_number": new_number}).status_code == 302
    row = learner_row(world.zhang.id)
    assert row["gender"] == "female" and str(row["birth_date"]) == "1991-01-01"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "请填写身份证号码。"),
        ("BAD_CHECK", "校验位（最后一位）不正确"),
        ("SAME", "新号码与当前登记的号码相同，无需更正。"),
        ("OTHER", "该身份证号码已登记为另一名学员。"),
        ("TOO_YOUNG", "学员年龄应在 16–80 岁之间"),
    ],
)
def test_bad_corrections_are_refused(client, world, numbers, login, learner_row, value, message):
    value = {
        "BAD_CHECK": numbers.bad_check(numbers.new),
        "SAME": world.zhang.id_number,
        "OTHER": world.li.id_number,
        "TOO_YOUNG": numbers.make("520204", "20200101", "011"),
    }.get(value, value)
    login(Role.OFFICE)
    response = client.post(f"/learners/{world.zhang.id}/id-number", data={"id_number": value})
    assert response.status_code == 400
    assert message in page(response)
    assert learner_row(world.zhang.id)["id_number"] == world.zhang.id_number


def test_coordinators_cannot_correct_id_numbers(client, world, numbers, login, learner_row):
    login(Role.COORDINATOR, scope_code="52")
    assert client.get(f"/learners/{world.zhang.id}/id-number").status_code == 403
    response = client.post(f"/learners/{world.zhang.id}/id-number", data={"id_number": numbers.new})
    assert response.status_code == 403
    assert learner_row(world.zhang.id)["id_number"] == world.zhang.id_number

