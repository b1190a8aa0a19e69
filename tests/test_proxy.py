"""Running behind a reverse proxy: trusted hops, Secure cookies, and a configured public
base URL for every link that leaves the application."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from trainhub.accounts.models import Role
from trainhub.audit.models import AuditEntry
from trainhub.config import ConfigError
from trainhub.extensions import db
from trainhub.links import LinksUnavailable, external_url, fallback_warning

PASSWORD = "Shouqian-2023"
PROXY = "10.0.0.2"  # the proxy's own address, as gunicorn sees it


def failed_sign_in_addresses(app) -> list[str | None]:
    with app.app_context():
        return list(db.session.scalars(
            sa.select(AuditEntry.ip).where(AuditEntry.action == "user.login_failed")
            .order_by(AuditEntry.id)))


def fail_sign_in(client, forwarded_for: str, username: str = "nobody"):
    return client.post("/login", data={"username": username, "password": "Wrong-password-1"},
                       headers={"X-Forwarded-For": forwarded_for},
                       environ_base={"REMOTE_ADDR": PROXY})


# proxy hops ------------------------------------------------------------------------------------


def test_without_proxy_hops_forwarded_headers_are_ignored(app, client):
    fail_sign_in(client, "198.51.100.7")
    assert failed_sign_in_addresses(app) == [PROXY]  # a client cannot pretend another address


def test_behind_one_proxy_the_client_address_is_seen(make_app):
    app = make_app(PROXY_HOPS=1)
    fail_sign_in(app.test_client(), "198.51.100.7")
    # only the hop the proxy added counts: what the client itself sent is ignored
    fail_sign_in(app.test_client(), "203.0.113.9, 198.51.100.8")
    assert failed_sign_in_addresses(app) == ["198.51.100.7", "198.51.100.8"]


def test_trainees_behind_one_proxy_do_not_share_a_throttle(make_app, make_user):
    app = make_app(PROXY_HOPS=1, LOGIN_LIMIT_ADDRESS="2 per minute")
    make_user(Role.TRAINEE, username="trainee1", password=PASSWORD)
    client = app.test_client()
    for name in ("guess1", "guess2"):
        assert fail_sign_in(client, "198.51.100.7", name).status_code == 400
    assert fail_sign_in(client, "198.51.100.7", "guess3").status_code == 429

    response = client.post("/login", data={"username": "trainee1", "password": PASSWORD},
                           headers={"X-Forwarded-For": "198.51.100.20"},
                           environ_base={"REMOTE_ADDR": PROXY})
    assert response.status_code == 302


@pytest.mark.parametrize("hops", ["two", "-1", "6", "1.5"])
def test_proxy_hops_must_be_a_small_whole_number(make_app, monkeypatch, hops):
    monkeypatch.setenv("TRAINHUB_PROXY_HOPS", hops)
    with pytest.raises(ConfigError, match="PROXY_HOPS"):
        make_app()


# Secure cookies --------------------------------------------------------------------------------


def set_cookies(app) -> dict[str, str]:
    """The Set-Cookie headers of a remembered sign-in, by cookie name."""
    response = app.test_client().post(
        "/login", data={"username": "office1", "password": PASSWORD, "remember": "y"})
    assert response.status_code == 302
    return {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}


@pytest.mark.parametrize(("overrides", "secure"), [
    ({}, False),
    ({"ENV": "production"}, True),
    ({"PUBLIC_URL": "https://px.example.org"}, True),
    ({"PUBLIC_URL": "http://192.168.1.20:5000"}, False),
])
def test_cookies_are_secure_in_production_or_behind_https(make_app, make_user, overrides, secure):
    make_user(Role.OFFICE, username="office1", password=PASSWORD)
    cookies = set_cookies(make_app(**overrides))
    assert set(cookies) == {"session", "remember_token"}
    for header in cookies.values():
        assert ("; Secure" in header) is secure, header
        assert "HttpOnly" in header


# the public base URL ---------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["px.example.org", "ftp://px.example.org", "https://",
                                 "https://px.example.org/?next=1", "https://px example.org"])
def test_a_malformed_public_url_stops_start_up(make_app, monkeypatch, url):
    monkeypatch.setenv("TRAINHUB_PUBLIC_URL", url)
    with pytest.raises(ConfigError, match="PUBLIC_URL"):
        make_app()


def test_links_use_the_public_url_whatever_the_host_header(make_app):
    app = make_app(PUBLIC_URL="https://example.org/trainhub/")
    assert app.config["PUBLIC_URL"] == "https://example.org/trainhub"
    with app.test_request_context("/", headers={"Host": "evil.example"}):
        assert external_url("accounts.activate", token="abc") == \
            "https://example.org/trainhub/activate/abc"
        assert fallback_warning() is None
    with app.app_context():  # a command: no request at all
        assert external_url("accounts.activate", token="abc") == \
            "https://example.org/trainhub/activate/abc"
        assert external_url("accounts.activate", token="abc", _base_url="http://10.1.1.1:8000") \
            == "http://10.1.1.1:8000/activate/abc"


def test_production_without_a_public_url_makes_no_links(make_app):
    app = make_app(ENV="production")
    with app.test_request_context("/", headers={"Host": "evil.example"}), \
            pytest.raises(LinksUnavailable, match="TRAINHUB_PUBLIC_URL"):
        external_url("accounts.activate", token="abc")


def test_development_falls_back_to_the_request_and_says_so(app, make_app):
    with app.test_request_context("/", base_url="http://192.168.1.20:5000"):
        assert external_url("accounts.activate", token="abc") == \
            "http://192.168.1.20:5000/activate/abc"
        assert "http://192.168.1.20:5000" in fallback_warning()
    with app.app_context(), pytest.raises(LinksUnavailable):
        external_url("accounts.activate", token="abc")

    behind_https = make_app(PROXY_HOPS=1)
    client = behind_https.test_client()
    with client:  # the scheme the proxy reports is the one the link gets
        client.get("/login", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "1.2.3.4"})
        assert external_url("accounts.activate", token="abc").startswith("https://")
