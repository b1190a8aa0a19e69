"""``trainhub rotate-data-key``: several keys readable while one writes; every encrypted value
and keyed hash rewritten under the current key, all or nothing."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from trainhub.auth import Role
from trainhub.extensions import db
from trainhub.learners.idcard import check_character
from trainhub.pii import PersonalDataCipher, UndecryptableError, generate_data_key

NEW_KEY = generate_data_key()


def _number(division: str, birth: str, sequence: str) -> str:
    first17 = f"{division}{birth}{sequence}"
    return first17 + check_character(first17)


PEOPLE = [  # (id number, phone)
    (_number("520204", "19900307", "123"), "13812345678"),
    (_number("520204", "19881112", "024"), None),
    (_number("520204", "19950520", "017"), "15011112222"),
]


@pytest.fixture
def registered(app):
    """Three learners and an organisation with a contact phone, under the test's key."""
    from trainhub.geo.models import County
    from trainhub.learners.operations import create_learner
    from trainhub.learners.validation import check_learner_fields
    from trainhub.orgs.operations import create_organisation

    with app.app_context():
        db.session.add(County(code="520204", name="水城区", prefecture="六盘水市", province="贵州省",
                              province_code="52", list_version="t"))
        org = create_organisation(name="水城区社工站", kind="station", county_code="520204",
                                  contact_phone="13900001111")
        for index, (number, phone) in enumerate(PEOPLE):  # the import may leave phones out
            fields, errors = check_learner_fields(
                {"name": f"学员{'甲乙丙'[index]}", "id_number": number, "phone": phone},
                phone_required=False)
            assert not errors
            create_learner(fields, org, actor=None)
        db.session.commit()


def _stored(app) -> dict:
    """Every encrypted value and keyed hash as stored (what a rotation rewrites)."""
    with app.app_context():
        rows = db.session.execute(sa.text(
            "SELECT id, birth_date_enc, id_number_enc, id_number_hash, phone_enc, phone_hash "
            "FROM learner ORDER BY id")).all()
        orgs = db.session.execute(sa.text("SELECT id, contact_phone_enc FROM organisation")).all()
        return {"learners": [tuple(row) for row in rows], "orgs": [tuple(row) for row in orgs]}


def _readable(some_app) -> list[tuple]:
    from trainhub.learners.models import Learner
    from trainhub.learners.search import learner_by_id_number
    from trainhub.orgs.models import Organisation
    from trainhub.pii import cipher

    with some_app.app_context():
        found = []
        for learner in db.session.scalars(sa.select(Learner).order_by(Learner.id)):
            number = learner.id_number(cipher())
            found.append((number, learner.phone(cipher()), learner.birth_date,
                          learner_by_id_number(number).id == learner.id))
        found.append(db.session.scalar(sa.select(Organisation)).contact_phone)
        db.session.remove()
        return found


EXPECTED = [(number, phone, date(int(number[6:10]), int(number[10:12]), int(number[12:14])), True)
            for number, phone in PEOPLE] + ["13900001111"]


def test_old_and_new_key_read_together_and_the_rotation_moves_everything(app, make_app,
                                                                          registered, api_headers):
    old_key = app.config["DATA_KEY"]
    during = make_app(DATA_KEY=NEW_KEY, OLD_DATA_KEYS=[old_key])
    assert _readable(during) == EXPECTED  # read with the old key, found through old hashes

    # while rotating, a second registration of the same person is still refused
    from trainhub.learners.operations import LearnerConflict, register_learner

    with during.app_context(), pytest.raises(LearnerConflict):
        register_learner(actor=None, organisation_id=1, name="重复", id_number=PEOPLE[0][0],
                         phone="13700001111")

    before = _stored(app)
    result = during.test_cli_runner().invoke(args=["rotate-data-key", "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    assert "已用当前密钥重新加密 9 个值，重算 5 个检索值" in result.output
    after = _stored(app)
    for old_row, new_row in zip(before["learners"], after["learners"], strict=True):
        assert all(new != old for old, new in zip(old_row[1:], new_row[1:], strict=True)
                   if old is not None)
    assert before["orgs"] != after["orgs"]

    only_new = make_app(DATA_KEY=NEW_KEY, OLD_DATA_KEYS=[])
    assert _readable(only_new) == EXPECTED  # the old key can go
    with app.app_context():  # and it no longer opens anything
        from trainhub.learners.models import Learner
        from trainhub.pii import cipher

        with pytest.raises(UndecryptableError):
            db.session.scalar(sa.select(Learner)).id_number(cipher())


def test_rotation_without_the_old_key_is_refused_and_changes_nothing(app, make_app, registered):
    before = _stored(app)
    forgetful = make_app(DATA_KEY=NEW_KEY, OLD_DATA_KEYS=[])
    result = forgetful.test_cli_runner().invoke(args=["rotate-data-key"])
    assert result.exit_code == 1
    assert "无法用任何已配置的密钥解密" in result.output and "TRAINHUB_OLD_DATA_KEYS" in result.output
    assert _stored(app) == before
    assert _readable(app) == EXPECTED


def test_an_interrupted_rotation_changes_nothing(app, make_app, registered, monkeypatch):
    before = _stored(app)
    during = make_app(DATA_KEY=NEW_KEY, OLD_DATA_KEYS=[app.config["DATA_KEY"]])
    calls = {"n": 0}
    encrypt = PersonalDataCipher.encrypt

    def failing(self, value):
        calls["n"] += 1
        if calls["n"] > 5:  # the second batch: the first has been written already
            raise KeyboardInterrupt
        return encrypt(self, value)

    monkeypatch.setattr(PersonalDataCipher, "encrypt", failing)
    result = during.test_cli_runner().invoke(args=["rotate-data-key", "--batch-size", "1"])
    assert result.exit_code != 0 and calls["n"] == 6
    monkeypatch.undo()
    assert _stored(app) == before
    assert _readable(app) == EXPECTED
    # and it can simply be run again
    assert during.test_cli_runner().invoke(args=["rotate-data-key"]).exit_code == 0
    assert _readable(make_app(DATA_KEY=NEW_KEY, OLD_DATA_KEYS=[])) == EXPECTED


def test_a_person_registered_twice_under_two_keys_stops_the_rotation(app, make_app, registered):
    """A duplicate slipped in under the new key (written straight into the table): the
    rotation names the conflict instead of half-finishing."""
    old_key = app.config["DATA_KEY"]
    during = make_app(DATA_KEY=NEW_KEY, OLD_DATA_KEYS=[old_key])
    with during.app_context():
        from trainhub.learners.models import Learner
        from trainhub.pii import cipher

        twin = Learner(name="重复", gender=db.session.scalar(sa.select(Learner)).gender,
                       birth_date=date(1990, 3, 7), organisation_id=1)
        twin.set_id_number(PEOPLE[0][0], cipher())  # the new key's hash: no unique clash yet
        db.session.add(twin)
        db.session.commit()
    before = _stored(app)
    result = during.test_cli_runner().invoke(args=["rotate-data-key"])
    assert result.exit_code == 1 and "同一身份证号码被登记了两次" in result.output
    assert _stored(app) == before


def test_generate_prints_a_key_and_changes_nothing(app, registered):
    from trainhub.pii import check_data_key

    before = _stored(app)
    result = app.test_cli_runner().invoke(args=["rotate-data-key", "--generate"])
    assert result.exit_code == 0
    key = result.output.strip()
    assert check_data_key(key) == key and key != app.config["DATA_KEY"]
    assert _stored(app) == before


def test_only_the_operator_rotates(client, login, registered):
    """There is no web or API way to rotate the key."""
    login(Role.OFFICE)
    assert client.post("/rotate-data-key").status_code == 404
