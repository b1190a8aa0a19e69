"""User administration by the programme office: list, create, enable/disable, reset."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from trainhub.accounts.models import Role, User
from trainhub.extensions import db

PASSWORD = "Shouqian-2023"


@pytest.fixture
def office(login, counties):
    return login(Role.OFFICE, username="office.admin")


def count_users(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(User))


def new_user(client, **fields):
    data = {"username": "coord.gz", "display_name": "张敏", "role": "coordinator",
            "scope_code": "52", "temporary_password": ""}
    data.update(fields)
    return client.post("/users/new", data=data)


def shown_password(response) -> str:
    match = re.search(r'id="temporary-password">([^<]+)<', response.get_data(as_text=True))
    assert match, "the temporary password is not on the page"
    return match.group(1)


# list -----------------------------------------------------------------------------------------


def test_list_filters_by_role_and_search(client, office, make_user):
    make_user(Role.TRAINEE, username="li.na", display_name="李娜", password=PASSWORD)
    make_user(Role.TRAINEE, username="wang.fang", display_name="王芳", password=PASSWORD)
    make_user(Role.COORDINATOR, username="coord.gs", display_name="赵刚", scope_code="62",
              password=PASSWORD)

    page = client.get("/users").get_data(as_text=True)
    assert all(name in page for name in ("李娜", "王芳", "赵刚", "office.admin"))
    assert "甘肃省" in page  # the coordinator's scope is named

    page = client.get("/users", query_string={"role": "trainee"}).get_data(as_text=True)
    assert "李娜" in page and "王芳" in page and "赵刚" not in page and "共 2 个用户" in page

    page = client.get("/users", query_string={"q": "王"}).get_data(as_text=True)
    assert "王芳" in page and "李娜" not in page

    page = client.get("/users", query_string={"q": "LI.NA"}).get_data(as_text=True)
    assert "李娜" in page and "王芳" not in page

    page = client.get("/users", query_string={"q": "%"}).get_data(as_text=True)
    assert "没有符合条件的用户" in page  # % is a character here, not a wildcard


def test_list_survives_nonsense_filters(client, office):
    response = client.get("/users", query_string={"role": "admin", "page": "x"})
    assert response.status_code == 200
    assert "office.admin" in response.get_data(as_text=True)


# create ---------------------------------------------------------------------------------------


def test_create_coordinator_with_a_generated_temporary_password(app, client, office, get_user,
                                                                audit_actions):
    response = new_user(client)

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    password = shown_password(response)
    user = get_user("coord.gz")
    assert (user.role, user.scope_code, user.display_name) == (Role.COORDINATOR, "52", "张敏")
    assert user.must_change_password and user.is_enabled
    assert ("user.create", {"username": "coord.gz", "role": "coordinator", "scope": "52"}) in (
        audit_actions()
    )

    # the new user signs in with the temporary password and must choose their own
    other = app.test_client()
    response = other.post("/login", data={"username": "coord.gz", "password": password})
    assert response.headers["Location"] == "/account/password"


def test_create_with_a_chosen_temporary_password_and_county_scope(app, client, office, get_user):
    response = new_user(client, username="coord.cg", scope_code=" 522626 ",
                        temporary_password="Linshi-2023")
    assert shown_password(response) == "Linshi-2023"
    assert get_user("coord.cg").scope_code == "522626"


def test_create_non_coordinator_without_display_name(client, office, get_user):
    response = new_user(client, username="cert1", role="certifier", scope_code="",
                        display_name="")
    assert response.status_code == 200
    user = get_user("cert1")
    assert (user.role, user.scope_code, user.display_name) == (Role.CERTIFIER, None, "cert1")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"username": ""}, "请输入用户名。"),
        ({"username": "ab"}, "用户名应为 3–64 位字母、数字或 _ . @ -。"),
        ({"username": "张三"}, "用户名应为 3–64 位字母、数字或 _ . @ -。"),
        ({"username": "OFFICE.ADMIN"}, "用户名 OFFICE.ADMIN 已被使用。"),
        ({"role": ""}, "请选择角色。"),
        ({"role": "admin"}, "请选择列表中的角色。"),
        ({"scope_code": ""}, "实施点联络员必须设置负责区域"),
        ({"scope_code": "5202"}, "负责区域应为省级 2 位代码或县级 6 位代码。"),
        ({"scope_code": "99"}, "区域代码 99 不在行政区划代码表中。"),
        # 水城县 became 水城区 (520204) in 2020: the old code is not in the current list
        ({"scope_code": "520221"}, "区域代码 520221 不在行政区划代码表中。"),
        ({"role": "trainee", "scope_code": "52"}, "只有实施点联络员需要设置负责区域。"),
        ({"temporary_password": "short1"}, "密码至少需要 8 个字符。"),
        ({"temporary_password": "12345678"}, "密码不能只由数字或只由字母组成。"),
        ({"display_name": "名" * 65}, "姓名不能超过 64 个字符。"),
    ],
)
def test_create_refuses_bad_input_and_creates_nothing(app, client, office, fields, message):
    before = count_users(app)

    response = new_user(client, **fields)

    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert count_users(app) == before


# enable, disable, reset -----------------------------------------------------------------------


def test_disable_and_enable(app, client, office, make_user, get_user, audit_actions):
    trainee = make_user(Role.TRAINEE, username="trainee1", password=PASSWORD)
    trainee_client = app.test_client()
    trainee_client.post("/login", data={"username": "trainee1", "password": PASSWORD})
    assert trainee_client.get("/account/tokens").status_code == 200

    response = client.post(f"/users/{trainee.id}/disable", data={"next": "/users?role=trainee"})

    assert response.status_code == 302
    assert response.headers["Location"] == "/users?role=trainee"
    assert not get_user("trainee1").is_enabled
    assert trainee_client.get("/account/tokens").status_code == 302  # signed out at once
    response = app.test_client().post("/login", data={"username": "trainee1", "password": PASSWORD})
    assert "该账号已被停用" in response.get_data(as_text=True)

    client.post(f"/users/{trainee.id}/enable")
    assert get_user("trainee1").is_enabled
    response = app.test_client().post("/login", data={"username": "trainee1", "password": PASSWORD})
    assert response.status_code == 302
    actions = [action for action, _ in audit_actions()]
    assert "user.disable" in actions and "user.enable" in actions


def test_office_cannot_disable_itself(client, office, get_user):
    response = client.post(f"/users/{office.id}/disable", follow_redirects=True)
    assert "不能停用自己的账号。" in response.get_data(as_text=True)
    assert get_user("office.admin").is_enabled


def test_reset_password_gives_a_new_temporary_password(app, client, office, make_user, get_user):
    trainee = make_user(Role.TRAINEE, username="trainee1", password=PASSWORD)
    trainee_client = app.test_client()
    trainee_client.post("/login", data={"username": "trainee1", "password": PASSWORD})

    response = client.post(f"/users/{trainee.id}/reset-password")

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    password = shown_password(response)
    assert get_user("trainee1").must_change_password
    assert trainee_client.get("/account/tokens").status_code == 302  # old sessions end
    other = app.test_client()
    assert other.post("/login", data={"username": "trainee1", "password": PASSWORD}).status_code == 400
    response = other.post("/login", data={"username": "trainee1", "password": password})
    assert response.headers["Location"] == "/account/password"


def test_office_resets_its_own_password_elsewhere(client, office, get_user):
    response = client.post(f"/users/{office.id}/reset-password", follow_redirects=True)
    assert "请使用“修改密码”页面" in response.get_data(as_text=True)
    assert not get_user("office.admin").must_change_password


@pytest.mark.parametrize("action", ["enable", "disable", "reset-password"])
def test_actions_on_unknown_users_are_404(client, office, action):
    assert client.post(f"/users/999999/{action}").status_code == 404


def test_reset_password_revokes_the_accounts_api_tokens(app, client, office, make_user,
                                                         audit_actions):
    from trainhub.accounts.models import ApiToken
    from trainhub.accounts.operations import create_token, revoke_token

    user = make_user(Role.INSTRUCTOR, username="teacher1", password=PASSWORD)
    with app.app_context():
        teacher = db.session.get(User, user.id)
        _, first = create_token(teacher, "课表同步")
        _, second = create_token(teacher, "考勤机", expires_in_days=30)
        retired, _ = create_token(teacher, "旧系统")
        revoke_token(retired)
        db.session.commit()
    headers = [{"Authorization": f"Bearer {secret}"} for secret in (first, second)]
    assert all(client.get("/api/v1/me", headers=h).status_code == 200 for h in headers)

    assert client.post(f"/users/{user.id}/reset-password").status_code == 200

    assert all(client.get("/api/v1/me", headers=h).status_code == 401 for h in headers)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)
                                 .where(ApiToken.revoked_at.is_(None))) == 0
    assert ("token.revoke_all", {"username": "teacher1", "count": 2,
                                 "reason": "password_reset"}) in audit_actions()
