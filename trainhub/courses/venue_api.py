"""JSON API of venues (场地 / 实施点): the office reads and writes every venue; a coordinator
reads those of their area (any other answers 404). Writes go through
:mod:`trainhub.courses.venues` with the caller as the acting user."""

from __future__ import annotations

from flask import url_for
from flask_smorest import Blueprint

from trainhub.api import api_user, json_body, paginate, problem, refused
from trainhub.auth import Role, roles_required
from trainhub.courses import catalogue_queries as queries
from trainhub.courses import venues
from trainhub.courses.catalogue import CatalogueError
from trainhub.courses.catalogue_api import apply_to
from trainhub.courses.catalogue_queries import VENUE_READERS
from trainhub.courses.schemas import (
    VenueArgs,
    VenueCreateSchema,
    VenuePageSchema,
    VenueSchema,
    VenueUpdateSchema,
)
from trainhub.extensions import db

blp = Blueprint(
    "venues_api", __name__, url_prefix="/api/v1",
    description="场地（实施点）：线下课次的举办地点。项目办登记和维护；实施点联络员只能看到其负责区域内的场地。",
)


def _venue_or_404(venue_id: int):
    venue = queries.get_venue(api_user(), venue_id)
    if venue is None:
        return None, problem(404, f"场地 {venue_id} 不存在，或不在您的负责区域内。")
    return venue, None


@blp.route("/venues")
@roles_required(*VENUE_READERS)
@blp.arguments(VenueArgs, location="query")
@blp.response(200, VenuePageSchema)
@blp.alt_response(422, description="筛选参数有误")
def list_venues(args):
    """Venues in the caller's area

    By county and name; ``q`` finds part of the name or address; archived venues only with
    ``archived=true``.
    """
    stmt = queries.venue_list_stmt(api_user(), q=args.get("q"), include_archived=args["archived"])
    return paginate(db, stmt, args)


@blp.route("/venues/<int:venue_id>")
@roles_required(*VENUE_READERS)
@blp.response(200, VenueSchema)
@blp.alt_response(404, description="场地不存在，或不在调用者的负责区域内")
def get_venue(venue_id: int):
    """One venue (archived or not)"""
    venue, missing = _venue_or_404(venue_id)
    return venue if missing is None else missing


@blp.route("/venues", methods=["POST"])
@roles_required(Role.OFFICE)
@json_body
@blp.arguments(VenueCreateSchema)
@blp.response(201, VenueSchema)
@blp.alt_response(409, description="该县已有同名的场地；errors 指出 name")
@blp.alt_response(415, description="请求体不是 JSON")
def create_venue(data):
    """Register a venue (office)

    ``county_code`` must be in the county register; ``organisation_id``, when given, an
    organisation in that county; ``name`` is unique within the county.
    """
    try:
        venue = venues.create_venue(actor=api_user(), **data)
    except CatalogueError as exc:
        return refused(exc)
    return venue, {"Location": url_for("venues_api.get_venue", venue_id=venue.id)}


@blp.route("/venues/<int:venue_id>", methods=["PATCH"])
@roles_required(Role.OFFICE)
@json_body
@blp.arguments(VenueUpdateSchema)
@blp.response(200, VenueSchema)
@blp.alt_response(404, description="场地不存在")
@blp.alt_response(409, description="该县已有同名的场地")
@blp.alt_response(415, description="请求体不是 JSON")
def update_venue(data, venue_id: int):
    """Change a venue (office): only the fields given change"""
    return apply_to(_venue_or_404(venue_id), lambda venue: venues.update_venue(venue, data, actor=api_user()))


@blp.route("/venues/<int:venue_id>/archive", methods=["POST"])
@roles_required(Role.OFFICE)
@blp.response(200, VenueSchema)
@blp.alt_response(404, description="场地不存在")
@blp.alt_response(409, description="该场地尚有未结束的已排期课次；errors 指出 sessions")
def archive_venue(venue_id: int):
    """Archive a venue (office): it leaves lists and pickers; its sessions keep it"""
    return apply_to(_venue_or_404(venue_id), lambda venue: venues.archive_venue(venue, actor=api_user()))


@blp.route("/venues/<int:venue_id>/restore", methods=["POST"])
@roles_required(Role.OFFICE)
@blp.response(200, VenueSchema)
@blp.alt_response(404, description="场地不存在")
def restore_venue(venue_id: int):
    """Restore an archived venue (office)"""
    return apply_to(_venue_or_404(venue_id), lambda venue: venues.restore_venue(venue, actor=api_user()))
