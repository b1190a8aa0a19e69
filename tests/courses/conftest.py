"""A small world for enrolment tests: three counties in two provinces, organisations,
learners with synthetic (valid) ID and phone numbers, and courses of phase 1."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import pytest

from trainhub.courses.models import Course, CourseMode
from trainhub.courses.operations import ensure_initial_programme
from trainhub.extensions import db
from trainhub.geo.models import County
from trainhub.learners import idcard
from trainhub.learners.models import Gender
from trainhub.learners.operations import create_learner
from trainhub.learners.validation import check_learner_fields
from trainhub.orgs.models import Organisation, OrgKind

#: Guizhou (52) has two counties here, Sichuan (51) one.
COUNTIES = [
    ("520203", "六枝特区", "六盘水市", "贵州省"),
    ("520204", "水城区", "六盘水市", "贵州省"),
    ("513433", "冕宁县", "凉山彝族自治州", "四川省"),
]
ORGS = [
    ("六枝特区社会工作服务中心", OrgKind.AGENCY, "520203"),
    ("水城区米箩镇社工站", OrgKind.STATION, "520204"),
    ("冕宁县社会工作服务中心", OrgKind.AGENCY, "513433"),
]
NAMES = ["张三", "李四", "王五", "赵六", "钱七", "孙八", "周九"]
#: Learners per organisation (by index of ORGS): 3 in 六枝, 2 in 水城, 2 in 冕宁.
PLACEMENT = [0, 0, 0, 1, 1, 2, 2]


@dataclass
class World:
    learners: list[int] = field(default_factory=list)
    #: Clear ID and phone numbers by learner id (what a user would type to search).
    id_numbers: dict[int, str] = field(default_factory=dict)
    phones: dict[int, str] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)
    orgs: list[int] = field(default_factory=list)
    tracks: list[int] = field(default_factory=list)

    def in_org(self, index: int) -> list[int]:
        return [lid for lid, org in zip(self.learners, PLACEMENT, strict=True) if org == index]


@pytest.fixture
def world(app) -> World:
    rng = random.Random(3)  # noqa: S311 - synthetic, reproducible test data
    result = World()
    with app.app_context():
        for code, name, prefecture, province in COUNTIES:
            db.session.add(County(code=code, name=name, prefecture=prefecture, province=province,
                                  province_code=code[:2], is_priority=True, list_version="test"))
        db.session.flush()
        orgs = []
        for name, kind, county in ORGS:
            org = Organisation(name=name, kind=kind, county_code=county)
            db.session.add(org)
            orgs.append(org)
        db.session.flush()
        result.orgs = [org.id for org in orgs]
        for number, (name, org_index) in enumerate(zip(NAMES, PLACEMENT, strict=True)):
            county = ORGS[org_index][2]
            gender = Gender.MALE if number % 2 else Gender.FEMALE
            id_number = idcard.generate(rng, county, date(1985 + number, 3, 1 + number), gender)
            phone = f"1380000{number:04d}"
            fields, errors = check_learner_fields(
                {"name": name, "id_number": id_number, "phone": phone, "position": "社工"}
            )
            assert not errors, errors
            learner = create_learner(fields, orgs[org_index], actor=None)
            result.learners.append(learner.id)
            result.id_numbers[learner.id] = id_number
            result.phones[learner.id] = phone
            result.names[learner.id] = name
        setup = ensure_initial_programme()
        result.tracks = [track.id for track in setup.tracks]
        db.session.commit()
    return result


@pytest.fixture
def make_course(app, world):
    """Create a course in the first track (``make_course(capacity=2)``); returns its id."""
    counter = iter(range(1, 1000))

    def make(capacity: int | None = None, *, code: str | None = None, title: str | None = None,
             track: int = 0, instructors=()) -> int:
        number = next(counter)
        with app.app_context():
            from trainhub.accounts.models import User

            course = Course(
                track_id=world.tracks[track],
                code=code or f"P1-T{number:02d}",
                title=title or f"测试课程{number}",
                class_hours=Decimal("6"),
                mode=CourseMode.ONLINE,
                capacity=capacity,
            )
            course.instructors = [db.session.get(User, user.id) for user in instructors]
            db.session.add(course)
            db.session.commit()
            return course.id

    return make
