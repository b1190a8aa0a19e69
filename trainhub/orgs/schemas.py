"""Marshmallow schemas of the organisations API (also its OpenAPI description)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from trainhub.api import PageArgs, page_schema
from trainhub.orgs.models import OrgKind

KIND_VALUES = [kind.value for kind in OrgKind]
KIND_HELP = "机构类型：" + "、".join(f"{kind.value} {kind.label}" for kind in OrgKind)
KIND_ERROR = "机构类型应为以下之一：" + "、".join(f"{k.value}（{k.label}）" for k in OrgKind) + "。"

#: Chinese messages for the type errors marshmallow reports.
TEXT_ERRORS = {
    "required": "必须填写此字段。",
    "null": "此字段不能为 null。",
    "invalid": "应为字符串。",
}


class OrganisationSchema(Schema):
    class Meta:
        ordered = True

    id = fields.Integer(required=True)
    name = fields.String(required=True, metadata={"description": "机构名称"})
    kind = fields.Enum(OrgKind, by_value=True, required=True, metadata={"description": KIND_HELP})
    kind_label = fields.Function(lambda org: org.kind.label, required=True,
                                 metadata={"description": "机构类型的中文名称"})
    county_code = fields.String(required=True, metadata={"description": "所在县的 6 位代码"})
    county_name = fields.String(attribute="county.name", required=True, metadata={"description": "县名"})
    province = fields.String(attribute="county.province", required=True, metadata={"description": "省份"})
    credit_code = fields.String(allow_none=True, required=True,
                                metadata={"description": "统一社会信用代码（18 位），未登记为 null"})
    address = fields.String(allow_none=True, required=True)
    contact_name = fields.String(allow_none=True, required=True, metadata={"description": "联系人"})
    contact_phone = fields.String(allow_none=True, required=True, metadata={"description": "联系电话"})
    created_at = fields.AwareDateTime(required=True)
    updated_at = fields.AwareDateTime(required=True)


OrganisationPageSchema = page_schema(OrganisationSchema, "OrganisationPage")


class OrganisationArgs(PageArgs):
    kind = fields.String(validate=validate.OneOf(KIND_VALUES, error=KIND_ERROR),
                         metadata={"description": KIND_HELP})
    county = fields.String(validate=validate.Regexp(r"^\d{6}$", error="县级代码应为 6 位数字。"),
                           metadata={"description": "6 位县级代码"})
    province = fields.String(validate=validate.Length(max=32, error="最多 {max} 个字符。"),
                             metadata={"description": "省份名称或 2 位省级代码"})
    q = fields.String(validate=validate.Length(max=50, error="最多 {max} 个字符。"),
                      metadata={"description": "按机构名称（包含）或统一社会信用代码（完全一致）查找"})


def _input_fields(required: bool) -> dict:
    """Input fields; ``required`` for creation, optional (PATCH) otherwise.

    The schema checks types; ``trainhub.orgs.operations`` checks meaning (lengths, the
    county, the credit code's check character, uniqueness) with the same Chinese messages
    for every caller.
    """
    return {
        "name": fields.String(required=required, error_messages=TEXT_ERRORS,
                              validate=validate.Length(max=120, error="机构名称不能超过 {max} 个字符。"),
                              metadata={"description": "机构名称，同一县内不能重复"}),
        "kind": fields.String(required=required, error_messages=TEXT_ERRORS,
                              validate=validate.OneOf(KIND_VALUES, error=KIND_ERROR),
                              metadata={"description": KIND_HELP}),
        "county_code": fields.String(required=required, error_messages=TEXT_ERRORS,
                                     metadata={"description": "所在县的 6 位代码（须在现行代码表中）"}),
        "credit_code": fields.String(allow_none=True, error_messages=TEXT_ERRORS,
                                     metadata={"description": "统一社会信用代码（18 位，按 GB 32100 校验）"}),
        "address": fields.String(allow_none=True, error_messages=TEXT_ERRORS,
                                 validate=validate.Length(max=200, error="地址不能超过 {max} 个字符。")),
        "contact_name": fields.String(allow_none=True, error_messages=TEXT_ERRORS,
                                      validate=validate.Length(max=50, error="联系人不能超过 {max} 个字符。")),
        "contact_phone": fields.String(allow_none=True, error_messages=TEXT_ERRORS),
    }


class _InputBase(Schema):
    #: Chinese messages for an unknown field and for a body that is not a JSON object.
    error_messages = {"unknown": "未知字段。", "type": "请求体应为 JSON 对象。"}

    class Meta:
        ordered = True


OrganisationCreateSchema = _InputBase.from_dict(_input_fields(required=True), name="OrganisationCreate")
OrganisationUpdateSchema = _InputBase.from_dict(_input_fields(required=False), name="OrganisationUpdate")
