"""JSON API of sessions (课次) and series: list and read (within the caller's reach, see
:mod:`trainhub.schedule.scope`), schedule one session, change, reschedule, cancel or delete
it, preview a recurrence rule, check clashes, create a series from a rule and change or
cancel the rest of it. Writes go through :mod:`trainhub.schedule.operations` and
:mod:`trainhub.schedule.series` with the caller as the acting user; only the office
schedules, as on the web."""

from __future__ import annotations

from collections import defaultdict

from flask import url_for
from flask_smorest import Blueprint

from trainhub.api import api_user, json_body, paginate, problem, refused
from trainhub.auth import ALL_ROLES, roles_required
from trainhub.extensions import db
from trainhub.localtime import local_zone
from trainhub.schedule import operations, queries, series
from trainhub.schedule.clashes import Proposal, find_clashes
from trainhub.schedule.details import DETAIL_FIELDS, default_instructor
from trainhub.schedule.operations import ClashRefused, ScheduleError
from trainhub.schedule.recurrence import Rule, expand
from trainhub.schedule.schemas import (
    CancelSchema,
    ClashCheckResultSchema,
    ClashCheckSchema,
    ClashSchema,
    PreviewRequestSchema,
    PreviewSchema,
    SeriesCancelSchema,
    SeriesChangedSchema,
    SeriesCreatedSchema,
    SeriesCreateSchema,
    SeriesUpdateSchema,
    SessionArgs,
    SessionCreateSchema,
    SessionPageSchema,
    SessionSchema,
    SessionUpdateSchema,
)

blp = Blueprint(
    "schedule_api", __name__, url_prefix="/api/v1",
    description="课次与排课：课次列表与详情（各角色只能看到与自己相关的课次），项目办排课、调课、取消和删除课次，"
                "按重复规则批量排课（预览、跳过法定节假日）、冲突检查（讲师、共同报名学员、线下场地）。",
)

SCHEDULERS = operations.SCHEDULERS
RULE_FIELDS = ("weekdays", "starts_time", "ends_time", "first_date", "until_date", "count",
               "skip_holidays", "keep_holidays")


def _clash_problem(error: ClashRefused):
    """409: the clashes listed, ``override_reason`` named as the field to give."""
    return problem(409, error.message, errors={"override_reason": [error.message]},
                   clashes=ClashSchema(many=True).dump(error.clashes))


def _refusal(error: ScheduleError, status: int | None = None):
    if isinstance(error, ClashRefused):
        return _clash_problem(error)
    return refused(error, status)


def _not_found(session_id: int):
    return problem(404, f"课次 {session_id} 不存在，或不在您的可见范围内。")


def _course(course_id: int):
    course = queries.get_course_for_scheduling(course_id)
    if course is None:
        message = f"课程 {course_id} 不存在。"
        return None, problem(422, message, errors={"course_id": [message]})
    return course, None


def _rule(data: dict) -> Rule:
    return Rule(weekdays=tuple(data["weekdays"]), starts_time=data["starts_time"],
                ends_time=data["ends_time"], first_date=data["first_date"],
                until_date=data.get("until_date"), count=data.get("count"),
                skip_holidays=data["skip_holidays"], keep_holidays=frozenset(data["keep_holidays"]))


def _details(data: dict) -> dict:
    return {name: data.get(name) for name in DETAIL_FIELDS}


def _series_body(found) -> dict:
    rule = Rule.from_series(found)
    return {
        "id": found.id, "course_id": found.course_id, "rule": rule.describe(),
        "weekdays": list(rule.weekdays), "starts_time": found.starts_time, "ends_time": found.ends_time,
        "first_date": found.first_date, "until_date": found.until_date, "count": found.occurrences,
        "skip_holidays": found.skip_holidays, "kept_holidays": sorted(rule.keep_holidays),
        "sessions": found.sessions,
    }


def _reload(session_id: int):
    return queries.get_session(api_user(), session_id)


# reading -------------------------------------------------------------------------------------


@blp.route("/sessions")
@roles_required(*ALL_ROLES)
@blp.arguments(SessionArgs, location="query")
@blp.response(200, SessionPageSchema)
@blp.alt_response(422, description="筛选参数有误")
def list_sessions(args):
    """Sessions the caller may read

    Filters: ``course_id``, ``instructor_id``, ``from`` and ``to`` (local dates of the
    start, inclusive), ``status``. The office and the Certification Centre read every
    session; a coordinator those of their area's venues and learners; an instructor those of
    the courses they teach; a trainee those of the courses they are enrolled in. Cancelled
    sessions are listed too, with their reason.
    """
    stmt = queries.session_list_stmt(
        api_user(), course_id=args.get("course_id"), instructor_id=args.get("instructor_id"),
        starts_from=args.get("starts_from"), until=args.get("until"), status=args.get("status"))
    return paginate(db, stmt, args)


@blp.route("/sessions/<int:session_id>")
@roles_required(*ALL_ROLES)
@blp.response(200, SessionSchema)
@blp.alt_response(404, description="课次不存在，或不在调用者的可见范围内")
def get_session(session_id: int):
    """One session"""
    session = queries.get_session(api_user(), session_id)
    if session is None:
        return _not_found(session_id)
    return session


# one session ---------------------------------------------------------------------------------


@blp.route("/sessions", methods=["POST"])
@roles_required(*SCHEDULERS)
@json_body
@blp.arguments(SessionCreateSchema)
@blp.response(201, SessionSchema)
@blp.alt_response(409, description="存在冲突且未给出 override_reason；clashes 列出冲突")
@blp.alt_response(415, description="请求体不是 JSON")
def create_session(data):
    """Schedule one session (office)

    The session must lie inside its course's phase (local dates). A clash — the same
    instructor, courses sharing enrolled learners, the same venue at once — is refused with
    409 listing ``clashes`` unless ``override_reason`` says why; the reason is kept.
    """
    course, error = _course(data["course_id"])
    if error is not None:
        return error
    try:
        session = operations.create_session(
            course, starts_at=data["starts_at"], ends_at=data["ends_at"],
            override_reason=data.get("override_reason"), actor=api_user(), **_details(data))
    except ScheduleError as exc:
        return _refusal(exc)
    location = {"Location": url_for("schedule_api.get_session", session_id=session.id)}
    return _reload(session.id), 201, location


@blp.route("/sessions/<int:session_id>", methods=["PATCH"])
@roles_required(*SCHEDULERS)
@json_body
@blp.arguments(SessionUpdateSchema)
@blp.response(200, SessionSchema)
@blp.alt_response(404, description="课次不存在")
@blp.alt_response(409, description="存在冲突且未给出 override_reason，或课次已取消")
@blp.alt_response(415, description="请求体不是 JSON")
def update_session(data, session_id: int):
    """Change or reschedule one session (office)

    Only the fields given change. Moving it in time needs ``reason``; the phase window and
    clashes are checked as when scheduling. Every change raises ``sequence``.
    """
    session = queries.get_session(api_user(), session_id)
    if session is None:
        return _not_found(session_id)
    changes = {name: value for name, value in data.items() if name in operations.SESSION_FIELDS}
    try:
        operations.update_session(session, changes, reason=data.get("reason"),
                                  override_reason=data.get("override_reason"), actor=api_user())
    except ScheduleError as exc:
        return _refusal(exc, 409 if exc.field == "status" else None)
    return _reload(session_id)


@blp.route("/sessions/<int:session_id>/cancel", methods=["POST"])
@roles_required(*SCHEDULERS)
@json_body
@blp.arguments(CancelSchema)
@blp.response(200, SessionSchema)
@blp.alt_response(404, description="课次不存在")
@blp.alt_response(409, description="课次已取消")
@blp.alt_response(415, description="请求体不是 JSON")
def cancel_session(data, session_id: int):
    """Cancel one session (office)

    ``reason`` is required. The session stays, as cancelled, with its attendance.
    """
    session = queries.get_session(api_user(), session_id)
    if session is None:
        return _not_found(session_id)
    try:
        operations.cancel_session(session, reason=data["reason"], actor=api_user())
    except ScheduleError as exc:
        return _refusal(exc, 409 if exc.field == "status" else None)
    return _reload(session_id)


@blp.route("/sessions/<int:session_id>", methods=["DELETE"])
@roles_required(*SCHEDULERS)
@blp.response(204)
@blp.alt_response(404, description="课次不存在")
@blp.alt_response(409, description="课次已开始，或已有考勤、请假记录：只能取消")
def delete_session(session_id: int):
    """Delete a session scheduled by mistake (office)

    Only a session that has not started and has no attendance or leave requests; any other
    is refused with 409 (cancel it instead: its records are kept).
    """
    session = queries.get_session(api_user(), session_id)
    if session is None:
        return _not_found(session_id)
    try:
        operations.delete_session(session, actor=api_user())
    except ScheduleError as exc:
        return _refusal(exc, 409)
    return "", 204


# rules and clashes ---------------------------------------------------------------------------


def _preview_body(preview: series.SeriesPreview) -> dict:
    zone = local_zone()
    items = []
    for index, (occurrence, proposal) in enumerate(zip(preview.occurrences, preview.proposals, strict=True)):
        items.append({
            "index": index, "date": proposal.starts_at.astimezone(zone).date(),
            "starts_at": proposal.starts_at, "ends_at": proposal.ends_at,
            "holiday": occurrence.holiday, "makeup_for": occurrence.makeup_for,
            "published": occurrence.published, "note": occurrence.note,
            "outside_phase": preview.outside(index), "clashes": preview.clashes_at(index),
        })
    return {"rule": preview.rule.describe(), "sessions": items, "skipped": preview.skipped,
            "warnings": preview.warnings, "window": preview.window, "clashes": preview.clashes,
            "can_save": preview.can_save}


@blp.route("/sessions/preview", methods=["POST"])
@roles_required(*SCHEDULERS)
@json_body
@blp.arguments(PreviewRequestSchema)
@blp.response(200, PreviewSchema)
@blp.alt_response(415, description="请求体不是 JSON")
def preview(data):
    """Preview a recurrence rule (office; nothing is saved)

    Every session the rule would make, the public holidays skipped by name (e.g.
    "2023-05-01 劳动节"), make-up working days, warnings (years whose holidays are not yet
    published), dates outside the phase and clashes.
    """
    course, error = _course(data["course_id"])
    if error is not None:
        return error
    try:
        result = series.preview_series(course, _rule(data), **_details(data))
    except ScheduleError as exc:
        return _refusal(exc)
    return _preview_body(result)


@blp.route("/sessions/clash-check", methods=["POST"])
@roles_required(*SCHEDULERS)
@json_body
@blp.arguments(ClashCheckSchema)
@blp.response(200, ClashCheckResultSchema)
@blp.alt_response(415, description="请求体不是 JSON")
def clash_check(data):
    """Check proposed sessions for clashes and phase windows (office; nothing is saved)

    Against the timetable and among the proposals themselves (e.g. two overlapping rules),
    in a constant number of queries. A missing ``instructor_id`` is the course's first
    instructor, as when scheduling.
    """
    items = data["sessions"]
    courses = queries.courses_for_scheduling({item["course_id"] for item in items})
    errors = {}
    for index, item in enumerate(items):
        if item["course_id"] not in courses:
            errors[f"sessions.{index}.course_id"] = [f"课程 {item['course_id']} 不存在。"]
        elif item["ends_at"] <= item["starts_at"]:
            errors[f"sessions.{index}.ends_at"] = ["结束时间应晚于开始时间。"]
    if errors:
        return problem(422, "以下字段的值不符合要求：" + "、".join(errors), errors=errors)
    proposals = []
    for item in items:
        instructor = item.get("instructor_id")
        if instructor is None:
            first = default_instructor(courses[item["course_id"]])
            instructor = first.id if first else None
        proposals.append(Proposal(course_id=item["course_id"], starts_at=item["starts_at"],
                                  ends_at=item["ends_at"], instructor_id=instructor,
                                  venue_id=item.get("venue_id"), session_id=item.get("session_id")))
    spans = defaultdict(list)
    for proposal in proposals:
        spans[proposal.course_id].append((proposal.starts_at, proposal.ends_at))
    windows = []
    for course_id, course_spans in spans.items():
        window = operations.phase_window(courses[course_id], course_spans)
        if window is not None:
            windows.append({"course_id": course_id, "message": window.message, "dates": window.dates,
                            "starts_on": window.starts_on, "ends_on": window.ends_on})
    return {"clashes": find_clashes(proposals), "outside_phase": windows}


# series --------------------------------------------------------------------------------------


@blp.route("/series", methods=["POST"])
@roles_required(*SCHEDULERS)
@json_body
@blp.arguments(SeriesCreateSchema)
@blp.response(201, SeriesCreatedSchema)
@blp.alt_response(409, description="存在冲突且未给出 override_reason；clashes 列出冲突")
@blp.alt_response(415, description="请求体不是 JSON")
def create_series(data):
    """Schedule a series from a recurrence rule (office)

    As the preview shows it: public holidays skipped unless listed in ``keep_holidays``
    (or ``skip_holidays`` is false); refused when a session would lie outside the phase
    (422 naming ``first_date``, ``until_date`` or ``count``), or on clashes without
    ``override_reason`` (409).
    """
    course, error = _course(data["course_id"])
    if error is not None:
        return error
    rule = _rule(data)
    try:
        created = series.create_series(course, rule, override_reason=data.get("override_reason"),
                                       actor=api_user(), **_details(data))
    except ScheduleError as exc:
        return _refusal(exc)
    found = queries.get_series(api_user(), created.id)
    body = _series_body(found)
    body["skipped"] = expand(Rule.from_series(found)).skipped
    location = {"Location": url_for("schedule_api.list_sessions", course_id=course.id)}
    return body, 201, location


@blp.route("/series/<int:series_id>", methods=["PATCH"])
@roles_required(*SCHEDULERS)
@json_body
@blp.arguments(SeriesUpdateSchema)
@blp.response(200, SeriesChangedSchema)
@blp.alt_response(404, description="系列不存在")
@blp.alt_response(409, description="存在冲突且未给出 override_reason")
@blp.alt_response(415, description="请求体不是 JSON")
def update_series(data, series_id: int):
    """Change the rest of a series (office)

    The sessions not cancelled from ``from_date`` (default today) on get the fields given:
    a new local start and end time (``reason`` required), title, venue, meeting link and
    number, instructor. Checked like single sessions.
    """
    found = queries.get_series(api_user(), series_id)
    if found is None:
        return problem(404, f"系列 {series_id} 不存在。")
    changes = {name: value for name, value in data.items() if name in series.SERIES_FIELDS}
    try:
        changed = series.update_series(found, changes, from_date=data.get("from_date"),
                                       reason=data.get("reason"),
                                       override_reason=data.get("override_reason"), actor=api_user())
    except ScheduleError as exc:
        return _refusal(exc)
    return {"series": _series_body(found), "changed": changed}


@blp.route("/series/<int:series_id>/cancel", methods=["POST"])
@roles_required(*SCHEDULERS)
@json_body
@blp.arguments(SeriesCancelSchema)
@blp.response(200, SeriesChangedSchema)
@blp.alt_response(404, description="系列不存在")
@blp.alt_response(415, description="请求体不是 JSON")
def cancel_series(data, series_id: int):
    """Cancel the rest of a series (office)

    The sessions not cancelled from ``from_date`` (default today) on are cancelled for
    ``reason``; they stay visible as cancelled, with their attendance.
    """
    found = queries.get_series(api_user(), series_id)
    if found is None:
        return problem(404, f"系列 {series_id} 不存在。")
    try:
        cancelled = series.cancel_series(found, from_date=data.get("from_date"), reason=data["reason"],
                                         actor=api_user())
    except ScheduleError as exc:
        return _refusal(exc)
    return {"series": _series_body(found), "changed": cancelled}
