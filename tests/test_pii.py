"""Personal data: encrypted at rest, searchable by keyed hash, masked for display."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from trainhub.pii import (
    DataKeyError,
    PersonalDataCipher,
    check_data_key,
    generate_data_key,
    id_number_of,
    looks_personal,
    mask_id_number,
    mask_phone,
    mobile_of,
    normalize_phone,
)


def test_masks():
    assert mask_id_number("62010219900101123X") == "6201**********123X"
    assert mask_phone("13812345678") == "138****5678"


@pytest.mark.parametrize(("text", "number"), [
    ("52022119900307123X", "52022119900307123X"),
    (" 520221 1990 0307 123x ", "52022119900307123X"),
    ("５２０２２１１９９００３０７１２３Ｘ", "52022119900307123X"),
    ("520221900307123", None),  # the old 15-digit form is no ID number here
    ("5202211990030712", None),
])
def test_one_shape_of_id_numbers(text, number):
    assert id_number_of(text) == number


@pytest.mark.parametrize(("text", "phone"), [
    ("13812345678", "13812345678"),
    ("+86 138-1234-5678", "13812345678"),
    ("0086 13812345678", "13812345678"),
    ("１３８１２３４５６７８", "13812345678"),
    ("（138）1234 5678", "13812345678"),
    ("12812345678", None),  # no mobile number starts 12
    ("1381234567", None),
])
def test_one_shape_of_mobile_numbers(text, phone):
    assert mobile_of(text) == phone
    assert normalize_phone(text).isdigit() or phone is None


@pytest.mark.parametrize("text", ["52022119900307123X", "13812345678", "520221900307123",
                                  "520221-19900307-123X", "86 138 1234 5678", "12812345678"])
def test_looks_personal(text):
    assert looks_personal(text)


@pytest.mark.parametrize("text", ["", None, "张明", "xy000012", "1381234", "水城区 2023"])
def test_does_not_look_personal(text):
    assert not looks_personal(text)


@pytest.mark.parametrize("key", [
    "",
    "changeme",
    "correct horse battery staple, a long passphrase",
    "dGVzdA==",  # 4 bytes
    "dGVzdC1vbmx5LWRhdGEta2V5LWZvci10cmFpbmh1Yi0",  # padding missing
    "dGVzdC1vbmx5LWRhdGEta2V5LWZvci10cmFpbmh1Yi0=x",
    "dGVzdC1vbmx5LWRhdGEta2V5LWZvci10cmFpbmh1Yi0+",  # not the url-safe alphabet
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",  # 32 zero bytes
    "YWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWI=",  # "abab…": patterned
])
def test_malformed_data_keys_are_refused(key):
    with pytest.raises(DataKeyError) as caught:
        check_data_key(key)
    message = str(caught.value)
    assert "TRAINHUB_DATA_KEY" in message and "trainhub rotate-data-key --generate" in message
    assert "密钥" in message  # Chinese first, then English
    with pytest.raises(DataKeyError):
        PersonalDataCipher(key)


def test_generated_keys_are_well_formed():
    keys = {generate_data_key() for _ in range(20)}
    assert len(keys) == 20
    assert all(check_data_key(key) == key for key in keys)


def test_old_keys_read_and_the_current_key_writes():
    old, new = generate_data_key(), generate_data_key()
    before = PersonalDataCipher(old)
    during = PersonalDataCipher(new, [old])
    token = before.encrypt("13812345678")
    assert during.decrypt(token) == "13812345678"
    with pytest.raises(RuntimeError):
        before.decrypt(during.encrypt("13812345678"))  # written with the new key
    assert during.search_hash("13812345678") != before.search_hash("13812345678")
    assert during.search_hashes("13812345678") == [during.search_hash("13812345678"),
                                                    before.search_hash("13812345678")]


def test_cipher_round_trip_and_keyed_hash():
    one = PersonalDataCipher(generate_data_key())
    other = PersonalDataCipher(generate_data_key())
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
        assert "1990-01-01" not in stored and "*" not in stored  # no birth date, no masks
        assert row["birth_year"] == 1990
        assert learner.id_number_masked == "5202**********001X"  # derived when shown
        assert learner.phone_masked == "138****5678"
        assert learner.birth_date == date(1990, 1, 1)

        found = db.session.scalar(
            sa.select(Learner).where(Learner.id_number_hash == cipher().search_hash("52022119900101001X"))
        )
        assert found is not None
        assert found.id_number(cipher()) == "52022119900101001X"
        assert found.phone(cipher()) == "13812345678"
