"""Uploads that wait too long for confirmation are swept by the worker every hour."""

from __future__ import annotations

from datetime import datetime, timedelta

from trainhub import uploads as storage
from trainhub.db import utcnow
from trainhub.imports.tasks import sweep_expired_uploads
from trainhub.jobs.queue import huey


def test_the_hourly_task_removes_expired_uploads(app, make_user):
    user = make_user("office")
    with app.app_context():
        old = storage.save_upload(user.id, "名单.csv", "姓名\n张三\n".encode(), {}, kind=storage.LEARNERS)
        fresh = storage.save_upload(user.id, "名单.csv", "姓名\n李四\n".encode(), {},
                                    kind=storage.SCHEDULE)
        meta = storage.upload_dir() / f"{old.token}.json"
        meta.write_text(meta.read_text().replace(
            old.created.isoformat(), (utcnow() - storage.MAX_AGE - timedelta(hours=1)).isoformat()))
        assert sweep_expired_uploads.call_local() == 1
        assert storage.load_upload(old.token, user.id, kind=storage.LEARNERS) is None
        assert storage.load_upload(fresh.token, user.id, kind=storage.SCHEDULE) is not None
    # the worker's scheduler runs it at minute 17 of every hour, and only then
    due = huey.read_periodic(datetime(2026, 3, 1, 4, 17))
    assert any(isinstance(task, sweep_expired_uploads.task_class) for task in due)
    not_due = huey.read_periodic(datetime(2026, 3, 1, 4, 18))
    assert not any(isinstance(task, sweep_expired_uploads.task_class) for task in not_due)
