"""``trainhub create-user`` and ``trainhub create-token``."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from trainhub.accounts.models import ApiToken, Role, User
from trainhub.extensions import db

PASSWORD = "Shouqian-2023"


def user_count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(User))


@pytest.fixture
def password_file(tmp_path):
    def write(text: str):
        path = tmp_path / "password.txt"
        path.write_text(text, encoding="utf-8")
        return str(path)

    return write


def test_create_user_with_password_file(app, client, runner, password_file, get_user):
    result = runner.invoke(args=[
        "create-user", "--username", "office.li", "--role", "office",
        "--display-name", "李主任", "--password-file", password_file(PASSWORD + "\n"),
    ])

    assert result.exit_code == 0, result.output
    assert "已创建用户 office.li（项目办）" in result.stdout
    user = get_user("office.li")
    assert (user.role, user.display_name, user.must_change_password) == (Role.OFFICE, "李主任", False)
    # the trailing newline is not part of the password
    response = client.post("/login", data={"username": "office.li", "password": PASSWORD})
    assert response.status_code == 302


def test_create_coordinator_with_prompted_password(app, runner, counties, get_user):
    result = runner.invoke(
        args=["create-user", "--username", "coord.gz", "--role", "coordinator", "--scope", "52"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output  # typed, not echoed
    assert get_user("coord.gz").scope_code == "52"


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["--username", "x1", "--role", "office"], f"{PASSWORD}\n{PASSWORD}\n", "用户名应为 3–64 位"),
        (["--username", "office.exists", "--role", "trainee"], "", "已被使用"),
        (["--username", "new.user", "--role", "admin"], "", "Invalid value for '--role'"),
        (["--username", "new.user", "--role", "coordinator"], "", "实施点联络员必须设置负责区域"),
        (["--username", "new.user", "--role", "coordinator", "--scope", "99"], "",
         "区域代码 99 不在行政区划代码表中"),
        (["--username", "new.user", "--role", "coordinator", "--scope", "52A"], "",
         "负责区域应为省级 2 位代码或县级 6 位代码"),
        (["--username", "new.user", "--role", "instructor", "--scope", "52"], "",
         "只有实施点联络员需要设置负责区域"),
        (["--username", "new.user", "--role", "office"], "short1\nshort1\n", "密码至少需要 8 个字符"),
        # a mismatch asks again; here the second pair is cut short by the end of input
        (["--username", "new.user", "--role", "office"], f"{PASSWORD}\nOther-2023\n{PASSWORD}\n",
         "The two entered values do not match."),
        (["--username", "new.user", "--role", "office", "--password-file", "/nonexistent/pw"], "",
         "无法读取密码文件"),
    ],
)
def test_create_user_refuses_bad_input_and_creates_nothing(app, runner, counties, make_user,
                                                           args, stdin, message):
    make_user(Role.OFFICE, username="office.exists", password=PASSWORD)
    before = user_count(app)

    result = runner.invoke(args=["create-user", *args], input=stdin)

    assert result.exit_code != 0
    assert message in result.stderr
    assert user_count(app) == before


def test_create_user_refuses_an_empty_password_file(app, runner, password_file):
    result = runner.invoke(args=["create-user", "--username", "office.li", "--role", "office",
                                 "--password-file", password_file("\nsecond line\n")])
    assert result.exit_code != 0
    assert "第一行是空的" in result.stderr
    assert user_count(app) == 0


def test_create_token_prints_it_once(app, client, runner, make_user):
    make_user(Role.OFFICE, username="office.li", password=PASSWORD)

    result = runner.invoke(args=["create-token", "office.li", "--name", "官网同步"])

    assert result.exit_code == 0, result.output
    secret = result.stdout.strip()
    assert secret.startswith("th_") and "\n" not in secret  # stdout is the token alone
    assert "只显示这一次" in result.stderr
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert response.json["username"] == "office.li"
    with app.app_context():
        token = db.session.scalars(sa.select(ApiToken)).one()
        assert (token.name, token.expires_at) == ("官网同步", None)


def test_create_token_with_expiry(app, runner, make_user):
    make_user(Role.OFFICE, username="office.li", password=PASSWORD)
    result = runner.invoke(args=["create-token", "office.li", "--expires-days", "30"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalars(sa.select(ApiToken)).one().expires_at is not None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nobody"], "用户 nobody 不存在"),
        (["disabled.user"], "已被停用"),
        (["office.li", "--name", ""], "请填写令牌名称"),
        (["office.li", "--expires-days", "0"], "Invalid value for '--expires-days'"),
        (["office.li", "--expires-days", "3651"], "Invalid value for '--expires-days'"),
    ],
)
def test_create_token_refuses_bad_input(app, runner, make_user, args, message):
    make_user(Role.OFFICE, username="office.li", password=PASSWORD)
    disabled = make_user(Role.TRAINEE, username="disabled.user", password=PASSWORD)
    with app.app_context():
        db.session.get(User, disabled.id).is_enabled = False
        db.session.commit()

    result = runner.invoke(args=["create-token", *args])

    assert result.exit_code != 0
    assert message in result.stderr
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0
