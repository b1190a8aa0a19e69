"""Schemas of the accounts API: the caller, and the caller's API tokens."""

from __future__ import annotations

from marshmallow import Schema, fields

from trainhub.accounts.models import TokenStatus
from trainhub.api import Int, page_schema
from trainhub.auth import Role


class MeSchema(Schema):
    class Meta:
        ordered = True

    id = Int(required=True, metadata={"description": "用户编号"})
    username = fields.String(required=True, metadata={"description": "用户名"})
    display_name = fields.String(required=True, metadata={"description": "姓名"})
    role = fields.Enum(Role, by_value=True, required=True,
                       metadata={"description": "角色：office 项目办、coordinator 实施点联络员、"
                                                "instructor 讲师、certifier 认证中心、trainee 学员"})
    role_label = fields.Function(lambda user: user.role.label, required=True,
                                 metadata={"description": "角色的中文名称"})
    scope = fields.String(attribute="scope_code", allow_none=True, required=True,
                          metadata={"description": "实施点联络员的负责区域：省级 2 位或县级 6 位代码；"
                                                   "其他角色为 null"})


class ApiTokenSchema(Schema):
    class Meta:
        ordered = True

    id = Int(required=True)
    name = fields.String(required=True, metadata={"description": "令牌名称"})
    prefix = fields.String(required=True, metadata={"description": "令牌的前几位，用于辨认"})
    created_at = fields.AwareDateTime(required=True)
    last_used_at = fields.AwareDateTime(allow_none=True, required=True)
    expires_at = fields.AwareDateTime(allow_none=True, required=True,
                                      metadata={"description": "null 表示长期有效"})
    revoked_at = fields.AwareDateTime(allow_none=True, required=True)
    status = fields.Enum(TokenStatus, by_value=True, required=True,
                         metadata={"description": "active 有效、expired 已过期、revoked 已撤销"})


ApiTokenPageSchema = page_schema(ApiTokenSchema, "ApiTokenPage")
