"""A small world of organisations, learners and pairings on the real county list, for the
tests of organisations (``tests/orgs``) and reports (``tests/reports``): their conftests
import these fixtures.

Counties (from the packaged reference data): 520204 水城区 and 520324 正安县 (贵州, priority),
520102 南明区 (贵州, not priority), 513431 昭觉县 and 513432 喜德县 (四川, priority),
110101 东城区 (北京) and 440304 福田区 (广东).

| key               | organisation                 | kind      | county | learners |
| ----------------- | ---------------------------- | --------- | ------ | -------- |
| shuicheng_agency  | 水城区阳光社会工作服务中心     | agency    | 520204 | 2        |
| shuicheng_station | 水城区董地街道社工站           | station   | 520204 | 1        |
| zhengan_station   | 正安县安场镇社工站             | station   | 520324 | 0        |
| nanming_agency    | 南明区社会工作服务中心         | agency    | 520102 | 1        |
| zhaojue_agency    | 昭觉县社会工作服务中心         | agency    | 513431 | 1        |
| beijing_supporter | 北京市东城区社会工作协会       | supporter | 110101 | 0        |
| shenzhen_supporter| 深圳市福田区社会工作者协会     | supporter | 440304 | 0        |

Pairings: 北京 → 水城区阳光 from 2023-03-01 (in progress); 北京 → 昭觉县 from 2023-03-01 to
2023-12-31 (ended).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from io import BytesIO

import pytest

from trainhub.extensions import db

ORGS = {
    "shuicheng_agency": ("水城区阳光社会工作服务中心", "agency", "520204", "13812345678"),
    "shuicheng_station": ("水城区董地街道社工站", "station", "520204", None),
    "zhengan_station": ("正安县安场镇社工站", "station", "520324", "0851-6221234"),
    "nanming_agency": ("南明区社会工作服务中心", "agency", "520102", None),
    "zhaojue_agency": ("昭觉县社会工作服务中心", "agency", "513431", None),
    "beijing_supporter": ("北京市东城区社会工作协会", "supporter", "110101", "13911112222"),
    "shenzhen_supporter": ("深圳市福田区社会工作者协会", "supporter", "440304", None),
}
LEARNERS = {"shuicheng_agency": 2, "shuicheng_station": 1, "nanming_agency": 1, "zhaojue_agency": 1}


@dataclass
class OrgWorld:
    orgs: dict[str, int] = field(default_factory=dict)
    pairings: dict[str, int] = field(default_factory=dict)


def add_learners(org_id: int, count: int, start: int) -> None:
    """``count`` learners of the organisation (built directly: the learner register is
    tested elsewhere); ID numbers only need to differ."""
    from flask import current_app

    from trainhub.learners.models import Gender, Learner

    cipher = current_app.extensions["trainhub_pii"]
    for number in range(start, start + count):
        learner = Learner(name=f"学员{number}", gender=Gender.FEMALE, birth_date=date(1990, 1, 1),
                          organisation_id=org_id)
        learner.set_id_number(f"52020419900101{number:04d}", cipher)
        db.session.add(learner)
    db.session.flush()


@pytest.fixture
def org_world(app, reference_data) -> OrgWorld:
    from trainhub.orgs.operations import create_organisation
    from trainhub.orgs.pairings import create_pairing

    world = OrgWorld()
    with app.app_context():
        for key, (name, kind, county, phone) in ORGS.items():
            world.orgs[key] = create_organisation(name=name, kind=kind, county_code=county,
                                                  contact_phone=phone).id
        number = 1
        for key, count in LEARNERS.items():
            add_learners(world.orgs[key], count, number)
            number += count
        world.pairings["active"] = create_pairing(
            supporter_id=world.orgs["beijing_supporter"], recipient_id=world.orgs["shuicheng_agency"],
            started_on=date(2023, 3, 1), note="派驻督导",
        ).id
        world.pairings["ended"] = create_pairing(
            supporter_id=world.orgs["beijing_supporter"], recipient_id=world.orgs["zhaojue_agency"],
            started_on=date(2023, 3, 1), ended_on=date(2023, 12, 31),
        ).id
        db.session.commit()
    return world


def _read_workbook(data: bytes) -> dict[str, list[tuple]]:
    from openpyxl import load_workbook

    workbook = load_workbook(BytesIO(data), read_only=True)
    try:
        return {
            sheet.title: [tuple(row) for row in sheet.iter_rows(values_only=True)]
            for sheet in workbook.worksheets
        }
    finally:
        workbook.close()


@pytest.fixture
def read_workbook():
    """``read_workbook(bytes)``: every sheet of an ``.xlsx`` as rows of cell values, the
    header row first."""
    return _read_workbook


@pytest.fixture
def as_dicts():
    """``as_dicts(rows)``: the rows of a sheet as dicts keyed by the header row."""

    def convert(rows: list[tuple]) -> list[dict]:
        header, *body = rows
        return [dict(zip(header, row, strict=True)) for row in body]

    return convert
