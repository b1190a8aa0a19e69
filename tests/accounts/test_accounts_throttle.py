"""Failed sign-ins are throttled (Flask-Limiter) in three buckets: an account from one
address, one address whatever the account, and an account from every address together
(far higher). Only failures count; the counts are shared by every process."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from trainhub.accounts.models import Role
from trainhub.db import utcnow
from trainhub.extensions import db, limiter
from trainhub.limit_storage import RateLimitWindow

PASSWORD = "Shouqian-2023"
WRONG = "Wrong-password-1"
#: Small limits, so that each bucket can be reached on its own.
LIMITS = {"LOGIN_LIMIT_USER_ADDRESS": "3 per minute", "LOGIN_LIMIT_ADDRESS": "5 per minute",
          "LOGIN_LIMIT_USER": "7 per hour"}


@pytest.fixture(params=["memory://", None], ids=["memory", "database"])
def app_config(request, app_config):
    """Each test with counts in memory (one process) and in the database (the default
    without Redis: ``RATELIMIT_STORAGE_URI`` unset)."""
    return {**app_config, **LIMITS, "RATELIMIT_STORAGE_URI": request.param}


def attempt(client, username, password, ip="203.0.113.1"):
    return client.post(
        "/login", data={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": ip},
    )


def test_failed_attempts_lead_to_a_chinese_429(client, make_user):
    make_user(Role.OFFICE, username="office1", password=PASSWORD)
    for _ in range(3):
        assert attempt(client, "office1", WRONG).status_code == 400

    # even the right password is refused now, from that address
    response = attempt(client, "office1", PASSWORD)

    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert re.search(r"登录失败次数过多，请 \d+ 分钟后再试", page)
    assert 'name="username"' in page  # the sign-in form is still there for later
    assert int(response.headers["Retry-After"]) > 0
    assert client.get("/account/tokens").status_code == 302  # not signed in


def test_a_guesser_elsewhere_does_not_lock_the_user_out_of_their_desk(client, make_user):
    make_user(Role.OFFICE, username="office1", password=PASSWORD)
    for _ in range(3):
        attempt(client, "office1", WRONG, ip="198.51.100.66")
    assert attempt(client, "office1", PASSWORD, ip="198.51.100.66").status_code == 429

    # the office's own desk still signs in
    assert attempt(client, "office1", PASSWORD, ip="192.0.2.10").status_code == 302


def test_successful_sign_ins_do_not_count(client, make_user):
    make_user(Role.OFFICE, username="office1", password=PASSWORD)
    for _ in range(5):
        assert attempt(client, "office1", PASSWORD).status_code == 302
        client.post("/logout")
    # failures still have their full allowance
    for _ in range(3):
        assert attempt(client, "office1", WRONG).status_code == 400
    assert attempt(client, "office1", WRONG).status_code == 429


def test_showing_the_form_does_not_count(client):
    for _ in range(8):
        assert client.get("/login").status_code == 200


def test_one_account_tried_from_many_addresses_meets_the_higher_ceiling(client, make_user):
    make_user(Role.OFFICE, username="office1", password=PASSWORD)
    make_user(Role.OFFICE, username="office2", password=PASSWORD)
    for n in range(7):  # two from each address: below the limit per account and address
        assert attempt(client, "office1", WRONG, ip=f"198.51.100.{n // 2 + 1}").status_code == 400

    # a fresh address cannot go on guessing office1's password ...
    assert attempt(client, "OFFICE1", PASSWORD, ip="198.51.100.99").status_code == 429
    # ... but other accounts from that address are not affected
    assert attempt(client, "office2", PASSWORD, ip="198.51.100.99").status_code == 302


def test_one_address_trying_many_user_names_is_throttled(client, make_user):
    make_user(Role.OFFICE, username="office1", password=PASSWORD)
    for n in range(5):
        assert attempt(client, f"guess{n}", WRONG, ip="192.0.2.7").status_code == 400

    assert attempt(client, "office1", PASSWORD, ip="192.0.2.7").status_code == 429
    assert attempt(client, "office1", PASSWORD, ip="192.0.2.8").status_code == 302


def test_names_typed_at_sign_in_are_not_kept_in_clear(app, client):
    """Personal numbers typed in the user-name box never reach the limiter's storage."""
    typed = ["110101199003070012", "13812345678", "someone.unknown"]
    for name in typed:
        attempt(client, name, WRONG)
    with app.app_context():
        keys = db.session.scalars(sa.select(RateLimitWindow.key_hash)).all()
    stored = " ".join(keys) + " ".join(getattr(limiter.storage, "storage", {}))
    assert stored.strip()  # something was counted, in one storage or the other
    for name in typed:
        assert name not in stored


def test_memory_counts_do_not_outlive_their_process(make_app, make_user, app_config):
    """Why the database storage exists: a second process (a new app) with counts in memory
    starts from nothing, while with the database it sees the first one's failures."""
    make_user(Role.OFFICE, username="office1", password=PASSWORD)
    first = make_app()
    for _ in range(3):
        assert attempt(first.test_client(), "office1", WRONG).status_code == 400

    second = make_app()  # another gunicorn process: the shared limiter is set up again
    expected = 302 if app_config["RATELIMIT_STORAGE_URI"] == "memory://" else 429
    assert attempt(second.test_client(), "office1", PASSWORD).status_code == expected


def test_database_windows_are_pruned_as_they_end(app, client, app_config):
    if app_config["RATELIMIT_STORAGE_URI"] is not None:
        pytest.skip("database storage only")
    with app.app_context():
        db.session.add(RateLimitWindow(key_hash="0" * 64, count=9,
                                       expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()

    attempt(client, "nobody", WRONG)

    with app.app_context():
        rows = db.session.scalars(sa.select(RateLimitWindow)).all()
        assert "0" * 64 not in {row.key_hash for row in rows}
        # one window per bucket of the failed attempt, each counted once
        assert len(rows) == 3 and {row.count for row in rows} == {1}
        assert all(row.expires_at > utcnow() for row in rows)
