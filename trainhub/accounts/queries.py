"""Reads on users and API tokens."""

from __future__ import annotations

import sqlalchemy as sa

from trainhub.accounts.models import ApiToken, Role, User
from trainhub.extensions import db
from trainhub.geo.models import County


def user_by_username(username: str) -> User | None:
    """The user with ``username``, compared without regard to case (as at creation)."""
    username = (username or "").strip()
    if not username:
        return None
    return db.session.scalar(sa.select(User).where(sa.func.lower(User.username) == username.lower()))


def users_stmt(*, role: Role | None = None, search: str | None = None) -> sa.Select:
    """Users for the office's list, filtered by role and a search in name or user name."""
    stmt = sa.select(User)
    if role is not None:
        stmt = stmt.where(User.role == role)
    search = (search or "").strip()
    if search:
        pattern = f"%{escape_like(search.lower())}%"
        stmt = stmt.where(
            sa.or_(
                sa.func.lower(User.username).like(pattern, escape="\\"),
                sa.func.lower(User.display_name).like(pattern, escape="\\"),
            )
        )
    return stmt.order_by(User.role, User.username)


def escape_like(text: str) -> str:
    """``text`` matched literally inside a LIKE pattern (escape character ``\\``)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def list_users(*, role: Role | None = None, search: str | None = None, page: int = 1,
               per_page: int = 50):
    """One page of users (a Flask-SQLAlchemy pagination)."""
    stmt = users_stmt(role=role, search=search)
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def scope_names(codes: set[str]) -> dict[str, str]:
    """Readable names of coordinator scope codes: ``{"52": "贵州省", "520221": "贵州省六盘水市水城县"}``."""
    names: dict[str, str] = {}
    provinces = {c for c in codes if len(c) == 2}
    counties = {c for c in codes if len(c) == 6}
    if provinces:
        rows = db.session.execute(
            sa.select(County.province_code, sa.func.min(County.province))
            .where(County.province_code.in_(provinces))
            .group_by(County.province_code)
        )
        names.update({code: name for code, name in rows})
    if counties:
        rows = db.session.execute(
            sa.select(County.code, County.province, County.prefecture, County.name)
            .where(County.code.in_(counties))
        )
        names.update({code: f"{prov}{pref}{name}" for code, prov, pref, name in rows})
    return names


def tokens_stmt(user: User) -> sa.Select:
    """The user's API tokens, newest first (revoked and expired ones included)."""
    return (
        sa.select(ApiToken)
        .where(ApiToken.user_id == user.id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )


def tokens_of(user: User) -> list[ApiToken]:
    return list(db.session.scalars(tokens_stmt(user)))


def token_of(user: User, token_id: int) -> ApiToken | None:
    """The token ``token_id`` if it belongs to ``user``; someone else's token is None."""
    return db.session.scalar(
        sa.select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id)
    )
