"""The job page in a real browser: the polling script keeps every changing field current.

The application is served from a thread of the test process (on the test database, jobs
not run inline), the page is opened in headless Chromium and the job row is changed
underneath it, as a worker would. Waits are bounded; none decides an outcome by its length.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from trainhub.db import utcnow
from trainhub.extensions import db
from trainhub.jobs import lease
from trainhub.jobs.models import Job, JobStatus
from trainhub.templating import format_localtime

CHROMIUM = os.environ.get("TRAINHUB_CHROMIUM", "/usr/bin/chromium")
WAIT_MS = 30_000  # longest wait for the page to show a change
PASSWORD = "Renwu-Jindu-2023"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}"),
]


@pytest.fixture
def served(queued_app):
    server = make_server("127.0.0.1", 0, queued_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=30)


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 375, "height": 740})
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    yield page
    context.close()


def _update(app, job_id: str, **values) -> Job:
    with app.app_context():
        db.session.execute(sa.update(Job).where(Job.id == job_id).values(**values))
        db.session.commit()
        job = db.session.get(Job, job_id)
        db.session.expunge(job)
        return job


def test_the_page_follows_a_job_from_queued_to_interrupted(served, page, queued_app, make_user, make_job):
    user = make_user("office", password=PASSWORD)
    job_id = make_job(user, status=JobStatus.QUEUED, kind="test.gated", title="分步写入")
    page.goto(served + "/login")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():  # the click's answer, not the page before it
        page.click("form button[type=submit]")
    page.goto(f"{served}/jobs/{job_id}")
    started = page.locator("[data-job-field=started_at_text]")
    assert started.inner_text() == "尚未开始"
    assert page.locator("[data-job-field=queued_hint]").is_visible()

    # a worker claims the job and reports a step: the page follows without a reload
    now = utcnow()
    job = _update(queued_app, job_id, status=JobStatus.RUNNING, started_at=now, heartbeat_at=now,
                  attempt=1, worker="app1:4242", progress_done=1, progress_total=4)
    with queued_app.app_context():
        expected = format_localtime(job.started_at)
    page.wait_for_function(
        "text => document.querySelector('[data-job-field=started_at_text]').textContent === text",
        arg=expected)
    assert page.locator("[data-job-field=worker_text]").inner_text() == "主机 app1，进程 4242"
    assert page.locator("#job-progress [data-job-field=status]").inner_text() == "进行中"
    assert page.locator("[data-job-field=counts]").inner_text() == "已完成 1 / 4 步"
    assert not page.locator("[data-job-field=queued_hint]").is_visible()

    # the worker vanishes: the page reloads and offers the rerun
    _update(queued_app, job_id, status=JobStatus.INTERRUPTED, finished_at=utcnow(),
            error=lease.ABANDONED_MESSAGE)
    page.get_by_role("button", name="重新执行").wait_for()
    assert lease.ABANDONED_MESSAGE in page.inner_text("main")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
