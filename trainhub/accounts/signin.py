"""Signing in: who a typed name means, checking the password, and what a refused attempt
leaves behind (an audit entry, a throttle count).

A name typed at sign-in is first a user name. Features above accounts may let their users
sign in with another name — the learners feature lets trainees use their mobile number —
by adding a lookup here (:func:`login_lookup`), so that accounts never imports them::

    @login_lookup
    def trainee_accounts_with_phone(text: str) -> list[User]: ...
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NoReturn

from trainhub.accounts.models import User, check_dummy_password
from trainhub.accounts.operations import ACCOUNT_DISABLED, BAD_CREDENTIALS, AccountError
from trainhub.accounts.queries import user_by_username
from trainhub.audit.operations import record
from trainhub.db import utcnow
from trainhub.extensions import db
from trainhub.pii import cipher, looks_personal, mask_phone, mobile_of
from trainhub.transaction import durable

#: A function from the typed name to the accounts it may mean (usually none or one).
LoginLookup = Callable[[str], list[User]]

#: Lookups of other names than the user name, added by features above accounts.
login_lookups: list[LoginLookup] = []

#: An ID number as typed at sign-in (kept masked in the audit log).


def login_lookup(lookup: LoginLookup) -> LoginLookup:
    """Register ``lookup`` (usable as a decorator; registering twice changes nothing)."""
    if lookup not in login_lookups:
        login_lookups.append(lookup)
    return lookup


def accounts_for_login_name(text: str) -> list[User]:
    """The accounts the registered lookups find for ``text``, each once, oldest first."""
    found: dict[int, User] = {}
    for lookup in login_lookups:
        for user in lookup(text):
            found.setdefault(user.id, user)
    return [found[key] for key in sorted(found)]


def authenticate(username: str, password: str) -> User:
    """The user signing in with ``username`` and ``password``, or :class:`AccountError`.

    ``username`` may also be another name a lookup knows (a trainee's mobile number). An
    unknown name, a wrong password and an account still waiting for activation give the
    same message and take the same time; a disabled account is named as such only to
    someone who knows its password. Every attempt is audited (the name tried, never the
    password) and a success records ``last_login_at``.
    """
    username = (username or "").strip()
    user = user_by_username(username) or _account_by_other_name(username, password)
    if user is None:
        check_dummy_password(password)
        _refuse(None, loggable_login_name(username), "unknown_user", BAD_CREDENTIALS)
    if not user.check_password(password):
        _refuse(user, user.username, "wrong_password", BAD_CREDENTIALS)
    if not user.is_enabled:
        _refuse(user, user.username, "disabled", ACCOUNT_DISABLED)
    user.last_login_at = utcnow()
    db.session.flush()
    record("user.login", target_type="user", target_id=user.id, actor_id=user.id,
           detail={"username": user.username})
    return user


def _account_by_other_name(text: str, password: str) -> User | None:
    """The account a lookup finds for ``text``. A name shared by several accounts (a mobile
    number of two learners) is told apart by the password; a wrong password leaves the
    first account to be refused with the usual message."""
    candidates = accounts_for_login_name(text)
    if len(candidates) > 1:
        matching = [user for user in candidates if user.check_password(password)]
        candidates = matching or candidates
    return candidates[0] if candidates else None


def _refuse(user: User | None, username: str, reason: str, message: str) -> NoReturn:
    """Audit a refused sign-in (kept although the request is refused) and refuse it."""
    with durable() as session:
        record("user.login_failed", target_type="user" if user else None,
               target_id=user.id if user else None,
               detail={"username": username, "reason": reason}, session=session)
    raise AccountError("_form", message)


def _phone(text: str) -> str | None:
    return mobile_of(text)


def loggable_login_name(text: str) -> str:
    """What the audit log may keep of a name typed at sign-in. A mobile number typed there
    is kept masked; anything else that looks like a personal number (an ID number) not at
    all: its first and last four characters next to a learner's birth year would narrow
    the number down to a few hundred."""
    text = (text or "").strip()
    phone = _phone(text)
    if phone is not None:
        return mask_phone(phone)
    if looks_personal(text):
        return "（疑似身份证号码，已隐去）"
    return text[:64]


def throttle_key(text: str) -> str:
    """The account a sign-in attempt counts against, as a keyed hash: no user name, mobile
    or ID number is kept in clear in the limiter's storage.

    A name that is no user name but that a lookup maps to exactly one account (a trainee's
    mobile number) counts against that account, so that alternating the two does not
    double the attempts allowed; other mobile numbers count under their normalised form,
    however they are typed.
    """
    text = (text or "").strip()[:64]
    name = text.lower()
    if user_by_username(text) is None:
        candidates = accounts_for_login_name(text)
        if len(candidates) == 1:
            name = candidates[0].username.lower()
        elif (phone := _phone(text)) is not None:
            name = "phone:" + phone
    return cipher().search_hash("sign-in:" + name)[:32]
