"""Printed activation links name the configured public address, never the request's Host
header; without one, production refuses to print them and development warns."""

from __future__ import annotations

import re

import sqlalchemy as sa

from trainhub.accounts.models import ActivationLink, Role
from trainhub.extensions import db

PASSWORD = "Shouqian-2023"
#: Requests arriving with a forged Host header (the session cookie is sent to that host).
FORGED = "http://evil.example"


def links(response) -> list[str]:
    return re.findall(r"https?://[^\s\"<]+/activate/[A-Za-z0-9_\-]+", response.get_data(as_text=True))


def sign_in(client, base_url="http://localhost"):
    response = client.post("/login", data={"username": "office1", "password": PASSWORD},
                           base_url=base_url)
    assert response.status_code == 302


def link_rows(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(ActivationLink))


def test_links_use_the_public_url_even_with_a_forged_host(make_app, make_user, world):
    app = make_app(PUBLIC_URL="https://px.example.org")
    make_user(Role.OFFICE, username="office1", password=PASSWORD)
    client = app.test_client()
    sign_in(client, FORGED)
    response = client.post("/learners/activation-links", data={"province": "52"}, base_url=FORGED)
    assert response.status_code == 200
    found = links(response)
    assert len(found) == 2 and all(u.startswith("https://px.example.org/activate/") for u in found)
    assert "evil.example" not in response.get_data(as_text=True)
    assert "TRAINHUB_PUBLIC_URL" not in response.get_data(as_text=True)


def test_production_without_a_public_url_refuses_and_keeps_earlier_links(make_app, make_user,
                                                                          world):
    earlier = make_app(PUBLIC_URL="https://px.example.org")
    make_user(Role.OFFICE, username="office1", password=PASSWORD)
    client = earlier.test_client()
    sign_in(client)
    (printed,) = links(client.post(f"/learners/{world.li.id}/activation-link"))

    app = make_app(ENV="production")  # Secure cookies: the requests come over HTTPS
    client = app.test_client()
    sign_in(client, "https://evil.example")
    response = client.post(f"/learners/{world.li.id}/activation-link",
                           base_url="https://evil.example")

    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "TRAINHUB_PUBLIC_URL" in page and "未生成任何链接" in page
    assert not links(response)
    assert link_rows(app) == 1  # nothing issued, the earlier link not replaced
    token = printed.rsplit("/", 1)[1]
    assert app.test_client().get(f"/activate/{token}").status_code == 200


def test_development_without_a_public_url_warns_on_the_page(app, make_user, world):
    make_user(Role.OFFICE, username="office1", password=PASSWORD)
    client = app.test_client()
    sign_in(client, "http://192.168.1.20:5000")
    response = client.post("/learners/activation-links", data={"province": "52"},
                           base_url="http://192.168.1.20:5000")
    assert response.status_code == 200
    assert all(u.startswith("http://192.168.1.20:5000/activate/") for u in links(response))
    page = response.get_data(as_text=True)
    assert "未配置对外访问地址（TRAINHUB_PUBLIC_URL）" in page and "http://192.168.1.20:5000" in page
