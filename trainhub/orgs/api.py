"""JSON API of organisations and pairings (牵手结对): list, filter and read (within the
reader's area); create and update. Writes go through :mod:`trainhub.orgs.operations`, with
the caller as the acting user.

The roles are those of the web pages: organisations are read by the office, coordinators
and the Certification Centre, and registered or edited by the office and coordinators;
pairings are read by the office and coordinators and written by the office. A coordinator
sees (and writes) the organisations of their area and sees the pairings whose recipient
lies in it; anything else answers 404."""

from __future__ import annotations

from flask import url_for
from flask_smorest import Blueprint

from trainhub.api import api_user, json_body, paginate, problem, refused
from trainhub.auth import Role, outside_area_problem, roles_required
from trainhub.extensions import db
from trainhub.orgs import operations, pairings, queries
from trainhub.orgs.schemas import (
    OrganisationArgs,
    OrganisationCreateSchema,
    OrganisationPageSchema,
    OrganisationSchema,
    OrganisationUpdateSchema,
    PairingArgs,
    PairingCreateSchema,
    PairingPageSchema,
    PairingSchema,
    PairingUpdateSchema,
)

blp = Blueprint(
    "orgs_api", __name__, url_prefix="/api/v1",
    description="机构（社工机构、乡镇（街道）社工站与支援方机构）与牵手结对。"
                "实施点联络员只能看到其负责区域内的机构，以及受援方在其区域内的结对。",
)

ORG_READERS = (Role.OFFICE, Role.COORDINATOR, Role.CERTIFIER)
ORG_WRITERS = (Role.OFFICE, Role.COORDINATOR)
PAIRING_READERS = (Role.OFFICE, Role.COORDINATOR)


@blp.route("/organisations")
@roles_required(*ORG_READERS)
@blp.arguments(OrganisationArgs, location="query")
@blp.response(200, OrganisationPageSchema)
@blp.alt_response(422, description="筛选参数有误")
def list_organisations(args):
    """Organisations in the caller's area

    Filters: ``kind``, ``county`` (6-digit code), ``province`` (name or 2-digit code),
    ``priority`` (only organisations in priority counties) and ``q`` (part of the name, or
    the whole credit code). A coordinator sees only the organisations of their province or
    county. The contact phone is masked in the list; a province or county outside their
    area is refused (422).
    """
    outside = outside_area_problem(api_user(), province=args.get("province"),
                                   county=args.get("county"))
    if outside is not None:
        return outside
    stmt = queries.organisation_list_stmt(
        api_user(),
        kind=args.get("kind"),
        county_code=args.get("county"),
        province_code=args.get("province"),
        priority_only=args.get("priority", False),
        q=args.get("q"),
    )
    return paginate(db, stmt, args)


@blp.route("/organisations/<int:org_id>")
@roles_required(*ORG_READERS)
@blp.response(200, OrganisationSchema)
@blp.alt_response(404, description="机构不存在，或不在调用者的负责区域内")
def get_organisation(org_id: int):
    """One organisation"""
    org = queries.get_organisation(api_user(), org_id)
    if org is None:
        return problem(404, f"机构 {org_id} 不存在，或不在您的负责区域内。")
    return org


@blp.route("/organisations", methods=["POST"])
@roles_required(*ORG_WRITERS)
@json_body
@blp.arguments(OrganisationCreateSchema)
@blp.response(201, OrganisationSchema)
@blp.alt_response(409, description="同一县内已有同名机构，或统一社会信用代码已被使用；errors 指出字段")
@blp.alt_response(415, description="请求体不是 JSON")
def create_organisation(data):
    """Register an organisation (office; a coordinator within their area)

    ``name`` is unique within its county; ``county_code`` must be a current county code
    (for a coordinator, one of their area);
    ``credit_code``, when given, must pass the GB 32100 check character.
    """
    try:
        org = operations.create_organisation(**data, actor=api_user())
    except operations.OrgError as exc:
        return refused(exc)
    org_id = org.id
    org = queries.get_organisation(api_user(), org_id)
    return org, {"Location": url_for("orgs_api.get_organisation", org_id=org_id)}


@blp.route("/organisations/<int:org_id>", methods=["PATCH"])
@roles_required(*ORG_WRITERS)
@json_body
@blp.arguments(OrganisationUpdateSchema)
@blp.response(200, OrganisationSchema)
@blp.alt_response(404, description="机构不存在")
@blp.alt_response(409, description="与其他机构冲突；errors 指出字段")
@blp.alt_response(415, description="请求体不是 JSON")
def update_organisation(data, org_id: int):
    """Change some fields of an organisation (office; a coordinator within their area)

    Only the fields given change; unknown fields are refused with 422 naming them. A
    coordinator can move an organisation only to a county of their area.
    """
    org = queries.get_organisation(api_user(), org_id)
    if org is None:
        return problem(404, f"机构 {org_id} 不存在。")
    try:
        operations.update_organisation(org, data, actor=api_user())
    except operations.OrgError as exc:
        return refused(exc)
    return queries.get_organisation(api_user(), org_id)


# pairings ------------------------------------------------------------------------------------


@blp.route("/pairings")
@roles_required(*PAIRING_READERS)
@blp.arguments(PairingArgs, location="query")
@blp.response(200, PairingPageSchema)
@blp.alt_response(422, description="筛选参数有误")
def list_pairings(args):
    """Pairings (牵手结对) whose recipient lies in the caller's area

    Filters: ``supporter`` and ``recipient`` (organisation ids), ``county`` and ``province``
    (of the recipient), ``active`` (in progress today, Beijing time) and ``status``.
    """
    outside = outside_area_problem(api_user(), province=args.get("province"),
                                   county=args.get("county"))
    if outside is not None:
        return outside
    stmt = queries.pairing_list_stmt(
        api_user(),
        supporter_id=args.get("supporter"),
        recipient_id=args.get("recipient"),
        county_code=args.get("county"),
        province_code=args.get("province"),
        active=args.get("active"),
        status=args.get("status"),
    )
    return paginate(db, stmt, args)


@blp.route("/pairings/<int:pairing_id>")
@roles_required(*PAIRING_READERS)
@blp.response(200, PairingSchema)
@blp.alt_response(404, description="结对不存在，或受援方不在调用者的负责区域内")
def get_pairing(pairing_id: int):
    """One pairing"""
    pairing = queries.get_pairing(api_user(), pairing_id)
    if pairing is None:
        return problem(404, f"结对 {pairing_id} 不存在，或不在您的负责区域内。")
    return pairing


@blp.route("/pairings", methods=["POST"])
@roles_required(Role.OFFICE)
@json_body
@blp.arguments(PairingCreateSchema)
@blp.response(201, PairingSchema)
@blp.alt_response(409, description="这两个机构已有时间重叠的结对；errors 指出字段")
@blp.alt_response(415, description="请求体不是 JSON")
def create_pairing(data):
    """Register a pairing (office)

    The supporter must be of kind ``supporter``; the recipient an ``agency`` or ``station``
    in a county flagged as a priority county; the two differ; ``started_on`` lies between
    2021-01-01 and 180 days from today; ``ended_on`` (optional) is not before it. The same
    two organisations cannot be paired twice for overlapping periods (409).
    """
    try:
        pairing = pairings.create_pairing(**data)
    except operations.OrgError as exc:
        return refused(exc)
    pairing_id = pairing.id
    pairing = queries.get_pairing(api_user(), pairing_id)
    return pairing, {"Location": url_for("orgs_api.get_pairing", pairing_id=pairing_id)}


@blp.route("/pairings/<int:pairing_id>", methods=["PATCH"])
@roles_required(Role.OFFICE)
@json_body
@blp.arguments(PairingUpdateSchema)
@blp.response(200, PairingSchema)
@blp.alt_response(404, description="结对不存在")
@blp.alt_response(409, description="重新开始的结对会与同两方的另一结对重叠")
@blp.alt_response(415, description="请求体不是 JSON")
def update_pairing(data, pairing_id: int):
    """End a pairing or change its note (office)

    Only ``ended_on`` and ``note`` can change; ``ended_on: null`` reopens an ended pairing.
    To change the parties or the start, end the pairing and register a new one.
    """
    pairing = queries.get_pairing(api_user(), pairing_id)
    if pairing is None:
        return problem(404, f"结对 {pairing_id} 不存在。")
    try:
        pairings.update_pairing(pairing, data)
    except operations.OrgError as exc:
        return refused(exc)
    return queries.get_pairing(api_user(), pairing_id)
