"""The office's scheduling pages: a course's timetable to manage (every session with its
status and actions, its series), one session (new, edit or reschedule, cancel, delete), a
recurring series (rule, preview, confirmation; change or cancel the rest of it).

Views parse and call one operation; every rule is in :mod:`trainhub.schedule.operations`
and :mod:`trainhub.schedule.series`. A refusal re-renders the form with the messages under
their fields (422; 409 for clashes, listed with the field to override them).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from trainhub.auth import Role, roles_required
from trainhub.courses.models import Course, SessionSeries, TrainingSession
from trainhub.db import utcnow
from trainhub.localtime import local_today, local_zone, to_local
from trainhub.schedule import lookups, operations, series
from trainhub.schedule.forms import CancelForm, DeleteForm, SeriesEditForm, SeriesForm, SessionForm
from trainhub.schedule.operations import ClashRefused, ScheduleError
from trainhub.schedule.queries import state_of
from trainhub.schedule.recurrence import Rule

bp = Blueprint("schedule", __name__)

OFFICE = Role.OFFICE


def _course_or_404(course_id: int) -> Course:
    course = lookups.get_course_for_scheduling(course_id)
    if course is None:
        abort(404)
    return course


def _session_or_404(session_id: int) -> TrainingSession:
    session = lookups.get_session(current_user, session_id)
    if session is None:
        abort(404)
    return session


def _series_or_404(series_id: int) -> SessionSeries:
    found = lookups.get_series(current_user, series_id)
    if found is None:
        abort(404)
    return found


def _back(course_id: int):
    return redirect(url_for("schedule.course_sessions", course_id=course_id))


def _instant(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=local_zone()).astimezone(UTC)


def _refused(form, error: ScheduleError) -> int:
    """Put a refusal under the form's fields; the status to answer."""
    form.add_errors({name: message for name, message in error.errors.items()
                     if name != "override_reason"})
    return error.status


# the course's timetable ----------------------------------------------------------------------


@bp.route("/courses/<int:course_id>/sessions")
@roles_required(OFFICE)
def course_sessions(course_id: int):
    course = _course_or_404(course_id)
    series_list = lookups.course_series(course.id)
    now = utcnow()
    sessions = lookups.course_timetable(course.id)
    return render_template("schedule/course_sessions.html", course=course, sessions=sessions,
                           states={item.id: state_of(item, now) for item in sessions}, now=now,
                           series_list=series_list,
                           rules={item.id: Rule.from_series(item).describe() for item in series_list})


# one session ---------------------------------------------------------------------------------


def _render_session_form(form: SessionForm, course: Course, session: TrainingSession | None = None,
                         *, clashes=(), status: int = 200):
    form.set_choices(course, lookups.venue_choices(keep=session.venue_id if session else None))
    return render_template("schedule/session_form.html", form=form, course=course, session=session,
                           clashes=list(clashes), notes=[]), status


@bp.route("/courses/<int:course_id>/sessions/new", methods=["GET", "POST"])
@roles_required(OFFICE)
def new_session(course_id: int):
    course = _course_or_404(course_id)
    form = SessionForm()
    del form.reason
    if request.method == "GET":
        return _render_session_form(form, course)
    form.set_choices(course, lookups.venue_choices())
    if not form.validate_on_submit():
        return _render_session_form(form, course, status=422)
    try:
        session = operations.create_session(
            course, starts_at=_instant(form.day.data, form.starts_time.data),
            ends_at=_instant(form.day.data, form.ends_time.data),
            override_reason=form.override_reason.data, actor=current_user, **form.details())
    except ClashRefused as exc:
        return _render_session_form(form, course, clashes=exc.clashes, status=409)
    except ScheduleError as exc:
        return _render_session_form(form, course, status=_refused(form, exc))
    flash(f"已添加课次：{to_local(session.starts_at):%Y-%m-%d %H:%M}。"
          + "".join(operations.day_notes(session.starts_at)), "success")
    return _back(course.id)


@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@roles_required(OFFICE)
def edit_session(session_id: int):
    session = _session_or_404(session_id)
    course = session.course
    if session.is_cancelled:
        flash("该课次已取消，不能再修改。", "warning")
        return _back(course.id)
    if request.method == "GET":
        start, end = to_local(session.starts_at), to_local(session.ends_at)
        form = SessionForm(data={
            "day": start.date(), "starts_time": start.time(), "ends_time": end.time(),
            "title": session.title, "venue_detail": session.venue_detail,
            "meeting_url": session.meeting_url, "meeting_number": session.meeting_number,
            "instructor_id": str(session.instructor_id or ""), "venue_id": str(session.venue_id or ""),
        })
        return _render_session_form(form, course, session)
    form = SessionForm()
    form.set_choices(course, lookups.venue_choices(keep=session.venue_id))
    if not form.validate_on_submit():
        return _render_session_form(form, course, session, status=422)
    changes = {"starts_at": _instant(form.day.data, form.starts_time.data),
               "ends_at": _instant(form.day.data, form.ends_time.data), **form.details()}
    try:
        changed = operations.update_session(session, changes, reason=form.reason.data,
                                            override_reason=form.override_reason.data, actor=current_user)
    except ClashRefused as exc:
        return _render_session_form(form, course, session, clashes=exc.clashes, status=409)
    except ScheduleError as exc:
        return _render_session_form(form, course, session, status=_refused(form, exc))
    flash("已保存课次的修改。" if changed else "没有需要保存的修改。", "success" if changed else "info")
    return _back(course.id)


@bp.route("/sessions/<int:session_id>/cancel", methods=["GET", "POST"])
@roles_required(OFFICE)
def cancel_session(session_id: int):
    session = _session_or_404(session_id)
    form = CancelForm()
    del form.from_date
    if session.is_cancelled:
        flash("该课次已取消，无需重复取消。", "info")
        return _back(session.course_id)
    if form.validate_on_submit():
        try:
            operations.cancel_session(session, reason=form.reason.data, actor=current_user)
        except ScheduleError as exc:
            form.add_errors(exc.errors)
        else:
            flash(f"已取消 {to_local(session.starts_at):%Y-%m-%d %H:%M} 的课次；它仍显示在课表中（已取消）。",
                  "success")
            return _back(session.course_id)
    status = 422 if request.method == "POST" else 200
    return render_template("schedule/cancel.html", form=form, course=session.course, session=session,
                           series=None), status


@bp.route("/sessions/<int:session_id>/delete", methods=["GET", "POST"])
@roles_required(OFFICE)
def delete_session(session_id: int):
    session = _session_or_404(session_id)
    course_id = session.course_id
    form = DeleteForm()
    if form.validate_on_submit():
        when = f"{to_local(session.starts_at):%Y-%m-%d %H:%M}"
        try:
            operations.delete_session(session, actor=current_user)
        except ScheduleError as exc:
            form.add_errors({"confirm" if name == "session_id" else name: message
                             for name, message in exc.errors.items()})
        else:
            flash(f"已删除 {when} 的课次。", "success")
            return _back(course_id)
    status = 422 if request.method == "POST" else 200
    return render_template("schedule/delete.html", form=form, course=session.course,
                           session=session), status


# a series ------------------------------------------------------------------------------------


def _rule(form: SeriesForm) -> Rule:
    return Rule(weekdays=tuple(form.weekdays.data or ()), starts_time=form.starts_time.data,
                ends_time=form.ends_time.data, first_date=form.first_date.data,
                until_date=form.until_date.data, count=form.count_value(),
                skip_holidays=bool(form.skip_holidays.data),
                keep_holidays=frozenset(form.keep_holidays.data or ()))


def _render_series_form(form: SeriesForm, course: Course, *, preview=None, clashes_refused=False,
                        status: int = 200):
    form.set_choices(course, lookups.venue_choices())
    if preview is not None:
        # the boxes the preview shows ticked: the holidays it keeps
        form.keep_holidays.data = ([o.day for o in preview.expansion.kept_holidays]
                                   if preview.rule.skip_holidays else [])
        form.previewed.data = form.fingerprint()
    return render_template("schedule/series_form.html", form=form, course=course, preview=preview,
                           clashes_refused=clashes_refused), status


@bp.route("/courses/<int:course_id>/series/new", methods=["GET", "POST"])
@roles_required(OFFICE)
def new_series(course_id: int):
    """The rule, then its preview (every session, the holidays skipped by name with a box
    to keep each, make-up working days, dates outside the phase, clashes); nothing is saved
    until the preview shown is confirmed."""
    course = _course_or_404(course_id)
    form = SeriesForm()
    if request.method == "GET":
        form.skip_holidays.data = True
        return _render_series_form(form, course)
    form.set_choices(course, lookups.venue_choices())
    if not form.validate_on_submit() or form.starts_time.data is None or form.ends_time.data is None:
        return _render_series_form(form, course, status=422)
    rule, details = _rule(form), form.details()
    try:
        preview = series.preview_series(course, rule, **details)
    except ScheduleError as exc:
        return _render_series_form(form, course, status=_refused(form, exc))
    if "confirm" not in request.form:
        return _render_series_form(form, course, preview=preview)
    if form.previewed.data != form.fingerprint():
        flash("规则或保留的节假日已改动：已按新的内容重新预览，请核对后再确认保存。", "warning")
        return _render_series_form(form, course, preview=preview)
    try:
        created = series.create_series(course, rule, override_reason=form.override_reason.data,
                                       actor=current_user, **details)
    except ClashRefused:
        return _render_series_form(form, course, preview=preview, clashes_refused=True, status=409)
    except ScheduleError as exc:
        return _render_series_form(form, course, preview=preview, status=_refused(form, exc))
    flash(f"已按规则“{rule.describe()}”添加 {len(created.sessions)} 次课"
          + (f"，跳过节假日：{'、'.join(str(s) for s in preview.skipped)}" if preview.skipped else "")
          + "。", "success")
    return _back(course.id)


def _reference_session(found: SessionSeries) -> TrainingSession | None:
    """The session whose details the series form starts from: the next one not cancelled,
    else the last one not cancelled."""
    today = local_today()
    active = [s for s in found.sessions if not s.is_cancelled]
    upcoming = [s for s in active if to_local(s.starts_at).date() >= today]
    return (upcoming or active[-1:] or [None])[0]


@bp.route("/series/<int:series_id>/edit", methods=["GET", "POST"])
@roles_required(OFFICE)
def edit_series(series_id: int):
    found = _series_or_404(series_id)
    course = found.course
    reference = _reference_session(found)
    shown = {
        "title": reference.title if reference else None,
        "instructor_id": str(reference.instructor_id or "") if reference else "",
        "venue_id": str(reference.venue_id or "") if reference else "",
        "venue_detail": reference.venue_detail if reference else None,
        "meeting_url": reference.meeting_url if reference else None,
        "meeting_number": reference.meeting_number if reference else None,
    }
    venues = lookups.venue_choices(keep=reference.venue_id if reference else None)
    status = 200
    if request.method == "GET":
        start = max(local_today(), found.first_date)
        form = SeriesEditForm(data={"from_date": start, "starts_time": found.starts_time,
                                    "ends_time": found.ends_time, **shown})
    else:
        form = SeriesEditForm()
        form.set_choices(course, venues)
        status = 422
        if form.validate_on_submit():
            submitted = form.details()
            before = {name: (int(value) if value else None) if name.endswith("_id") else value
                      for name, value in shown.items()}
            changes = {name: value for name, value in submitted.items() if value != before[name]}
            changes.update(starts_time=form.starts_time.data, ends_time=form.ends_time.data)
            try:
                changed = series.update_series(found, changes, from_date=form.from_date.data,
                                               reason=form.reason.data,
                                               override_reason=form.override_reason.data,
                                               actor=current_user)
            except ClashRefused as exc:
                form.set_choices(course, venues)
                return render_template("schedule/series_edit.html", form=form, course=course,
                                       series=found, rule=Rule.from_series(found),
                                       clashes=exc.clashes), 409
            except ScheduleError as exc:
                status = _refused(form, exc)
            else:
                flash(f"已修改该系列的 {len(changed)} 次课。" if changed else "没有需要保存的修改。",
                      "success" if changed else "info")
                return _back(course.id)
    form.set_choices(course, venues)
    return render_template("schedule/series_edit.html", form=form, course=course, series=found,
                           rule=Rule.from_series(found), clashes=[]), status


@bp.route("/series/<int:series_id>/cancel", methods=["GET", "POST"])
@roles_required(OFFICE)
def cancel_series(series_id: int):
    found = _series_or_404(series_id)
    form = CancelForm()
    if request.method == "GET":
        form.from_date.data = max(local_today(), found.first_date)
    elif form.validate_on_submit():
        try:
            cancelled = series.cancel_series(found, from_date=form.from_date.data or local_today(),
                                             reason=form.reason.data, actor=current_user)
        except ScheduleError as exc:
            form.add_errors(exc.errors)
        else:
            flash(f"已取消该系列的 {len(cancelled)} 次课；它们仍显示在课表中（已取消）。", "success")
            return _back(found.course_id)
    status = 422 if request.method == "POST" else 200
    return render_template("schedule/cancel.html", form=form, course=found.course, session=None,
                           series=found, rule=Rule.from_series(found)), status
