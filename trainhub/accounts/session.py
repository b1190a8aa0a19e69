"""Who is signed in: session cookies for the web, bearer tokens for the API."""

from __future__ import annotations

from flask import flash, g, redirect, request, url_for
from flask_login import AnonymousUserMixin, current_user

from trainhub.accounts.models import User
from trainhub.extensions import db


def init_login(app, login_manager) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "请先登录。"
    login_manager.login_message_category = "warning"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        # the id carries the session version: a password change signs out every other session
        try:
            raw_id, raw_version = user_id.split(":", 1)
            user = db.session.get(User, int(raw_id))
        except ValueError:
            return None
        if user is None or str(user.session_version) != raw_version or not user.is_enabled:
            return None
        return user

    @app.before_request
    def api_bearer_user():
        """Under /api/ only the bearer token counts; the session cookie is ignored."""
        if not request.path.startswith("/api/"):
            return None
        from trainhub.accounts.operations import user_for_token

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
