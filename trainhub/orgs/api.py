"""JSON API of organisations: list, filter and read (within the reader's area); create and
update (office). Writes go through :mod:`trainhub.orgs.operations`."""

from __future__ import annotations

from functools import wraps

from flask import request, url_for
from flask_smorest import Blueprint
from sqlalchemy.exc import IntegrityError

from trainhub.accounts.models import Role
from trainhub.api import api_user, paginate, problem
from trainhub.auth import roles_required
from trainhub.extensions import db
from trainhub.geo.queries import resolve_province
from trainhub.orgs import operations, queries
from trainhub.orgs.schemas import (
    OrganisationArgs,
    OrganisationCreateSchema,
    OrganisationPageSchema,
    OrganisationSchema,
    OrganisationUpdateSchema,
)

blp = Blueprint(
    "orgs_api", __name__, url_prefix="/api/v1",
    description="机构：社工机构、乡镇（街道）社工站与支援方机构。实施点联络员只能看到其负责区域内的机构。",
)

READERS = (Role.OFFICE, Role.COORDINATOR, Role.CERTIFIER)


def json_body(view):
    """Refuse a body that is not JSON before the schema reads it (415 / 400)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not request.is_json:
            return problem(415, "请求体应为 JSON，并带有请求头 Content-Type: application/json。")
        if request.get_json(silent=True) is None:
            return problem(400, "请求体不是有效的 JSON。")
        return view(*args, **kwargs)

    return wrapped


def _refused(error: operations.OrgError):
    status = 409 if isinstance(error, operations.OrgConflict) else 422
    return problem(status, error.message, errors={error.field: [error.message]})


def _commit_or_conflict():
    """Commit; a clash that slipped past the checks (a concurrent write) answers 409."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return problem(409, "与其他机构的名称或统一社会信用代码冲突，请刷新后重试。")
    return None


@blp.route("/organisations")
@roles_required(*READERS)
@blp.arguments(OrganisationArgs, location="query")
@blp.response(200, OrganisationPageSchema)
@blp.alt_response(422, description="筛选参数有误")
def list_organisations(args):
    """Organisations in the caller's area

    Filters: ``kind``, ``county`` (6-digit code), ``province`` (name or 2-digit code) and
    ``q`` (part of the name, or the whole credit code). A coordinator sees only the
    organisations of their province or county.
    """
    province_code = None
    if args.get("province"):
        province_code = resolve_province(args["province"])
        if province_code is None:
            message = f"未知的省份：{args['province']}（请填写省份名称或 2 位省级代码）。"
            return problem(422, message, errors={"province": [message]})
    stmt = queries.organisation_list_stmt(
        api_user(),
        kind=args.get("kind"),
        county_code=args.get("county"),
        province_code=province_code,
        q=args.get("q"),
    )
    return paginate(db, stmt, args)


@blp.route("/organisations/<int:org_id>")
@roles_required(*READERS)
@blp.response(200, OrganisationSchema)
@blp.alt_response(404, description="机构不存在，或不在调用者的负责区域内")
def get_organisation(org_id: int):
    """One organisation"""
    org = queries.get_organisation(api_user(), org_id)
    if org is None:
        return problem(404, f"机构 {org_id} 不存在，或不在您的负责区域内。")
    return org


@blp.route("/organisations", methods=["POST"])
@roles_required(Role.OFFICE)
@json_body
@blp.arguments(OrganisationCreateSchema)
@blp.response(201, OrganisationSchema)
@blp.alt_response(409, description="同一县内已有同名机构，或统一社会信用代码已被使用；errors 指出字段")
@blp.alt_response(415, description="请求体不是 JSON")
def create_organisation(data):
    """Register an organisation (office)

    ``name`` is unique within its county; ``county_code`` must be a current county code;
    ``credit_code``, when given, must pass the GB 32100 check character.
    """
    try:
        org = operations.create_organisation(**data)
    except operations.OrgError as exc:
        db.session.rollback()
        return _refused(exc)
    org_id = org.id
    conflict = _commit_or_conflict()
    if conflict is not None:
        return conflict
    org = queries.get_organisation(api_user(), org_id)
    return org, {"Location": url_for("orgs_api.get_organisation", org_id=org_id)}


@blp.route("/organisations/<int:org_id>", methods=["PATCH"])
@roles_required(Role.OFFICE)
@json_body
@blp.arguments(OrganisationUpdateSchema)
@blp.response(200, OrganisationSchema)
@blp.alt_response(404, description="机构不存在")
@blp.alt_response(409, description="与其他机构冲突；errors 指出字段")
@blp.alt_response(415, description="请求体不是 JSON")
def update_organisation(data, org_id: int):
    """Change some fields of an organisation (office)

    Only the fields given change; unknown fields are refused with 422 naming them.
    """
    org = queries.get_organisation(api_user(), org_id)
    if org is None:
        return problem(404, f"机构 {org_id} 不存在。")
    try:
        operations.update_organisation(org, data)
    except operations.OrgError as exc:
        db.session.rollback()
        return _refused(exc)
    conflict = _commit_or_conflict()
    if conflict is not None:
        return conflict
    return queries.get_organisation(api_user(), org_id)
