"""Marshmallow schemas of the organisations API (also its OpenAPI description)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from trainhub.api import Bool, Day, InputSchema, Int, PageArgs, Text, api_user, page_schema
from trainhub.geo.schemas import Province, county_code
from trainhub.localtime import local_today
from trainhub.orgs.models import OrgKind, PairingStatus
from trainhub.orgs.pairings import PAIRING_NOTE_LIMIT
from trainhub.orgs.queries import shown_contact_phone
from trainhub.pii import mask_phone

KIND_VALUES = [kind.value for kind in OrgKind]
KIND_HELP = "机构类型：" + "、".join(f"{kind.value} {kind.label}" for kind in OrgKind)
KIND_ERROR = "机构类型应为以下之一：" + "、".join(f"{k.value}（{k.label}）" for k in OrgKind) + "。"



class OrganisationSchema(Schema):
    class Meta:
        ordered = True

    id = Int(required=True)
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
    contact_phone = fields.Function(
        lambda org: shown_contact_phone(org, api_user()), allow_none=True, required=True,
        metadata={"type": "string",
                  "description": "联系电话：项目办可见完整号码，其他角色为掩码（如 138****5678）"},
    )
    created_at = fields.AwareDateTime(required=True)
    updated_at = fields.AwareDateTime(required=True)


class OrganisationListItemSchema(OrganisationSchema):
    """An organisation in a list: the contact phone is masked (it is often a mobile number)."""

    contact_phone = fields.Function(
        lambda org: mask_phone(org.contact_phone) if org.contact_phone else None,
        allow_none=True, required=True,
        metadata={"type": "string",
                  "description": "联系电话（列表中为掩码，如 138****5678；项目办可在单个机构中看到完整号码）"},
    )


OrganisationPageSchema = page_schema(OrganisationListItemSchema, "OrganisationPage")



class OrganisationArgs(PageArgs):
    kind = fields.String(validate=validate.OneOf(KIND_VALUES, error=KIND_ERROR),
                         metadata={"description": KIND_HELP})
    county = county_code()
    province = Province(metadata={"description": "省份名称或 2 位省级代码"})
    q = Text(validate=validate.Length(max=50, error="最多 {max} 个字符。"),
             metadata={"description": "按机构名称（包含）或统一社会信用代码（完全一致）查找"})
    priority = Bool(metadata={"description": "true：只列出重点帮扶县内的机构"})


def _input_fields(required: bool) -> dict:
    """Input fields; ``required`` for creation, optional (PATCH) otherwise.

    The schema checks types; ``trainhub.orgs.operations`` checks meaning (lengths, the
    county, the credit code's check character, uniqueness) with the same Chinese messages
    for every caller.
    """
    return {
        "name": Text(required=required, metadata={"description": "机构名称（2–120 个字符），同一县内不能重复",
                                        "minLength": 2, "maxLength": 120}),
        "kind": Text(required=required, metadata={"description": KIND_HELP, "enum": KIND_VALUES}),
        "county_code": Text(required=required, metadata={"description": "所在县的 6 位代码（须在现行代码表中）"}),
        "credit_code": Text(allow_none=True, metadata={"description": "统一社会信用代码（18 位，按 GB 32100 校验）"}),
        "address": Text(allow_none=True, metadata={"description": "地址（最多 200 个字符）", "maxLength": 200}),
        "contact_name": Text(allow_none=True, metadata={"description": "联系人（2–50 个字符）",
                                                "minLength": 2, "maxLength": 50}),
        "contact_phone": Text(allow_none=True, metadata={
            "description": "11 位手机号码，或带区号的固定电话（如 0858-8221234，可加分机号）"}),
    }


OrganisationCreateSchema = InputSchema.from_dict(_input_fields(required=True), name="OrganisationCreate")
OrganisationUpdateSchema = InputSchema.from_dict(_input_fields(required=False), name="OrganisationUpdate")


# pairings ------------------------------------------------------------------------------------

STATUS_VALUES = [status.value for status in PairingStatus]
STATUS_HELP = "状态：" + "、".join(f"{s.value} {s.label}" for s in PairingStatus)


def _today():
    return local_today()


class PairingPartySchema(Schema):
    class Meta:
        ordered = True

    id = Int(required=True)
    name = fields.String(required=True)
    kind = fields.Enum(OrgKind, by_value=True, required=True, metadata={"description": KIND_HELP})
    kind_label = fields.Function(lambda org: org.kind.label, required=True)
    county_code = fields.String(required=True)
    county_name = fields.String(attribute="county.name", required=True)
    province = fields.String(attribute="county.province", required=True)


class PairingSchema(Schema):
    class Meta:
        ordered = True

    id = Int(required=True)
    supporter = fields.Nested(PairingPartySchema, required=True, metadata={"description": "支援方机构"})
    recipient = fields.Nested(PairingPartySchema, required=True,
                              metadata={"description": "受援方机构（重点帮扶县内的社工机构或社工站）"})
    started_on = fields.Date(required=True, metadata={"description": "开始日期"})
    ended_on = fields.Date(allow_none=True, required=True,
                           metadata={"description": "结束日期（自该日起不再进行），未结束为 null"})
    note = fields.String(allow_none=True, required=True)
    status = fields.Function(lambda p: p.status(_today()).value, required=True,
                             metadata={"description": STATUS_HELP + "（按北京时间的今天）",
                                       "enum": STATUS_VALUES})
    status_label = fields.Function(lambda p: p.status(_today()).label, required=True)
    active = fields.Function(lambda p: p.status(_today()) == PairingStatus.ACTIVE, required=True,
                             metadata={"description": "今天是否在进行中", "type": "boolean"})
    created_at = fields.AwareDateTime(required=True)


PairingPageSchema = page_schema(PairingSchema, "PairingPage")


class PairingArgs(PageArgs):
    supporter = Int(metadata={"description": "支援方机构编号"})
    recipient = Int(metadata={"description": "受援方机构编号"})
    county = county_code("受援方所在县的 6 位代码")
    province = Province(metadata={"description": "受援方所在省份：名称或 2 位省级代码"})
    active = Bool(metadata={"description": "true：今天进行中的结对；false：未开始或已结束的"})
    status = fields.String(validate=validate.OneOf(STATUS_VALUES, error="状态应为 planned、active 或 ended。"),
                           metadata={"description": STATUS_HELP})


def _note_field() -> Text:
    return Text(allow_none=True, multiline=True, metadata={
        "description": f"备注，例如结对协议、帮扶内容（最多 {PAIRING_NOTE_LIMIT} 个字符）",
        "maxLength": PAIRING_NOTE_LIMIT})


PairingCreateSchema = InputSchema.from_dict(
    {
        "supporter_id": Int(required=True, strict=True,
                            metadata={"description": "支援方机构编号（类型须为 supporter）"}),
        "recipient_id": Int(required=True, strict=True,
                            metadata={"description": "受援方机构编号（重点帮扶县内的 agency 或 station）"}),
        "started_on": Day(required=True,
                          metadata={"description": "开始日期（不早于 2021-01-01，不晚于今天后 180 天）"}),
        "ended_on": Day(allow_none=True,
                        metadata={"description": "结束日期，可省略；不早于开始日期"}),
        "note": _note_field(),
    },
    name="PairingCreate",
)
PairingUpdateSchema = InputSchema.from_dict(
    {
        "ended_on": Day(allow_none=True,
                        metadata={"description": "结束日期；null 表示重新开始（未结束）"}),
        "note": _note_field(),
    },
    name="PairingUpdate",
)
