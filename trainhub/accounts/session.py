"""Who is signed in: server-side sessions for the web (cookies carry the session's id, see
:mod:`trainhub.accounts.user_sessions`), bearer tokens for the API."""

from __future__ import annotations

from flask import flash, g, redirect, request, url_for
from flask_login import AnonymousUserMixin, current_user, login_user, logout_user

from trainhub.accounts import user_sessions
from trainhub.accounts.models import User
from trainhub.accounts.operations import user_for_token


def init_login(app, login_manager) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "请先登录。"
    login_manager.login_message_category = "warning"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(session_id: str) -> User | None:
        # the session cookie and the remember-me cookie carry the same session id
        return user_sessions.user_of_session(session_id)

    @app.before_request
    def api_bearer_user():
        """Under /api/ only the bearer token counts; the session cookie is ignored."""
        if not request.path.startswith("/api/"):
            return None
        user = None
        header = request.headers.get("Authorization", "")
        scheme, _, secret = header.partition(" ")
        if scheme.lower() == "bearer" and secret.strip():
            user = user_for_token(secret.strip())
        g._login_user = user if user is not None else AnonymousUserMixin()
        g.api_user = user
        return None

    @app.before_request
    def require_own_password():
        """A user with a temporary password must choose their own before anything else."""
        if request.path.startswith("/api/") or request.endpoint in (
            None, "static", "bootstrap.static", "accounts.change_password", "accounts.logout",
        ):
            return None
        if current_user.is_authenticated and current_user.must_change_password:
            flash("请先设置您自己的密码。", "warning")
            return redirect(url_for("accounts.change_password"))
        return None


def sign_in(user: User, *, remember: bool = False) -> None:
    """Start a session for ``user`` (whose password was just checked) in this browser;
    ``remember`` adds the remember-me cookie, which carries the same session."""
    user_sessions.start_session(user, user_agent=request.headers.get("User-Agent"))
    login_user(user, remember=remember)


def sign_out() -> None:
    """End this browser's session on the server, then forget it in the browser: a copy of
    the session cookie or of the remember-me cookie no longer signs anyone in."""
    user_sessions.end_session(getattr(current_user, "session_id", None))
    logout_user()
