"""Rules of accounts that every entry point shares: temporary passwords, token expiry,
sign-in by other names through lookups, equal time for accounts without a password."""

from __future__ import annotations

import ast
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from trainhub.accounts import signin
from trainhub.accounts.models import ApiToken, Role, User
from trainhub.accounts.operations import (
    TEMPORARY_PASSWORD_LENGTH,
    AccountError,
    create_token,
    create_user_with_temporary_password,
    password_problem,
)
from trainhub.db import utcnow
from trainhub.extensions import db

PASSWORD = "Shouqian-2023"


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# temporary passwords ---------------------------------------------------------------------------


def test_a_temporary_password_is_generated_when_none_is_given(app, audit_actions):
    with app.app_context():
        user, password = create_user_with_temporary_password(
            "teacher.wang", Role.INSTRUCTOR, temporary_password=None)
        db.session.commit()
        assert len(password) == TEMPORARY_PASSWORD_LENGTH and password_problem(password) is None
        assert user.must_change_password and user.check_password(password)
    assert password not in repr(audit_actions())


def test_a_chosen_temporary_password_is_used(app):
    with app.app_context():
        user, password = create_user_with_temporary_password(
            "teacher.wang", Role.INSTRUCTOR, temporary_password="Linshi-mima-1")
        assert password == "Linshi-mima-1" and user.check_password("Linshi-mima-1")
        assert user.must_change_password


@pytest.mark.parametrize(("chosen", "field"), [("short1", "password"), ("teacher.wang", "password")])
def test_a_bad_temporary_password_is_refused_and_creates_nobody(app, chosen, field):
    with app.app_context():
        with pytest.raises(AccountError) as refused:
            create_user_with_temporary_password("teacher.wang", Role.INSTRUCTOR,
                                                temporary_password=chosen)
        assert refused.value.field == field
        db.session.rollback()
    assert count(app, User) == 0


# token expiry ----------------------------------------------------------------------------------


def test_token_expiry_in_days(app, make_user):
    owner = make_user(Role.INSTRUCTOR, username="teacher1", password=PASSWORD)
    with app.app_context():
        token, _ = create_token(db.session.get(User, owner.id), "考勤机", expires_in_days=30)
        assert timedelta(days=29, hours=23) < token.expires_at - utcnow() <= timedelta(days=30)
        lasting, _ = create_token(db.session.get(User, owner.id), "官网", expires_in_days=None)
        assert lasting.expires_at is None


@pytest.mark.parametrize("days", [0, -3, 3651, True])
def test_bad_token_expiry_is_refused(app, make_user, days):
    owner = make_user(Role.INSTRUCTOR, username="teacher1", password=PASSWORD)
    with app.app_context():
        with pytest.raises(AccountError) as refused:
            create_token(db.session.get(User, owner.id), "考勤机", expires_in_days=days)
        assert refused.value.field == "expires_in_days"
        assert "有效天数应为 1–3650 天" in refused.value.message
        db.session.rollback()
    assert count(app, ApiToken) == 0


def test_tampered_expiry_in_the_web_form_creates_nothing(app, client, login):
    login(Role.OFFICE)
    response = client.post("/account/tokens", data={"name": "官网同步", "expires_in_days": "7"})
    assert response.status_code == 400
    assert "请选择列表中的有效期。" in response.get_data(as_text=True)
    assert count(app, ApiToken) == 0


# signing in ------------------------------------------------------------------------------------


@pytest.fixture
def verifications(monkeypatch):
    """How many argon2 verifications the next sign-ins run."""
    calls = []
    original = PasswordHasher.verify

    def counting(self, hash_, password):
        calls.append(hash_)
        return original(self, hash_, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    return calls


@pytest.mark.parametrize("password", [PASSWORD, None], ids=["with password", "not activated"])
def test_a_refused_sign_in_costs_one_password_check_whatever_the_account(client, make_user,
                                                                         verifications, password):
    make_user(Role.TRAINEE, username="trainee1", password=password)
    response = client.post("/login", data={"username": "trainee1", "password": "Wrong-password-1"})
    assert response.status_code == 400
    assert len(verifications) == 1


def test_another_name_signs_in_through_a_registered_lookup(app, client, make_user, monkeypatch):
    """Features above accounts fill the hook; accounts knows nothing of them."""
    user = make_user(Role.INSTRUCTOR, username="teacher1", password=PASSWORD)

    def by_staff_number(text: str) -> list[User]:
        return [db.session.get(User, user.id)] if text == "T-0042" else []

    monkeypatch.setattr(signin, "login_lookups", [])
    assert signin.login_lookup(by_staff_number) is by_staff_number
    signin.login_lookup(by_staff_number)  # registering twice changes nothing
    assert signin.login_lookups == [by_staff_number]

    response = client.post("/login", data={"username": "T-0042", "password": PASSWORD})
    assert response.status_code == 302
    other = app.test_client()
    response = other.post("/login", data={"username": "T-0043", "password": PASSWORD})
    assert response.status_code == 400


def test_throttle_keys_name_no_one_in_clear(app):
    with app.app_context():
        keys = {signin.throttle_key(name) for name in
                ("Office1", "office1 ", "13812345678", "138 1234 5678", "110101199003070012")}
        assert signin.throttle_key("Office1") == signin.throttle_key(" office1")
        assert signin.throttle_key("13812345678") == signin.throttle_key("+86 138-1234-5678")
    assert len(keys) == 3
    for key in keys:
        assert len(key) == 32 and "office" not in key and "1381234" not in key


def test_accounts_never_imports_the_features_above_it():
    """Trainees sign in with their mobile number through a lookup the learners feature
    registers; accounts itself imports no learner code, not even inside a function."""
    package = Path(__file__).resolve().parents[2] / "trainhub" / "accounts"
    offending = []
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            above = ("trainhub.learners", "trainhub.courses", "trainhub.attendance",
                     "trainhub.certificates", "trainhub.reports", "trainhub.dashboard",
                     "trainhub.imports", "trainhub.demo")
            offending += [f"{path.name}: {name}" for name in names if name.startswith(above)]
    assert offending == []
