"""API tokens: created in the web UI, used as bearer tokens, listed and revoked."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from trainhub.accounts.models import ApiToken, Role
from trainhub.db import utcnow
from trainhub.extensions import db

PROBLEM = "application/problem+json"


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def create_in_web(client, name="官网同步", days="90") -> str:
    response = client.post("/account/tokens", data={"name": name, "expires_in_days": days})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    match = re.search(r'id="token-secret"[^>]*value="(th_[^"]+)"', response.get_data(as_text=True))
    assert match, "the token is not shown"
    return match.group(1)


def tokens_in_db(app) -> list[ApiToken]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(ApiToken).order_by(ApiToken.id)))
        for row in rows:
            db.session.expunge(row)
        return rows


def assert_401_problem(response):
    assert response.status_code == 401
    assert response.mimetype == PROBLEM
    assert response.json["status"] == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


# web ------------------------------------------------------------------------------------------


def test_token_is_shown_once_and_stored_hashed(app, client, login):
    login(Role.INSTRUCTOR)

    secret = create_in_web(client)

    (token,) = tokens_in_db(app)
    assert token.name == "官网同步"
    assert secret not in (token.token_hash, token.prefix)
    assert secret.startswith(token.prefix)
    assert timedelta(days=89) < token.expires_at - utcnow() <= timedelta(days=90)
    page = client.get("/account/tokens").get_data(as_text=True)
    assert "官网同步" in page and token.prefix in page and "有效" in page
    assert secret not in page


def test_token_without_expiry(app, client, login):
    login(Role.TRAINEE)
    create_in_web(client, days="0")
    assert tokens_in_db(app)[0].expires_at is None
    assert "长期有效" in client.get("/account/tokens").get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "expires_in_days": "90"}, "请填写令牌名称"),
        ({"name": "   ", "expires_in_days": "90"}, "请填写令牌名称"),
        ({"name": "x" * 101, "expires_in_days": "90"}, "令牌名称不能超过 100 个字符。"),
        ({"name": "官网", "expires_in_days": "7"}, "请选择列表中的有效期。"),
        ({"name": "官网", "expires_in_days": "abc"}, "请选择列表中的有效期。"),
    ],
)
def test_bad_token_input_creates_nothing(app, client, login, data, message):
    login(Role.OFFICE)
    response = client.post("/account/tokens", data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert tokens_in_db(app) == []


def test_created_token_works_until_revoked_in_the_web(app, client, login):
    user = login(Role.CERTIFIER, username="cert1", display_name="认证中心 陈")
    secret = create_in_web(client)

    response = client.get("/api/v1/me", headers=bearer(secret))

    assert response.status_code == 200
    assert response.json == {
        "id": user.id, "username": "cert1", "display_name": "认证中心 陈",
        "role": "certifier", "role_label": "认证中心", "scope": None,
    }
    assert tokens_in_db(app)[0].last_used_at is not None

    token_id = tokens_in_db(app)[0].id
    assert client.post(f"/account/tokens/{token_id}/revoke").status_code == 302
    assert "已撤销" in client.get("/account/tokens").get_data(as_text=True)
    assert_401_problem(client.get("/api/v1/me", headers=bearer(secret)))


def test_someone_elses_token_cannot_be_revoked_in_the_web(app, client, login, api_headers):
    api_headers(Role.OFFICE)  # another user's token
    (other,) = tokens_in_db(app)
    login(Role.OFFICE)
    assert client.post(f"/account/tokens/{other.id}/revoke").status_code == 404
    assert tokens_in_db(app)[0].revoked_at is None


# API ------------------------------------------------------------------------------------------


def test_me_names_the_coordinator_scope(app, client, make_user, counties):
    from trainhub.accounts.models import User
    from trainhub.accounts.operations import create_token

    user = make_user(Role.COORDINATOR, username="coord.gz", scope_code="522626")
    with app.app_context():
        _, secret = create_token(db.session.get(User, user.id), "小程序")
        db.session.commit()
    body = client.get("/api/v1/me", headers=bearer(secret)).json
    assert (body["role"], body["scope"]) == ("coordinator", "522626")


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer th_not-a-real-token"},
        {"Authorization": "Bearer something-else"},
        {"Authorization": "Basic b2ZmaWNlOnB3"},
    ],
)
def test_missing_or_unknown_token_is_401(client, headers):
    assert_401_problem(client.get("/api/v1/me", headers=headers))


def test_expired_token_is_401(app, client, api_headers):
    headers = api_headers(Role.OFFICE)
    with app.app_context():
        token = db.session.scalars(sa.select(ApiToken)).one()
        token.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    assert_401_problem(client.get("/api/v1/me", headers=headers))


def test_token_of_a_disabled_user_is_401(app, client, api_headers):
    from trainhub.accounts.models import User

    headers = api_headers(Role.OFFICE)
    with app.app_context():
        db.session.scalars(sa.select(User)).one().is_enabled = False
        db.session.commit()
    assert_401_problem(client.get("/api/v1/me", headers=headers))


def test_session_cookie_alone_is_not_enough_for_the_api(client, login):
    login(Role.OFFICE)
    assert client.get("/account/tokens").status_code == 200  # signed in on the web
    assert_401_problem(client.get("/api/v1/me"))
    assert_401_problem(client.get("/api/v1/tokens"))


def test_list_tokens_shows_only_the_callers(app, client, api_headers, login):
    headers = api_headers(Role.TRAINEE)
    api_headers(Role.TRAINEE)  # someone else's
    login(Role.OFFICE)  # and a third user's, made in the web
    create_in_web(client, name="网页创建")

    response = client.get("/api/v1/tokens", headers=headers)

    assert response.status_code == 200
    body = response.json
    assert body["total"] == 1 and body["page"] == 1
    (item,) = body["items"]
    assert item["name"] == "test" and item["status"] == "active"
    assert set(item) == {"id", "name", "prefix", "created_at", "last_used_at", "expires_at",
                         "revoked_at", "status"}
    assert "token_hash" not in response.get_data(as_text=True)


def test_list_tokens_pages(app, client, api_headers):
    from trainhub.accounts.models import User
    from trainhub.accounts.operations import create_token

    headers = api_headers(Role.INSTRUCTOR)
    with app.app_context():
        user = db.session.scalars(sa.select(User)).one()
        for n in range(4):
            create_token(user, f"令牌{n}")
        db.session.commit()

    body = client.get("/api/v1/tokens", query_string={"per_page": 2, "page": 2},
                      headers=headers).json
    assert body["total"] == 5 and body["per_page"] == 2 and len(body["items"]) == 2

    response = client.get("/api/v1/tokens", query_string={"per_page": 0}, headers=headers)
    assert response.status_code == 422
    assert response.mimetype == PROBLEM
    assert "per_page" in response.json["errors"]


def test_revoke_own_token_through_the_api(app, client, api_headers):
    from trainhub.accounts.models import User
    from trainhub.accounts.operations import create_token

    headers = api_headers(Role.OFFICE)
    with app.app_context():
        user = db.session.scalars(sa.select(User)).one()
        spare, spare_secret = create_token(user, "旧系统")
        db.session.commit()
        spare_id = spare.id

    response = client.delete(f"/api/v1/tokens/{spare_id}", headers=headers)

    assert response.status_code == 204
    assert_401_problem(client.get("/api/v1/me", headers=bearer(spare_secret)))
    listed = client.get("/api/v1/tokens", headers=headers).json["items"]
    assert {t["id"]: t["status"] for t in listed}[spare_id] == "revoked"
    # revoking again is harmless
    assert client.delete(f"/api/v1/tokens/{spare_id}", headers=headers).status_code == 204

    # a client may retire the token it is using; it stops working at once
    own_id = next(t["id"] for t in listed if t["status"] == "active")
    assert client.delete(f"/api/v1/tokens/{own_id}", headers=headers).status_code == 204
    assert_401_problem(client.get("/api/v1/me", headers=headers))


def test_revoke_someone_elses_or_unknown_token_is_404(app, client, api_headers):
    mine = api_headers(Role.OFFICE)
    api_headers(Role.OFFICE)
    other_id = tokens_in_db(app)[1].id

    for token_id in (other_id, 999999):
        response = client.delete(f"/api/v1/tokens/{token_id}", headers=mine)
        assert response.status_code == 404
        assert response.mimetype == PROBLEM
    assert tokens_in_db(app)[1].revoked_at is None


def test_token_endpoints_are_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").json
    assert {"/api/v1/me", "/api/v1/tokens", "/api/v1/tokens/{token_id}"} <= set(spec["paths"])
    assert "delete" in spec["paths"]["/api/v1/tokens/{token_id}"]
    schemas = spec["components"]["schemas"]
    assert {"Me", "ApiToken", "ApiTokenPage"} <= set(schemas)
    assert set(schemas["Me"]["properties"]) == {
        "id", "username", "display_name", "role", "role_label", "scope"}
