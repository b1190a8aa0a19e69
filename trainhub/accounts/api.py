"""JSON API of accounts: who the token belongs to, and the caller's own tokens.

Tokens are created in the web UI (``/account/tokens``) or with ``trainhub create-token``;
through the API a client can list its owner's tokens and revoke one (for example its own,
when it is retired).
"""

from __future__ import annotations

from flask_smorest import Blueprint

from trainhub.accounts import operations, queries
from trainhub.accounts.schemas import ApiTokenPageSchema, MeSchema
from trainhub.api import PageArgs, api_user, paginate, problem
from trainhub.auth import signed_in
from trainhub.extensions import db

blp = Blueprint(
    "accounts_api", __name__, url_prefix="/api/v1",
    description="当前令牌所属的用户，以及该用户的 API 令牌。",
)


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
