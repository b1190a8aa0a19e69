"""The served application and headless Chromium, shared by the browser tests.

The application runs as in production (gunicorn, its own SQLite database prepared by
``trainhub init`` and filled by ``trainhub demo``) on a free port of 127.0.0.1, in a
temporary instance folder of its own. Everything is per test process: under pytest-xdist
each worker that runs a browser test starts its own server, so workers share no port, file
or database (``-n N --dist loadgroup`` keeps the browser tests on one worker, which starts
one server). Chromium is Debian's ``/usr/bin/chromium``; where it or Playwright is missing
the tests are skipped with the reason.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("TRAINHUB_CHROMIUM", "/usr/bin/chromium")
BIN = Path(sys.executable).parent
#: The office account the tests create for themselves (besides the demo's accounts).
E2E_OFFICE = "e2e-office"
E2E_PASSWORD = "Office-Pass-2023"
#: Demo learners: enough for every list to show rows, few enough to start quickly.
DEMO_LEARNERS = 60
START_ATTEMPTS = 3


def pytest_configure(config):
    # registered here too, so that --strict-markers passes without pytest-xdist installed
    config.addinivalue_line("markers", "xdist_group(name): run these tests on one xdist worker")


def pytest_collection_modifyitems(items):
    for item in items:
        if item.get_closest_marker("browser") and not Path(CHROMIUM).exists():
            item.add_marker(pytest.mark.skip(reason=f"no Chromium at {CHROMIUM}"))


@dataclass
class ServedApp:
    base: str
    instance: Path
    database: Path
    env: dict = field(repr=False)
    #: An office account of the tests' own (the demo's accounts use the demo password).
    office: tuple[str, str] = (E2E_OFFICE, E2E_PASSWORD)

    def cli(self, *args: str) -> str:
        result = subprocess.run([BIN / "trainhub", *args], env=self.env, check=True, capture_output=True,
                                text=True)
        return result.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(env: dict, log_path: Path) -> tuple[subprocess.Popen, str] | None:
    """Start gunicorn on a free port; None when it exits at once (e.g. another process took
    the port between choosing and binding it)."""
    port = _free_port()
    with log_path.open("ab") as log:
        server = subprocess.Popen(
            [BIN / "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1", "trainhub:create_app()"],
            env=env, stdout=subprocess.DEVNULL, stderr=log,
        )
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):  # bounded wait for start-up
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            return server, base
        except OSError:
            if server.poll() is not None:
                return None
            time.sleep(0.2)
    server.kill()
    server.wait(timeout=10)
    raise RuntimeError("the application did not start: " + log_path.read_text())


@pytest.fixture(scope="session")
def served_app(tmp_path_factory):
    instance = tmp_path_factory.mktemp("e2e-instance")
    database = instance / "e2e.sqlite"
    env = {
        **os.environ,
        "TRAINHUB_INSTANCE_PATH": str(instance),
        "TRAINHUB_DATABASE_URL": f"sqlite:///{database}",
        "TRAINHUB_ENV": "development",
    }
    for name in ("TRAINHUB_TEST_DATABASE_URL", "TRAINHUB_REDIS_URL", "TRAINHUB_RATELIMIT_STORAGE_URI"):
        env.pop(name, None)
    app = ServedApp(base="", instance=instance, database=database, env=env)
    app.cli("init")
    app.cli("demo", "--learners", str(DEMO_LEARNERS))
    password_file = instance / "office-password"
    password_file.write_text(E2E_PASSWORD + "\n")
    app.cli("create-user", "--username", E2E_OFFICE, "--role", "office", "--display-name", "项目办测试",
            "--password-file", str(password_file))
    log_path = instance / "server.log"
    for _ in range(START_ATTEMPTS):
        started = _start(env, log_path)
        if started is not None:
            break
    else:
        raise RuntimeError("the application did not start: " + log_path.read_text())
    server, app.base = started
    yield app
    server.terminate()
    server.wait(timeout=10)


