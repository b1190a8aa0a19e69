"""Demo step "places": priority counties, their social work agencies and the township
stations learners will name, supporting organisations in the east, and the pairings."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from trainhub.demo import fake
from trainhub.demo.context import Demo, DemoError, Place
from trainhub.extensions import db
from trainhub.geo.models import County
from trainhub.learners.models import Gender
from trainhub.orgs.models import Organisation, OrgKind, Pairing

#: Priority counties that get organisations, stations and learners.
PRIORITY_COUNTY_COUNT = 36
#: Counties whose sites host the on-site sessions (实施点).
SITE_COUNT = 4
SUPPORTER_COUNT = 12
#: Eastern provinces the supporting organisations (支援方) come from.
EAST_PROVINCE_CODES = ("11", "12", "31", "32", "33", "35", "37", "44")


def add_places(demo: Demo) -> None:
    demo.counties = _priority_counties(demo)
    _recipient_places(demo)
    _supporters(demo)
    _pairings(demo)
    # the agencies whose training rooms host the on-site sessions
    demo.sites = demo.rng.sample(demo.agencies, min(SITE_COUNT, len(demo.agencies)))


def _contact(demo: Demo) -> tuple[str, str]:
    return fake.person_name(demo.rng, demo.rng.choice(list(Gender))), fake.mobile(demo.rng)


def _priority_counties(demo: Demo) -> list[County]:
    flagged = list(db.session.scalars(
        sa.select(County).where(County.is_priority, County.is_current).order_by(County.code)
    ))
    if not flagged:
        raise DemoError("没有标记为重点帮扶县的县，无法生成演示数据。请先运行 trainhub init。")
    chosen = demo.rng.sample(flagged, min(PRIORITY_COUNTY_COUNT, len(flagged)))
    return sorted(chosen, key=lambda county: county.code)


def _recipient_places(demo: Demo) -> None:
    """Each county's social work agency (registered here, with its address and contact)
    and the township stations its learners will name: the stations are registered by the
    learner import, as when a county's roster names a station the office does not know yet."""
    rng = demo.rng
    for county in demo.counties:
        name = f"{county.name}{rng.choice(fake.AGENCY_WORDS)}社会工作服务中心"
        address = (f"{county.province}{county.prefecture}{county.name}"
                   f"{rng.choice(fake.TOWN_NAMES)}路 {rng.randint(1, 300)} 号")
        contact_name, contact_phone = _contact(demo)
        agency = Organisation(name=name, kind=OrgKind.AGENCY, county=county, address=address,
                              contact_name=contact_name, contact_phone=contact_phone)
        demo.agencies.append(agency)
        demo.places.append(Place(agency.name, OrgKind.AGENCY, county))
        for town in fake.town_names(rng, rng.randint(2, 3)):
            demo.places.append(Place(f"{county.name}{town}社会工作服务站", OrgKind.STATION, county, town))
    db.session.add_all(demo.agencies)


def _supporters(demo: Demo) -> None:
    rng = demo.rng
    districts = list(db.session.scalars(
        sa.select(County)
        .where(County.province_code.in_(EAST_PROVINCE_CODES), County.is_current,
               County.name.endswith("区"))
        .order_by(County.code)
    ))
    chosen = sorted(rng.sample(districts, min(SUPPORTER_COUNT, len(districts))),
                    key=lambda county: county.code)
    words = rng.sample(fake.SUPPORTER_WORDS, len(chosen))
    for county, word in zip(chosen, words, strict=True):
        city = county.province if county.province.endswith("市") else county.prefecture
        name = f"{city}{county.name}{word}社会工作服务中心"
        address = (f"{county.province}{'' if city == county.province else city}{county.name}"
                   f"{rng.choice(fake.TOWN_NAMES)}大道 {rng.randint(1, 999)} 号")
        contact_name, contact_phone = _contact(demo)
        demo.supporters.append(Organisation(
            name=name, kind=OrgKind.SUPPORTER, county=county, address=address,
            contact_name=contact_name, contact_phone=contact_phone,
        ))
    db.session.add_all(demo.supporters)


def _pairings(demo: Demo) -> None:
    if not demo.supporters:
        return
    order = list(demo.agencies)
    demo.rng.shuffle(order)
    supporters = demo.supporters
    pairings = [
        Pairing(
            supporter=supporters[index % len(supporters)],
            recipient=agency,
            started_on=fake.random_date(demo.rng, date(2022, 9, 1), date(2023, 1, 31)),
            note="牵手计划结对：支援方派驻督导，协助机构建设与人才培养。",
        )
        for index, agency in enumerate(order)
    ]
    db.session.add_all(pairings)
    demo.pairings = len(pairings)


def register_stations(demo: Demo, stations: list[Organisation]) -> None:
    """The county's follow-up on the stations the roster's import registered: where each
    station is, whom to call."""
    by_name = {place.name: place for place in demo.places}
    for station in stations:
        town = by_name[station.name].town
        county = station.county
        station.address = f"{county.province}{county.prefecture}{county.name}{town}便民服务中心"
        station.contact_name, station.contact_phone = _contact(demo)
    demo.stations = stations
