"""Command-line commands of accounts: ``trainhub create-user`` and ``trainhub create-token``."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from trainhub.accounts import operations, queries
from trainhub.accounts.models import Role
from trainhub.accounts.operations import AccountError
from trainhub.transaction import after_commit

ROLE_HELP = "、".join(f"{role.value}（{role.label}）" for role in Role)


def _read_password_file(path: str) -> str:
    """The first line of ``path``, without its line break (a trailing newline is not part
    of the password)."""
    try:
        with open(path, encoding="utf-8") as handle:
            line = handle.readline()
    except (OSError, UnicodeDecodeError) as error:
        raise click.ClickException(f"无法读取密码文件 {path}：{error}") from error
    password = line.rstrip("\r\n")
    if not password:
        raise click.ClickException(f"密码文件 {path} 的第一行是空的。")
    return password


@click.command("create-user")
@click.option("--username", required=True, help="登录用的用户名（3–64 位字母、数字或 _ . @ -）。")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]),
              help=f"角色：{ROLE_HELP}。")
@click.option("--scope", "scope_code", default=None,
              help="实施点联络员的负责区域：省级 2 位代码（如 52）或县级 6 位代码（如 520221）。")
@click.option("--display-name", default=None, help="姓名（页面上显示），默认同用户名。")
@click.option("--password-file", type=click.Path(dir_okay=False), default=None,
              help="从文件的第一行读取密码；不给出时在终端中输入（不回显，需确认）。")
@with_appcontext
def create_user_command(username, role, scope_code, display_name, password_file):
    """Create a user account (创建用户账号)."""
    # check what needs no password first, so that a typo does not cost a password prompt
    problem = operations.scope_problem(Role(role), scope_code or None)
    if problem:
        raise click.ClickException(f"--scope: {problem}")
    if queries.user_by_username(username) is not None:
        raise click.ClickException(f"--username: 用户名 {username.strip()} 已被使用。")
    if password_file:
        password = _read_password_file(password_file)
    else:
        password = click.prompt("密码", hide_input=True, confirmation_prompt="再次输入密码",
                                err=True)
    try:
        user = operations.create_user(
            username, Role(role), password=password, display_name=display_name,
            scope_code=scope_code,
        )
    except AccountError as error:
        option = {"scope": "--scope", "password": "密码", "username": "--username"}.get(
            error.field, error.field
        )
        raise click.ClickException(f"{option}: {error.message}") from error
    scope = f"，负责区域 {user.scope_code}" if user.scope_code else ""
    click.echo(f"已创建用户 {user.username}（{user.role.label}{scope}）。")


@click.command("create-token")
@click.argument("username")
@click.option("--name", default="命令行创建", show_default=True, help="令牌名称（用途或对接的系统）。")
@click.option("--expires-days", type=click.IntRange(min=1, max=operations.MAX_TOKEN_DAYS),
              default=None, help="有效天数；不给出时长期有效，直到撤销。")
@with_appcontext
def create_token_command(username, name, expires_days):
    """Create an API token for USERNAME and print it once (创建 API 令牌)."""
    user = queries.user_by_username(username)
    if user is None:
        raise click.ClickException(f"用户 {username} 不存在。")
    if not user.is_enabled:
        raise click.ClickException(f"用户 {user.username} 已被停用，不能为其创建令牌。")
    try:
        token, secret = operations.create_token(user, name, expires_in_days=expires_days)
    except AccountError as error:
        option = {"expires_in_days": "--expires-days"}.get(error.field, f"--{error.field}")
        raise click.ClickException(f"{option}: {error.message}") from error
    message = (f"已为 {user.username} 创建令牌“{token.name}”（编号 {token.id}）。"
               "令牌只显示这一次，请妥善保存：")

    def show() -> None:  # only once it is saved: a printed token always works
        click.echo(message, err=True)
        click.echo(secret)

    after_commit(show)


commands = [create_user_command, create_token_command]
