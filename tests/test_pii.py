"""Personal data: encrypted at rest, searchable by keyed hash, masked for display."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from trainhub.pii import PersonalDataCipher, mask_id_number, mask_phone


def test_masks():
    assert mask_id_number("62010219900101123X") == "6201**********123X"
    assert mask_phone("13812345678") == "138****5678"


def test_cipher_round_trip_and_keyed_hash():
    one = PersonalDataCipher("key-one")
    other = PersonalDataCipher("key-two")
    token = one.encrypt("13812345678")
    assert "13812345678" not in token
    assert one.decrypt(token) == "13812345678"
    assert one.search_hash("13812345678") == one.search_hash("13812345678")
    assert one.search_hash("13812345678") != other.search_hash("13812345678")
    with pytest.raises(RuntimeError, match="DATA_KEY"):
        other.decrypt(token)


def test_learner_personal_data_is_not_stored_in_clear(app):
    from datetime import date

    from trainhub.extensions import db
    from trainhub.geo.models import County
    from trainhub.learners.models import Gender, Learner
    from trainhub.orgs.models import Organisation, OrgKind
    from trainhub.pii import cipher

    with app.app_context():
        db.session.add(County(code="520221", name="水城县", prefecture="六盘水市", province="贵州省",
                              province_code="52", list_version="test"))
        org = Organisation(name="水城县社工站", kind=OrgKind.STATION, county_code="520221")
        learner = Learner(name="张三", gender=Gender.MALE, birth_date=date(1990, 1, 1),
                          organisation=org)
        learner.set_id_number("52022119900101001X", cipher())
        learner.set_phone("13812345678", cipher())
        db.session.add(learner)
        db.session.commit()

        row = db.session.execute(sa.text("SELECT * FROM learner")).mappings().one()
        stored = " ".join(str(value) for value in row.values())
        assert "52022119900101001X" not in stored
        assert "13812345678" not in stored
        assert row["id_number_masked"] == "5202**********001X"
        assert row["phone_masked"] == "138****5678"

        found = db.session.scalar(
            sa.select(Learner).where(Learner.id_number_hash == cipher().search_hash("52022119900101001X"))
        )
        assert found is not None
        assert found.id_number(cipher()) == "52022119900101001X"
        assert found.phone(cipher()) == "13812345678"
