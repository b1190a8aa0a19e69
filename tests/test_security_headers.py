"""Every answer refuses framing and type sniffing; database errors carry no values."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from trainhub.accounts.models import Role
from trainhub.extensions import db


@pytest.mark.parametrize("path", ["/login", "/healthz", "/no-such-page", "/api/v1/counties"])
def test_pages_and_api_answers_cannot_be_framed(client, path):
    response = client.get(path)
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_signed_in_pages_cannot_be_framed(client, login):
    login(Role.OFFICE)
    response = client.get("/account/tokens")
    assert response.status_code == 200
    assert response.headers["X-Frame-Options"] == "DENY"


def test_activation_pages_keep_their_stricter_referrer_policy(client):
    response = client.get("/activate/unknown-token")
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Frame-Options"] == "DENY"


def _error_text(app) -> str:
    with app.app_context():
        try:
            db.session.execute(sa.text("SELECT no_such_column FROM county WHERE name = :v"),
                               {"v": "13812345678"})
        except sa.exc.DBAPIError as error:
            db.session.rollback()
            return str(error)
    raise AssertionError("the statement should have failed")


def test_database_errors_do_not_carry_the_values_of_the_statement(app):
    assert "no_such_column" in _error_text(app)
    assert "13812345678" not in _error_text(app)


def test_the_values_would_be_there_without_the_setting(make_app):
    shown = make_app(SQLALCHEMY_ENGINE_OPTIONS={"hide_parameters": False})
    assert "13812345678" in _error_text(shown)
