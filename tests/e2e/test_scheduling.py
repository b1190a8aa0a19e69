"""In a real browser: the office adds a recurring series through the pages — fills the rule,
sees the preview naming a skipped holiday, confirms, and finds the sessions on the course's
timetable."""

from __future__ import annotations

import sqlite3

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _phase_one_course(database) -> tuple[int, str]:
    """A course of the demo's phase 1 (2023, which holds 清明 and 劳动节)."""
    with sqlite3.connect(database) as connection:
        return connection.execute(
            "SELECT c.id, c.title FROM course c JOIN track t ON t.id = c.track_id "
            "JOIN phase p ON p.id = t.phase_id WHERE p.number = 1 ORDER BY c.code").fetchone()


def _sessions_of(database, course_id: int) -> int:
    with sqlite3.connect(database) as connection:
        return connection.execute("SELECT count(*) FROM course_session WHERE course_id = ?",
                                  (course_id,)).fetchone()[0]


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, {"width": 375, "height": 740}],
                         ids=["desktop", "phone"])
def test_the_office_adds_a_recurring_series(served_app, browser, viewport):
    base, database = served_app.base, served_app.database
    course_id, title = _phase_one_course(database)
    before = _sessions_of(database, course_id)
    # each run its own hour, so that the desktop and phone runs do not clash with each other
    start, end = ("06:00", "06:45") if viewport["width"] > 600 else ("07:00", "07:45")
    page = browser.new_page(viewport=viewport)
    page.set_default_timeout(20_000)
    page.goto(base + "/login")
    username, password = served_app.office
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("main form button[type=submit]")

    page.goto(f"{base}/courses/{course_id}")
    with page.expect_navigation():
        page.get_by_role("link", name="课次管理").click()
    assert page.url.endswith(f"/courses/{course_id}/sessions")
    with page.expect_navigation():
        page.get_by_role("link", name="按规则批量排课").click()

    page.check("#weekdays-3")  # every Wednesday
    page.fill("input[name=starts_time]", start)
    page.fill("input[name=ends_time]", end)
    page.fill("input[name=first_date]", "2023-03-01")
    page.fill("input[name=count]", "12")
    with page.expect_navigation():
        page.get_by_role("button", name="预览").click()

    preview = page.inner_text("main .series-preview")
    assert "预览：将添加 12 次课" in preview
    assert "跳过 2023-04-05（周三）清明" in preview
    assert "跳过 2023-05-03（周三）劳动节" in preview
    assert "2023-05-31（周三）" in preview
    assert _sessions_of(database, course_id) == before  # nothing saved yet
    if page.locator("input[name=override_reason]").count():  # the demo's learners may collide
        page.fill("input[name=override_reason]", "浏览器测试：早间加课")
    with page.expect_navigation():
        page.get_by_role("button", name="确认保存 12 次课").click()

    assert page.url.endswith(f"/courses/{course_id}/sessions")
    body = page.inner_text("main")
    assert "已按规则“每周三" in body and "添加 12 次课" in body
    assert "跳过节假日：2023-04-05 清明、2023-05-03 劳动节" in body
    assert f"2023-05-31（周三）{start}–{end}" in body
    assert title in page.inner_text("main h1")
    assert _sessions_of(database, course_id) == before + 12
    page.close()
