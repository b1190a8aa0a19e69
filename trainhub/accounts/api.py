"""JSON API of accounts: who the token belongs to, and the caller's own tokens.

Tokens are created in the web UI (``/account/tokens``) or with ``trainhub create-token``;
through the API a client can list its owner's tokens and revoke one (for example its own,
when it is retired).
"""

from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields

from trainhub.accounts import operations, queries
from trainhub.accounts.models import Role, TokenStatus
from trainhub.api import Int, PageArgs, api_user, page_schema, paginate, problem
from trainhub.auth import signed_in
from trainhub.extensions import db

blp = Blueprint(
    "accounts_api", __name__, url_prefix="/api/v1",
    description="当前令牌所属的用户，以及该用户的 API 令牌。",
)


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


@blp.route("/me")
@signed_in
@blp.response(200, MeSchema)
def me():
    """The user the bearer token belongs to"""
    return api_user()


@blp.route("/tokens")
@signed_in
@blp.arguments(PageArgs, location="query")
@blp.response(200, ApiTokenPageSchema)
def list_tokens(args):
    """The caller's API tokens, newest first (revoked and expired ones included)"""
    return paginate(db, queries.tokens_stmt(api_user()), args)


@blp.route("/tokens/<int:token_id>", methods=["DELETE"])
@signed_in
@blp.response(204)
@blp.alt_response(404, description="令牌不存在，或不属于当前用户")
def revoke_token(token_id: int):
    """Revoke one of the caller's tokens

    Revoking the token the request is made with is allowed; it stops working at once.
    Revoking a revoked token again changes nothing.
    """
    token = queries.token_of(api_user(), token_id)
    if token is None:
        return problem(404, f"令牌 {token_id} 不存在，或不属于当前用户。")
    operations.revoke_token(token)
    return None
