"""Per-user rate limits of the heavy endpoints: imports (each reads a whole roster) and
exports (each builds a whole workbook).

One budget per signed-in user, shared by every endpoint marked :data:`heavy` (so that a
user cannot multiply it by spreading requests over several exports), configured as
``TRAINHUB_HEAVY_RATE_LIMIT`` (Flask-Limiter's notation, e.g. ``"20 per minute;200 per
hour"``). It is counted in the limiter's storage (memory, or Redis when configured). A
throttled user gets the Chinese 429 page, or a 429 problem document under ``/api/``
(:mod:`trainhub.errors`), with ``Retry-After``.

Put the decorator below the permission decorator, so that only a permitted user's request
is counted::

    @bp.route("/things/export.xlsx")
    @roles_required(Role.OFFICE)
    @heavy
    def export(): ...
"""

from __future__ import annotations

from flask import current_app
from flask_limiter.util import get_remote_address
from flask_login import current_user

from trainhub.extensions import limiter

HEAVY_MESSAGE = "导入、导出等操作过于频繁，请稍后再试。"


def _heavy_limit() -> str:
    return current_app.config["HEAVY_RATE_LIMIT"]


def user_key() -> str:
    """The signed-in user: the web session's, or under ``/api/`` the bearer token's (the
    token is resolved before any view runs). The address for anyone else."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return f"address:{get_remote_address()}"


#: Counts every request of the decorated view.
heavy = limiter.shared_limit(_heavy_limit, scope="heavy", key_func=user_key, error_message=HEAVY_MESSAGE)
#: Counts only submissions (POST) of a view that also shows its form on GET.
heavy_submit = limiter.shared_limit(_heavy_limit, scope="heavy", key_func=user_key,
                                    error_message=HEAVY_MESSAGE, methods=["POST"])
