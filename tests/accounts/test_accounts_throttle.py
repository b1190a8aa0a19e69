"""Failed sign-ins are throttled per client address and per user name (Flask-Limiter)."""

from __future__ import annotations

import os
import re

import pytest

from trainhub.accounts.models import Role

PASSWORD = "Shouqian-2023"
LIMIT = 3


@pytest.fixture
def app_config(app_config):
    return {**app_config, "LOGIN_RATE_LIMIT": f"{LIMIT} per minute"}


def attempt(client, username, password, ip="203.0.113.1"):
    return client.post(
        "/login", data={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": ip},
    )


def test_failed_attempts_lead_to_a_chinese_429(client, make_user):
    make_user(Role.OFFICE, username="office1", password=PASSWORD)
    for _ in range(LIMIT):
        assert attempt(client, "office1", "Wrong-password-1").status_code == 400

    # even the right password is refused now
    response = attempt(client, "office1", PASSWORD)

    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert re.search(r"登录失败次数过多，请 \d+ 分钟后再试", page)
    assert 'name="username"' in page  # the sign-in form is still there for later
    assert int(response.headers["Retry-After"]) > 0
    assert client.get("/account/tokens").status_code == 302  # not signed in


def test_successful_sign_ins_do_not_count(client, make_user):
    make_user(Role.OFFICE, username="office1", password=PASSWORD)
    for _ in range(LIMIT + 2):
        assert attempt(client, "office1", PASSWORD).status_code == 302
        client.post("/logout")
    # failures still have their full allowance
    for _ in range(LIMIT):
        assert attempt(client, "office1", "Wrong-password-1").status_code == 400
    assert attempt(client, "office1", "Wrong-password-1").status_code == 429


def test_showing_the_form_does_not_count(client):
    for _ in range(LIMIT + 2):
        assert client.get("/login").status_code == 200


def test_one_user_name_tried_from_many_addresses_is_throttled(client, make_user):
    make_user(Role.OFFICE, username="office1", password=PASSWORD)
    make_user(Role.OFFICE, username="office2", password=PASSWORD)
    for n in range(LIMIT):
        attempt(client, "office1", "Wrong-password-1", ip=f"198.51.100.{n + 1}")

    # a fresh address cannot go on guessing office1's password ...
    assert attempt(client, "OFFICE1", PASSWORD, ip="198.51.100.99").status_code == 429
    # ... but other accounts from that address are not affected
    assert attempt(client, "office2", PASSWORD, ip="198.51.100.99").status_code == 302


def test_one_address_trying_many_user_names_is_throttled(client, make_user):
    make_user(Role.OFFICE, username="office1", password=PASSWORD)
    for n in range(LIMIT):
        attempt(client, f"guess{n}", "Wrong-password-1", ip="192.0.2.7")

    assert attempt(client, "office1", PASSWORD, ip="192.0.2.7").status_code == 429
    assert attempt(client, "office1", PASSWORD, ip="192.0.2.8").status_code == 302


@pytest.mark.skipif(not os.environ.get("TRAINHUB_TEST_REDIS_URL"),
                    reason="set TRAINHUB_TEST_REDIS_URL to share limits through a real Redis")
def test_processes_sharing_redis_share_the_count(make_app, make_user, redis_url):
    """Several application processes (gunicorn workers) count failures together."""
    import redis

    url = redis_url
    redis.Redis.from_url(url).flushdb()
    first = make_app(LOGIN_RATE_LIMIT=f"{LIMIT} per minute", RATELIMIT_STORAGE_URI=url)
    make_user(Role.OFFICE, username="office1", password=PASSWORD)
    for _ in range(LIMIT):
        assert attempt(first.test_client(), "office1", "Wrong-password-1").status_code == 400
    # a second process (a new app, re-initialising the shared limiter) sees the same count
    second = make_app(LOGIN_RATE_LIMIT=f"{LIMIT} per minute", RATELIMIT_STORAGE_URI=url)
    assert attempt(second.test_client(), "office1", PASSWORD).status_code == 429
    redis.Redis.from_url(url).flushdb()
