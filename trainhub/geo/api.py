"""JSON API of counties: the county code list and the priority flags (read-only)."""

from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from trainhub.api import PageArgs, page_schema, paginate, problem
from trainhub.auth import signed_in
from trainhub.extensions import db
from trainhub.geo import queries

blp = Blueprint(
    "geo_api", __name__, url_prefix="/api/v1",
    description="县级行政区划（GB/T 2260 县级代码）与国家乡村振兴重点帮扶县标记。",
)


class CountySchema(Schema):
    class Meta:
        ordered = True

    code = fields.String(required=True, metadata={"description": "6 位县级行政区划代码", "example": "520221"})
    name = fields.String(required=True, metadata={"description": "县名", "example": "水城区"})
    prefecture = fields.String(required=True, metadata={"description": "所属地市"})
    province = fields.String(required=True, metadata={"description": "所属省份"})
    province_code = fields.String(required=True, metadata={"description": "2 位省级代码"})
    is_priority = fields.Boolean(required=True, metadata={"description": "是否已标记为国家乡村振兴重点帮扶县"})
    priority_source = fields.String(allow_none=True, required=True,
                                    metadata={"description": "重点帮扶县标记的依据；未标记为 null"})
    list_version = fields.String(required=True,
                                 metadata={"description": "包含该代码的最新代码表版本，例如 NBS-2023"})
    is_current = fields.Boolean(required=True,
                                metadata={"description": "是否仍在现行代码表中（旧代码保留，不删除）"})


CountyPageSchema = page_schema(CountySchema, "CountyPage")


class CountyArgs(PageArgs):
    province = fields.String(
        validate=validate.Length(max=32, error="最多 {max} 个字符。"),
        metadata={"description": "省份名称（如“贵州省”或“贵州”）或 2 位省级代码（如 52）"},
    )
    priority = fields.Boolean(error_messages={"invalid": "应为 true 或 false。"},
                              metadata={"description": "true 只列重点帮扶县，false 只列其他县"})
    q = fields.String(validate=validate.Length(max=50, error="最多 {max} 个字符。"),
                      metadata={"description": "按县名、地市名或代码开头筛选"})
    include_retired = fields.Boolean(
        load_default=False, error_messages={"invalid": "应为 true 或 false。"}, metadata={"description": "是否包含已不在现行代码表中的旧代码"}
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
    province_code = None
    if args.get("province"):
        province_code = queries.resolve_province(args["province"])
        if province_code is None:
            message = f"未知的省份：{args['province']}（请填写省份名称或 2 位省级代码）。"
            return problem(422, message, errors={"province": [message]})
    stmt = queries.county_list_stmt(
        province_code=province_code,
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
