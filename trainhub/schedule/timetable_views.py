"""Timetable pages: the filtered list of sessions, the month calendar, a phase's six-month
overview and one session's page. Every signed-in role reads them; what each shows is what
the reader may read (:func:`trainhub.schedule.scope.readable_sessions`), and a session
outside it answers 404.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from trainhub.auth import Role, signed_in
from trainhub.courses.queries import phases_and_tracks
from trainhub.db import utcnow
from trainhub.extensions import db
from trainhub.localtime import to_local
from trainhub.schedule import month as month_queries
from trainhub.schedule import overview as overview_queries
from trainhub.schedule import queries
from trainhub.schedule.timetable_forms import MonthForm, TimetableFilterForm

bp = Blueprint("timetable", __name__)

PER_PAGE = 50


@bp.route("/timetable", endpoint="list")
@signed_in
def timetable_list():
    now = utcnow()
    options = queries.filter_choices(current_user)
    asked = TimetableFilterForm.asked(request.args)
    # without filters, the timetable starts today; clearing the start date shows every session
    form = TimetableFilterForm(formdata=request.args if asked else None,
                               date_from=None if asked else to_local(now).date())
    form.set_choices(options)
    filters = form.to_filters()
    pagination = db.paginate(
        queries.timetable_stmt(current_user, filters, now),
        page=max(request.args.get("page", 1, type=int), 1), per_page=PER_PAGE, error_out=False,
    )
    return render_template(
        "schedule/timetable.html",
        form=form,
        pagination=pagination,
        items=[queries.SessionItem.of(session, now) for session in pagination.items],
        page_args=form.args(),
        asked=asked,
        phases=options.phases,
        now=now,
    )


@bp.route("/timetable/month")
@signed_in
def month():
    now = utcnow()
    form = MonthForm(formdata=request.args)
    chosen = form.chosen_month(to_local(now).date().replace(day=1))
    calendar = month_queries.month_calendar(current_user, chosen, now)
    return render_template("schedule/month.html", form=form, calendar=calendar,
                           phases=phases_and_tracks(), now=now)


@bp.route("/phases/<int:phase_id>/overview")
@signed_in
def overview(phase_id: int):
    phase = overview_queries.get_phase(phase_id)
    if phase is None:
        abort(404)
    now = utcnow()
    return render_template(
        "schedule/overview.html",
        overview=overview_queries.phase_overview(current_user, phase, now),
        phases=phases_and_tracks(),
        now=now,
    )


@bp.route("/sessions/<int:session_id>", endpoint="session")
@signed_in
def session_page(session_id: int):
    session = queries.get_session(current_user, session_id)
    if session is None:
        abort(404)
    now = utcnow()
    office = current_user.role == Role.OFFICE
    return render_template(
        "schedule/session.html",
        session=session,
        item=queries.SessionItem.of(session, now),
        may_join=queries.may_join(current_user, session),
        series_rule=queries.describe_series(session.series) if session.series else None,
        history=queries.session_history(session.id) if office else None,
        now=now,
    )
