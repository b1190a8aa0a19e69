"""JSON API of counties: the county code list and the priority flags (read-only)."""

from __future__ import annotations

from flask_smorest import Blueprint

from trainhub.api import paginate, problem
from trainhub.auth import signed_in
from trainhub.extensions import db
from trainhub.geo import queries
from trainhub.geo.schemas import CountyArgs, CountyPageSchema, CountySchema

blp = Blueprint(
    "geo_api", __name__, url_prefix="/api/v1",
    description="县级行政区划（GB/T 2260 县级代码）与国家乡村振兴重点帮扶县标记。",
)


@blp.route("/counties")
@signed_in
@blp.arguments(CountyArgs, location="query")
@blp.response(200, CountyPageSchema)
@blp.alt_response(422, description="筛选参数有误（例如未知的省份）")
def list_counties(args):
    """County-level divisions, by code

    Every signed-in role may read the code list. The answer carries the items of one page
    and the total number of matching counties.
    """
    stmt = queries.county_list_stmt(
        province_code=args.get("province"),
        priority=args.get("priority"),
        q=args.get("q"),
        include_retired=args["include_retired"],
    )
    return paginate(db, stmt, args)


@blp.route("/counties/<code>")
@signed_in
@blp.response(200, CountySchema)
@blp.alt_response(404, description="没有这个县级代码")
def get_county(code: str):
    """One county by its 6-digit code (also codes no longer current)"""
    county = queries.get_county(code)
    if county is None:
        return problem(404, f"县级代码 {code} 不在行政区划代码表中。")
    return county
