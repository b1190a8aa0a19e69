"""End to end in a real browser: the served application (tests/e2e/conftest.py) in headless
Chromium, signing in and out at desktop and phone width."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 800}, {"width": 375, "height": 740}],
                         ids=["desktop", "phone"])
def test_office_signs_in_sees_dashboard_and_signs_out(served_app, browser, viewport):
    base = served_app.base
    page = browser.new_page(viewport=viewport)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(base + "/")
    assert "/login" in page.url
    username, password = served_app.office
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():  # the click's answer, not the page before it
        page.click("form button[type=submit], form input[type=submit]")
    assert page.url.rstrip("/") == base
    body = page.inner_text("body")
    assert "项目办测试" in body
    assert "重点帮扶县" in body  # the office dashboard's coverage line
    # every asset (Bootstrap included) comes from the application itself
    outside = [url for url in requested if not url.startswith(base)]
    assert outside == []
    assert any("bootstrap" in url for url in requested)
    if viewport["width"] < 600:
        page.click(".navbar-toggler")
        page.wait_for_selector("#main-nav.show")  # the menu has finished opening
    with page.expect_navigation():  # bounded by the page's default timeout
        page.get_by_role("button", name="退出").click()
    assert "/login" in page.url and "您已退出登录。" in page.inner_text("body")
    page.goto(base + "/")
    assert "/login" in page.url
    page.close()
