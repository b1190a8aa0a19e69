"""Demo steps "staff" and "learners": an account of every staff role, and learners from a
roster run through the bulk import, each with the import's own trainee account."""

from __future__ import annotations

import re
from datetime import date

import pandas as pd
import sqlalchemy as sa

from trainhub.accounts.models import Role, User
from trainhub.demo import fake
from trainhub.demo.catalogue import AGENCY_POSITIONS, QUALIFICATIONS, STATION_POSITIONS
from trainhub.demo.context import DEMO_PASSWORD, Demo, DemoAccount, DemoError
from trainhub.demo.places import register_stations
from trainhub.extensions import db
from trainhub.imports.errors import ImportRefused
from trainhub.imports.operations import commit_import
from trainhub.imports.planner import plan_import
from trainhub.imports.reading import read_roster
from trainhub.learners import idcard
from trainhub.learners.models import Gender
from trainhub.learners.queries import TRAINEE_USERNAME_PREFIX
from trainhub.orgs.models import OrgKind
from trainhub.spreadsheets import to_csv

ROSTER_FILENAME = "演示学员名单.csv"
INSTRUCTOR_COUNT = 6
#: User names the import gives trainee accounts (``xy`` + the learner's number).
_TRAINEE_NAME = re.compile(re.escape(TRAINEE_USERNAME_PREFIX) + r"\d+", re.IGNORECASE)


def _weighted(rng, pairs):
    values = [value for value, _ in pairs]
    weights = [weight for _, weight in pairs]
    return rng.choices(values, weights=weights)[0]


def _demo_password_hash(demo: Demo) -> str:
    """The demo password's hash, computed once: every demo account shares it."""
    if demo.password_hash is None:
        probe = User(username="demo-password", role=Role.TRAINEE, display_name="")
        probe.set_password(DEMO_PASSWORD)
        demo.password_hash = probe.password_hash
    return demo.password_hash


def _user(demo: Demo, username: str, role: Role, display_name: str,
          scope_code: str | None = None) -> User:
    existing = demo.users.get(username.lower())
    if existing is not None:
        demo.summary.kept_usernames.append(username)
        return existing
    user = User(username=username, role=role, display_name=display_name, scope_code=scope_code,
                session_version=1, password_hash=_demo_password_hash(demo))
    db.session.add(user)
    demo.summary.accounts.append(DemoAccount(username, role, display_name, scope_code))
    return user


def _name(demo: Demo) -> str:
    return fake.person_name(demo.rng, demo.rng.choice(list(Gender)))


def add_staff(demo: Demo) -> None:
    """The office, a coordinator of the province with the most demo counties and one of its
    first county, six instructors and the Certification Centre."""
    by_province: dict[str, list] = {}
    for county in demo.counties:
        by_province.setdefault(county.province_code, []).append(county)
    province_code, province_counties = max(sorted(by_province.items()), key=lambda item: len(item[1]))
    county = province_counties[0]
    demo.office = _user(demo, "office", Role.OFFICE, f"项目办 {_name(demo)}")
    demo.coordinators = [
        _user(demo, f"coord-{province_code}", Role.COORDINATOR,
              f"{county.province}联络员 {_name(demo)}", province_code),
        _user(demo, f"coord-{county.code}", Role.COORDINATOR,
              f"{county.name}联络员 {_name(demo)}", county.code),
    ]
    demo.instructors = [
        _user(demo, f"teacher{number:02d}", Role.INSTRUCTOR, f"{_name(demo)} 老师")
        for number in range(1, INSTRUCTOR_COUNT + 1)
    ]
    _user(demo, "certifier", Role.CERTIFIER, f"认证中心 {_name(demo)}")


def check_trainee_names_free(demo: Demo) -> None:
    """Refuse before writing anything when an account already bears a trainee-shaped name
    (``xy`` + digits): the import names each learner's account so, and would collide."""
    taken = sorted(name for name, user in demo.users.items() if _TRAINEE_NAME.fullmatch(name))
    if taken:
        listed = "、".join(demo.users[name].username for name in taken[:5])
        raise DemoError(f"已有用户名形如学员账号（{TRAINEE_USERNAME_PREFIX} + 学员编号）的账号：{listed}，"
                        "演示学员的账号会与之冲突，未做任何更改。")


def _roster(demo: Demo, count: int) -> list[dict]:
    """``count`` learners in the demo's places: each county's agency gets a learner first,
    so that learners come from every county; the rest go by size (agencies are larger)."""
    rng, places = demo.rng, demo.places
    chosen = [place for place in places if place.kind == OrgKind.AGENCY][:count]
    weights = [3 if place.kind == OrgKind.AGENCY else 1.5 for place in places]
    chosen += rng.choices(places, weights=weights, k=count - len(chosen))
    order = {place: index for index, place in enumerate(places)}
    chosen.sort(key=order.__getitem__)
    used_ids: set[str] = set()
    used_phones: set[str] = set()
    roster = []
    for place in chosen:
        gender = rng.choice(list(Gender))
        born = fake.birth_date(rng)
        id_number = idcard.generate(rng, place.county.code, born, gender)
        while id_number in used_ids:
            id_number = idcard.generate(rng, place.county.code, born, gender)
        used_ids.add(id_number)
        parsed = idcard.parse(id_number)
        phone = fake.mobile(rng)
        while phone in used_phones:
            phone = fake.mobile(rng)
        used_phones.add(phone)
        positions = AGENCY_POSITIONS if place.kind == OrgKind.AGENCY else STATION_POSITIONS
        earliest = max(date(2012, 1, 1), date(born.year + 20, 7, 1))
        roster.append({
            "姓名": fake.person_name(rng, parsed.gender),
            "身份证号码": parsed.number,
            "手机号码": phone,
            "性别": parsed.gender.label,
            "出生日期": parsed.birth_date.isoformat(),
            "工作单位": place.name,
            "所在县（区）": place.county.code,
            "机构类型": place.kind.label,
            "职务": _weighted(rng, positions),
            "职业资格": _weighted(rng, QUALIFICATIONS[place.kind]).label,
            "入职日期": fake.random_date(rng, earliest, date(2022, 12, 31)).isoformat(),
        })
    return roster


def add_learners(demo: Demo) -> None:
    """Learners from a roster run through the bulk import (the code behind the web page and
    the CLI), as counties' rosters are: the import registers the stations it does not know
    and gives every learner their trainee account (``xy`` + the learner's number). The demo
    then sets the demo password on those accounts, so every demo trainee can sign in."""
    roster = _roster(demo, demo.learner_count)
    try:
        plan = plan_import(read_roster(ROSTER_FILENAME, to_csv(pd.DataFrame(roster, dtype=object))),
                           user=None, filename=ROSTER_FILENAME)
        result = commit_import(plan, via="demo")
    except ImportRefused as exc:  # the demo's own roster is valid by construction
        raise DemoError(f"演示学员名单未能导入：{exc.message}") from exc
    register_stations(demo, result.organisations)
    password_hash = _demo_password_hash(demo)
    for learner in result.learners:
        learner.user.password_hash = password_hash
        learner.user.must_change_password = False
        demo.summary.trainee_usernames.append(learner.user.username)
    demo.learners = result.learners


def existing_users() -> dict[str, User]:
    return {user.username.lower(): user for user in db.session.scalars(sa.select(User))}
