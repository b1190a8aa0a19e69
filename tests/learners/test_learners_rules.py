"""The learners' rules live in their operations, so that the web, the API, the command line
and the import get the same: the acting user's role and area, the link batch limit, the
audited export, the edit semantics and the ID-number correction."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from trainhub.accounts.models import ActivationLink, User
from trainhub.auth import Role
from trainhub.extensions import db
from trainhub.learners import operations, trainee_accounts
from trainhub.learners.operations import LearnerError, LearnerInvalid


@pytest.fixture
def actors(app, world, make_user):
    """Users as the operations see them (loaded in the test's app context)."""

    def load(role: Role, scope: str | None = None) -> User:
        user = make_user(role, scope_code=scope)
        return db.session.get(User, user.id)

    return load


def _zhang():
    from trainhub.learners.models import Learner

    return db.session.scalar(sa.select(Learner).where(Learner.name == "张明"))


def _org(org_id: int):
    from trainhub.orgs.models import Organisation

    return db.session.get(Organisation, org_id)


# a learner in another area -----------------------------------------------------------------------


def test_operations_refuse_a_learner_outside_the_actors_area(app, world, actors, learner_row,
                                                             audit_entries):
    from trainhub.learners.queries import LearnerFilters
    from trainhub.learners.validation import check_learner_fields

    before = learner_row(world.zhang.id)
    with app.app_context():
        sichuan = actors(Role.COORDINATOR, "51")
        zhang = _zhang()
        attempts = [
            lambda: operations.update_learner(zhang, actor=sichuan, name="改名"),
            lambda: operations.apply_learner_fields(  # the import's path
                zhang, check_learner_fields({"name": "改名", "id_number": world.zhang.id_number,
                                             "phone": world.zhang.phone})[0],
                zhang.organisation, actor=sichuan),
            lambda: operations.reveal_personal_data(zhang, actor=sichuan, via="web"),
            lambda: trainee_accounts.issue_activation_links([zhang], actor=sichuan),
            lambda: trainee_accounts.give_temporary_password(zhang, actor=sichuan),
            lambda: operations.correct_id_number(zhang, world.zhang.id_number, actor=sichuan),
        ]
        for attempt in attempts:
            with pytest.raises(LearnerError) as refused:
                attempt()
            assert refused.value.message == "该学员不在您的负责区域内。"
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ActivationLink)) == 0
        frame = operations.export_register(sichuan, LearnerFilters(), via="web")
        assert list(frame["姓名"]) == ["阿依"]  # the export reads the area only
        db.session.rollback()
    assert learner_row(world.zhang.id) == before
    assert audit_entries("learner.view_personal_data") == []


def test_operations_refuse_an_organisation_outside_the_actors_area(app, world, actors, numbers,
                                                                   learner_count):
    from trainhub.learners.validation import check_learner_fields

    with app.app_context():
        guizhou = actors(Role.COORDINATOR, "52")
        with pytest.raises(LearnerInvalid) as refused:
            operations.update_learner(_zhang(), actor=guizhou, organisation_id=world.zhaojue)
        assert refused.value.errors == {"organisation_id": "所选机构不存在，或不在您的负责区域内。"}
        with pytest.raises(LearnerInvalid) as refused:
            operations.register_learner(actor=guizhou, organisation_id=world.zhaojue, name="新人",
                                        id_number=numbers.new, phone="13700001111")
        assert set(refused.value.errors) == {"organisation_id"}
        fields, _ = check_learner_fields({"name": "新人", "id_number": numbers.new,
                                          "phone": "13700001111"})
        with pytest.raises(LearnerError, match="不在您的负责区域内"):
            operations.create_learners([(fields, _org(world.zhaojue))], actor=guizhou)
        db.session.rollback()
    assert learner_count() == 3


@pytest.mark.parametrize("role", [Role.TRAINEE, Role.INSTRUCTOR, Role.CERTIFIER])
def test_only_the_office_and_coordinators_manage_learners(app, world, actors, role, learner_row):
    from trainhub.learners.queries import LearnerFilters

    before = learner_row(world.zhang.id)
    with app.app_context():
        actor = actors(role)
        with pytest.raises(LearnerError, match="无权管理学员"):
            operations.update_learner(_zhang(), actor=actor, name="改名")
        with pytest.raises(LearnerError, match="无权管理学员"):
            operations.export_register(actor, LearnerFilters(), via="api")
        db.session.rollback()
    assert learner_row(world.zhang.id) == before


def test_only_the_office_corrects_id_numbers_and_sees_full_data(app, world, actors, numbers,
                                                                learner_row):
    with app.app_context():
        guizhou = actors(Role.COORDINATOR, "52")
        with pytest.raises(LearnerError, match="只有项目办可以更正身份证号码"):
            operations.correct_id_number(_zhang(), numbers.new, actor=guizhou)
        with pytest.raises(LearnerError, match="只有项目办"):
            operations.reveal_personal_data(_zhang(), actor=guizhou, via="api")
        db.session.rollback()
    assert learner_row(world.zhang.id)["id_number"] == world.zhang.id_number


def test_the_web_refuses_moving_a_learner_out_of_the_area(client, world, login, learner_row):
    login(Role.COORDINATOR, scope_code="52")
    response = client.post(f"/learners/{world.zhang.id}/edit", data={
        "name": "改名", "organisation_id": str(world.zhaojue), "qualification": "none"})
    assert response.status_code == 400
    assert "所选机构不存在，或不在您的负责区域内。" in response.get_data(as_text=True)
    row = learner_row(world.zhang.id)
    assert row["name"] == "张明" and row["organisation_id"] == world.shuicheng


def test_the_api_hides_a_learner_of_another_area(client, world, api_headers, learner_row):
    headers = api_headers(Role.COORDINATOR, scope_code="51")
    assert client.patch(f"/api/v1/learners/{world.zhang.id}", json={"name": "改名"},
                        headers=headers).status_code == 404
    assert client.put(f"/api/v1/learners/{world.zhang.id}/id-number", json={"id_number": "x"},
                      headers=headers).status_code == 403
    assert learner_row(world.zhang.id)["name"] == "张明"


# the batch limit of activation links, everywhere -----------------------------------------------


def test_the_link_limit_holds_on_the_command_line(app, runner, world, monkeypatch, tmp_path):
    monkeypatch.setattr(trainee_accounts, "MAX_LINKS_PER_BATCH", 2)
    output = tmp_path / "links.csv"
    result = runner.invoke(args=["learners", "activation-links", "--base-url", "https://px.example.org",
                                 "--output", str(output)])
    assert result.exit_code == 1
    assert "一次最多为 2 名学员生成激活链接（当前 3 名）" in result.output
    assert not output.exists()
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ActivationLink)) == 0
    result = runner.invoke(args=["learners", "activation-links", "--province", "52",
                                 "--base-url", "https://px.example.org", "--output", str(output)])
    assert result.exit_code == 0 and "已为 2 名学员生成激活链接" in result.output


# the export is audited from the command line too ---------------------------------------------


def test_the_command_line_export_is_audited(runner, world, tmp_path, audit_entries):
    output = tmp_path / "learners.xlsx"
    result = runner.invoke(args=["learners", "export", "--county", "520204", "--output", str(output)])
    assert result.exit_code == 0 and output.exists()
    detail = audit_entries("learner.export")[-1][1]
    assert detail == {"rows": 1, "via": "cli", "filters": {"county_code": "520204"}, "search": None}


def test_a_failed_command_line_export_writes_no_file(runner, world, tmp_path, audit_entries):
    output = tmp_path / "missing-dir" / "learners.xlsx"
    result = runner.invoke(args=["learners", "export", "--output", str(output)])
    assert result.exit_code == 1 and "无法写入" in result.output
    assert not output.exists()


# the ID-number correction: one rule ------------------------------------------------------------


@pytest.mark.parametrize("entry", ["web", "api"])
def test_one_correction_rule_for_web_and_api(client, world, numbers, login, api_headers,
                                             learner_row, entry):
    same = world.zhang.id_number.lower()
    taken = world.li.id_number
    too_young = numbers.make("520204", "20150101", "011")
    expected = {
        same: "新号码与当前登记的号码相同，无需更正。",
        taken: "该身份证号码已登记为另一名学员。",
        too_young: "身份证号码中的出生日期不合理：学员年龄应在 16–80 岁之间。",
    }
    if entry == "web":
        login(Role.OFFICE)
    headers = api_headers(Role.OFFICE)
    for number, message in expected.items():
        if entry == "web":
            response = client.post(f"/learners/{world.zhang.id}/id-number", data={"id_number": number})
            assert response.status_code == 400
            assert message in response.get_data(as_text=True)
        else:
            response = client.put(f"/api/v1/learners/{world.zhang.id}/id-number",
                                  json={"id_number": number}, headers=headers)
            assert response.status_code == (409 if number == taken else 422)
            assert response.get_json()["errors"]["id_number"] == [message]
    assert learner_row(world.zhang.id)["id_number"] == world.zhang.id_number
