"""Throttling of sign-in: failed attempts are counted and, past the configured limits, the
sign-in page answers 429 saying how long to wait.

Only failed attempts count (``deduct_when``), in three buckets: an account tried from one
address (the lock-out a guesser at one desk meets), one address whatever the account (a
guesser trying many names), and an account from every address together — far higher,
so that someone guessing elsewhere cannot keep the user out of their own desk for long.
The counts live in Redis, or in the database without Redis (trainhub.limit_storage), so
that every process of the installation shares them.
"""

from __future__ import annotations

import time

from flask import current_app, g, make_response, render_template, request
from flask_limiter import RateLimitExceeded
from flask_limiter.util import get_remote_address

from trainhub.accounts import signin
from trainhub.accounts.forms import LoginForm
from trainhub.errors import handle_http_exception
from trainhub.extensions import limiter


def _config_limit(key: str):
    return lambda: current_app.config[key]


def _account_key() -> str:
    """The account being tried, whatever the address (a trainee's mobile number counts
    against their user name), as a keyed hash; worked out once per request."""
    if "login_account_key" not in g:
        g.login_account_key = signin.throttle_key(request.form.get("username") or "")
    return g.login_account_key


def _account_and_address_key() -> str:
    return f"{_account_key()}@{get_remote_address()}"


def _login_failed(response) -> bool:
    """Only failed attempts count against the limits (``deduct_when``)."""
    return bool(g.get("login_failed"))


_LOGIN_LIMITS = [
    limiter.limit(_config_limit("LOGIN_LIMIT_USER_ADDRESS"), key_func=_account_and_address_key,
                  methods=["POST"], deduct_when=_login_failed, scope="login-account-address"),
    limiter.limit(_config_limit("LOGIN_LIMIT_ADDRESS"), key_func=get_remote_address,
                  methods=["POST"], deduct_when=_login_failed, scope="login-address"),
    limiter.limit(_config_limit("LOGIN_LIMIT_USER"), key_func=_account_key,
                  methods=["POST"], deduct_when=_login_failed, scope="login-account"),
]


def throttled(view):
    """Limit failed sign-ins to ``view`` (the sign-in page)."""
    for limit in _LOGIN_LIMITS:
        view = limit(view)
    return view


def login_throttled(error: RateLimitExceeded):
    """Too many failed sign-ins: the sign-in page again, saying how long to wait."""
    if request.endpoint != "accounts.login":
        return handle_http_exception(error)
    minutes = 1
    breached = limiter.current_limit
    if breached is not None:
        # reset_at is a whole second, rounded up: do not turn 60.4 s into "2 minutes"
        minutes = max(1, round((breached.reset_at - time.time()) / 60))
    form = LoginForm()
    form.form_errors.append(f"登录失败次数过多，请 {minutes} 分钟后再试。")
    response = make_response(render_template("accounts/login.html", form=form), 429)
    response.headers["Retry-After"] = str(minutes * 60)
    return response
