"""JSON API of learners: the register within the caller's area (masked ID and phone
numbers), registering and changing learners, the full personal data for the office
(audited), and a trainee's own record. Rules and validation live in
:mod:`trainhub.learners.operations`; the schemas in :mod:`trainhub.learners.schemas`.

A full ID or phone number never goes into an address: ``GET /learners`` refuses one in
``q``, and ``POST /learners/search`` takes the same filters in its body.
"""

from __future__ import annotations

from flask import url_for
from flask_smorest import Blueprint

from trainhub.api import api_user, json_body, paginate, problem, refused
from trainhub.auth import Role, outside_area_problem, roles_required
from trainhub.extensions import db
from trainhub.learners import operations, queries
from trainhub.learners.models import Qualification
from trainhub.learners.operations import (
    LEARNER_MANAGERS,
    LearnerError,
)
from trainhub.learners.queries import LearnerFilters
from trainhub.learners.schemas import (
    IdNumberCorrectionSchema,
    LearnerArgs,
    LearnerCreateSchema,
    LearnerPageSchema,
    LearnerSchema,
    LearnerSearchSchema,
    LearnerUpdateSchema,
    OwnLearnerSchema,
    PersonalDataSchema,
    WithPersonalData,
)
from trainhub.orgs.queries import get_organisation
from trainhub.pii import looks_personal
from trainhub.refusals import Refusal

blp = Blueprint(
    "learners_api", __name__, url_prefix="/api/v1",
    description="学员：名册（身份证号码和手机号码脱敏）、登记与修改、项目办查看完整信息（记入审计日志）、"
                "学员本人的信息。实施点联络员只能看到其负责区域内机构的学员。",
)


# helpers ---------------------------------------------------------------------------------------


def _filters(args: dict, *, allow_personal: bool):
    """LearnerFilters from validated arguments, or a 422 problem."""
    outside = outside_area_problem(api_user(), province=args.get("province"),
                                   county=args.get("county"))
    if outside is not None:
        return None, outside
    if args.get("organisation") is not None and get_organisation(
            api_user(), args["organisation"]) is None:
        return None, refused(Refusal("organisation", "机构不存在，或不在您的负责区域内。"))
    if not allow_personal and looks_personal(args.get("q")):
        return None, refused(Refusal("q", "身份证号码和手机号码不能放在网址中：请用 "
                                          "POST /api/v1/learners/search 在请求体中提交。"))
    return LearnerFilters(
        organisation_id=args.get("organisation"),
        county_code=args.get("county"),
        province_code=args.get("province"),
        qualification=Qualification(args["qualification"]) if args.get("qualification") else None,
        activated=args.get("activated"),
        q=args.get("q"),
    ), None


def _learner_or_404(learner_id: int):
    learner = queries.get_learner(api_user(), learner_id)
    if learner is None:
        return None, problem(404, f"学员 {learner_id} 不存在，或不在您的负责区域内。")
    return learner, None


# the register ----------------------------------------------------------------------------------


@blp.route("/learners")
@roles_required(*LEARNER_MANAGERS)
@blp.arguments(LearnerArgs, location="query")
@blp.response(200, LearnerPageSchema)
@blp.alt_response(422, description="筛选参数有误（含：在 q 中提交了完整的身份证号码或手机号码）")
def list_learners(args):
    """Learners in the caller's area (masked)

    Filters: ``organisation`` (id), ``county`` (6-digit code of the organisation's county),
    ``province`` (name or 2-digit code), ``qualification``, ``activated`` and ``q`` (part of
    the name, or a trainee user name). ID and phone numbers are masked.
    """
    filters, refused = _filters(args, allow_personal=False)
    if refused is not None:
        return refused
    return paginate(db, queries.learner_list_stmt(api_user(), filters), args)


@blp.route("/learners/search", methods=["POST"])
@roles_required(*LEARNER_MANAGERS)
@json_body
@blp.arguments(LearnerSearchSchema)
@blp.response(200, LearnerPageSchema)
@blp.alt_response(415, description="请求体不是 JSON")
def search_learners(args):
    """Find learners by a full ID or phone number (in the body, not the address)

    The same filters as ``GET /learners`` in a JSON body; ``q`` may also be a full ID
    number or a full mobile number, matched exactly through a keyed hash.
    """
    filters, refused = _filters(args, allow_personal=True)
    if refused is not None:
        return refused
    return paginate(db, queries.learner_list_stmt(api_user(), filters), args)


@blp.route("/learners/<int:learner_id>")
@roles_required(*LEARNER_MANAGERS)
@blp.response(200, LearnerSchema)
@blp.alt_response(404, description="学员不存在，或不在调用者的负责区域内")
def get_learner(learner_id: int):
    """One learner (masked)"""
    learner, missing = _learner_or_404(learner_id)
    return missing if missing is not None else learner


@blp.route("/learners/<int:learner_id>/personal-data")
@roles_required(Role.OFFICE)
@blp.response(200, PersonalDataSchema)
@blp.alt_response(404, description="学员不存在")
def get_personal_data(learner_id: int):
    """The full ID and phone numbers of a learner (office; audited)

    Every call is recorded in the audit log as ``learner.view_personal_data`` (without the
    values).
    """
    learner, missing = _learner_or_404(learner_id)
    if missing is not None:
        return missing
    try:
        data = operations.reveal_personal_data(learner, actor=api_user(), via="api")
    except LearnerError as error:
        return refused(error)
    return WithPersonalData(learner, data)


# writes ----------------------------------------------------------------------------------------


@blp.route("/learners", methods=["POST"])
@roles_required(*LEARNER_MANAGERS)
@json_body
@blp.arguments(LearnerCreateSchema)
@blp.response(201, LearnerSchema)
@blp.alt_response(409, description="该身份证号码已登记为学员；errors 指出 id_number")
@blp.alt_response(415, description="请求体不是 JSON")
def create_learner(data):
    """Register a learner and their trainee account

    Gender and birth date follow the ID number (when given, they must agree with it); the
    organisation must lie in the caller's area. The trainee account is created without a
    password: give a temporary password or an activation link on the learner's page.
    """
    try:
        learner = operations.register_learner(actor=api_user(), **{
            key: data.get(key) for key in (
                "organisation_id", "name", "id_number", "phone", "gender", "birth_date",
                "position", "qualification", "joined_on",
            )
        })
    except LearnerError as error:
        return refused(error)
    learner_id = learner.id
    return queries.get_learner(api_user(), learner_id), {
        "Location": url_for("learners_api.get_learner", learner_id=learner_id)
    }


@blp.route("/learners/<int:learner_id>", methods=["PATCH"])
@roles_required(*LEARNER_MANAGERS)
@json_body
@blp.arguments(LearnerUpdateSchema)
@blp.response(200, LearnerSchema)
@blp.alt_response(404, description="学员不存在，或不在调用者的负责区域内")
@blp.alt_response(415, description="请求体不是 JSON")
def update_learner(data, learner_id: int):
    """Change some fields of a learner

    Only the fields given change. The ID number cannot change here (the office corrects it
    with ``PUT /learners/{id}/id-number``); a new organisation must lie in the caller's area.
    """
    learner, missing = _learner_or_404(learner_id)
    if missing is not None:
        return missing
    try:
        operations.update_learner(learner, actor=api_user(), **data)
    except LearnerError as error:
        return refused(error)
    return queries.get_learner(api_user(), learner_id)


@blp.route("/learners/<int:learner_id>/id-number", methods=["PUT"])
@roles_required(Role.OFFICE)
@json_body
@blp.arguments(IdNumberCorrectionSchema)
@blp.response(200, LearnerSchema)
@blp.alt_response(404, description="学员不存在")
@blp.alt_response(409, description="该号码已登记为另一名学员")
@blp.alt_response(415, description="请求体不是 JSON")
def correct_id_number(data, learner_id: int):
    """Correct a mistyped ID number (office)

    Gender and birth date follow the new number; the change is audited.
    """
    learner, missing = _learner_or_404(learner_id)
    if missing is not None:
        return missing
    try:
        operations.correct_id_number(learner, data["id_number"], actor=api_user())
    except LearnerError as error:
        return refused(error)
    return queries.get_learner(api_user(), learner_id)


# the trainee's own record ----------------------------------------------------------------------


@blp.route("/me/learner")
@roles_required(Role.TRAINEE)
@blp.response(200, OwnLearnerSchema)
@blp.alt_response(404, description="账号尚未关联学员档案")
def my_learner():
    """The signed-in trainee's own record, with their full ID and phone numbers"""
    learner = queries.learner_of_user(api_user())
    if learner is None:
        return problem(404, "您的账号尚未关联学员档案，请联系项目办。")
    return WithPersonalData(learner, operations.own_personal_data(learner))
