"""JSON API of courses and enrolments: courses with their places, enrolments (list, enrol,
withdraw) and a trainee's own enrolments. Writes go through :mod:`trainhub.courses.operations`."""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from flask_smorest import Blueprint

from trainhub.api import api_user, json_body, paginate, problem, refused
from trainhub.auth import Role, roles_required
from trainhub.courses import operations, queries
from trainhub.courses.models import Course, Enrolment
from trainhub.courses.queries import COURSE_READERS, ENROLLERS
from trainhub.courses.schemas import (
    CourseArgs,
    CourseDetailSchema,
    CoursePageSchema,
    EnrolmentArgs,
    EnrolmentCreatedSchema,
    EnrolmentCreateSchema,
    EnrolmentPageSchema,
    EnrolmentSchema,
    EnrolmentWithdrawResultSchema,
    EnrolmentWithdrawSchema,
)
from trainhub.db import utcnow
from trainhub.extensions import db
from trainhub.learners.queries import get_learner

blp = Blueprint(
    "courses_api", __name__, url_prefix="/api/v1",
    description="课程与报名：课程及其名额、报名名单、报名与退课（含候补名单）。实施点联络员只能看到和"
                "办理其负责区域内学员的报名；讲师只能看到其任教的课程。",
)

# helpers -------------------------------------------------------------------------------------


def _course_item(course: Course, counts: queries.CourseCounts) -> dict:
    return {
        "id": course.id,
        "code": course.code,
        "title": course.title,
        "phase_id": course.track.phase_id,
        "phase": course.track.phase.name,
        "track_id": course.track_id,
        "track": course.track.name,
        "class_hours": course.class_hours,
        "mode": course.mode,
        "mode_label": course.mode.label,
        "capacity": course.capacity,
        "enrolled": counts.enrolled,
        "waitlisted": counts.waitlisted,
        "free_places": counts.free_places,
        "instructors": [user.display_name for user in course.instructors],
    }


@dataclass(frozen=True)
class _Created:
    """An enrolment with the warning its creation answers (:class:`EnrolmentCreatedSchema`)."""

    enrolment: Enrolment
    warning: str | None

    def __getattr__(self, name: str):
        return getattr(self.enrolment, name)


# courses -------------------------------------------------------------------------------------


@blp.route("/courses")
@roles_required(*COURSE_READERS)
@blp.arguments(CourseArgs, location="query")
@blp.response(200, CoursePageSchema)
@blp.alt_response(422, description="筛选参数有误")
def list_courses(args):
    """Courses with their places

    Every course in use for the office, coordinators and the Certification Centre; an
    instructor's own courses. Counts cover all areas (capacity is shared). Archived courses
    (or under an archived track or phase) are left out unless ``archived=true``.
    """
    user = api_user()
    stmt = queries.course_list_stmt(user, phase_id=args.get("phase_id"), track_id=args.get("track_id"),
                                    q=args.get("q"), include_archived=args["archived"])
    page = paginate(db, stmt, args)
    counts = queries.course_counts(page["items"])
    page["items"] = [_course_item(course, counts[course.id]) for course in page["items"]]
    return page


@blp.route("/courses/<int:course_id>")
@roles_required(*COURSE_READERS)
@blp.response(200, CourseDetailSchema)
@blp.alt_response(404, description="课程不存在（讲师：不是其任教的课程）")
def get_course(course_id: int):
    """One course with its places, completion rule and sessions

    Archived courses are found too (``archived`` says so). Each session carries its id, its
    start and end as ISO 8601 with the time-zone offset, and its status.
    """
    course = queries.get_course(api_user(), course_id)
    if course is None:
        return problem(404, f"课程 {course_id} 不存在。")
    return course_detail(course)


def course_detail(course: Course) -> dict:
    """A course as :class:`CourseDetailSchema` answers it: places, the completion rule, and
    every session (cancelled ones too) with its id."""
    item = _course_item(course, queries.course_counts([course])[course.id])
    item.update(
        description=course.description,
        instructor_ids=[user.id for user in course.instructors],
        completion_min_rate=course.completion_min_rate,
        min_attendance_percent=course.completion_min_rate * 100,
        has_assessment=course.has_assessment,
        pass_score=course.pass_score,
        excused_counts_against=course.excused_counts_against,
        archived=course.archived_note is not None,
        archived_at=course.archived_at,
        sessions=queries.course_sessions(course.id),
    )
    return item


# enrolments ----------------------------------------------------------------------------------


@blp.route("/enrolments")
@roles_required(*COURSE_READERS)
@blp.arguments(EnrolmentArgs, location="query")
@blp.response(200, EnrolmentPageSchema)
@blp.alt_response(422, description="筛选参数有误")
def list_enrolments(args):
    """Enrolments

    Filters: ``course_id``, ``learner_id``, ``status``. A coordinator sees the enrolments of
    learners in their area; an instructor those of their courses. ID and phone numbers are
    masked.
    """
    stmt = queries.enrolment_list_stmt(
        api_user(), course_id=args.get("course_id"), learner_id=args.get("learner_id"),
        status=args.get("status"),
    )
    return paginate(db, stmt, args)


@blp.route("/enrolments/<int:enrolment_id>")
@roles_required(*COURSE_READERS)
@blp.response(200, EnrolmentSchema)
@blp.alt_response(404, description="报名不存在，或不在调用者的可见范围内")
def get_enrolment(enrolment_id: int):
    """One enrolment"""
    enrolment = queries.get_enrolment(api_user(), enrolment_id)
    if enrolment is None:
        return problem(404, f"报名记录 {enrolment_id} 不存在，或不在您的负责区域内。")
    return enrolment


@blp.route("/enrolments", methods=["POST"])
@roles_required(*ENROLLERS)
@json_body
@blp.arguments(EnrolmentCreateSchema)
@blp.response(201, EnrolmentCreatedSchema)
@blp.alt_response(200, schema=EnrolmentCreatedSchema, description="学员已报名或已在候补名单上：原样返回，未作更改")
@blp.alt_response(409, description="课程已满且 waitlist 为 false；errors 指出 course_id")
@blp.alt_response(415, description="请求体不是 JSON")
def create_enrolment(data):
    """Enrol a learner in a course

    Capacity is respected: a full course puts the learner on the waiting list, or, with
    ``"waitlist": false``, is refused (409). Enrolling again is harmless: an enrolled or
    waitlisted learner is returned unchanged (200); a withdrawn one is enrolled again (201).
    A learner who does not exist or lies outside a coordinator's area is refused (422).
    Enrolling in a course under way or ended is allowed, with a ``warning`` saying how many
    sessions have already started: they do not count towards the learner's attendance rate.
    """
    user = api_user()
    learner = get_learner(user, data["learner_id"])
    if learner is None:
        message = "学员不存在，或不在您的负责区域内。"
        return problem(422, message, errors={"learner_id": [message]})
    course = queries.get_course(user, data["course_id"])
    if course is None:
        message = "课程不存在。"
        return problem(422, message, errors={"course_id": [message]})
    try:
        # whether anything changed is decided under the course's lock: of requests racing to
        # enrol the same learner, exactly one creates the enrolment (201), the others see it
        result = operations.enrol_learner(learner, course, waitlist=data["waitlist"])
    except operations.EnrolmentError as exc:
        return refused(exc, 409)
    enrolment_id = result.enrolment.id
    location = {"Location": url_for("courses_api.get_enrolment", enrolment_id=enrolment_id)}
    warning = queries.course_timing(course.id, utcnow()).late_warning
    return _Created(queries.get_enrolment(user, enrolment_id), warning), 201 if result.changed else 200, location


@blp.route("/enrolments/<int:enrolment_id>/withdraw", methods=["POST"])
@roles_required(*ENROLLERS)
@json_body
@blp.arguments(EnrolmentWithdrawSchema)
@blp.response(200, EnrolmentWithdrawResultSchema)
@blp.alt_response(404, description="报名不存在，或不在调用者的负责区域内")
@blp.alt_response(409, description="学员已退课；errors 指出 status")
@blp.alt_response(415, description="请求体不是 JSON")
def withdraw_enrolment(data, enrolment_id: int):
    """Withdraw a learner from a course (or its waiting list)

    ``reason`` is required. When a place frees up, the first learner on the waiting list
    moves up and is returned as ``promoted``.
    """
    user = api_user()
    enrolment = queries.get_enrolment(user, enrolment_id)
    if enrolment is None:
        return problem(404, f"报名记录 {enrolment_id} 不存在，或不在您的负责区域内。")
    try:
        promoted = operations.withdraw(enrolment, data["reason"])
    except operations.EnrolmentError as exc:
        return refused(exc, 409 if exc.field == "status" else 422)
    promoted_id = promoted.id if promoted is not None else None
    return {
        "enrolment": queries.get_enrolment(user, enrolment_id),
        "promoted": queries.get_enrolment(user, promoted_id) if promoted_id else None,
    }


@blp.route("/me/enrolments")
@roles_required(Role.TRAINEE)
@blp.response(200, EnrolmentPageSchema)
def my_enrolments():
    """The signed-in trainee's own enrolments"""
    items = queries.enrolments_of_user(api_user())
    return {"items": items, "total": len(items), "page": 1, "per_page": max(len(items), 1)}
