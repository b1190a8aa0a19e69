"""Fixtures in the flaskr shape: ``app``, ``client``, ``runner``, ``login`` and factories.

Every test gets its own application. The schema is created once per run; after each test
every table is emptied, so tests are isolated on SQLite and on PostgreSQL alike (set
``TRAINHUB_TEST_DATABASE_URL`` to run the suite against PostgreSQL).

Do not hold an app context open while using ``client``: each request must get its own
context (and its own ``g`` and database session), as in production.
"""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from trainhub import create_app
from trainhub.accounts.models import Role
from trainhub.extensions import db

#: Fixed personal-data key for tests (a Fernet-format key; never used outside tests).
TEST_DATA_KEY = "dGVzdC1vbmx5LWRhdGEta2V5LWZvci10cmFpbmh1Yi0="
DEFAULT_PASSWORD = "Xunlian-2023"


def _config(database_url: str, instance_path) -> dict:
    return {
        "TESTING": True,
        "INSTANCE_PATH": str(instance_path),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key",
        "DATA_KEY": TEST_DATA_KEY,
        "WTF_CSRF_ENABLED": False,
        "JOBS_IMMEDIATE": True,
        "RATELIMIT_STORAGE_URI": "memory://",
        "SERVER_NAME": None,
        # argon2id at its lowest cost: the suite hashes hundreds of passwords
        "PASSWORD_HASH_PARAMS": {"time_cost": 1, "memory_cost": 8, "parallelism": 1},
    }


def _empty_all_tables() -> None:
    """Delete every row, children first; on PostgreSQL also restart the id sequences, as a
    fresh database would number them. (``TRUNCATE … RESTART IDENTITY`` does both in one
    statement but costs about ten times as much on a few small tables, and it runs after
    every test.)"""
    tables = db.metadata.sorted_tables
    with db.engine.begin() as conn:
        for table in reversed(tables):
            conn.execute(table.delete())
        if conn.dialect.name == "postgresql":
            serial = [(table.name, column.name) for table in tables for column in table.primary_key
                      if column.autoincrement is True or (column.autoincrement == "auto"
                                                         and isinstance(column.type, sa.Integer))]
            conn.execute(sa.text(
                "SELECT setval(seq, 1, false) FROM (SELECT pg_get_serial_sequence(t, c) AS seq "
                "FROM unnest(CAST(:tables AS text[]), CAST(:columns AS text[])) AS v(t, c)) AS s "
                "WHERE seq IS NOT NULL"),
                {"tables": [f'"{name}"' for name, _ in serial], "columns": [c for _, c in serial]})


def _worker_database(url: str, worker: str):
    """A database of its own for one pytest-xdist worker, next to the one configured
    (``…/trainhub_ci`` → ``…/trainhub_ci_gw0``); dropped again at the end of the run."""
    base = sa.make_url(url)
    name = f"{base.database}_{worker}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return base.set(database=name).render_as_string(hide_password=False), drop


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url = os.environ.get("TRAINHUB_TEST_DATABASE_URL")
    drop_worker_database = None
    if not url:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
    elif os.environ.get("PYTEST_XDIST_WORKER"):
        url, drop_worker_database = _worker_database(url, os.environ["PYTEST_XDIST_WORKER"])
    app = create_app(_config(url, tmp_path_factory.mktemp("instance")))
    with app.app_context():
        db.drop_all()
        db.create_all()
        db.engine.dispose()
    yield url
    with app.app_context():
        db.drop_all()
        db.engine.dispose()
    if drop_worker_database is not None:
        drop_worker_database()


@pytest.fixture(scope="session")
def redis_url() -> str | None:
    """``TRAINHUB_TEST_REDIS_URL`` with a database number of its own for each pytest-xdist
    worker (``…/15`` for the first, ``…/14`` for the second …), so that a test flushing it
    cannot disturb another running at the same time; None when the variable is unset."""
    url = os.environ.get("TRAINHUB_TEST_REDIS_URL")
    if not url:
        return None
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    parsed = sa.make_url(url.replace("redis://", "postgresql://", 1))  # only to read the path
    base = int(parsed.database or 0)
    number = base - int(worker.removeprefix("gw") or 0)
    if number < 0:
        pytest.skip("not enough Redis databases for this many test workers")
    return url.rsplit("/", 1)[0] + f"/{number}"


@pytest.fixture
def app_config(database_url, tmp_path) -> dict:
    """The configuration each test's app is built with; override keys in a test module."""
    return _config(database_url, tmp_path / "instance")


@pytest.fixture
def app(app_config):
    app = create_app(app_config)
    yield app
    with app.app_context():
        db.session.remove()
        _empty_all_tables()
        db.engine.dispose()


@pytest.fixture
def make_app(app_config):
    """Build further applications on the test database (``make_app(WTF_CSRF_ENABLED=True)``);
    their connections are closed after the test."""
    made = []

    def make(**overrides):
        other = create_app({**app_config, **overrides})
        made.append(other)
        return other

    yield make
    for other in made:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def reference_data(app):
    """The county code list, the priority flags and phase 1 (what ``trainhub init`` loads)."""
    from trainhub.cli import load_initial_data

    with app.app_context():
        load_initial_data()
        db.session.commit()


@pytest.fixture
def database_rows(app):
    """``database_rows()``: every row of every table, to prove that a refusal wrote nothing
    (compare a reading taken before the request with one taken after it). An API request
    records its token's last use, so ``api_token.last_used_at`` is left out."""
    ignored = {"api_token.last_used_at"}

    def read() -> dict[str, list[tuple]]:
        with app.app_context():
            return {
                table.name: sorted(
                    (tuple(row) for row in db.session.execute(
                        sa.select(*(c for c in table.columns if f"{table.name}.{c.name}" not in ignored))
                    )),
                    key=repr,
                )
                for table in db.metadata.sorted_tables
            }

    return read


@pytest.fixture
def make_user(app):
    """Create a user and return it (detached, attributes loaded)."""
    from trainhub.accounts.operations import create_user

    counter = iter(range(1, 10_000))

    def make(role: Role | str = Role.OFFICE, *, username: str | None = None,
             password: str | None = DEFAULT_PASSWORD, scope_code: str | None = None, **kwargs):
        role = Role(role)
        with app.app_context():
            if role == Role.COORDINATOR and scope_code is None:
                scope_code = "52"
            user = create_user(
                username or f"{role.value}{next(counter)}",
                role,
                password=password,
                scope_code=scope_code,
                **kwargs,
            )
            db.session.commit()
            db.session.refresh(user)
            db.session.expunge(user)
        return user

    return make


@pytest.fixture
def login(client, make_user):
    """Sign ``client`` in as a new user of ``role``; returns the user."""

    def do_login(role: Role | str = Role.OFFICE, **kwargs):
        user = make_user(role, **kwargs)
        response = client.post(
            "/login",
            data={"username": user.username, "password": kwargs.get("password", DEFAULT_PASSWORD)},
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return do_login


@pytest.fixture
def api_headers(app, make_user):
    """Bearer headers for a new user of ``role`` (``api_headers("office")``)."""
    from trainhub.accounts.operations import create_token

    def headers(role: Role | str = Role.OFFICE, **kwargs) -> dict:
        user = make_user(role, **kwargs)
        with app.app_context():
            from trainhub.accounts.models import User

            _, secret = create_token(db.session.get(User, user.id), "test")
            db.session.commit()
        return {"Authorization": f"Bearer {secret}"}

    return headers


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium (Debian's ``/usr/bin/chromium``) driven by Playwright, one per test
    process: every browser test shares it (Playwright's sync API cannot be started twice in
    one process). Skipped where Chromium or Playwright is missing."""
    chromium = os.environ.get("TRAINHUB_CHROMIUM", "/usr/bin/chromium")
    if not os.path.exists(chromium):
        pytest.skip(f"no Chromium at {chromium}")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        yield browser
        browser.close()
