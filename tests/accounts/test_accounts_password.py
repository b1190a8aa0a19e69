"""Changing one's own password: bad input, and other sessions end."""

from __future__ import annotations

import re

import pytest

from trainhub.accounts.models import Role

PASSWORD = "Shouqian-2023"
NEW_PASSWORD = "Xin-mima-2024"


def sign_in(client, username, password=PASSWORD, **extra):
    return client.post("/login", data={"username": username, "password": password, **extra})


def change(client, current=PASSWORD, new=NEW_PASSWORD, confirm=None):
    return client.post("/account/password", data={
        "current_password": current, "new_password": new,
        "confirm_password": new if confirm is None else confirm,
    })


@pytest.fixture
def teacher(client, make_user):
    user = make_user(Role.INSTRUCTOR, username="teacher1", password=PASSWORD)
    assert sign_in(client, "teacher1").status_code == 302
    return user


def test_password_page_needs_sign_in(client):
    response = client.get("/account/password")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize(
    ("current", "new", "confirm", "message"),
    [
        ("Wrong-password-1", NEW_PASSWORD, None, "当前密码不正确。"),
        ("", NEW_PASSWORD, None, "请输入当前密码。"),
        (PASSWORD, "", "", "请输入新密码。"),
        (PASSWORD, "Ab1", None, "密码至少需要 8 个字符。"),
        (PASSWORD, "12345678901", None, "密码不能只由数字或只由字母组成。"),
        (PASSWORD, "abcdefghij", None, "密码不能只由数字或只由字母组成。"),
        (PASSWORD, "Teacher1", None, "密码不能与用户名相同。"),
        (PASSWORD, PASSWORD, None, "新密码不能与当前密码相同。"),
        (PASSWORD, NEW_PASSWORD, "Xin-mima-2025", "两次输入的新密码不一致。"),
    ],
)
def test_bad_input_is_named_and_changes_nothing(app, client, teacher, current, new, confirm,
                                                message):
    response = change(client, current, new, confirm)

    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    # the old password still works, the new one does not
    other = app.test_client()
    assert sign_in(other, "teacher1", NEW_PASSWORD).status_code == 400
    assert sign_in(other, "teacher1", PASSWORD).status_code == 302


def test_change_keeps_this_session_and_ends_every_other(app, client, teacher, audit_actions):
    elsewhere = app.test_client()
    sign_in(elsewhere, "teacher1")
    remembered = app.test_client()
    sign_in(remembered, "teacher1", remember="y")
    remembered.delete_cookie("session")  # only the remember-me cookie is left
    assert elsewhere.get("/account/tokens").status_code == 200
    assert remembered.get("/account/tokens").status_code == 200

    response = change(client)

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert client.get("/account/tokens").status_code == 200
    assert elsewhere.get("/account/tokens").status_code == 302
    remembered.delete_cookie("session")
    assert remembered.get("/account/tokens").status_code == 302
    assert sign_in(app.test_client(), "teacher1", NEW_PASSWORD).status_code == 302
    assert sign_in(app.test_client(), "teacher1", PASSWORD).status_code == 400
    assert ("user.set_password", {"temporary": False}) in audit_actions()


def test_remembered_session_stays_remembered_after_a_change(app, make_user):
    make_user(Role.TRAINEE, username="trainee1", password=PASSWORD)
    client = app.test_client()
    sign_in(client, "trainee1", remember="y")

    assert change(client).status_code == 302

    client.delete_cookie("session")
    assert client.get("/account/tokens").status_code == 200


@pytest.fixture
def token_headers(app, teacher):
    """Bearer headers of an API token of the signed-in teacher."""
    from trainhub.accounts.models import User
    from trainhub.accounts.operations import create_token
    from trainhub.extensions import db

    with app.app_context():
        _, secret = create_token(db.session.get(User, teacher.id), "课表同步")
        db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def test_the_form_offers_to_revoke_the_tokens_and_ticks_it(client, teacher):
    page = client.get("/account/password").get_data(as_text=True)
    assert "同时撤销我的全部 API 令牌" in page
    assert re.search(r'<input[^>]*checked[^>]*name="revoke_tokens"|'
                     r'<input[^>]*name="revoke_tokens"[^>]*checked', page)


def test_a_change_with_the_box_ticked_revokes_every_token(app, client, token_headers,
                                                           audit_actions):
    assert client.get("/api/v1/me", headers=token_headers).status_code == 200

    response = client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": NEW_PASSWORD,
        "confirm_password": NEW_PASSWORD, "revoke_tokens": "y",
    }, follow_redirects=True)

    assert "API 令牌已全部撤销" in response.get_data(as_text=True)
    assert client.get("/api/v1/me", headers=token_headers).status_code == 401
    assert ("token.revoke_all", {"username": "teacher1", "count": 1,
                                 "reason": "password_change"}) in audit_actions()


def test_a_change_with_the_box_unticked_keeps_the_tokens(client, token_headers, audit_actions):
    assert change(client).status_code == 302  # the box is not sent: unticked
    assert client.get("/api/v1/me", headers=token_headers).status_code == 200
    assert "token.revoke_all" not in [action for action, _ in audit_actions()]


def test_a_refused_change_revokes_nothing(client, token_headers):
    response = client.post("/account/password", data={
        "current_password": "Wrong-password-1", "new_password": NEW_PASSWORD,
        "confirm_password": NEW_PASSWORD, "revoke_tokens": "y",
    })
    assert response.status_code == 400
    assert client.get("/api/v1/me", headers=token_headers).status_code == 200
