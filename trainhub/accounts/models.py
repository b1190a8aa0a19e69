"""Users, roles and API tokens."""

from __future__ import annotations

import contextlib
from datetime import datetime

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainhub.auth import Role
from trainhub.db import LabelledEnum, UTCDateTime, enum_column, utcnow
from trainhub.extensions import db


def _hasher() -> PasswordHasher:
    """The argon2id hasher with the application's cost settings (production defaults
    outside an application; tests lower the cost to keep the suite fast)."""
    if not has_app_context():
        return _DEFAULT_HASHER
    hasher = current_app.extensions.get("trainhub_password_hasher")
    if hasher is None:
        params = current_app.config.get("PASSWORD_HASH_PARAMS") or {}
        hasher = PasswordHasher(**params) if params else _DEFAULT_HASHER
        current_app.extensions["trainhub_password_hasher"] = hasher
    return hasher


_DEFAULT_HASHER = PasswordHasher()


class User(UserMixin, db.Model):
    __tablename__ = "user_account"
    __table_args__ = (
        sa.CheckConstraint(
            "(role = 'coordinator' AND scope_code IS NOT NULL) "
            "OR (role <> 'coordinator' AND scope_code IS NULL)",
            name="scope_only_for_coordinator",
        ),
        sa.CheckConstraint(
            "scope_code IS NULL OR length(scope_code) IN (2, 6)", name="scope_code_length"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(
        sa.String(64), unique=True, info={"conflict": ("username", "该用户名已被使用。")}
    )
    display_name: Mapped[str] = mapped_column(sa.String(64))
    #: argon2id hash; NULL until the account is activated (one-time link) or given a password.
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"), index=True)
    #: Coordinators only: a 2-digit province code or a 6-digit county code.
    scope_code: Mapped[str | None] = mapped_column(sa.String(6))
    is_enabled: Mapped[bool] = mapped_column(default=True)
    #: Set for temporary passwords: the user must choose their own at the next sign-in.
    must_change_password: Mapped[bool] = mapped_column(default=False)
    #: Raised by every password change: sessions started under an older version end.
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user", cascade="all, delete-orphan")
    sessions: Mapped[list[UserSession]] = relationship(back_populates="user",
                                                       cascade="all, delete-orphan")

    #: The secret id of the sign-in session this object was loaded through (not stored:
    #: only its hash is, in :class:`UserSession`). Set by ``trainhub.accounts.user_sessions``.
    session_id = None

    # flask-login ---------------------------------------------------------------------
    def get_id(self) -> str:
        """What the session cookie and the remember-me cookie carry: the id of a server-side
        :class:`UserSession`, so that ending the row ends both cookies at once. A user put
        in a request without a session (``trainhub.accounts.session.sign_in`` starts one)
        gives an empty id, which signs nobody in on the next request."""
        return self.session_id or ""

    @property
    def is_active(self) -> bool:
        return self.is_enabled

    # passwords ------------------------------------------------------------------------
    def set_password(self, password: str) -> None:
        self.password_hash = _hasher().hash(password)
        self.session_version = (self.session_version or 0) + 1

    def check_password(self, password: str) -> bool:
        if not self.password_hash:
            # an account waiting for activation takes as long to refuse as any other
            check_dummy_password(password)
            return False
        try:
            _hasher().verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
        if _hasher().check_needs_rehash(self.password_hash):
            self.password_hash = _hasher().hash(password)
        return True

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role.value}>"


def check_dummy_password(password: str) -> None:
    """Spend the time of a real check, so that unknown user names cannot be told apart."""
    with contextlib.suppress(VerificationError, InvalidHashError):
        _hasher().verify(_dummy_hash(), password)


def _dummy_hash() -> str:
    """A hash made with the current settings, so that checking it costs a real check."""
    hasher = _hasher()
    key = (hasher.time_cost, hasher.memory_cost, hasher.parallelism)
    if key not in _DUMMY_HASHES:
        _DUMMY_HASHES[key] = hasher.hash("trainhub-dummy-password")
    return _DUMMY_HASHES[key]


_DUMMY_HASHES: dict[tuple, str] = {}


class TokenStatus(LabelledEnum):
    """What an API token can still do; derived, not stored."""

    ACTIVE = ("active", "有效")
    EXPIRED = ("expired", "已过期")
    REVOKED = ("revoked", "已撤销")


class ApiToken(db.Model):
    """A bearer token for the JSON API. Only its SHA-256 is stored; the token is shown once."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: First characters of the token, shown in lists so the user can tell tokens apart.
    prefix: Mapped[str] = mapped_column(sa.String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="tokens")

    @property
    def status(self) -> TokenStatus:
        if self.revoked_at is not None:
            return TokenStatus.REVOKED
        if self.expires_at is not None and self.expires_at <= utcnow():
            return TokenStatus.EXPIRED
        return TokenStatus.ACTIVE

    @property
    def is_usable(self) -> bool:
        return self.status == TokenStatus.ACTIVE


class UserSession(db.Model):
    """A signed-in browser. The session and remember-me cookies carry its random id (only
    the SHA-256 is stored); signing out deletes the row, which ends both cookies at once."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    id_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: The user's ``session_version`` at sign-in: a later password change ends the session.
    session_version: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Updated at most once a minute; sessions idle for longer than the remember-me
    #: duration end.
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: Browser and system, e.g. "微信 · Android" (never the full header).
    user_agent: Mapped[str | None] = mapped_column(sa.String(80))

    user: Mapped[User] = relationship(back_populates="sessions")


class ActivationLink(db.Model):
    """A one-time link with which a new user sets their first password."""

    __tablename__ = "activation_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
