"""Signing in and out: credentials, disabled accounts, ``next``, remember-me, audit."""

from __future__ import annotations

import re

import pytest

from trainhub.accounts.models import Role

PASSWORD = "Shouqian-2023"
BAD_CREDENTIALS = "用户名或密码不正确。"


def csrf_token(response) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', response.get_data(as_text=True))
    assert match, "no CSRF token on the page"
    return match.group(1)


def sign_in(client, username, password=PASSWORD, **extra):
    return client.post("/login", data={"username": username, "password": password, **extra})


def test_login_page_renders_the_form(client):
    response = client.get("/login")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'name="username"' in page and 'name="password"' in page and 'name="remember"' in page
    assert "登录" in page


def test_sign_in_redirects_home_and_records_last_login(client, make_user, get_user, audit_actions):
    user = make_user(Role.INSTRUCTOR, username="teacher1", password=PASSWORD)
    assert user.last_login_at is None

    response = sign_in(client, "teacher1")

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert get_user("teacher1").last_login_at is not None
    assert client.get("/account/tokens").status_code == 200  # signed in
    assert ("user.login", {"username": "teacher1"}) in audit_actions()


def test_user_name_is_not_case_sensitive(client, make_user, get_user):
    wang = make_user(Role.OFFICE, username="Office.Wang", password=PASSWORD, display_name="王主任")
    other = make_user(Role.INSTRUCTOR, username="office.wang2", password=PASSWORD, display_name="王老师")
    assert sign_in(client, "  office.wang ").status_code == 302
    # signed in as Office.Wang, not as the account whose name merely starts the same way
    page = client.get("/").get_data(as_text=True)
    assert re.search(r'class="[^"]*\baccount-username\b[^"]*">Office\.Wang</span>', page)
    assert 'class="user-name">王主任</span>' in page and "王老师" not in page
    assert get_user("Office.Wang").id == wang.id and get_user("Office.Wang").last_login_at is not None
    assert get_user("office.wang2").id == other.id and get_user("office.wang2").last_login_at is None
    assert client.get("/users").status_code == 200  # the office's page, not an instructor's


@pytest.mark.parametrize(
    ("username", "password", "message"),
    [
        ("", "", "请输入用户名。"),
        ("teacher1", "", "请输入密码。"),
        ("", PASSWORD, "请输入用户名。"),
    ],
)
def test_empty_fields_are_named(client, make_user, username, password, message):
    make_user(Role.INSTRUCTOR, username="teacher1", password=PASSWORD)
    response = sign_in(client, username, password)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert client.get("/account/tokens").status_code == 302  # still signed out


def test_wrong_password_and_unknown_user_get_the_same_answer(client, make_user, audit_actions):
    make_user(Role.INSTRUCTOR, username="teacher1", password=PASSWORD)

    wrong = sign_in(client, "teacher1", "Wrong-password-1")
    unknown = sign_in(client, "nobody", PASSWORD)

    for response in (wrong, unknown):
        assert response.status_code == 400
        page = response.get_data(as_text=True)
        assert BAD_CREDENTIALS in page
        assert 'value="teacher1"' in page or 'value="nobody"' in page  # the name stays filled in
        assert PASSWORD not in page and "Wrong-password-1" not in page
    assert client.get("/account/tokens").status_code == 302

    failures = [detail for action, detail in audit_actions() if action == "user.login_failed"]
    assert failures == [
        {"username": "teacher1", "reason": "wrong_password"},
        {"username": "nobody", "reason": "unknown_user"},
    ]
    assert "Wrong-password-1" not in repr(audit_actions()) and PASSWORD not in repr(audit_actions())


def test_disabled_account_is_refused_with_a_clear_message(client, make_user, app, get_user):
    from trainhub.accounts.models import User
    from trainhub.extensions import db

    user = make_user(Role.TRAINEE, username="trainee1", password=PASSWORD)
    with app.app_context():
        db.session.get(User, user.id).is_enabled = False
        db.session.commit()

    response = sign_in(client, "trainee1")
    assert response.status_code == 400
    assert "该账号已被停用" in response.get_data(as_text=True)
    assert client.get("/account/tokens").status_code == 302
    assert get_user("trainee1").last_login_at is None

    # whoever does not know the password learns nothing about the account
    response = sign_in(client, "trainee1", "Wrong-password-1")
    assert BAD_CREDENTIALS in response.get_data(as_text=True)
    assert "该账号已被停用" not in response.get_data(as_text=True)


def test_account_without_password_cannot_sign_in(client, make_user):
    make_user(Role.TRAINEE, username="pending1", password=None)
    response = sign_in(client, "pending1", "")
    assert response.status_code == 400
    response = sign_in(client, "pending1", "anything-1")
    assert BAD_CREDENTIALS in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/account/tokens", "/account/tokens"),
        ("/users?role=trainee", "/users?role=trainee"),
        ("https://evil.example/phish", "/"),
        ("//evil.example/phish", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("", "/"),
    ],
)
def test_next_is_followed_only_within_the_site(client, make_user, next_url, expected):
    make_user(Role.OFFICE, username="office1", password=PASSWORD)
    response = client.post(
        "/login", query_string={"next": next_url},
        data={"username": "office1", "password": PASSWORD},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_protected_page_sends_anonymous_users_to_sign_in_and_back(client, make_user):
    make_user(Role.OFFICE, username="office1", password=PASSWORD)
    response = client.get("/account/tokens")
    assert response.status_code == 302
    login_url = response.headers["Location"]
    assert login_url.startswith("/login?next=")

    response = client.post(login_url, data={"username": "office1", "password": PASSWORD})
    assert response.headers["Location"] == "/account/tokens"


def test_signed_in_user_visiting_login_goes_home(client, login):
    login(Role.OFFICE)
    response = client.get("/login")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_remember_me_sets_a_lasting_cookie_only_when_asked(app, make_user):
    make_user(Role.TRAINEE, username="trainee1", password=PASSWORD)

    plain = app.test_client()
    sign_in(plain, "trainee1")
    assert plain.get_cookie("remember_token") is None

    remembered = app.test_client()
    sign_in(remembered, "trainee1", remember="y")
    cookie = remembered.get_cookie("remember_token")
    assert cookie is not None and cookie.expires is not None

    # the browser is closed: the session cookie is gone, the remember cookie signs in again
    remembered.delete_cookie("session")
    assert remembered.get("/account/tokens").status_code == 200
    plain.delete_cookie("session")
    assert plain.get("/account/tokens").status_code == 302


def test_sign_out_ends_the_session(client, login):
    login(Role.CERTIFIER)
    assert client.get("/account/tokens").status_code == 200

    response = client.post("/logout")

    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert client.get("/account/tokens").status_code == 302
    assert "您已退出登录" in client.get("/login").get_data(as_text=True)


def test_sign_out_by_get_is_not_possible(client, login):
    login(Role.CERTIFIER)
    assert client.get("/logout").status_code == 405
    assert client.get("/account/tokens").status_code == 200


def test_temporary_password_forces_a_password_change(client, make_user):
    make_user(Role.INSTRUCTOR, username="teacher1", password=PASSWORD, must_change_password=True)

    response = sign_in(client, "teacher1")
    assert response.headers["Location"] == "/account/password"
    # every other page sends the user back until the password is changed
    response = client.get("/account/tokens")
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/password"
    assert client.get("/account/password").status_code == 200

    response = client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": "Eigene-Mima-9",
        "confirm_password": "Eigene-Mima-9",
    })
    assert response.status_code == 302
    assert client.get("/account/tokens").status_code == 200


class TestCsrf:
    """With CSRF protection on (as in production), sign-out needs the form's token."""

    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "WTF_CSRF_ENABLED": True}

    def test_sign_out_without_token_is_refused(self, client, make_user):
        make_user(Role.OFFICE, username="office1", password=PASSWORD)
        token = csrf_token(client.get("/login"))
        response = sign_in(client, "office1", csrf_token=token)
        assert response.status_code == 302

        response = client.post("/logout")
        assert response.status_code == 400
        assert client.get("/account/tokens").status_code == 200  # still signed in

        token = csrf_token(client.get("/account/tokens"))
        assert client.post("/logout", data={"csrf_token": token}).status_code == 302
        assert client.get("/account/tokens").status_code == 302
