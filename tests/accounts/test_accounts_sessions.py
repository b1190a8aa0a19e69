"""Server-side sessions: signing out ends the session on the server, for a copied session
cookie and the remember-me cookie alike; sessions end with a password change, a disabled
account or a long idle time; writes stay cheap."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from trainhub.accounts.models import Role, User, UserSession
from trainhub.accounts.operations import set_enabled
from trainhub.accounts.user_sessions import summarise_user_agent
from trainhub.db import utcnow
from trainhub.extensions import db

PASSWORD = "Shouqian-2023"
WECHAT_ANDROID = ("Mozilla/5.0 (Linux; Android 13; V2183A) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/107.0.5304.141 Mobile Safari/537.36 MicroMessenger/8.0.40")


def sign_in(client, username="trainee1", password=PASSWORD, **extra):
    return client.post("/login", data={"username": username, "password": password, **extra},
                       headers={"User-Agent": WECHAT_ANDROID})


def signed_in(client) -> bool:
    return client.get("/account/password").status_code == 200


def sessions(app) -> list[UserSession]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(UserSession).order_by(UserSession.id)))
        for row in rows:
            db.session.expunge(row)
        return rows


def set_last_seen(app, when) -> None:
    with app.app_context():
        db.session.execute(sa.update(UserSession).values(last_seen_at=when))
        db.session.commit()


@pytest.fixture
def trainee(make_user):
    return make_user(Role.TRAINEE, username="trainee1", password=PASSWORD)


def test_a_copied_session_cookie_stops_working_at_sign_out(app, client, trainee):
    assert sign_in(client).status_code == 302
    copied = client.get_cookie("session").value
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert signed_in(thief)

    client.post("/logout")

    assert not signed_in(thief)
    assert sessions(app) == []


def test_the_remember_me_cookie_stops_working_at_sign_out(app, client, trainee):
    sign_in(client, remember="y")
    copied = client.get_cookie("remember_token").value
    thief = app.test_client()
    thief.set_cookie("remember_token", copied)
    assert signed_in(thief)

    client.post("/logout")

    other = app.test_client()  # a copy taken before signing out, used later
    other.set_cookie("remember_token", copied)
    assert not signed_in(other)
    thief.delete_cookie("session")
    assert not signed_in(thief)


def test_signing_out_ends_only_this_browsers_session(app, trainee):
    phone, desk = app.test_client(), app.test_client()
    sign_in(phone)
    sign_in(desk)
    assert len(sessions(app)) == 2

    phone.post("/logout")

    assert not signed_in(phone) and signed_in(desk)
    assert len(sessions(app)) == 1


def test_the_session_is_stored_hashed_with_a_short_browser_description(app, client, trainee):
    sign_in(client)
    (row,) = sessions(app)
    cookie = client.get_cookie("session").value
    assert row.user_id == trainee.id and len(row.id_hash) == 64
    assert row.id_hash not in cookie
    assert row.user_agent == "微信 · Android"
    assert row.created_at == row.last_seen_at


def test_last_seen_is_written_at_most_once_a_minute(app, client, trainee):
    sign_in(client)
    recent = utcnow() - timedelta(seconds=30)
    set_last_seen(app, recent)
    assert signed_in(client)
    assert sessions(app)[0].last_seen_at == recent  # no write within the minute

    set_last_seen(app, utcnow() - timedelta(minutes=2))
    before = utcnow()
    assert signed_in(client)
    assert sessions(app)[0].last_seen_at >= before


def test_a_session_idle_longer_than_the_remember_duration_ends(app, client, trainee):
    sign_in(client, remember="y")
    set_last_seen(app, utcnow() - timedelta(days=30, minutes=1))
    assert not signed_in(client)
    client.delete_cookie("session")
    assert not signed_in(client)  # the remember-me cookie neither


def test_signing_in_prunes_idle_sessions(app, trainee, make_user):
    office = make_user(Role.OFFICE, username="office1", password=PASSWORD)
    sign_in(app.test_client())
    set_last_seen(app, utcnow() - timedelta(days=31))

    sign_in(app.test_client(), "office1")

    assert [row.user_id for row in sessions(app)] == [office.id]


def test_disabling_an_account_ends_its_sessions_for_good(app, client, trainee):
    sign_in(client)

    def enable(enabled: bool) -> None:
        with app.app_context():
            set_enabled(db.session.get(User, trainee.id), enabled)
            db.session.commit()

    enable(False)
    assert not signed_in(client)
    assert sessions(app) == []
    enable(True)
    assert not signed_in(client)  # re-enabling does not bring the old session back


def test_the_office_resetting_a_password_signs_the_user_out(app, client, trainee, make_user):
    office = make_user(Role.OFFICE, username="office1", password=PASSWORD)
    sign_in(client, remember="y")
    desk = app.test_client()
    sign_in(desk, "office1")

    assert desk.post(f"/users/{trainee.id}/reset-password").status_code == 200

    assert not signed_in(client)
    client.delete_cookie("session")
    assert not signed_in(client)
    assert {row.user_id for row in sessions(app)} == {office.id}


@pytest.mark.parametrize("forged", [
    "1:1",  # the form of cookies before server-side sessions
    "x" * 129,
    "",
    "not-a-session",
])
def test_forged_or_old_session_ids_sign_nobody_in(app, trainee, forged):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = forged
        session["_fresh"] = True
    assert not signed_in(client)


@pytest.mark.parametrize(("header", "summary"), [
    (WECHAT_ANDROID, "微信 · Android"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) Version/17.0 Mobile/15E148 Safari/604.1", "Safari · iPhone"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/120.0 Safari/537.36 Edg/120.0", "Edge · Windows"),
    ("curl/8.5.0", "curl/8.5.0"),
    ("", None),
    (None, None),
])
def test_user_agent_summary(header, summary):
    assert summarise_user_agent(header) == summary
