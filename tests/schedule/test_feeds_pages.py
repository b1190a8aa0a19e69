"""The "日历订阅" page, a course's shared calendar, ``GET /api/v1/me/calendar``, and what
surrounds a feed: audit entries, CSRF, a changed key, the miss limit, secrets kept out of
logs."""

from __future__ import annotations

import logging
import re
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from feed_world import PASSWORD, feed_of_fixture, feed_world_fixture, sign_in_fixture  # noqa: F401 (fixtures)

from trainhub.audit.models import AuditEntry
from trainhub.courses.models import CalendarFeed
from trainhub.extensions import db

PUBLIC_URL = "https://px.example.org"
FEED_URL = re.compile(r'value="(https://px\.example\.org/calendar/[A-Za-z0-9_-]{43}\.ics)"')
WEBCAL_URL = re.compile(r'value="(webcal://px\.example\.org/calendar/[A-Za-z0-9_-]{43}\.ics)"')


@pytest.fixture
def app_config(app_config):
    return {**app_config, "PUBLIC_URL": PUBLIC_URL}


def shown_url(client) -> str | None:
    """The https address the "日历订阅" page shows (None: none shown)."""
    page = client.get("/calendar")
    assert page.status_code == 200
    found = FEED_URL.search(page.get_data(as_text=True))
    return found[1] if found else None


def path_of(url: str) -> str:
    return urlsplit(url).path


def feeds_of(app, user_id: int) -> list[CalendarFeed]:
    with app.app_context():
        return list(db.session.scalars(sa.select(CalendarFeed).where(CalendarFeed.user_id == user_id)
                                       .order_by(CalendarFeed.id)))


# the subscription page ----------------------------------------------------------------------------


def test_the_page_offers_an_address_then_shows_it_with_qr_codes(app, client, feed_world, sign_in):
    sign_in("LA")
    first = client.get("/calendar")
    text = first.get_data(as_text=True)
    assert "生成订阅地址" in text and ".ics" not in text
    assert "您已报名（不含候补、已退课）课程的全部课次" in text
    assert feeds_of(app, feed_world.users["LA"]) == []  # opening the page creates nothing

    response = client.post("/calendar/renew")
    assert response.status_code == 302
    page = client.get("/calendar")
    text = page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    https = FEED_URL.search(text)[1]
    webcal = WEBCAL_URL.search(text)[1]
    assert webcal == "webcal://" + https.removeprefix("https://")
    assert text.count("<svg") == 2  # the two QR codes, drawn here
    for how in ("iPhone", "安卓手机", "企业微信", "重新生成地址", "停止订阅"):
        assert how in text
    assert shown_url(client) == https  # shown again, the same, on every visit
    feed = app.test_client().get(path_of(https))
    assert feed.status_code == 200 and b"BEGIN:VCALENDAR" in feed.data


def test_renewing_replaces_the_address_and_the_old_one_answers_404(app, client, feed_world, sign_in):
    sign_in("LA")
    client.post("/calendar/renew")
    old = shown_url(client)
    response = client.post("/calendar/renew", follow_redirects=True)
    assert "原地址已失效" in response.get_data(as_text=True)
    new = shown_url(client)
    assert new != old
    anonymous = app.test_client()
    assert anonymous.get(path_of(old)).status_code == 404
    assert anonymous.get(path_of(new)).status_code == 200
    rows = feeds_of(app, feed_world.users["LA"])
    assert [row.revoked_at is None for row in rows] == [False, True]


def test_revoking_stops_the_feed(app, client, feed_world, sign_in):
    sign_in("LB")
    client.post("/calendar/renew")
    url = shown_url(client)
    response = client.post("/calendar/revoke", follow_redirects=True)
    assert "订阅已停止" in response.get_data(as_text=True)
    assert app.test_client().get(path_of(url)).status_code == 404
    assert shown_url(client) is None
    again = client.post("/calendar/revoke", follow_redirects=True)
    assert "您当前没有有效的订阅地址" in again.get_data(as_text=True)


def test_each_user_sees_only_their_own_address(app, client, feed_world, sign_in):
    sign_in("LA")
    client.post("/calendar/renew")
    la = shown_url(client)
    sign_in("LB")
    assert shown_url(client) is None  # LA's address is nowhere on LB's page
    client.post("/calendar/renew")
    lb = shown_url(client)
    assert lb != la
    sign_in("LA")
    assert shown_url(client) == la  # LB's renewal left LA's address alone


def test_the_forms_need_their_csrf_token(make_app, feed_world):
    app = make_app(WTF_CSRF_ENABLED=True, PUBLIC_URL=PUBLIC_URL)
    client = app.test_client()
    client.post("/login", data={"username": feed_world.usernames["LA"], "password": PASSWORD})
    page = client.get("/login")  # any page: the session now holds a CSRF secret
    assert page.status_code in (200, 302)
    assert client.post("/calendar/renew").status_code == 400
    assert feeds_of(app, feed_world.users["LA"]) == []


def test_issuing_and_revoking_are_audited_without_the_secret(app, client, feed_world, sign_in):
    sign_in("LA")
    client.post("/calendar/renew")
    client.post("/calendar/renew")
    url = shown_url(client)
    client.post("/calendar/revoke")
    with app.app_context():
        entries = list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action.like("calendar_feed.%"))
                                          .order_by(AuditEntry.id)))
        first, second = (row.id for row in db.session.scalars(
            sa.select(CalendarFeed).order_by(CalendarFeed.id)))
        hashes = list(db.session.scalars(sa.select(CalendarFeed.token_hash)))
    assert [(e.action, e.target_id, e.detail.get("reason")) for e in entries] == [
        ("calendar_feed.issue", str(first), "requested"),
        ("calendar_feed.revoke", str(first), "renewed"),
        ("calendar_feed.issue", str(second), "requested"),
        ("calendar_feed.revoke", str(second), "requested"),
    ]
    assert entries[2].detail["replaces"] == first
    assert {e.actor_id for e in entries} == {feed_world.users["LA"]}
    secret = path_of(url).removeprefix("/calendar/").removesuffix(".ics")
    for entry in entries:
        assert secret not in str(entry.detail)
        assert not any(value in str(entry.detail) for value in hashes)


def test_a_changed_key_keeps_subscriptions_but_cannot_show_the_address(make_app, client, feed_world,
                                                                        sign_in):
    sign_in("LA")
    client.post("/calendar/renew")
    url = shown_url(client)
    other = make_app(SECRET_KEY="a-new-secret-key", PUBLIC_URL=PUBLIC_URL)
    browser = other.test_client()
    browser.post("/login", data={"username": feed_world.usernames["LA"], "password": PASSWORD})
    page = browser.get("/calendar").get_data(as_text=True)
    assert "无法再次显示" in page and ".ics" not in page
    assert other.test_client().get(path_of(url)).status_code == 200  # calendars still fetch it
    browser.post("/calendar/renew")
    new = shown_url(browser)
    assert new and new != url
    assert other.test_client().get(path_of(url)).status_code == 404


# a course's shared calendar (the office) ----------------------------------------------------------


def test_the_office_shares_renews_and_stops_a_course_calendar(app, client, feed_world, sign_in):
    course = feed_world.courses["X"]
    sign_in("office")
    assert "课程日历共享" in client.get(f"/courses/{course}").get_data(as_text=True)
    page = client.get(f"/courses/{course}/calendar").get_data(as_text=True)
    assert "共享课程日历" in page and ".ics" not in page

    client.post(f"/courses/{course}/calendar/share")
    page = client.get(f"/courses/{course}/calendar").get_data(as_text=True)
    first = FEED_URL.search(page)[1]
    assert page.count("<svg") == 2
    calendar = app.test_client().get(path_of(first)).get_data(as_text=True)
    assert "X-WR-CALNAME:牵手计划课表 · 社工机构战略管理" in calendar

    client.post(f"/courses/{course}/calendar/share")
    second = FEED_URL.search(client.get(f"/courses/{course}/calendar").get_data(as_text=True))[1]
    assert second != first
    assert app.test_client().get(path_of(first)).status_code == 404

    response = client.post(f"/courses/{course}/calendar/revoke", follow_redirects=True)
    assert "已停止共享课程日历" in response.get_data(as_text=True)
    assert app.test_client().get(path_of(second)).status_code == 404
    # the office's own feed is another thing, untouched
    assert feeds_of(app, feed_world.users["office"]) == []


def test_an_instructor_sees_no_course_calendar_link(client, feed_world, sign_in):
    sign_in("teacher1")
    page = client.get(f"/courses/{feed_world.courses['X']}").get_data(as_text=True)
    assert "课程日历共享" not in page
    assert client.get(f"/courses/{feed_world.courses['X']}/calendar").status_code == 403


def test_the_navigation_links_the_page(client, feed_world, sign_in):
    sign_in("LA")
    nav = client.get("/calendar").get_data(as_text=True)
    assert re.search(r'class="nav-link active" href="/calendar"\s+aria-current="page">日历订阅', nav)
    sign_in("office")
    page = client.get("/").get_data(as_text=True)
    assert re.search(r'class="dropdown-item" href="/calendar">日历订阅', page)


# the API ----------------------------------------------------------------------------------------


def _bearer(app, world, key: str) -> dict:
    from trainhub.accounts.models import User
    from trainhub.accounts.operations import create_token

    with app.app_context():
        _, secret = create_token(db.session.get(User, world.users[key]), "日历")
        db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def test_me_calendar_answers_a_working_address_and_the_same_one_again(app, client, feed_world, sign_in):
    headers = _bearer(app, feed_world, "LB")
    response = client.get("/api/v1/me/calendar", headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body["url"].startswith(f"{PUBLIC_URL}/calendar/") and body["url"].endswith(".ics")
    assert body["webcal_url"] == "webcal://" + body["url"].removeprefix("https://")
    feed = app.test_client().get(path_of(body["url"]))
    assert feed.status_code == 200
    assert "X-WR-CALNAME:牵手计划课表 · 李四" in feed.get_data(as_text=True)

    assert client.get("/api/v1/me/calendar", headers=headers).get_json()["url"] == body["url"]
    assert len(feeds_of(app, feed_world.users["LB"])) == 1
    sign_in("LB")
    assert shown_url(client) == body["url"]  # the page shows the address the API gave

    client.post("/calendar/renew")  # renewed on the page: the API follows
    renewed = client.get("/api/v1/me/calendar", headers=headers).get_json()["url"]
    assert renewed == shown_url(client) != body["url"]


def test_me_calendar_needs_a_token(client, feed_world):
    response = client.get("/api/v1/me/calendar")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


def test_me_calendar_without_a_public_address_in_production(make_app, feed_world):
    app = make_app(ENV="production", PUBLIC_URL=None)
    headers = _bearer(app, feed_world, "LA")
    response = app.test_client().get("/api/v1/me/calendar", headers=headers)
    assert response.status_code == 503
    assert "TRAINHUB_PUBLIC_URL" in response.get_json()["detail"]
    assert feeds_of(app, feed_world.users["LA"]) == []  # nothing kept


def test_me_calendar_replaces_an_address_that_cannot_be_shown(make_app, client, feed_world, feed_of):
    old = feed_of("teacher2")
    other = make_app(SECRET_KEY="a-new-secret-key", PUBLIC_URL=PUBLIC_URL)
    response = other.test_client().get("/api/v1/me/calendar", headers=_bearer(other, feed_world, "teacher2"))
    assert response.status_code == 200
    new = path_of(response.get_json()["url"])
    assert new != old
    anonymous = other.test_client()
    assert anonymous.get(old).status_code == 404
    assert anonymous.get(new).status_code == 200
    with other.app_context():
        reasons = list(db.session.scalars(sa.select(AuditEntry.detail).where(
            AuditEntry.action == "calendar_feed.issue").order_by(AuditEntry.id)))
    assert [detail["reason"] for detail in reasons] == ["first_request", "cannot_redisplay"]


# misses, logs -----------------------------------------------------------------------------------


def test_misses_are_limited_per_address_and_hits_are_not_counted(make_app, feed_world, feed_of):
    path = feed_of("LA")
    app = make_app(FEED_MISS_LIMIT="3 per minute", PUBLIC_URL=PUBLIC_URL)
    client = app.test_client()
    for _ in range(5):  # a calendar fetching its feed uses up nothing
        assert client.get(path).status_code == 200
    wrong = "/calendar/" + "x" * 43 + ".ics"
    assert [client.get(wrong).status_code for _ in range(3)] == [404, 404, 404]
    throttled = client.get(wrong)
    assert throttled.status_code == 429
    assert int(throttled.headers["Retry-After"]) > 0


def test_a_limit_that_is_no_limit_stops_start_up(make_app):
    from trainhub.config import ConfigError

    with pytest.raises(ConfigError, match="FEED_MISS_LIMIT"):
        make_app(FEED_MISS_LIMIT="lots")


def test_logs_never_show_a_feed_secret(make_app, feed_world, feed_of, monkeypatch, caplog):
    from trainhub import accesslog
    from trainhub.schedule import feed_views

    path = feed_of("LA")
    secret = path.removeprefix("/calendar/").removesuffix(".ics")

    def broken(**kwargs):
        raise RuntimeError("rendering failed")

    monkeypatch.setattr(feed_views, "render_calendar", broken)
    app = make_app(PROPAGATE_EXCEPTIONS=False, PUBLIC_URL=PUBLIC_URL)
    with caplog.at_level(logging.INFO):
        assert app.test_client().get(path).status_code == 500
    assert "/calendar/[secret].ics" in caplog.text
    assert secret not in caplog.text

    # gunicorn's access log, as scripts/run.sh serves the application
    logger = accesslog.RedactingLogger(SimpleNamespace(
        errorlog="-", loglevel="info", accesslog=None, logconfig=None, logconfig_dict={},
        logconfig_json=None, syslog=False, capture_output=False, disable_redirect_access_to_syslog=False,
        user=0, group=0, access_log_format="", statsd_host=None, dogstatsd_tags="", statsd_prefix=""))
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": path, "SERVER_PROTOCOL": "HTTP/1.1", "PATH_INFO": path,
               "QUERY_STRING": ""}
    atoms = logger.atoms(SimpleNamespace(status="200 OK", headers=[], sent=10), [], environ,
                         SimpleNamespace(seconds=0, microseconds=1000))
    assert atoms["r"] == "GET /calendar/[secret].ics HTTP/1.1"
    assert atoms["U"] == "/calendar/[secret].ics"
