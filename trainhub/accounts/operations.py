"""Writes on users, passwords, API tokens and activation links. Each function flushes; the
request, command or job step commits (:mod:`trainhub.transaction`). Signing in is
:mod:`trainhub.accounts.signin`; sessions are :mod:`trainhub.accounts.user_sessions`."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from trainhub.accounts import user_sessions
from trainhub.accounts.models import ActivationLink, ApiToken, Role, User
from trainhub.audit.operations import record
from trainhub.db import utcnow
from trainhub.extensions import db
from trainhub.geo.models import County
from trainhub.refusals import Refusal
from trainhub.text import clean_line
from trainhub.transaction import durable

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{3,64}$")
MIN_PASSWORD_LENGTH = 8
TOKEN_PREFIX = "th_"  # noqa: S105 (a marker that makes leaked tokens recognisable)
#: Characters of generated temporary passwords: no 0/O, 1/l/I that are misread on paper.
TEMPORARY_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # noqa: S105
TEMPORARY_PASSWORD_LENGTH = 12
#: The same answer for an unknown user name and a wrong password.
BAD_CREDENTIALS = "用户名或密码不正确。"
ACCOUNT_DISABLED = "该账号已被停用，无法登录。如需恢复，请联系项目办。"
#: How long a one-time activation link stays usable.
ACTIVATION_LINK_DAYS = 14
#: Longest validity a token may be given (days); without a number it lasts until revoked.
MAX_TOKEN_DAYS = 3650


class AccountError(Refusal):
    """A refused account change."""


def password_problem(password: str, *, username: str | None = None) -> str | None:
    """Why ``password`` is not acceptable (Chinese), or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"密码至少需要 {MIN_PASSWORD_LENGTH} 个字符。"
    if len(password) > 128:
        return "密码不能超过 128 个字符。"
    if password.isdigit() or password.isalpha():
        return "密码不能只由数字或只由字母组成。"
    if username and password.lower() == username.lower():
        return "密码不能与用户名相同。"
    return None


def scope_problem(role: Role, scope_code: str | None) -> str | None:
    """Why ``scope_code`` does not fit ``role`` (Chinese), or None."""
    if role != Role.COORDINATOR:
        return "只有实施点联络员需要设置负责区域。" if scope_code else None
    if not scope_code:
        return "实施点联络员必须设置负责区域（省级 2 位代码或县级 6 位代码）。"
    if not re.fullmatch(r"\d{2}|\d{6}", scope_code):
        return "负责区域应为省级 2 位代码或县级 6 位代码。"
    column = County.province_code if len(scope_code) == 2 else County.code
    if not db.session.scalar(sa.select(sa.exists().where(column == scope_code))):
        return f"区域代码 {scope_code} 不在行政区划代码表中。"
    return None


def create_user(
    username: str,
    role: Role,
    *,
    password: str | None = None,
    display_name: str | None = None,
    scope_code: str | None = None,
    must_change_password: bool = False,
) -> User:
    """Create a user. ``password`` None leaves the account waiting for activation."""
    username = (username or "").strip()
    scope_code = (scope_code or "").strip() or None
    if not USERNAME_RE.fullmatch(username):
        raise AccountError("username", "用户名应为 3–64 位字母、数字或 _ . @ -。")
    if db.session.scalar(sa.select(User.id).where(sa.func.lower(User.username) == username.lower())):
        raise AccountError("username", f"用户名 {username} 已被使用。")
    problem = scope_problem(role, scope_code or None)
    if problem:
        raise AccountError("scope", problem)
    if password is not None:
        problem = password_problem(password, username=username)
        if problem:
            raise AccountError("password", problem)
    user = User(
        username=username,
        role=role,
        display_name=(clean_line(display_name) or username)[:64],
        scope_code=scope_code or None,
        must_change_password=must_change_password,
    )
    if password is not None:
        user.set_password(password)
    db.session.add(user)
    db.session.flush()
    record("user.create", target_type="user", target_id=user.id,
           detail={"username": username, "role": role.value, "scope": scope_code})
    return user


def create_user_with_temporary_password(
    username: str,
    role: Role,
    *,
    temporary_password: str | None,
    display_name: str | None = None,
    scope_code: str | None = None,
) -> tuple[User, str]:
    """The office opens an account: the user signs in with a temporary password and must
    choose their own at once. ``temporary_password`` None (or empty) generates one.

    Returns the user and the temporary password, to be shown once.
    """
    password = temporary_password or generate_temporary_password()
    user = create_user(username, role, password=password, display_name=display_name,
                       scope_code=scope_code, must_change_password=True)
    return user, password


def change_password(user: User, current: str, new: str, *, revoke_tokens: bool) -> None:
    """The user changes their own password. Every session of the user ends (the caller
    starts a new one for the browser that made the change); ``revoke_tokens`` also
    revokes every API token of the user, in case a token leaked with the password."""
    if not user.check_password(current):
        raise AccountError("current_password", "当前密码不正确。")
    if new == current:
        raise AccountError("new_password", "新密码不能与当前密码相同。")
    set_password(user, new)
    if revoke_tokens:
        revoke_tokens_of(user, reason="password_change")


def set_password(user: User, new: str, *, temporary: bool = False) -> None:
    """Set a password; ``temporary`` makes the user choose their own at next sign-in.
    Every session and remember-me cookie of the user ends."""
    problem = password_problem(new, username=user.username)
    if problem:
        raise AccountError("new_password", problem)
    user.set_password(new)
    user.must_change_password = temporary
    user_sessions.end_sessions(user)
    db.session.flush()
    record("user.set_password", target_type="user", target_id=user.id,
           detail={"temporary": temporary})


def generate_temporary_password() -> str:
    """A random password that :func:`password_problem` accepts (letters and digits)."""
    while True:
        candidate = "".join(
            secrets.choice(TEMPORARY_PASSWORD_ALPHABET) for _ in range(TEMPORARY_PASSWORD_LENGTH)
        )
        if password_problem(candidate) is None:
            return candidate


def reset_password(user: User, *, actor: User | None = None) -> str:
    """Give ``user`` a new temporary password (returned once) to change at next sign-in.

    Every session, remember-me cookie and API token of the user ends: whoever asked for
    the reset may have lost control of the account. The office resets other people's
    passwords; their own they change on the password page.
    """
    if actor is not None and actor.id == user.id:
        raise AccountError("_form", "不能在这里重置自己的密码，请使用“修改密码”页面。")
    password = generate_temporary_password()
    set_password(user, password, temporary=True)
    revoke_tokens_of(user, reason="password_reset")
    return password


def set_enabled(user: User, enabled: bool, *, actor: User | None = None) -> None:
    """Enable or disable ``user``. A disabled user cannot sign in, and neither their
    sessions nor their API tokens are accepted any more."""
    if not enabled and actor is not None and actor.id == user.id:
        raise AccountError("_form", "不能停用自己的账号。")
    if user.is_enabled == enabled:
        return
    user.is_enabled = enabled
    if not enabled:  # re-enabling must not bring old sessions back
        user_sessions.end_sessions(user)
    db.session.flush()
    record("user.enable" if enabled else "user.disable", target_type="user", target_id=user.id,
           detail={"username": user.username})


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, name: str, *, expires_in_days: int | None = None
                 ) -> tuple[ApiToken, str]:
    """Create an API token valid for ``expires_in_days`` days (None: until revoked); returns
    the row and the token itself, which is never stored."""
    name = clean_line(name)
    if not name:
        raise AccountError("name", "请填写令牌名称，例如用途或对接的系统。")
    if len(name) > 100:
        raise AccountError("name", "令牌名称不能超过 100 个字符。")
    if expires_in_days is not None and (
        isinstance(expires_in_days, bool) or not 1 <= expires_in_days <= MAX_TOKEN_DAYS
    ):
        raise AccountError("expires_in_days", f"有效天数应为 1–{MAX_TOKEN_DAYS} 天；长期有效请不填。")
    expires_at = utcnow() + timedelta(days=expires_in_days) if expires_in_days else None
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user, name=name, token_hash=_token_hash(secret), prefix=secret[:10], expires_at=expires_at
    )
    db.session.add(token)
    db.session.flush()
    record("token.create", target_type="api_token", target_id=token.id,
           detail={"user": user.username, "name": name})
    return token, secret


def revoke_token(token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.flush()
        record("token.revoke", target_type="api_token", target_id=token.id)


def revoke_tokens_of(user: User, *, reason: str) -> int:
    """Revoke every token of ``user`` still usable; one audit entry names how many and why
    (``password_reset``, ``password_change``). Returns the number revoked."""
    now = utcnow()
    revoked = db.session.execute(
        sa.update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None),
               sa.or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now))
        .values(revoked_at=now)
        .execution_options(synchronize_session="fetch")
    ).rowcount
    if revoked:
        record("token.revoke_all", target_type="user", target_id=user.id,
               detail={"username": user.username, "count": revoked, "reason": reason})
    return revoked


def user_for_token(secret: str) -> User | None:
    """The enabled user owning a usable token, marking the token as used."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == _token_hash(secret)))
    if token is None or not token.is_usable or not token.user.is_enabled:
        return None
    now = utcnow()
    # write at most once a minute per token: a busy client must not turn reads into writes.
    # The use is kept even when the request fails, in a transaction of its own.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        with durable() as session:
            session.execute(sa.update(ApiToken).where(ApiToken.id == token.id)
                            .values(last_used_at=now))
        set_committed_value(token, "last_used_at", now)
    return token.user


# one-time activation links ---------------------------------------------------------------------


def is_activated(user: User) -> bool:
    """Whether the user has chosen their own password (not none, not a temporary one)."""
    return user.password_hash is not None and not user.must_change_password


def create_activation_link(user: User, *, days: int = ACTIVATION_LINK_DAYS) -> tuple[ActivationLink, str]:
    """A one-time link with which ``user`` chooses their password; returns the row and the
    token (only its SHA-256 is stored, so the token is shown once).

    Earlier unused links of the user stop working: only the newest printed list counts.
    """
    if not user.is_enabled:
        raise AccountError("_form", "该账号已被停用，不能生成激活链接。")
    if is_activated(user):
        raise AccountError("_form", "该账号已激活（已设置自己的密码），不需要激活链接。")
    now = utcnow()
    db.session.execute(
        sa.update(ActivationLink)
        .where(ActivationLink.user_id == user.id, ActivationLink.used_at.is_(None),
               ActivationLink.expires_at > now)
        .values(expires_at=now)
        .execution_options(synchronize_session=False)
    )
    token = secrets.token_urlsafe(24)
    link = ActivationLink(user=user, token_hash=_token_hash(token), created_at=now,
                          expires_at=now + timedelta(days=days))
    db.session.add(link)
    db.session.flush()
    record("user.activation_link", target_type="user", target_id=user.id,
           detail={"username": user.username, "days": days})
    return link, token


#: Why a link cannot be used, by reason (the public page shows the message).
LINK_UNKNOWN = "无法识别该激活链接。请核对链接是否完整（复制时可能被截断），或联系项目办获取新的链接。"
LINK_USED = "该激活链接已经使用过，不能再次使用。如果您已设置密码，请直接登录；忘记密码请联系项目办。"
LINK_EXPIRED = "该激活链接已过期或已被更新的链接取代。请联系项目办或本地联络员获取新的链接。"
LINK_ACCOUNT_DISABLED = "该账号已被停用，无法激活。如需恢复，请联系项目办。"
LINK_ALREADY_ACTIVE = "该账号已经设置了自己的密码，激活链接不再有效。请直接登录；忘记密码请联系项目办。"


class ActivationRefused(AccountError):
    """The link cannot be used; ``reason`` is one of unknown, used, expired, disabled, active."""

    def __init__(self, reason: str, message: str):
        super().__init__("_form", message)
        self.reason = reason


def usable_activation_link(token: str) -> ActivationLink:
    """The link ``token`` names, if it can still be used; :class:`ActivationRefused` otherwise."""
    token = (token or "").strip()
    link = None
    if token and len(token) <= 128:
        link = db.session.scalar(
            sa.select(ActivationLink).where(ActivationLink.token_hash == _token_hash(token))
        )
    if link is None:
        raise ActivationRefused("unknown", LINK_UNKNOWN)
    if link.used_at is not None:
        raise ActivationRefused("used", LINK_USED)
    if link.expires_at <= utcnow():
        raise ActivationRefused("expired", LINK_EXPIRED)
    if not link.user.is_enabled:
        raise ActivationRefused("disabled", LINK_ACCOUNT_DISABLED)
    if is_activated(link.user):
        raise ActivationRefused("active", LINK_ALREADY_ACTIVE)
    return link


def activate_account(token: str, password: str) -> User:
    """Use the one-time link ``token``: the user's password becomes ``password``.

    The link is spent (it cannot be used again) and the account counts as activated.
    """
    link = usable_activation_link(token)
    user = link.user
    problem = password_problem(password, username=user.username)
    if problem:
        raise AccountError("new_password", problem)
    # spend the link first, conditionally: of two submissions at once only one wins
    spent = db.session.execute(
        sa.update(ActivationLink)
        .where(ActivationLink.id == link.id, ActivationLink.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if spent.rowcount != 1:
        raise ActivationRefused("used", LINK_USED)
    db.session.refresh(link)
    user.set_password(password)
    user.must_change_password = False
    user_sessions.end_sessions(user)
    db.session.flush()
    record("user.activate", target_type="user", target_id=user.id, actor_id=user.id,
           detail={"username": user.username})
    return user
