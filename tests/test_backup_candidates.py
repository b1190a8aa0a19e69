"""What a stolen backup reveals: the database is filled through the real entry points (the
demo, web pages, the API, the command line, failed sign-ins), then read as an attacker
without the data key would read it, and for every learner the ID numbers and mobile numbers
still possible are counted. Each must keep at least 10,000 candidates (PRODUCT.md).

"Clear" is every column not marked as encrypted or as a keyed hash in its ``info``
(``trainhub.pii.ENCRYPTED`` / ``keyed_hash``): the metadata is walked, so a new column is
clear until it says otherwise. The attacker is granted, pessimistically:

* the ID's 6-digit division code (in fact the organisation's county usually gives it);
* the learner's gender, birth year or full birth date wherever their own row, a row
  referring to them or an audit entry about them holds it in clear;
* every masked fragment (``5202**********123X``, ``138****5678``) found in any clear value
  of any table, as if it were known to be this learner's;
* a full number anywhere in clear: one candidate.

Then the count is exact: every birth date, sequence number and gender digit consistent with
what is known, filtered by the check character where that is known too.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from trainhub.auth import Role
from trainhub.extensions import db
from trainhub.learners.idcard import CHECK_CHARACTERS, WEIGHTS, check_character
from trainhub.learners.validation import MAX_AGE, MIN_AGE

MINIMUM = 10_000
PROTECTED = {"encrypted", "keyed_hash"}
MASKED = re.compile(r"[0-9Xx*＊]{8,}")


# reading the dump ------------------------------------------------------------------------------


def clear_columns(metadata: sa.MetaData) -> dict[str, list[sa.Column]]:
    return {
        table.name: [column for column in table.columns
                     if column.info.get("pii") not in PROTECTED]
        for table in metadata.sorted_tables
    }


def _text(value) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


@dataclass
class Dump:
    """The clear values of every table, as rows of ``{column: value}``."""

    rows: dict[str, list[dict]] = field(default_factory=dict)

    @property
    def all_text(self) -> list[str]:
        return [_text(value) for rows in self.rows.values() for row in rows
                for value in row.values() if value is not None]


def read_dump(metadata: sa.MetaData) -> Dump:
    dump = Dump()
    for table, columns in clear_columns(metadata).items():
        if columns:
            dump.rows[table] = [row._asdict() for row in db.session.execute(sa.select(*columns))]
    return dump


# what is known of one learner ------------------------------------------------------------------


@dataclass
class Known:
    """What the clear values say about one learner's numbers."""

    id_positions: dict[int, str] = field(default_factory=dict)
    phone_positions: dict[int, str] = field(default_factory=dict)
    birth_year: int | None = None
    birth_date: date | None = None
    gender_odd: bool | None = None
    id_in_clear: bool = False
    phone_in_clear: bool = False


def _consistent(fragment: str, number: str) -> dict[int, str] | None:
    """The positions a masked fragment reveals of ``number``, if it can stand for it."""
    fragment = fragment.upper().replace("＊", "*")
    if len(fragment) != len(number) or "*" not in fragment:
        return None
    if any(f != "*" and f != n for f, n in zip(fragment, number, strict=True)):
        return None
    return {i: ch for i, ch in enumerate(fragment) if ch != "*"}


def _linked_rows(dump: Dump, learner: dict, user_id) -> list[dict]:
    """The learner's own row, rows referring to the learner or their account, and audit
    entries about them."""
    linked = [learner]
    for table, rows in dump.rows.items():
        for row in rows:
            if row is learner:
                continue
            if (table == "user_account" and user_id and row.get("id") == user_id) or row.get("learner_id") == learner["id"] or (user_id and row.get("user_id") == user_id) or (row.get("target_type") == "learner" and str(row.get("target_id")) == str(learner["id"])) or (user_id and row.get("target_type") == "user" and str(row.get("target_id")) == str(user_id)):
                linked.append(row)
    return linked


def what_is_known(dump: Dump, learner: dict, number: str, phone: str | None) -> Known:
    known = Known(id_positions=dict(enumerate(number[:6])))  # the division: granted
    texts = dump.all_text
    known.id_in_clear = any(number in text or number.lower() in text for text in texts)
    known.phone_in_clear = phone is not None and any(phone in text for text in texts)
    for text in texts:
        for fragment in MASKED.findall(text):
            revealed = _consistent(fragment, number)
            if revealed:
                known.id_positions.update(revealed)
            if phone and (revealed := _consistent(fragment, phone)):
                known.phone_positions.update(revealed)
    born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    for row in _linked_rows(dump, learner, learner.get("user_id")):
        for value in row.values():
            if value in ("male", "female"):
                known.gender_odd = value == "male"
            if isinstance(value, int) and not isinstance(value, bool) and value == born.year \
                    and row is learner:
                known.birth_year = born.year
            text = _text(value) if value is not None else ""
            if born.isoformat() in text or f"{born:%Y%m%d}" in text:
                known.birth_date = born
    return known


# counting ----------------------------------------------------------------------------------------


def _dates(known: Known, today: date):
    if known.birth_date:
        yield known.birth_date
        return
    first = date(today.year - MAX_AGE - 1, 1, 1)
    last = date(today.year - MIN_AGE, 12, 31)
    if known.birth_year:
        first, last = date(known.birth_year, 1, 1), date(known.birth_year, 12, 31)
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def id_candidates(known: Known, today: date) -> int:
    """ID numbers consistent with what is known (division code granted)."""
    if known.id_in_clear:
        return 1
    pos = known.id_positions

    def digits(i: int, allowed=range(10)) -> list[int]:
        return [d for d in allowed if i not in pos or pos[i] == str(d)]

    # weighted sum modulo 11 of positions 15–17 (sequence and gender digit): a histogram
    gender = [d for d in digits(16) if known.gender_odd is None or (d % 2 == 1) == known.gender_odd]
    tail: dict[int, int] = {}
    for a in digits(14):
        for b in digits(15):
            for c in gender:
                r = (WEIGHTS[14] * a + WEIGHTS[15] * b + WEIGHTS[16] * c) % 11
                tail[r] = tail.get(r, 0) + 1
    head = "".join(pos[i] for i in range(6))
    total = 0
    for born in _dates(known, today):
        text = f"{born:%Y%m%d}"
        if any(6 + i in pos and pos[6 + i] != ch for i, ch in enumerate(text)):
            continue
        partial = sum(int(ch) * w for ch, w in zip(head + text, WEIGHTS[:14], strict=True))
        for r, count in tail.items():
            if 17 not in pos or CHECK_CHARACTERS[(partial + r) % 11] == pos[17]:
                total += count
    return total


def phone_candidates(known: Known) -> int:
    """Mobile numbers (1, then 3–9, then nine digits) consistent with what is known."""
    if known.phone_in_clear:
        return 1
    total = 1
    for i, allowed in enumerate(["1", "3456789"] + ["0123456789"] * 9):
        if i in known.phone_positions:
            total *= 1 if known.phone_positions[i] in allowed else 0
        else:
            total *= len(allowed)
    return total


# the counter can fail ----------------------------------------------------------------------------

OLD_NUMBER = "520221199003071230"


def test_the_old_layout_would_narrow_an_id_to_a_handful():
    """What was stored before: the masked ID next to the birth date and the gender."""
    assert check_character(OLD_NUMBER[:17]) == OLD_NUMBER[17]
    learner = {"id": 1, "user_id": None, "gender": "male", "birth_date": date(1990, 3, 7),
               "id_number_masked": "5202**********1230", "phone_masked": "138****5678"}
    dump = Dump(rows={"learner": [learner]})
    known = what_is_known(dump, learner, OLD_NUMBER, "13812345678")
    assert id_candidates(known, date(2023, 3, 1)) == 1
    assert phone_candidates(known) == MINIMUM  # 3 + 4 digits leave exactly 10^4

    # without the birth date but with its year: still far too few
    learner.pop("birth_date")
    learner["birth_year"] = 1990
    assert id_candidates(what_is_known(dump, learner, OLD_NUMBER, None), date(2023, 3, 1)) < 365


def test_the_counts_without_anything_in_clear():
    learner = {"id": 1, "user_id": None}
    known = what_is_known(Dump(rows={"learner": [learner]}), learner, OLD_NUMBER, "13812345678")
    assert phone_candidates(known) == 7 * 10**9
    assert id_candidates(known, date(2023, 3, 1)) > 65 * 365 * 1000 // 2


# the real thing ----------------------------------------------------------------------------------


@pytest.fixture
def busy_database(app, client, runner, login, api_headers, make_user):
    """The demo, then what users do through each entry point."""
    from trainhub.learners.models import Learner
    from trainhub.pii import cipher

    assert runner.invoke(args=["demo", "--learners", "60"]).exit_code == 0
    with app.app_context():
        learners = db.session.scalars(sa.select(Learner).order_by(Learner.id).limit(4)).all()
        people = [(x.id, x.id_number(cipher()), x.phone(cipher()), x.organisation_id,
                   x.organisation.county_code) for x in learners]
    first, second, third, fourth = people

    login(Role.OFFICE)
    # the web: register, edit a phone, look at full data, search, export
    new_number = first[1][:6] + "19910419" + "203"
    new_number += check_character(new_number)
    assert client.post("/learners/new", data={
        "name": "韩梅", "id_number": new_number, "phone": "13611112222",
        "organisation_id": str(first[3]), "qualification": "none"}).status_code == 302
    assert client.post(f"/learners/{second[0]}/edit", data={
        "name": "改名", "phone": "13722223333", "organisation_id": str(second[3]),
        "qualification": "none"}).status_code == 302
    assert client.post(f"/learners/{third[0]}/personal-data").status_code == 200
    assert client.post("/learners", data={"q": third[2]}).status_code == 200
    assert client.post("/learners/export", data={"q": third[1]}).status_code == 200
    # the API: a coordinator registers and changes; the office corrects an ID number and
    # registers an organisation whose contact is a learner
    coordinator = api_headers(Role.COORDINATOR, scope_code=fourth[4][:2])
    office = api_headers(Role.OFFICE)
    api_number = fourth[1][:6] + "19870101" + "114"
    api_number += check_character(api_number)
    created = client.post("/api/v1/learners", headers=coordinator, json={
        "name": "李雷", "id_number": api_number, "phone": "13933334444",
        "organisation_id": fourth[3]})
    assert created.status_code == 201, created.get_json()
    assert client.patch(f"/api/v1/learners/{fourth[0]}", headers=coordinator,
                        json={"phone": "15044445555"}).status_code == 200
    corrected = fourth[1][:6] + "19850505" + "031"
    corrected += check_character(corrected)
    assert client.put(f"/api/v1/learners/{third[0]}/id-number", headers=office,
                      json={"id_number": corrected}).status_code == 200
    org = client.post("/api/v1/organisations", headers=office, json={
        "name": "联系人是学员的机构", "kind": "agency", "county_code": fourth[4],
        "contact_phone": "13611112222"})
    assert org.status_code == 201, org.get_json()
    assert client.patch(f"/api/v1/organisations/{org.get_json()['id']}", headers=office,
                        json={"contact_phone": "13933334444"}).status_code == 200
    # the command line
    assert runner.invoke(args=["learners", "export", "--output", "/dev/null"]).exit_code == 0
    # failed sign-ins with a mobile number and with an ID number typed as the user name
    client.post("/logout")
    client.post("/login", data={"username": "13611112222", "password": "wrong-1234"})
    client.post("/login", data={"username": new_number, "password": "wrong-1234"})


def test_every_learner_keeps_at_least_ten_thousand_candidates(app, busy_database):
    from trainhub.learners.models import Learner
    from trainhub.pii import cipher

    today = date.today()
    with app.app_context():
        dump = read_dump(db.metadata)
        assert "learner" in dump.rows and "audit_entry" in dump.rows
        assert not ({"id_number_enc", "id_number_hash", "phone_enc", "birth_date_enc"}
                    & set(dump.rows["learner"][0]))  # marked columns are left out
        secrets = {x.id: (x.id_number(cipher()), x.phone(cipher()))
                   for x in db.session.scalars(sa.select(Learner))}
    assert len(secrets) >= 60
    worst_id = worst_phone = None
    for row in dump.rows["learner"]:
        number, phone = secrets[row["id"]]
        known = what_is_known(dump, row, number, phone)
        ids, phones = id_candidates(known, today), phone_candidates(known)
        assert ids >= MINIMUM, (row["id"], ids, known)
        assert phone is None or phones >= MINIMUM, (row["id"], phones, known)
        worst_id = min(ids, worst_id or ids)
        if phone:
            worst_phone = min(phones, worst_phone or phones)
    # what is in clear today: birth year, gender and the division: 365 x 100 x 5 dates,
    # sequences and gender digits (fewer in leap-less detail: the check character is unknown)
    assert worst_id >= 365 * 100 * 5
    # the audit of an organisation's contact phone keeps it as 139****4444 (3 + 4 digits),
    # here a learner's number too: 10^4 remain, the fewest allowed
    assert worst_phone == MINIMUM
