"""Web pages of accounts: sign-in and out, passwords, user administration, API tokens."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_limiter import RateLimitExceeded
from flask_login import current_user

from trainhub.accounts import operations, queries, signin
from trainhub.accounts.forms import (
    ActivationForm,
    ChangePasswordForm,
    ConfirmForm,
    LoginForm,
    TokenCreateForm,
    UserCreateForm,
    UserFilterForm,
)
from trainhub.accounts.models import Role, User
from trainhub.accounts.operations import AccountError, ActivationRefused
from trainhub.accounts.session import sign_in, sign_out
from trainhub.accounts.throttle import login_throttled, throttled
from trainhub.auth import public, roles_required, signed_in
from trainhub.extensions import db
from trainhub.security import safe_next

bp = Blueprint("accounts", __name__)
bp.register_error_handler(RateLimitExceeded, login_throttled)

HOME = "/"
USERS_PER_PAGE = 50


# sign-in, sign-out, password -----------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
@throttled
@public
def login():
    next_url = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or HOME)
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = signin.authenticate(form.username.data, form.password.data)
        except AccountError as error:
            g.login_failed = True
            status = 400
            form.form_errors.append(error.message)
        else:
            sign_in(user, remember=form.remember.data)
            if user.must_change_password:
                flash("您正在使用临时密码，请先设置您自己的密码。", "warning")
                return redirect(url_for("accounts.change_password"))
            return redirect(next_url or HOME)
    elif request.method == "POST":
        status = 400
    return render_template("accounts/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@signed_in
def logout():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    sign_out()
    flash("您已退出登录。", "info")
    return redirect(url_for("accounts.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@signed_in
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            operations.change_password(user, form.current_password.data, form.new_password.data,
                                       revoke_tokens=form.revoke_tokens.data)
        except AccountError as error:
            field = getattr(form, error.field, None)
            (field.errors if field is not None else form.form_errors).append(error.message)
        else:
            # every session of the user has ended; this browser starts a new one
            remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
            sign_in(user, remember=remembered)
            tokens = "，您的 API 令牌已全部撤销" if form.revoke_tokens.data else ""
            flash(f"密码已修改。其他设备上的登录已全部失效{tokens}。", "success")
            return redirect(HOME)
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/change_password.html", form=form), status


# one-time activation links -------------------------------------------------------------------

#: Status of the page for a link that cannot be used: unknown 404, spent or expired 410.
_REFUSED_STATUS = {"unknown": 404, "used": 410, "expired": 410, "disabled": 410, "active": 410}


def _activation_response(template: str, status: int = 200, **context):
    response = make_response(render_template(template, **context), status)
    # the token is in the address: never cache the page, never pass it on as a referrer
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.route("/activate/<token>", methods=["GET", "POST"])
@public
def activate(token: str):
    """A trainee chooses their password through a one-time link and is signed in."""
    if current_user.is_authenticated:
        return _activation_response(
            "accounts/activate_invalid.html", 409, reason="signed_in",
            message=f"您当前已登录为 {current_user.display_name}（{current_user.username}）。"
                    "激活链接供学员本人使用：请先退出登录，再打开此链接。",
        )
    try:
        link = operations.usable_activation_link(token)
    except ActivationRefused as refused:
        return _activation_response("accounts/activate_invalid.html",
                                    _REFUSED_STATUS.get(refused.reason, 410),
                                    reason=refused.reason, message=refused.message)
    user = link.user
    form = ActivationForm()
    if form.validate_on_submit():
        try:
            operations.activate_account(token, form.new_password.data)
        except ActivationRefused as refused:
            return _activation_response("accounts/activate_invalid.html",
                                        _REFUSED_STATUS.get(refused.reason, 410),
                                        reason=refused.reason, message=refused.message)
        except AccountError as error:
            form.new_password.errors = [*form.new_password.errors, error.message]
        else:
            username = user.username
            sign_in(user)
            flash(f"账号已激活。以后请用用户名 {username} 或登记的手机号码加新密码登录。", "success")
            return redirect(HOME)
    status = 400 if request.method == "POST" else 200
    return _activation_response("accounts/activate.html", status, form=form, user=user)


# API tokens of the signed-in user ------------------------------------------------------------


@bp.route("/account/tokens", methods=["GET", "POST"])
@signed_in
def tokens():
    form = TokenCreateForm()
    if form.validate_on_submit():
        try:
            token, secret = operations.create_token(
                current_user._get_current_object(), form.name.data,
                expires_in_days=int(form.expires_in_days.data) or None,
            )
        except AccountError as error:
            field = getattr(form, error.field, None)
            (field.errors if field is not None else form.form_errors).append(error.message)
        else:
            response = make_response(
                render_template("accounts/token_created.html", token=token, secret=secret)
            )
            response.headers["Cache-Control"] = "no-store"
            return response
    status = 400 if request.method == "POST" else 200
    return render_template(
        "accounts/tokens.html", form=form, tokens=queries.tokens_of(current_user),
    ), status


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@signed_in
def revoke_token(token_id: int):
    token = queries.token_of(current_user, token_id)
    if token is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    operations.revoke_token(token)
    flash(f"令牌“{token.name}”已撤销，使用它的系统将无法再访问。", "success")
    return redirect(url_for("accounts.tokens"))


# user administration (office) ----------------------------------------------------------------


@bp.route("/users")
@roles_required(Role.OFFICE)
def users():
    filters = UserFilterForm(request.args)
    role = Role(filters.role.data) if filters.role.data in {r.value for r in Role} else None
    page = request.args.get("page", 1, type=int)
    pagination = queries.list_users(
        role=role, search=filters.q.data, page=max(page, 1), per_page=USERS_PER_PAGE
    )
    codes = {u.scope_code for u in pagination.items if u.scope_code}
    return render_template(
        "accounts/users.html", filters=filters, pagination=pagination,
        scope_names=queries.scope_names(codes),
    )


#: Operation error fields -> form fields of the user creation form.
_USER_FORM_FIELDS = {"scope": "scope_code", "password": "temporary_password"}


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required(Role.OFFICE)
def create_user():
    form = UserCreateForm()
    if form.validate_on_submit():
        try:
            user, password = operations.create_user_with_temporary_password(
                form.username.data, Role(form.role.data),
                temporary_password=form.temporary_password.data or None,
                display_name=form.display_name.data or None,
                scope_code=form.scope_code.data or None,
            )
        except AccountError as error:
            field = getattr(form, _USER_FORM_FIELDS.get(error.field, error.field), None)
            (field.errors if field is not None else form.form_errors).append(error.message)
        else:
            return _temporary_password_page(user, password, created=True)
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/user_form.html", form=form), status


def _temporary_password_page(user: User, password: str, *, created: bool):
    response = make_response(
        render_template("accounts/temporary_password.html", user=user, password=password,
                        created=created)
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _set_enabled(user_id: int, enabled: bool):
    user = _user_or_404(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        operations.set_enabled(user, enabled, actor=current_user._get_current_object())
    except AccountError as error:
        flash(error.message, "danger")
    else:
        flash(f"账号 {user.username} 已{'启用' if enabled else '停用'}。", "success")
    return redirect(safe_next(request.form.get("next")) or url_for("accounts.users"))


@bp.route("/users/<int:user_id>/enable", methods=["POST"])
@roles_required(Role.OFFICE)
def enable_user(user_id: int):
    return _set_enabled(user_id, True)


@bp.route("/users/<int:user_id>/disable", methods=["POST"])
@roles_required(Role.OFFICE)
def disable_user(user_id: int):
    return _set_enabled(user_id, False)


@bp.route("/users/<int:user_id>/reset-password", methods=["POST"])
@roles_required(Role.OFFICE)
def reset_password(user_id: int):
    user = _user_or_404(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        password = operations.reset_password(user, actor=current_user._get_current_object())
    except AccountError as error:
        flash(error.message, "danger")
        return redirect(url_for("accounts.users"))
    return _temporary_password_page(user, password, created=False)
