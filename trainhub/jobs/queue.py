"""The job queue (Huey): SQLite storage in instance/ by default, Redis when configured."""


def init_jobs(app) -> None:
    app.extensions["trainhub_jobs"] = None
