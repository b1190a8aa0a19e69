"""Redis stopped or hanging: sign-in keeps working with its limits counted in memory, and
the health check says that Redis is down while the application still serves. With a real
Redis (``TRAINHUB_TEST_REDIS_URL``): processes share the counts, the health check says ok."""

from __future__ import annotations

import os
import socket
import threading
import time

import pytest

from trainhub.accounts.models import Role
from trainhub.config import ConfigError
from trainhub.extensions import limiter

PASSWORD = "Shouqian-2023"
#: Seconds the application waits for Redis in these tests.
TIMEOUT = 0.2


@pytest.fixture(autouse=True)
def _fresh_limiter_state():
    """The limiter object is shared by every app of the test run and keeps some state of
    its own: whether the in-memory fallback is on is decided afresh from each test's
    configuration, and once it has found Redis dead it counts in memory until Redis
    answers, which must not leak into the next test."""
    limiter._in_memory_fallback_enabled = False
    yield
    limiter._storage_dead = False


@pytest.fixture
def closed_port_url() -> str:
    """A Redis URL at a port where nothing listens (Redis stopped)."""
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return f"redis://127.0.0.1:{port}/0"


@pytest.fixture
def silent_server():
    """A listener that accepts connections and never answers (Redis hanging). It stops
    after the test, and after 20 s whatever happens, so that a missing time-out could not
    hang the suite; yields its URL and the connections it accepted."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.05)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        deadline = time.monotonic() + 20
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            accepted.append(connection)
        for connection in accepted:
            connection.close()
        server.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0", accepted
    stop.set()
    thread.join()


def redis_app(make_app, url: str):
    """An application configured with ``url`` as its Redis (jobs run inline in tests)."""
    return make_app(REDIS_URL=url, RATELIMIT_STORAGE_URI=None, REDIS_TIMEOUT=TIMEOUT,
                    LOGIN_LIMIT_USER_ADDRESS="2 per minute")


def attempt(client, password):
    return client.post("/login", data={"username": "office1", "password": password})


def check_sign_in_works_and_is_limited(app) -> None:
    client = app.test_client()
    assert attempt(client, PASSWORD).status_code == 302
    client.post("/logout")
    assert attempt(client, "Wrong-password-1").status_code == 400
    assert attempt(client, "Wrong-password-1").status_code == 400
    # the limit still holds, counted in this process's memory
    assert attempt(client, PASSWORD).status_code == 429


def test_sign_in_works_with_redis_stopped(make_app, make_user, closed_port_url):
    make_user(Role.OFFICE, username="office1", password=PASSWORD)
    check_sign_in_works_and_is_limited(redis_app(make_app, closed_port_url))


def test_sign_in_works_with_redis_hanging(make_app, make_user, silent_server):
    url, accepted = silent_server
    make_user(Role.OFFICE, username="office1", password=PASSWORD)
    app = redis_app(make_app, url)
    # the limiter asks Redis with the short time-out, not the client library's default
    pool = limiter.storage.storage.connection_pool
    assert pool.connection_kwargs["socket_timeout"] == TIMEOUT
    assert pool.connection_kwargs["socket_connect_timeout"] == TIMEOUT

    check_sign_in_works_and_is_limited(app)

    assert accepted  # Redis was really asked, and did not answer


def test_health_check_reports_redis_stopped(make_app, closed_port_url):
    response = redis_app(make_app, closed_port_url).test_client().get("/healthz")
    assert response.status_code == 200  # the proxy keeps routing: the application serves
    assert response.get_json() == {"status": "degraded", "database": "ok", "redis": "unavailable"}


def test_health_check_reports_redis_hanging(make_app, silent_server):
    url, accepted = silent_server
    response = redis_app(make_app, url).test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "degraded", "database": "ok", "redis": "unavailable"}
    assert accepted


def test_health_check_without_redis(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "redis": "not_configured"}


@pytest.mark.skipif(not os.environ.get("TRAINHUB_TEST_REDIS_URL"),
                    reason="set TRAINHUB_TEST_REDIS_URL to check against a real Redis")
def test_health_check_with_redis_running(make_app, redis_url):
    response = make_app(REDIS_URL=redis_url).test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "redis": "ok"}


@pytest.mark.parametrize("value", ["0", "-1", "31", "soon"])
def test_redis_timeout_must_be_sensible(make_app, monkeypatch, value):
    monkeypatch.setenv("TRAINHUB_REDIS_TIMEOUT", value)
    with pytest.raises(ConfigError, match="REDIS_TIMEOUT"):
        make_app()


@pytest.mark.skipif(not os.environ.get("TRAINHUB_TEST_REDIS_URL"),
                    reason="set TRAINHUB_TEST_REDIS_URL to share limits through a real Redis")
def test_processes_sharing_redis_share_the_count(make_app, make_user, redis_url):
    """Several application processes (gunicorn workers) count failures together."""
    import redis

    url = redis_url
    redis.Redis.from_url(url).flushdb()
    limits = {"RATELIMIT_STORAGE_URI": url, "LOGIN_LIMIT_USER_ADDRESS": "2 per minute"}
    first = make_app(**limits)
    make_user(Role.OFFICE, username="office1", password=PASSWORD)
    for _ in range(2):
        assert attempt(first.test_client(), "Wrong-password-1").status_code == 400
    # a second process (a new app, re-initialising the shared limiter) sees the same count
    second = make_app(**limits)
    assert attempt(second.test_client(), PASSWORD).status_code == 429
    redis.Redis.from_url(url).flushdb()
