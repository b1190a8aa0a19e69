"""Fixtures of the learner tests: a few counties in two provinces, an organisation in each,
and three learners with synthetic, valid ID numbers."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from trainhub.extensions import db
from trainhub.learners.idcard import check_character


def make_id(division: str, birth: str, sequence: str) -> str:
    """A valid 18-digit ID number: division code, ``YYYYMMDD``, 3-digit sequence, check."""
    first17 = f"{division}{birth}{sequence}"
    return first17 + check_character(first17)


def with_bad_check_digit(number: str) -> str:
    last = "0" if number[-1] != "0" else "1"
    return number[:-1] + last


@dataclass
class Person:
    id: int
    name: str
    id_number: str
    phone: str
    organisation_id: int
    username: str


@dataclass
class World:
    shuicheng: int  # organisation in 520204 水城区 (贵州)
    zhengan: int  # organisation in 520324 正安县 (贵州)
    zhaojue: int  # organisation in 513431 昭觉县 (四川)
    zhang: Person  # 水城区, male, born 1990-03-07
    li: Person  # 正安县, female
    ayi: Person  # 昭觉县, male

    @property
    def people(self) -> list[Person]:
        return [self.zhang, self.li, self.ayi]


COUNTIES = [
    ("520204", "水城区", "六盘水市", "贵州省", "52"),
    ("520324", "正安县", "遵义市", "贵州省", "52"),
    ("513431", "昭觉县", "凉山彝族自治州", "四川省", "51"),
    ("110101", "东城区", "北京市", "北京市", "11"),
]

ZHANG_ID = make_id("520221", "19900307", "123")  # issued under 水城县's old code: still valid
LI_ID = make_id("520324", "19881112", "024")
AYI_ID = make_id("513431", "19950520", "017")
#: A further valid number for registering new learners in tests (female, born 1992-06-15).
NEW_ID = make_id("520204", "19920615", "046")


@pytest.fixture
def counties(app):
    from trainhub.geo.models import County

    with app.app_context():
        for code, name, prefecture, province, province_code in COUNTIES:
            db.session.add(County(code=code, name=name, prefecture=prefecture, province=province,
                                  province_code=province_code, list_version="NBS-2023"))
        db.session.commit()


@pytest.fixture
def world(app, counties) -> World:
    from trainhub.learners.operations import create_learner
    from trainhub.learners.validation import check_learner_fields
    from trainhub.orgs.models import Organisation
    from trainhub.orgs.operations import create_organisation

    with app.app_context():
        orgs = {
            key: create_organisation(name=name, kind=kind, county_code=county).id
            for key, name, kind, county in (
                ("shuicheng", "水城区阳光社会工作服务中心", "agency", "520204"),
                ("zhengan", "正安县安场镇社工站", "station", "520324"),
                ("zhaojue", "昭觉县社会工作服务中心", "agency", "513431"),
            )
        }
        people = {}
        for key, name, number, phone, org, position in (
            ("zhang", "张明", ZHANG_ID, "13812345678", "shuicheng", "社工"),
            ("li", "李芳", LI_ID, "13987654321", "zhengan", "站长"),
            ("ayi", "阿依", AYI_ID, "15011112222", "zhaojue", None),
        ):
            fields, errors = check_learner_fields(
                {"name": name, "id_number": number, "phone": phone, "position": position,
                 "qualification": "助理社会工作师" if key == "li" else ""},
            )
            assert not errors, errors
            organisation = db.session.get(Organisation, orgs[org])
            learner = create_learner(fields, organisation, actor=None)
            people[key] = Person(learner.id, name, number, phone, orgs[org], learner.user.username)
        db.session.commit()
    return World(shuicheng=orgs["shuicheng"], zhengan=orgs["zhengan"], zhaojue=orgs["zhaojue"],
                 **people)


@pytest.fixture
def audit_entries(app):
    """Audit entries of an action as (target_id, detail) pairs, oldest first."""
    from trainhub.audit.models import AuditEntry

    def read(action: str) -> list[tuple[str | None, dict]]:
        with app.app_context():
            rows = db.session.scalars(
                sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
            return [(row.target_id, row.detail) for row in rows]

    return read


@pytest.fixture
def learner_row(app):
    """Read one learner's state in its own app context."""
    from trainhub.learners.models import Learner
    from trainhub.pii import cipher

    def read(learner_id: int) -> dict | None:
        with app.app_context():
            learner = db.session.get(Learner, learner_id)
            if learner is None:
                return None
            return {
                "name": learner.name,
                "id_number": learner.id_number(cipher()),
                "phone": learner.phone(cipher()),
                "gender": learner.gender.value,
                "birth_date": learner.birth_date,
                "organisation_id": learner.organisation_id,
                "position": learner.position,
                "qualification": learner.qualification.value,
                "joined_on": learner.joined_on,
                "username": learner.user.username if learner.user else None,
            }

    return read


@pytest.fixture
def learner_count(app):
    from trainhub.learners.models import Learner

    def count() -> int:
        with app.app_context():
            return db.session.scalar(sa.select(sa.func.count()).select_from(Learner))

    return count


@pytest.fixture
def numbers():
    """ID-number helpers (test modules cannot import from a conftest): ``new`` is a valid,
    unregistered number (female, born 1992-06-15 in 520204); ``make(division, birth, seq)``
    builds a valid one; ``bad_check(number)`` spoils its check digit."""
    return SimpleNamespace(new=NEW_ID, make=make_id, bad_check=with_bad_check_digit)
