"""Roles, area scope and the permission decorators every view and endpoint declares.

Roles are defined here, below every feature, so that any feature may name them; a user
holds exactly one (``trainhub.accounts.models.User.role``).

Each view function carries ``allowed_roles``: a frozenset of :class:`Role`, or ``PUBLIC``
for pages anyone may open without an account. The permission test walks the URL map and
fails on any endpoint that declares nothing.
"""

from __future__ import annotations

from functools import wraps
from typing import Protocol

import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from trainhub.api import is_api_request, problem
from trainhub.db import LabelledEnum


class Role(LabelledEnum):
    OFFICE = ("office", "项目办")
    COORDINATOR = ("coordinator", "实施点联络员")
    INSTRUCTOR = ("instructor", "讲师")
    CERTIFIER = ("certifier", "认证中心")
    TRAINEE = ("trainee", "学员")


class Actor(Protocol):
    """Whoever acts or reads: a signed-in :class:`~trainhub.accounts.models.User`, or the
    operator at the command line. Features below accounts name it by this shape only."""

    role: Role
    scope_code: str | None


class Account(Actor, Protocol):
    """A signed-in user as the features below accounts name it (``user.id``, ``user.role``)."""

    id: int


ALL_ROLES = frozenset(Role)
STAFF = frozenset({Role.OFFICE, Role.COORDINATOR, Role.INSTRUCTOR, Role.CERTIFIER})
#: Marker for endpoints open to everyone, signed in or not.
PUBLIC = "public"


def roles_required(*roles: Role):
    """Allow only signed-in users holding one of ``roles``; answer HTML or a problem."""
    allowed = frozenset(roles)
    if not allowed or not allowed <= ALL_ROLES:
        raise ValueError("roles_required needs at least one Role")

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                if is_api_request():
                    return problem(401, "需要有效的访问令牌（Authorization: Bearer …）。")
                flash("请先登录。", "warning")
                return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
            if current_user.role not in allowed:
                if is_api_request():
                    return problem(403, "当前账号的角色无权执行此操作。")
                abort(403)
            return view(*args, **kwargs)

        wrapped.allowed_roles = allowed
        return wrapped

    return decorator


def signed_in(view):
    """Any signed-in user, whatever the role."""
    return roles_required(*ALL_ROLES)(view)


def public(view):
    """Open to everyone (sign-in page, certificate verification, health check)."""
    view.allowed_roles = PUBLIC
    return view


# area scope --------------------------------------------------------------------------------


def area_clause(user: Actor, county_code_column) -> sa.ColumnElement[bool]:
    """SQL condition limiting rows to the user's area, applied to a county-code column.

    The office and the Certification Centre see everything; a coordinator sees their
    province (2-digit scope) or county (6-digit scope); everyone else sees no area data
    through this clause (trainees see themselves through their own queries).
    """
    if user.role in (Role.OFFICE, Role.CERTIFIER):
        return sa.true()
    if user.role == Role.COORDINATOR and user.scope_code:
        if len(user.scope_code) == 2:
            return county_code_column.startswith(user.scope_code, autoescape=True)
        return county_code_column == user.scope_code
    return sa.false()


def outside_area(user: Actor, code: str | None) -> str | None:
    """Why a filter for ``code`` (a 2-digit province or 6-digit county code) lies outside
    ``user``'s area, in Chinese; None when it does not (or for roles without an area).

    A coordinator's filters can only narrow their own area: one pointing elsewhere is said
    to be outside, rather than silently answering nothing or being dropped.
    """
    if not code or user.role != Role.COORDINATOR or not user.scope_code:
        return None
    scope = user.scope_code
    if code.startswith(scope) or scope.startswith(code):
        return None
    return f"所选区域（{code}）不在您的负责区域（{scope}）内。"


def outside_area_problem(actor: Actor, **codes: str | None):
    """A 422 naming each area filter (``province=``, ``county=``: a province or county code)
    that lies outside a coordinator's area, or None: a filter elsewhere is refused in
    words, never silently answered with nothing."""
    errors = {field: [message] for field, code in codes.items()
              if (message := outside_area(actor, code)) is not None}
    if not errors:
        return None
    return problem(422, next(iter(errors.values()))[0], errors=errors)


def in_area(user: Actor, county_code: str | None) -> bool:
    """Python twin of :func:`area_clause` for one county code."""
    if user.role in (Role.OFFICE, Role.CERTIFIER):
        return True
    if user.role == Role.COORDINATOR and user.scope_code and county_code:
        return county_code.startswith(user.scope_code)
    return False
