"""Forms of sign-in, passwords, user administration and API tokens."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from trainhub.auth import Role
from trainhub.forms import OneOfChoices, choices, clean


class LoginForm(FlaskForm):
    username = StringField(
        "用户名或手机号", filters=[clean],
        validators=[DataRequired("请输入用户名。"), Length(max=64, message="用户名不能超过 64 个字符。")],
        render_kw={"autocomplete": "username", "autocapitalize": "none"},
    )
    password = PasswordField(
        "密码", validators=[DataRequired("请输入密码。"), Length(max=128, message="密码不能超过 128 个字符。")],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField("记住我（30 天内免登录，请勿在公用设备上勾选）")


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "当前密码", validators=[DataRequired("请输入当前密码。")],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        "新密码", validators=[DataRequired("请输入新密码。")],
        description="至少 8 个字符，不能只由数字或只由字母组成。",
        render_kw={"autocomplete": "new-password"},
    )
    confirm_password = PasswordField(
        "再次输入新密码",
        validators=[DataRequired("请再次输入新密码。"),
                    EqualTo("new_password", message="两次输入的新密码不一致。")],
        render_kw={"autocomplete": "new-password"},
    )
    revoke_tokens = BooleanField(
        "同时撤销我的全部 API 令牌", default=True,
        description="如果担心密码已泄露，令牌也可能已被他人取得；撤销后，使用这些令牌的系统需要换用新令牌。",
    )


class ActivationForm(FlaskForm):
    """The page of a one-time activation link: the trainee chooses their password."""

    new_password = PasswordField(
        "设置密码", validators=[DataRequired("请输入密码。")],
        description="至少 8 个字符，不能只由数字或只由字母组成。",
        render_kw={"autocomplete": "new-password"},
    )
    confirm_password = PasswordField(
        "再次输入密码",
        validators=[DataRequired("请再次输入密码。"),
                    EqualTo("new_password", message="两次输入的密码不一致。")],
        render_kw={"autocomplete": "new-password"},
    )


class UserCreateForm(FlaskForm):
    username = StringField(
        "用户名", filters=[clean], validators=[DataRequired("请输入用户名。")],
        description="3–64 位字母、数字或 _ . @ -，用于登录。",
        render_kw={"autocapitalize": "none", "autocomplete": "off"},
    )
    display_name = StringField(
        "姓名", filters=[clean],
        validators=[Optional(), Length(max=64, message="姓名不能超过 64 个字符。")],
        description="页面上显示的名称；留空则使用用户名。",
    )
    role = SelectField("角色", choices=choices(Role.choices()), validate_choice=False,
                       validators=[DataRequired("请选择角色。"), OneOfChoices("请选择列表中的角色。")])
    scope_code = StringField(
        "负责区域代码", filters=[clean],
        description="仅实施点联络员填写：省级 2 位代码（如 52 贵州省）或县级 6 位代码（如 520221）。",
    )
    temporary_password = StringField(
        "临时密码", filters=[clean],
        description="留空则自动生成。用户首次登录时必须改为自己的密码。",
        render_kw={"autocomplete": "off"},
    )


class UserFilterForm(FlaskForm):
    """The filter above the user list (GET, no CSRF)."""

    class Meta:
        csrf = False

    role = SelectField("角色", choices=choices([("", "全部角色"), *Role.choices()]),
                       validate_choice=False)
    q = StringField("搜索", filters=[clean], render_kw={"placeholder": "用户名或姓名"})


EXPIRY_CHOICE_ERROR = "请选择列表中的有效期。"


class TokenCreateForm(FlaskForm):
    name = StringField(
        "令牌名称", filters=[clean],
        validators=[DataRequired("请填写令牌名称，例如用途或对接的系统。"),
                    Length(max=100, message="令牌名称不能超过 100 个字符。")],
        description="例如“联合会官网同步”，便于日后辨认和撤销。",
    )
    expires_in_days = SelectField(
        "有效期",
        choices=choices([("30", "30 天"), ("90", "90 天"), ("365", "一年"),
                         ("0", "长期有效（直到撤销）")]),
        default="90", validate_choice=False,
        validators=[DataRequired(EXPIRY_CHOICE_ERROR), OneOfChoices(EXPIRY_CHOICE_ERROR)],
    )


class ConfirmForm(FlaskForm):
    """A form without fields: the CSRF token of a button that changes something."""
