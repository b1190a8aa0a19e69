"""Trainee accounts: temporary passwords, one-time activation links (printable list, the
public activation page and its refusals), signing in with a mobile number."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from trainhub.accounts.models import ActivationLink, Role, User
from trainhub.db import utcnow
from trainhub.extensions import db

NEW_PASSWORD = "Wode-mima-2023"
LINK_RE = re.compile(r"http://localhost/activate/([A-Za-z0-9_\-]+)")


def page(response) -> str:
    return response.get_data(as_text=True)


def links_in(response) -> list[str]:
    assert response.status_code == 200, page(response)
    return LINK_RE.findall(page(response))


@pytest.fixture
def account(app):
    """Read a trainee account's state by user name."""

    def read(username: str) -> User:
        with app.app_context():
            user = db.session.scalar(sa.select(User).where(User.username == username))
            db.session.expunge(user)
            return user

    return read


def sign_out(client):
    client.post("/logout")


def sign_in(client, username, password=NEW_PASSWORD):
    return client.post("/login", data={"username": username, "password": password})


# no password until the office acts -------------------------------------------------------------


def test_new_accounts_have_no_password_and_nothing_derived_from_the_id(client, world, account):
    user = account(world.zhang.username)
    assert user.password_hash is None and user.must_change_password
    for guess in (world.zhang.id_number[-6:], world.zhang.id_number[-8:], world.zhang.id_number,
                  "12345678", world.zhang.phone):
        response = sign_in(client, world.zhang.username, guess)
        assert response.status_code == 400
        assert "用户名或密码不正确。" in page(response)


# temporary password ----------------------------------------------------------------------------


def test_temporary_password_is_shown_once_and_must_be_replaced(client, world, login, account,
                                                               audit_entries):
    login(Role.COORDINATOR, scope_code="52")
    response = client.post(f"/learners/{world.li.id}/temporary-password")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    password = re.search(r'id="temporary-password">([^<]+)<', page(response)).group(1)
    assert password not in world.li.id_number and world.li.id_number[-6:] not in password
    assert account(world.li.username).must_change_password
    assert audit_entries("user.set_password")[-1][1] == {"temporary": True}
    assert password not in repr(audit_entries("user.set_password"))

    sign_out(client)
    response = sign_in(client, world.li.username, password)
    assert response.status_code == 302 and response.headers["Location"] == "/account/password"
    # anything else sends the trainee back to choose a password
    assert client.get("/me").headers["Location"] == "/account/password"
    response = client.post("/account/password", data={
        "current_password": password, "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD,
    })
    assert response.status_code == 302
    assert client.get("/me").status_code == 200
    assert not account(world.li.username).must_change_password


def test_temporary_password_for_a_disabled_account_is_refused(app, client, world, login, account):
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == world.li.username))
        user.is_enabled = False
        db.session.commit()
    login(Role.OFFICE)
    response = client.post(f"/learners/{world.li.id}/temporary-password", follow_redirects=True)
    assert "账号已被停用" in page(response)
    assert account(world.li.username).password_hash is None


def test_only_the_office_resets_an_account_the_trainee_already_uses(app, client, world, login,
                                                                    account):
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == world.li.username))
        user.set_password(NEW_PASSWORD)
        user.must_change_password = False
        db.session.commit()
    before = account(world.li.username).password_hash
    login(Role.COORDINATOR, scope_code="52")
    response = client.post(f"/learners/{world.li.id}/temporary-password", follow_redirects=True)
    assert "如需重置密码，请联系项目办" in page(response)
    assert account(world.li.username).password_hash == before
    sign_out(client)

    login(Role.OFFICE)
    response = client.post(f"/learners/{world.li.id}/temporary-password")
    assert response.status_code == 200
    assert account(world.li.username).password_hash != before
    assert account(world.li.username).must_change_password


# activation links ------------------------------------------------------------------------------


def test_one_link_from_the_learner_page(client, world, login, audit_entries):
    login(Role.OFFICE)
    response = client.post(f"/learners/{world.zhang.id}/activation-link")
    links = links_in(response)
    assert len(links) == 1
    text = page(response)
    assert "张明" in text and world.zhang.username in text and "水城区阳光社会工作服务中心" in text
    assert response.headers["Cache-Control"] == "no-store"
    assert "@media print" in text
    assert world.zhang.id_number not in text and world.zhang.phone not in text
    assert links[0] not in repr(audit_entries("user.activation_link"))


def test_links_for_every_not_activated_learner_of_a_filter(app, client, world, login):
    login(Role.OFFICE)
    response = client.post("/learners/activation-links", data={"province": "52"})
    assert len(links_in(response)) == 2
    text = page(response)
    assert "张明" in text and "李芳" in text and "阿依" not in text
    with app.app_context():
        rows = db.session.scalars(sa.select(ActivationLink)).all()
        assert len(rows) == 2
        # stored hashed, valid for 14 days
        for row in rows:
            assert len(row.token_hash) == 64
            assert timedelta(days=13, hours=23) < row.expires_at - row.created_at <= timedelta(days=14)


def test_links_for_ticked_learners(client, world, login):
    login(Role.OFFICE)
    response = client.post("/learners/activation-links",
                           data={"selection": "1", "learner_id": [str(world.ayi.id)]})
    assert len(links_in(response)) == 1
    assert "阿依" in page(response) and "张明" not in page(response)


def test_ticking_nothing_does_not_mean_everyone(app, client, world, login):
    login(Role.OFFICE)
    response = client.post("/learners/activation-links", data={"selection": "1"}, follow_redirects=True)
    assert "请先在名册中勾选学员。" in page(response)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ActivationLink)) == 0


@pytest.mark.parametrize("ticked", [["1; DROP"], [None, "-1"], ["1", "x"], ["9" * 30]],
                         ids=["injection", "valid-and-negative", "one-bad-of-two", "huge"])
def test_tampered_selection_is_refused(client, world, login, database_rows, ticked):
    login(Role.OFFICE)
    ticked = [str(world.zhang.id) if value is None else value for value in ticked]
    before = database_rows()
    response = client.post("/learners/activation-links",
                           data={"selection": "1", "learner_id": ticked}, follow_redirects=True)
    text = page(response)
    assert "所选学员无效，请刷新页面后重新勾选。" in text
    assert not LINK_RE.findall(text)
    assert database_rows() == before  # no link, no account, no audit entry


def test_coordinator_cannot_produce_links_outside_their_area(client, world, login):
    login(Role.COORDINATOR, scope_code="520204")
    response = client.post("/learners/activation-links",
                           data={"selection": "1", "learner_id": [str(world.ayi.id), str(world.li.id)]},
                           follow_redirects=True)
    assert "没有需要生成激活链接的学员" in page(response)
    response = client.post("/learners/activation-links", data={})
    assert len(links_in(response)) == 1 and "张明" in page(response)


def test_batch_size_is_limited(client, world, login, monkeypatch):
    monkeypatch.setattr("trainhub.learners.trainee_accounts.MAX_LINKS_PER_BATCH", 2)
    login(Role.OFFICE)
    response = client.post("/learners/activation-links", data={})
    assert response.status_code == 400
    assert "一次最多为 2 名学员生成激活链接（当前 3 名）" in page(response)
    assert not LINK_RE.findall(page(response))


def test_activated_learners_get_no_link(app, client, world, login):
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == world.zhang.username))
        user.set_password(NEW_PASSWORD)
        user.must_change_password = False
        db.session.commit()
    login(Role.OFFICE)
    response = client.post("/learners/activation-links", data={})
    text = page(response)
    assert len(links_in(response)) == 2 and "张明" not in text
    response = client.post(f"/learners/{world.zhang.id}/activation-link", follow_redirects=True)
    assert "不需要激活链接" in page(response)


def test_activation_page_sets_the_password_once(client, world, login, account, audit_entries):
    login(Role.OFFICE)
    token = links_in(client.post(f"/learners/{world.li.id}/activation-link"))[0]
    sign_out(client)

    response = client.get(f"/activate/{token}")
    assert response.status_code == 200
    text = page(response)
    assert "李芳" in text and world.li.username in text and 'name="new_password"' in text
    assert response.headers["Referrer-Policy"] == "no-referrer"

    response = client.post(f"/activate/{token}", data={"new_password": NEW_PASSWORD,
                                                       "confirm_password": NEW_PASSWORD})
    assert response.status_code == 302
    user = account(world.li.username)
    assert user.password_hash is not None and not user.must_change_password
    assert client.get("/me").status_code == 200  # signed in, no password change demanded
    assert audit_entries("user.activate")[-1][0] == str(user.id)

    sign_out(client)
    again = client.get(f"/activate/{token}")
    assert again.status_code == 410
    assert "该激活链接已经使用过，不能再次使用。" in page(again)
    again = client.post(f"/activate/{token}", data={"new_password": "Bieren-2023x",
                                                    "confirm_password": "Bieren-2023x"})
    assert again.status_code == 410
    assert sign_in(client, world.li.username, "Bieren-2023x").status_code == 400
    assert sign_in(client, world.li.username).status_code == 302


@pytest.mark.parametrize(
    ("password", "confirm", "message"),
    [
        ("", "", "请输入密码。"),
        ("short1", "short1", "密码至少需要 8 个字符。"),
        ("12345678901", "12345678901", "密码不能只由数字或只由字母组成。"),
        (NEW_PASSWORD, "Wode-mima-2024", "两次输入的密码不一致。"),
    ],
)
def test_bad_passwords_keep_the_link_usable(client, world, login, account, password, confirm, message):
    login(Role.OFFICE)
    token = links_in(client.post(f"/learners/{world.li.id}/activation-link"))[0]
    sign_out(client)
    response = client.post(f"/activate/{token}", data={"new_password": password,
                                                       "confirm_password": confirm})
    assert response.status_code == 400
    assert message in page(response)
    assert account(world.li.username).password_hash is None
    assert client.get(f"/activate/{token}").status_code == 200


def test_password_equal_to_the_user_name_is_refused(client, world, login, account, database_rows):
    login(Role.OFFICE)
    token = links_in(client.post(f"/learners/{world.li.id}/activation-link"))[0]
    sign_out(client)
    before = database_rows()
    response = client.post(f"/activate/{token}", data={"new_password": world.li.username,
                                                       "confirm_password": world.li.username})
    assert response.status_code == 400
    assert "密码不能与用户名相同。" in page(response)
    assert database_rows() == before  # no password, the link unused, nobody signed in
    assert account(world.li.username).password_hash is None
    assert client.get("/me").status_code == 302
    assert client.get(f"/activate/{token}").status_code == 200  # the link still works


def test_unknown_token(client, world):
    response = client.get("/activate/not-a-real-token")
    assert response.status_code == 404
    assert "无法识别该激活链接" in page(response)


def test_expired_link(app, client, world, login):
    login(Role.OFFICE)
    token = links_in(client.post(f"/learners/{world.li.id}/activation-link"))[0]
    sign_out(client)
    with app.app_context():
        link = db.session.scalar(sa.select(ActivationLink))
        link.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    response = client.get(f"/activate/{token}")
    assert response.status_code == 410
    assert "该激活链接已过期" in page(response)


def test_a_newer_link_replaces_the_older_one(client, world, login):
    login(Role.OFFICE)
    first = links_in(client.post(f"/learners/{world.li.id}/activation-link"))[0]
    second = links_in(client.post(f"/learners/{world.li.id}/activation-link"))[0]
    assert first != second
    sign_out(client)
    assert client.get(f"/activate/{first}").status_code == 410
    assert client.get(f"/activate/{second}").status_code == 200


def test_link_of_a_disabled_account(app, client, world, login):
    login(Role.OFFICE)
    token = links_in(client.post(f"/learners/{world.li.id}/activation-link"))[0]
    sign_out(client)
    with app.app_context():
        db.session.scalar(sa.select(User).where(User.username == world.li.username)).is_enabled = False
        db.session.commit()
    response = client.get(f"/activate/{token}")
    assert response.status_code == 410 and "该账号已被停用" in page(response)


def test_link_after_the_trainee_set_their_own_password(app, client, world, login):
    login(Role.OFFICE)
    token = links_in(client.post(f"/learners/{world.li.id}/activation-link"))[0]
    sign_out(client)
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == world.li.username))
        user.set_password(NEW_PASSWORD)
        user.must_change_password = False
        db.session.commit()
    response = client.post(f"/activate/{token}", data={"new_password": "Bieren-2023x",
                                                       "confirm_password": "Bieren-2023x"})
    assert response.status_code == 410
    assert "激活链接不再有效" in page(response)
    assert sign_in(client, world.li.username).status_code == 302


def test_signed_in_visitor_is_asked_to_sign_out(client, world, login):
    login(Role.OFFICE)
    token = links_in(client.post(f"/learners/{world.li.id}/activation-link"))[0]
    response = client.get(f"/activate/{token}")
    assert response.status_code == 409
    assert "请先退出登录" in page(response)
    sign_out(client)
    assert client.get(f"/activate/{token}").status_code == 200  # not spent


# signing in with a mobile number ---------------------------------------------------------------


@pytest.fixture
def activated(app, world):
    from trainhub.accounts.operations import set_password

    with app.app_context():
        for person in world.people:
            user = db.session.scalar(sa.select(User).where(User.username == person.username))
            set_password(user, NEW_PASSWORD)
        db.session.commit()


def test_sign_in_with_the_mobile_number(client, world, activated):
    response = sign_in(client, "138 1234 5678")
    assert response.status_code == 302
    text = page(client.get("/me"))
    assert "张明" in text


def test_wrong_password_with_a_mobile_number_gives_the_usual_answer(client, world, activated,
                                                                    audit_entries):
    response = sign_in(client, world.zhang.phone, "Wrong-pass-1")
    assert response.status_code == 400
    assert "用户名或密码不正确。" in page(response)
    response = sign_in(client, "13000000000", NEW_PASSWORD)  # nobody's number
    assert "用户名或密码不正确。" in page(response)
    failures = audit_entries("user.login_failed")
    assert failures[0][1] == {"username": world.zhang.username, "reason": "wrong_password"}
    assert failures[1][1] == {"username": "130****0000", "reason": "unknown_user"}
    assert "13000000000" not in repr(failures)


def test_an_id_number_typed_as_user_name_is_masked_in_the_audit(client, world, audit_entries):
    sign_in(client, world.zhang.id_number, "Whatever-1")
    detail = audit_entries("user.login_failed")[-1][1]
    assert world.zhang.id_number not in repr(detail)
    # not even masked: its first and last four characters would narrow the number down
    assert world.zhang.id_number[:4] not in repr(detail)
    assert world.zhang.id_number[-4:] not in repr(detail)
    assert detail["username"] == "（疑似身份证号码，已隐去）"


def test_a_mobile_number_shared_by_two_trainees(app, client, world, activated):
    from trainhub.learners.models import Learner
    from trainhub.pii import cipher

    with app.app_context():
        li = db.session.get(Learner, world.li.id)
        li.set_phone(world.zhang.phone, cipher())
        li.user.set_password("Lifang-2023x")
        db.session.commit()
    assert sign_in(client, world.zhang.phone, "Lifang-2023x").status_code == 302
    assert "李芳" in page(client.get("/me"))
    sign_out(client)
    assert sign_in(client, world.zhang.phone, NEW_PASSWORD).status_code == 302
    assert "张明" in page(client.get("/me"))


def test_staff_are_not_found_by_a_learner_phone(app, client, world, make_user):
    from trainhub.learners.models import Learner

    office = make_user(Role.OFFICE, password=NEW_PASSWORD)
    with app.app_context():
        # a learner record wrongly linked to a staff account does not open it by phone
        learner = db.session.get(Learner, world.ayi.id)
        learner.user_id = office.id
        db.session.commit()
    response = sign_in(client, world.ayi.phone)
    assert response.status_code == 400 and "用户名或密码不正确。" in page(response)


def test_mobile_number_and_user_name_share_the_throttle(make_app, world, activated):
    client = make_app(LOGIN_LIMIT_USER="3 per hour").test_client()

    def attempt(name, password, address):
        return client.post("/login", data={"username": name, "password": password},
                           environ_base={"REMOTE_ADDR": address})

    # each attempt from another address: only the limit per account can stop them
    assert attempt(world.zhang.phone, "Wrong-pass-1", "10.0.0.1").status_code == 400
    assert attempt(world.zhang.username, "Wrong-pass-1", "10.0.0.2").status_code == 400
    assert attempt("138-1234-5678", "Wrong-pass-1", "10.0.0.3").status_code == 400
    response = attempt(world.zhang.username, NEW_PASSWORD, "10.0.0.4")
    assert response.status_code == 429
    assert "登录失败次数过多" in page(response)
    # another trainee's account is not affected
    assert attempt(world.li.phone, NEW_PASSWORD, "10.0.0.5").status_code == 302
