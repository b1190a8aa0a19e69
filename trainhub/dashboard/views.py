"""The start page (a dashboard per role) and the health check."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, jsonify, render_template
from flask_login import current_user

from trainhub import health
from trainhub.auth import Role, public, signed_in
from trainhub.dashboard import personal, queries
from trainhub.db import utcnow

bp = Blueprint("dashboard", __name__)


@bp.route("/")
@signed_in
def index():
    """Anonymous visitors are sent to sign in (by ``signed_in``); others see their figures."""
    user = current_user._get_current_object()
    now = utcnow()
    role = user.role
    if role in (Role.OFFICE, Role.COORDINATOR):
        summary = queries.area_summary(user, now)
        return render_template("dashboard/area.html", summary=summary, now=now)
    if role == Role.INSTRUCTOR:
        summary = personal.instructor_summary(user, now)
        return render_template("dashboard/instructor.html", summary=summary, now=now)
    if role == Role.CERTIFIER:
        summary = queries.certifier_summary(now, ZoneInfo(current_app.config["TIMEZONE"]))
        return render_template("dashboard/certifier.html", summary=summary, now=now)
    summary = personal.trainee_summary(user, now)
    return render_template("dashboard/trainee.html", summary=summary, now=now)


@bp.route("/healthz")
@public
def healthz():
    """For the proxy and monitoring: the state of the database and of Redis.

    503 when the database does not answer (nothing works without it). When only Redis is
    down the application still serves — sign-in limits are counted in memory, jobs wait
    to be queued — so the answer is 200 with ``"status": "degraded"``: the proxy keeps
    routing, monitoring sees which part to mend.
    """
    database = "ok" if health.database_ok() else "unavailable"
    redis_url = current_app.config.get("REDIS_URL")
    redis = "not_configured"
    if redis_url:
        alive = health.redis_ok(redis_url, timeout=current_app.config["REDIS_TIMEOUT"])
        redis = "ok" if alive else "unavailable"
    status = "unavailable" if database != "ok" else "degraded" if redis == "unavailable" else "ok"
    response = jsonify(status=status, database=database, redis=redis)
    response.status_code = 503 if database != "ok" else 200
    response.headers["Cache-Control"] = "no-store"
    return response
