"""JSON API of the catalogue: programmes and phases (with their tracks), tracks and courses —
create, change, archive and restore (the office); programmes and phases are read by every
reader of the courses.
Writes go through :mod:`trainhub.courses.phases` and :mod:`trainhub.courses.course_edits`
with the caller as the acting user, so the rules and messages are the web's.

Archived items leave lists (unless ``archived=true``) and stay readable on their own; a
refusal names every field at fault (422), a taken number, name or code and an archive the
state forbids answer 409."""

from __future__ import annotations

import sqlalchemy as sa
from flask import url_for
from flask_smorest import Blueprint

from trainhub.api import api_user, json_body, paginate, problem, refused
from trainhub.auth import Role, roles_required
from trainhub.courses import catalogue_queries as queries
from trainhub.courses import course_edits, phases
from trainhub.courses.api import course_detail
from trainhub.courses.catalogue import CatalogueError
from trainhub.courses.models import Programme
from trainhub.courses.queries import COURSE_READERS, get_course
from trainhub.courses.schemas import (
    CourseCreateSchema,
    CourseDetailSchema,
    CourseUpdateSchema,
    PhaseArgs,
    PhaseCreateSchema,
    PhasePageSchema,
    PhaseSchema,
    PhaseUpdateSchema,
    ProgrammeArgs,
    ProgrammeCreateSchema,
    ProgrammePageSchema,
    ProgrammeSchema,
    ProgrammeUpdateSchema,
    TrackCreateSchema,
    TrackSchema,
    TrackUpdateSchema,
)
from trainhub.extensions import db

blp = Blueprint(
    "catalogue_api", __name__, url_prefix="/api/v1",
    description="项目目录：项目、阶段、课程模块与课程的新建、修改、归档与恢复（项目办）。归档的条目不再出现在列表和"
                "选项中，但仍可单独读取，历史记录和报表照常保留。",
)

CONFLICT = "编号、名称或课程编号已被使用，或当前状态不允许该操作（如尚有未结束的课次）；errors 指出字段"


def _found(item, what: str, item_id: int):
    """``(item, None)``, or ``(None, the 404 problem)`` when there is no such ``what``."""
    return (item, None) if item is not None else (None, problem(404, f"{what} {item_id} 不存在。"))


def _programme_or_404(programme_id: int):
    return _found(queries.get_programme(programme_id), "项目", programme_id)


def _phase_or_404(phase_id: int):
    return _found(queries.get_phase(phase_id), "阶段", phase_id)


def _track_or_404(track_id: int):
    return _found(queries.get_track(track_id), "课程模块", track_id)


def _course_or_404(course_id: int):
    return _found(get_course(api_user(), course_id), "课程", course_id)


def apply_to(found: tuple, write, answer=lambda item: item):
    """``write(item)`` on what ``found`` (``(item, None)`` or ``(None, 404 problem)``) holds;
    the answer: ``answer(item)``, the 404, or the refusal's problem document."""
    item, missing = found
    if missing is not None:
        return missing
    try:
        write(item)
    except CatalogueError as exc:
        return refused(exc)
    return answer(item)


def _programme_of(data: dict):
    """The programme a new phase belongs to: the one named, else the only one in use."""
    if "programme_id" in data:
        programme = queries.get_programme(data.pop("programme_id"))
        if programme is None:
            message = "项目不存在。"
            return None, problem(422, message, errors={"programme_id": [message]})
        return programme, None
    in_use = list(db.session.scalars(sa.select(Programme).where(Programme.archived_at.is_(None)).limit(2)))
    if len(in_use) != 1:
        message = "请用 programme_id 指明项目。" if in_use else "没有在用的项目。"
        return None, problem(422, message, errors={"programme_id": [message]})
    return in_use[0], None


# programmes ----------------------------------------------------------------------------------


@blp.route("/programmes")
@roles_required(*COURSE_READERS)
@blp.arguments(ProgrammeArgs, location="query")
@blp.response(200, ProgrammePageSchema)
@blp.alt_response(422, description="筛选参数有误")
def list_programmes(args):
    """Programmes with their phases and tracks

    By start date; archived programmes only with ``archived=true``.
    """
    return paginate(db, queries.programme_list_stmt(include_archived=args["archived"]), args)


@blp.route("/programmes/<int:programme_id>")
@roles_required(*COURSE_READERS)
@blp.response(200, ProgrammeSchema)
@blp.alt_response(404, description="项目不存在")
def get_programme(programme_id: int):
    """One programme with its phases and tracks (archived or not)"""
    programme, missing = _programme_or_404(programme_id)
    return programme if missing is None else missing


@blp.route("/programmes", methods=["POST"])
@roles_required(Role.OFFICE)
@json_body
@blp.arguments(ProgrammeCreateSchema)
@blp.response(201, ProgrammeSchema)
@blp.alt_response(409, description="已有同名的项目（含已归档的）；errors 指出 name")
@blp.alt_response(415, description="请求体不是 JSON")
def create_programme(data):
    """Create a programme (office)

    The window (``starts_on``..``ends_on``, local dates, the last inclusive) holds the
    phases added to it afterwards (``POST /phases`` with its ``programme_id``).
    """
    try:
        programme = phases.create_programme(actor=api_user(), **data)
    except CatalogueError as exc:
        return refused(exc)
    return programme, {"Location": url_for("catalogue_api.get_programme", programme_id=programme.id)}


@blp.route("/programmes/<int:programme_id>", methods=["PATCH"])
@roles_required(Role.OFFICE)
@json_body
@blp.arguments(ProgrammeUpdateSchema)
@blp.response(200, ProgrammeSchema)
@blp.alt_response(404, description="项目不存在")
@blp.alt_response(409, description="已有同名的项目")
@blp.alt_response(415, description="请求体不是 JSON")
def update_programme(data, programme_id: int):
    """Rename a programme or change its window (office)

    Only the fields given change. A window that would leave one of its phases (archived ones
    too) outside is refused (422), naming them.
    """
    return apply_to(_programme_or_404(programme_id),
                    lambda programme: phases.update_programme(programme, data, actor=api_user()))


@blp.route("/programmes/<int:programme_id>/archive", methods=["POST"])
@roles_required(Role.OFFICE)
@blp.response(200, ProgrammeSchema)
@blp.alt_response(404, description="项目不存在")
@blp.alt_response(409, description="项目尚有未结束的已排期课次；errors 指出 sessions")
def archive_programme(programme_id: int):
    """Archive a programme (office)

    It leaves lists and choices with its phases, tracks and courses; archiving an archived
    programme changes nothing.
    """
    return apply_to(_programme_or_404(programme_id),
                    lambda programme: phases.archive_programme(programme, actor=api_user()))


@blp.route("/programmes/<int:programme_id>/restore", methods=["POST"])
@roles_required(Role.OFFICE)
@blp.response(200, ProgrammeSchema)
@blp.alt_response(404, description="项目不存在")
def restore_programme(programme_id: int):
    """Restore an archived programme (office)"""
    return apply_to(_programme_or_404(programme_id),
                    lambda programme: phases.restore_programme(programme, actor=api_user()))


# phases --------------------------------------------------------------------------------------


@blp.route("/phases")
@roles_required(*COURSE_READERS)
@blp.arguments(PhaseArgs, location="query")
@blp.response(200, PhasePageSchema)
@blp.alt_response(422, description="筛选参数有误")
def list_phases(args):
    """Phases with their tracks

    In order of programme and number; archived phases (or of an archived programme) only
    with ``archived=true``.
    """
    stmt = queries.phase_list_stmt(programme_id=args.get("programme_id"), include_archived=args["archived"])
    return paginate(db, stmt, args)


@blp.route("/phases/<int:phase_id>")
@roles_required(*COURSE_READERS)
@blp.response(200, PhaseSchema)
@blp.alt_response(404, description="阶段不存在")
def get_phase(phase_id: int):
    """One phase with its tracks (archived or not)"""
    phase, missing = _phase_or_404(phase_id)
    return phase if missing is None else missing


@blp.route("/phases", methods=["POST"])
@roles_required(Role.OFFICE)
@json_body
@blp.arguments(PhaseCreateSchema)
@blp.response(201, PhaseSchema)
@blp.alt_response(409, description="该编号已被本项目的另一阶段使用；errors 指出 number")
@blp.alt_response(415, description="请求体不是 JSON")
def create_phase(data):
    """Add a phase to the programme (office)

    ``number`` defaults to the next one. The window (``starts_on``..``ends_on``, local dates,
    the last inclusive) lies inside the programme's; phases may overlap.
    """
    programme, refusal = _programme_of(data)
    if refusal is not None:
        return refusal
    try:
        phase = phases.create_phase(programme, actor=api_user(), **data)
    except CatalogueError as exc:
        return refused(exc)
    return phase, {"Location": url_for("catalogue_api.get_phase", phase_id=phase.id)}


@blp.route("/phases/<int:phase_id>", methods=["PATCH"])
@roles_required(Role.OFFICE)
@json_body
@blp.arguments(PhaseUpdateSchema)
@blp.response(200, PhaseSchema)
@blp.alt_response(404, description="阶段不存在")
@blp.alt_response(409, description="该编号已被本项目的另一阶段使用")
@blp.alt_response(415, description="请求体不是 JSON")
def update_phase(data, phase_id: int):
    """Change a phase (office)

    Only the fields given change. A window that would leave scheduled sessions of the phase
    outside is refused (422), naming how many and their first dates (Beijing time).
    """
    return apply_to(_phase_or_404(phase_id), lambda phase: phases.update_phase(phase, data, actor=api_user()))


@blp.route("/phases/<int:phase_id>/archive", methods=["POST"])
@roles_required(Role.OFFICE)
@blp.response(200, PhaseSchema)
@blp.alt_response(404, description="阶段不存在")
@blp.alt_response(409, description="阶段尚有未结束的已排期课次；errors 指出 sessions")
def archive_phase(phase_id: int):
    """Archive a phase (office)

    It leaves lists and choices with its tracks and courses; archiving an archived phase
    changes nothing.
    """
    return apply_to(_phase_or_404(phase_id), lambda phase: phases.archive_phase(phase, actor=api_user()))


@blp.route("/phases/<int:phase_id>/restore", methods=["POST"])
@roles_required(Role.OFFICE)
@blp.response(200, PhaseSchema)
@blp.alt_response(404, description="阶段不存在")
@blp.alt_response(409, description="所属项目已归档；errors 指出 programme_id")
def restore_phase(phase_id: int):
    """Restore an archived phase (office)"""
    return apply_to(_phase_or_404(phase_id), lambda phase: phases.restore_phase(phase, actor=api_user()))


# tracks --------------------------------------------------------------------------------------


@blp.route("/tracks", methods=["POST"])
@roles_required(Role.OFFICE)
@json_body
@blp.arguments(TrackCreateSchema)
@blp.response(201, TrackSchema)
@blp.alt_response(409, description="该阶段已有同名的课程模块；errors 指出 name")
@blp.alt_response(415, description="请求体不是 JSON")
def create_track(data):
    """Add a track to a phase in use (office)"""
    phase = queries.get_phase(data.pop("phase_id"))
    if phase is None:
        message = "阶段不存在。"
        return problem(422, message, errors={"phase_id": [message]})
    try:
        track = phases.create_track(phase, actor=api_user(), **data)
    except CatalogueError as exc:
        return refused(exc)
    return track, {"Location": url_for("catalogue_api.get_phase", phase_id=phase.id)}


@blp.route("/tracks/<int:track_id>", methods=["PATCH"])
@roles_required(Role.OFFICE)
@json_body
@blp.arguments(TrackUpdateSchema)
@blp.response(200, TrackSchema)
@blp.alt_response(404, description="课程模块不存在")
@blp.alt_response(409, description="该阶段已有同名的课程模块")
@blp.alt_response(415, description="请求体不是 JSON")
def update_track(data, track_id: int):
    """Rename or reorder a track (office)"""
    return apply_to(_track_or_404(track_id), lambda track: phases.update_track(track, data, actor=api_user()))


@blp.route("/tracks/<int:track_id>/archive", methods=["POST"])
@roles_required(Role.OFFICE)
@blp.response(200, TrackSchema)
@blp.alt_response(404, description="课程模块不存在")
@blp.alt_response(409, description="课程模块尚有未结束的已排期课次；errors 指出 sessions")
def archive_track(track_id: int):
    """Archive a track (office): it leaves lists and choices with its courses"""
    return apply_to(_track_or_404(track_id), lambda track: phases.archive_track(track, actor=api_user()))


@blp.route("/tracks/<int:track_id>/restore", methods=["POST"])
@roles_required(Role.OFFICE)
@blp.response(200, TrackSchema)
@blp.alt_response(404, description="课程模块不存在")
@blp.alt_response(409, description="所属阶段已归档；errors 指出 phase_id")
def restore_track(track_id: int):
    """Restore an archived track (office)"""
    return apply_to(_track_or_404(track_id), lambda track: phases.restore_track(track, actor=api_user()))


# courses -------------------------------------------------------------------------------------


@blp.route("/courses", methods=["POST"])
@roles_required(Role.OFFICE)
@json_body
@blp.arguments(CourseCreateSchema)
@blp.response(201, CourseDetailSchema)
@blp.alt_response(409, description="课程编号已被使用（已归档的课程也占用编号）；errors 指出 code")
@blp.alt_response(415, description="请求体不是 JSON")
def create_course(data):
    """Create a course (office)

    ``code`` is stored upper-case and unique; ``track_id`` must be a track in use;
    ``instructor_ids`` are users with the instructor role; ``capacity`` null is unlimited;
    the completion rule: ``min_attendance_percent`` (0–100, default 80), ``has_assessment``,
    ``pass_score`` (0–100, required with an assessment) and ``excused_counts_against``.
    """
    try:
        course = course_edits.create_course(actor=api_user(), **data)
    except CatalogueError as exc:
        return refused(exc)
    return course_detail(course), {"Location": url_for("courses_api.get_course", course_id=course.id)}


@blp.route("/courses/<int:course_id>", methods=["PATCH"])
@roles_required(Role.OFFICE)
@json_body
@blp.arguments(CourseUpdateSchema)
@blp.response(200, CourseDetailSchema)
@blp.alt_response(404, description="课程不存在")
@blp.alt_response(409, description="课程编号已被使用")
@blp.alt_response(415, description="请求体不是 JSON")
def update_course(data, course_id: int):
    """Change a course (office)

    Only the fields given change. Refused (422, naming the field): a capacity below the
    learners enrolled, removing an instructor still assigned sessions of the course, a track
    of another phase whose window leaves some of its sessions outside. Places a raised
    capacity frees go to the waiting list at once.
    """
    return apply_to(_course_or_404(course_id),
                    lambda course: course_edits.update_course(course, data, actor=api_user()), course_detail)


@blp.route("/courses/<int:course_id>/archive", methods=["POST"])
@roles_required(Role.OFFICE)
@blp.response(200, CourseDetailSchema)
@blp.alt_response(404, description="课程不存在")
@blp.alt_response(409, description="课程尚有未结束的已排期课次（请先取消）；errors 指出 sessions")
def archive_course(course_id: int):
    """Archive a course (office): it leaves lists and takes no more enrolments"""
    return apply_to(_course_or_404(course_id),
                    lambda course: course_edits.archive_course(course, actor=api_user()), course_detail)


@blp.route("/courses/<int:course_id>/restore", methods=["POST"])
@roles_required(Role.OFFICE)
@blp.response(200, CourseDetailSchema)
@blp.alt_response(404, description="课程不存在")
@blp.alt_response(409, description="所属课程模块已归档；errors 指出 track_id")
def restore_course(course_id: int):
    """Restore an archived course (office)"""
    return apply_to(_course_or_404(course_id),
                    lambda course: course_edits.restore_course(course, actor=api_user()), course_detail)
