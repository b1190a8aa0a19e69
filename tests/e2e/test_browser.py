"""End to end in a real browser: the served application in headless Chromium.

The application runs as in production (gunicorn, its own SQLite database prepared by
``trainhub init``), on a free port of 127.0.0.1. Chromium is Debian's ``/usr/bin/chromium``;
where it is missing the test is skipped with the reason.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("TRAINHUB_CHROMIUM", "/usr/bin/chromium")
BIN = Path(sys.executable).parent
PASSWORD = "Office-Pass-2023"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}"),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def served_app(tmp_path_factory):
    instance = tmp_path_factory.mktemp("e2e-instance")
    env = {
        **os.environ,
        "TRAINHUB_INSTANCE_PATH": str(instance),
        "TRAINHUB_DATABASE_URL": f"sqlite:///{instance / 'e2e.sqlite'}",
    }
    env.pop("TRAINHUB_TEST_DATABASE_URL", None)
    subprocess.run([BIN / "trainhub", "init"], env=env, check=True, capture_output=True)
    password_file = instance / "office-password"
    password_file.write_text(PASSWORD + "\n")
    subprocess.run(
        [BIN / "trainhub", "create-user", "--username", "e2e-office", "--role", "office",
         "--display-name", "项目办测试", "--password-file", str(password_file)],
        env=env, check=True, capture_output=True,
    )
    port = _free_port()
    log = (instance / "server.log").open("wb")
    server = subprocess.Popen(
        [BIN / "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1", "trainhub:create_app()"],
        env=env, stdout=subprocess.DEVNULL, stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):  # bounded wait for start-up
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            break
        except OSError:
            if server.poll() is not None:
                log.close()
                raise RuntimeError((instance / "server.log").read_text()) from None
            time.sleep(0.2)
    else:
        server.kill()
        server.wait(timeout=10)
        log.close()
        raise RuntimeError("the application did not start")
    yield base
    server.terminate()
    server.wait(timeout=10)
    log.close()


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        yield browser
        browser.close()


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 800}, {"width": 375, "height": 740}],
                         ids=["desktop", "phone"])
def test_office_signs_in_sees_dashboard_and_signs_out(served_app, browser, viewport):
    page = browser.new_page(viewport=viewport)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(served_app + "/")
    assert "/login" in page.url
    page.fill("input[name=username]", "e2e-office")
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit], form input[type=submit]")
    page.wait_for_load_state()
    assert page.url.rstrip("/") == served_app
    body = page.inner_text("body")
    assert "项目办测试" in body
    assert "重点帮扶县" in body  # the office dashboard's coverage line
    # every asset (Bootstrap included) comes from the application itself
    outside = [url for url in requested if not url.startswith(served_app)]
    assert outside == []
    assert any("bootstrap" in url for url in requested)
    if viewport["width"] < 600:
        page.click(".navbar-toggler")
    page.get_by_role("button", name="退出").click()
    page.wait_for_load_state()
    assert "/login" in page.url or "登录" in page.inner_text("body")
    page.goto(served_app + "/")
    assert "/login" in page.url
    page.close()
