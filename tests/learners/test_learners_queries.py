"""Learner reads: search recognised by shape and matched through the keyed hash, filters,
area scope, account status, the masked export frame."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from trainhub.accounts.models import Role, User
from trainhub.extensions import db
from trainhub.learners import queries
from trainhub.learners.models import Learner, Qualification
from trainhub.learners.queries import AccountStatus, LearnerFilters
from trainhub.learners.search import parse_search
from trainhub.pii import looks_personal


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("52022119900307123X", "id_number"),
        (" 520221 1990 0307 123x ", "id_number"),
        ("１３８１２３４５６７８", "phone"),
        ("+86 138-1234-5678", "phone"),
        ("xy000012", "username"),
        ("张明", "name"),
        ("1381234", "name"),  # a part of a number is no personal search
        ("", None),
    ],
)
def test_search_is_recognised_by_shape(app, text, kind):
    with app.app_context():
        search = parse_search(text)
    assert (search.kind if search else None) == kind
    assert looks_personal(text) == (kind in ("id_number", "phone"))


def _names(app, user, **filters) -> list[str]:
    with app.app_context():
        stmt = queries.learner_list_stmt(user, LearnerFilters(**filters))
        return [learner.name for learner in db.session.scalars(stmt).unique()]


@pytest.fixture
def users(app, world, make_user):
    return {
        "office": make_user(Role.OFFICE),
        "guizhou": make_user(Role.COORDINATOR, scope_code="52"),
        "shuicheng": make_user(Role.COORDINATOR, scope_code="520204"),
        "trainee": make_user(Role.TRAINEE),
    }


def test_scope(app, world, users):
    assert sorted(_names(app, users["office"])) == sorted(["张明", "李芳", "阿依"])
    assert sorted(_names(app, users["guizhou"])) == sorted(["张明", "李芳"])
    assert _names(app, users["shuicheng"]) == ["张明"]
    assert _names(app, users["trainee"]) == []


def test_search_by_full_id_and_phone_goes_through_the_hash(app, world, users):
    office = users["office"]
    assert _names(app, office, q=world.zhang.id_number) == ["张明"]
    assert _names(app, office, q=world.zhang.id_number.lower()) == ["张明"]
    assert _names(app, office, q=world.li.phone) == ["李芳"]
    assert _names(app, office, q="138 1234 5678") == ["张明"]
    assert _names(app, office, q=world.ayi.username.upper()) == ["阿依"]
    assert _names(app, office, q="李") == ["李芳"]
    # partial numbers find nothing: no comparison with ciphertext or masks
    assert _names(app, office, q=world.zhang.id_number[:10]) == []
    assert _names(app, office, q="5678") == []
    # a coordinator's search stays in their area
    assert _names(app, users["shuicheng"], q=world.li.phone) == []


def test_filters(app, world, users):
    office = users["office"]
    assert _names(app, office, organisation_id=world.zhengan) == ["李芳"]
    assert _names(app, office, county_code="513431") == ["阿依"]
    assert sorted(_names(app, office, province_code="52")) == sorted(["张明", "李芳"])
    assert _names(app, office, qualification=Qualification.ASSISTANT) == ["李芳"]
    assert _names(app, office, activated=True) == []
    assert len(_names(app, office, activated=False)) == 3


def test_account_status_and_activated_filter_agree(app, world, users):
    with app.app_context():
        zhang = db.session.get(Learner, world.zhang.id)
        li = db.session.get(Learner, world.li.id)
        ayi = db.session.get(Learner, world.ayi.id)
        assert queries.account_status(zhang) == AccountStatus.NOT_ACTIVATED
        zhang.user.set_password("Ziji-mima-2023")
        zhang.user.must_change_password = False
        li.user.set_password("Linshi-2023x")  # temporary: must_change_password stays True
        ayi.user.is_enabled = False
        db.session.commit()
        assert queries.account_status(zhang) == AccountStatus.ACTIVE
        assert queries.account_status(li) == AccountStatus.TEMPORARY
        assert queries.account_status(ayi) == AccountStatus.DISABLED
        ayi.user_id = None
        db.session.flush()
        db.session.refresh(ayi)
        assert queries.account_status(ayi) == AccountStatus.NO_ACCOUNT
        db.session.rollback()
    assert _names(app, users["office"], activated=True) == ["张明"]
    assert sorted(_names(app, users["office"], activated=False)) == sorted(["李芳", "阿依"])


def test_get_learner_respects_the_area(app, world, users):
    with app.app_context():
        assert queries.get_learner(users["guizhou"], world.li.id) is not None
        assert queries.get_learner(users["guizhou"], world.ayi.id) is None
        assert queries.get_learner(users["shuicheng"], world.li.id) is None
        assert queries.get_learner(users["trainee"], world.zhang.id) is None


def test_learner_of_user(app, world):
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == world.li.username))
        assert queries.learner_of_user(user).name == "李芳"


def test_export_frame_is_masked(app, world, users):
    with app.app_context():
        frame = queries.export_frame(users["office"], LearnerFilters())
    assert list(frame.columns) == list(queries.EXPORT_COLUMNS)
    assert len(frame) == 3
    text = frame.to_csv()
    for person in world.people:
        assert person.id_number not in text and person.phone not in text
    row = frame[frame["姓名"] == "张明"].iloc[0]
    assert row["身份证号码（脱敏）"] == world.zhang.id_number[:4] + "*" * 10 + world.zhang.id_number[-4:]
    assert row["手机号码（脱敏）"] == "138****5678"
    assert row["县区"] == "水城区" and row["省份"] == "贵州省"
    assert row["账号状态"] == "未激活" and row["用户名"] == world.zhang.username
