"""API schemas of the reports."""

from __future__ import annotations

from marshmallow import Schema, fields

from trainhub.api import Bool, Int
from trainhub.geo.schemas import Province


class CoverageArgs(Schema):
    province = Province(metadata={"description": "省份名称或 2 位省级代码"})
    gaps = Bool(load_default=False,
                metadata={"description": "true：县级明细只列出尚缺机构、结对或学员的县"})


class OrganisationsByKindSchema(Schema):
    class Meta:
        ordered = True

    agency = Int(required=True, metadata={"description": "社工机构"})
    station = Int(required=True, metadata={"description": "乡镇（街道）社工站"})
    supporter = Int(required=True, metadata={"description": "支援方机构"})


class CoverageTotalsSchema(Schema):
    class Meta:
        ordered = True

    flagged = Int(required=True, metadata={"description": "已标记的重点帮扶县"})
    with_organisations = Int(required=True, metadata={"description": "其中已有机构的县"})
    with_pairings = Int(required=True, metadata={"description": "其中已有进行中结对的县"})
    with_learners = Int(required=True, metadata={"description": "其中已有学员的县"})
    complete = Int(required=True, metadata={"description": "三项齐全的县"})


class CountyCoverageSchema(Schema):
    class Meta:
        ordered = True

    code = fields.String(required=True)
    name = fields.String(required=True)
    prefecture = fields.String(required=True)
    organisations = fields.Nested(OrganisationsByKindSchema, required=True)
    organisations_total = Int(required=True)
    pairings = Int(required=True, metadata={"description": "受援方在本县、今天进行中的结对"})
    learners = Int(required=True)
    gaps = fields.List(fields.String(), required=True,
                       metadata={"description": "尚缺的项目：无机构、无结对、无学员"})


class ProvinceCoverageSchema(Schema):
    class Meta:
        ordered = True

    province_code = fields.String(required=True)
    province = fields.String(required=True)
    totals = fields.Nested(CoverageTotalsSchema, required=True)
    counties = fields.List(fields.Nested(CountyCoverageSchema), required=True)


class CoverageSchema(Schema):
    class Meta:
        ordered = True

    summary = fields.String(required=True, metadata={"description": "中文摘要：N 个已标记重点帮扶县中……（应为 160 个）"})
    totals = fields.Nested(CoverageTotalsSchema, required=True)
    national_flagged = Int(required=True, metadata={"description": "全国已标记的重点帮扶县"})
    expected = Int(required=True, metadata={"description": "通知列明的重点帮扶县数（160）"})
    whole_programme = fields.Boolean(required=True,
                                     metadata={"description": "true：数字覆盖整个项目（项目办且未按省份筛选）"})
    gaps_only = fields.Boolean(required=True)
    as_of = fields.Date(attribute="today", required=True, metadata={"description": "“进行中”所指的日期"})
    provinces = fields.List(fields.Nested(ProvinceCoverageSchema), required=True)
