"""Organisation writes: the credit-code check, normalisation, refusals, audit."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from trainhub.audit.models import AuditEntry
from trainhub.extensions import db
from trainhub.orgs.models import OrgKind
from trainhub.orgs.operations import (
    OrgConflict,
    OrgError,
    create_organisation,
    credit_code_problem,
    normalise_contact_phone,
    update_organisation,
)


@pytest.mark.parametrize(
    "code",
    # published codes of real registrants: their check characters are right
    ["91350100M000100Y43", "9144030071526726XG", "91330100716105852F", "91110000802100433B"],
)
def test_real_credit_codes_pass(code):
    assert credit_code_problem(code) is None


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("91350100M000100Y44", "校验位不正确"),
        ("91350100M000100Y4", "应为 18 位"),
        ("91350100M000100I43", "不允许的字符：I"),
        ("913501A0M000100Y43", "第 3–8 位"),
    ],
)
def test_bad_credit_codes_are_explained(code, expected):
    assert expected in credit_code_problem(code)


def test_create_normalises_and_audits(app, reference_data):
    with app.app_context():
        org = create_organisation(name=" 水城区  社工站 ", kind="station", county_code="520204",
                                  credit_code=None, address="  ", contact_name="")
        db.session.commit()
        assert org.name == "水城区 社工站"
        assert org.kind == OrgKind.STATION
        assert org.address is None and org.contact_name is None
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "organisation.create"))
        assert entry.detail == {"name": "水城区 社工站", "kind": "station", "county_code": "520204"}


def test_refusals_name_the_field(app, reference_data):
    with app.app_context():
        with pytest.raises(OrgError) as info:
            create_organisation(name="某某机构", kind="agency", county_code="520204",
                                address="地" * 201)
        assert info.value.field == "address"
        org = create_organisation(name="甲机构", kind="agency", county_code="520204")
        create_organisation(name="乙机构", kind="agency", county_code="520204",
                            credit_code="91350100M000100Y43")
        with pytest.raises(OrgConflict) as info:
            update_organisation(org, {"name": "乙机构"})
        assert info.value.field == "name"
        with pytest.raises(OrgConflict) as info:
            update_organisation(org, {"credit_code": "91350100m000100y43"})
        assert info.value.field == "credit_code"
        with pytest.raises(OrgError) as info:
            update_organisation(org, {"founded": "2020"})
        assert info.value.field == "founded"
        assert org.name == "甲机构" and org.credit_code is None


def test_every_refusal_is_reported_at_once(app, reference_data):
    with app.app_context():
        with pytest.raises(OrgError) as info:
            create_organisation(name="甲", kind="school", county_code="5202",
                                credit_code="91350100M000100Y44", contact_phone="12345",
                                contact_name="王", address="地" * 201)
        assert set(info.value.errors) == {"name", "kind", "county_code", "credit_code",
                                          "contact_phone", "contact_name", "address"}
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "organisation.create")) == 0


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("138 1234 5678", "13812345678"),
        ("+86 138-1234-5678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
        ("0858-8221234", "0858-8221234"),
        ("(0858) 8221234", "0858-8221234"),
        ("085 88221234", "0858-8221234"),
        ("010-12345678", "010-12345678"),
        ("0858-8221234-12", "0858-8221234-12"),
        ("0858-8221234转12", "0858-8221234-12"),
    ],
)
def test_contact_phones_are_mobiles_or_landlines_with_area_code(typed, stored):
    assert normalise_contact_phone(typed) == stored


@pytest.mark.parametrize("typed", ["8221234", "1381234567", "23812345678", "0858-82212",
                                   "0101-2345678", "12345", "电话"])
def test_other_phone_numbers_are_refused(typed):
    with pytest.raises(OrgError) as info:
        normalise_contact_phone(typed)
    assert info.value.field == "contact_phone"


def test_text_is_cleaned_by_the_one_rule(app, reference_data):
    with app.app_context():
        org = create_organisation(name="水城\u202e区\u200b阳光\x07社工\n中心", kind="agency",
                                  county_code="520204", address="  钟山路\t8号 ")
        assert org.name == "水城区阳光 社工 中心"
        assert org.address == "钟山路 8号"
