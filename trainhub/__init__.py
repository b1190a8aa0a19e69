"""trainhub: training management for the 牵手计划 training series."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS_DIR = ROOT / "migrations"


def create_app(config: dict | None = None) -> Flask:
    """Build the application: configuration, extensions, blueprints, CLI, error pages."""
    instance_path = os.environ.get("TRAINHUB_INSTANCE_PATH") or (config or {}).get("INSTANCE_PATH")
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        instance_path=str(Path(instance_path).resolve()) if instance_path else None,
        instance_relative_config=True,
    )
    from trainhub.config import load_config

    load_config(app, config)
    register_extensions(app)
    connect_receivers()
    register_blueprints(app)
    register_template_helpers(app)
    register_cli(app)
    from trainhub.errors import register_error_handlers

    register_error_handlers(app)
    return app


def import_models() -> None:
    """Import every feature's models so that the metadata knows all tables."""
    from trainhub import limit_storage as _limit_storage  # noqa: F401 (rate-limit windows)
    from trainhub.accounts import models as _accounts  # noqa: F401
    from trainhub.attendance import models as _attendance  # noqa: F401
    from trainhub.audit import models as _audit  # noqa: F401
    from trainhub.certificates import models as _certificates  # noqa: F401
    from trainhub.courses import models as _courses  # noqa: F401
    from trainhub.geo import models as _geo  # noqa: F401
    from trainhub.jobs import models as _jobs  # noqa: F401
    from trainhub.learners import models as _learners  # noqa: F401
    from trainhub.orgs import models as _orgs  # noqa: F401


def connect_receivers() -> None:
    """Import the modules whose receivers answer a lower feature's signals, so that they
    are connected whatever else the application loads."""
    from trainhub.attendance import queries as _attendance  # noqa: F401 (schedule.session_figures)


def register_extensions(app: Flask) -> None:
    from trainhub.extensions import api, bootstrap, csrf, db, limiter, login_manager, migrate
    from trainhub.pii import PersonalDataCipher

    import_models()
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    csrf.init_app(app)
    bootstrap.init_app(app)
    limiter.init_app(app)
    api.init_app(app)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "description": "trainhub API 令牌"}
    )
    api.spec.options["security"] = [{"bearerAuth": []}]
    app.extensions["trainhub_pii"] = PersonalDataCipher(app.config["DATA_KEY"], app.config["OLD_DATA_KEYS"])

    from trainhub.accounts.session import init_login

    init_login(app, login_manager)
    from trainhub.jobs.queue import init_jobs

    init_jobs(app)
    from trainhub.security import init_security

    init_security(app)
    from trainhub import transaction

    # last: its after_request runs first, so a conflict's answer gets every header too
    transaction.init_app(app)


def register_blueprints(app: Flask) -> None:
    from trainhub.api import BoundedIntConverter

    # before any rule is made: ids beyond a BIGINT are simply not found
    app.url_map.converters["int"] = BoundedIntConverter
    from trainhub.accounts.views import bp as accounts_bp
    from trainhub.courses.catalogue_views import bp as catalogue_bp
    from trainhub.courses.venue_views import bp as venues_bp
    from trainhub.courses.views import bp as courses_bp
    from trainhub.dashboard.views import bp as dashboard_bp
    from trainhub.geo.views import bp as geo_bp
    from trainhub.imports.views import bp as imports_bp
    from trainhub.jobs.views import bp as jobs_bp
    from trainhub.learners.views import bp as learners_bp
    from trainhub.orgs.views import bp as orgs_bp
    from trainhub.reports.views import bp as reports_bp
    from trainhub.schedule.feed_views import bp as feeds_bp
    from trainhub.schedule.import_views import bp as schedule_import_bp
    from trainhub.schedule.timetable_views import bp as timetable_bp
    from trainhub.schedule.views import bp as schedule_bp

    for blueprint in (accounts_bp, dashboard_bp, geo_bp, orgs_bp, learners_bp, imports_bp,
                      courses_bp, catalogue_bp, venues_bp, schedule_bp, schedule_import_bp,
                      timetable_bp, feeds_bp, jobs_bp, reports_bp):
        app.register_blueprint(blueprint)

    from trainhub.accounts.api import blp as tokens_api
    from trainhub.courses.api import blp as courses_api
    from trainhub.courses.catalogue_api import blp as catalogue_api
    from trainhub.courses.venue_api import blp as venues_api
    from trainhub.extensions import api, csrf
    from trainhub.geo.api import blp as counties_api
    from trainhub.imports.api import blp as imports_api
    from trainhub.jobs.api import blp as jobs_api
    from trainhub.learners.api import blp as learners_api
    from trainhub.orgs.api import blp as orgs_api
    from trainhub.reports.api import blp as reports_api
    from trainhub.schedule.api import blp as schedule_api
    from trainhub.schedule.feed_api import blp as feeds_api
    from trainhub.schedule.timetable_api import blp as timetable_api

    for blp in (counties_api, orgs_api, learners_api, imports_api, courses_api, catalogue_api,
                venues_api, schedule_api, timetable_api, feeds_api, tokens_api, jobs_api, reports_api):
        csrf.exempt(blp)
        api.register_blueprint(blp)


def register_template_helpers(app: Flask) -> None:
    from trainhub.templating import init_templating

    init_templating(app)


def register_cli(app: Flask) -> None:
    from trainhub.cli import register_commands

    register_commands(app)
