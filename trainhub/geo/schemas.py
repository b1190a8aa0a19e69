"""API schemas of counties, and the county and province argument types every feature's
filters use."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from trainhub.api import Bool, PageArgs, Text, page_schema
from trainhub.geo.queries import resolve_province

#: Longest province argument read (the longest name is 新疆维吾尔自治区).
PROVINCE_MAX_LENGTH = 32


class Province(Text):
    """A province by name or 2-digit code (``贵州``, ``贵州省``, ``52``), loaded as its code;
    one that matches no province is refused naming the field. Empty means no filter (None)."""

    default_error_messages = {
        **Text.default_error_messages,
        "too_long": f"最多 {PROVINCE_MAX_LENGTH} 个字符。",
        "unknown": "未知的省份：{input}（请填写省份名称或 2 位省级代码）。",
    }

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if not text:
            return None
        if len(text) > PROVINCE_MAX_LENGTH:
            raise self.make_error("too_long")
        code = resolve_province(text)
        if code is None:
            raise self.make_error("unknown", input=text)
        return code


def county_code(description: str = "6 位县级代码") -> Text:
    """A county argument: a 6-digit county code."""
    return Text(validate=validate.Regexp(r"^\d{6}$", error="县级代码应为 6 位数字。"),
                metadata={"description": description})


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
    province = Province(metadata={"description": "省份名称（如“贵州省”或“贵州”）或 2 位省级代码（如 52）"})
    priority = Bool(metadata={"description": "true 只列重点帮扶县，false 只列其他县"})
    q = Text(validate=validate.Length(max=50, error="最多 {max} 个字符。"),
             metadata={"description": "按县名、地市名或代码开头筛选"})
    include_retired = Bool(load_default=False,
                           metadata={"description": "是否包含已不在现行代码表中的旧代码"})
