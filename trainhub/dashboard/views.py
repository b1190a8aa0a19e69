"""The start page (a dashboard per role) and the health check."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, jsonify, render_template
from flask_login import current_user

from trainhub.accounts.models import Role
from trainhub.auth import public, signed_in
from trainhub.dashboard import queries
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
        summary = queries.instructor_summary(user, now)
        return render_template("dashboard/instructor.html", summary=summary, now=now)
    if role == Role.CERTIFIER:
        summary = queries.certifier_summary(now, ZoneInfo(current_app.config["TIMEZONE"]))
        return render_template("dashboard/certifier.html", summary=summary, now=now)
    summary = queries.trainee_summary(user, now)
    return render_template("dashboard/trainee.html", summary=summary, now=now)


@bp.route("/healthz")
@public
def healthz():
    """For the proxy and monitoring: 200 when the database answers, 503 otherwise."""
    if queries.database_ok():
        response = jsonify(status="ok")
    else:
        response = jsonify(status="unavailable", detail="数据库无法连接。")
        response.status_code = 503
    response.headers["Cache-Control"] = "no-store"
    return response
