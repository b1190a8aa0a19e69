"""Finding learners by what people type: a full ID number, a full mobile number, a trainee
user name or part of a name (:func:`parse_search`), and looking learners up by ID number.

A full ID or mobile number is matched through the keyed search hash
(:meth:`trainhub.pii.PersonalDataCipher.search_hashes`, under every readable key: rows not
yet rewritten by a key rotation are found too): the ciphertext is never compared. What
counts as an ID or mobile number is defined once, in :mod:`trainhub.pii`. Trainees sign in
with their mobile number through the same hash (:func:`trainee_accounts_with_phone`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from trainhub.accounts.models import User
from trainhub.accounts.signin import login_lookup
from trainhub.auth import Role
from trainhub.extensions import db
from trainhub.learners.models import Learner
from trainhub.orgs.models import Organisation
from trainhub.pii import cipher, id_number_of, mobile_of

#: Prefix of the user names of trainee accounts: ``xy`` + the learner's number (学员).
TRAINEE_USERNAME_PREFIX = "xy"
_USERNAME_SHAPE = re.compile(rf"^{TRAINEE_USERNAME_PREFIX}\d{{6,}}$", re.IGNORECASE)
#: Lookups by hash are sent in chunks of this size (bound parameters per statement).
HASH_CHUNK = 500


# what a search box holds -------------------------------------------------------------------------


@dataclass(frozen=True)
class Search:
    """What a search box held, recognised by its shape."""

    kind: str  # "id_number", "phone", "username", "name"
    value: str

    @property
    def is_personal(self) -> bool:
        """A full ID or phone number: personal data that must stay out of URLs and logs."""
        return self.kind in ("id_number", "phone")


def parse_search(text: str | None) -> Search | None:
    """Recognise a full ID number, a full mobile number, a trainee user name, or a name.

    Text that merely looks like a personal number (:func:`trainhub.pii.looks_personal`)
    is searched as a name and finds nobody; it must stay out of addresses all the same.
    """
    text = (text or "").strip()
    if not text:
        return None
    number = id_number_of(text)
    if number:
        return Search("id_number", number)
    phone = mobile_of(text)
    if phone:
        return Search("phone", phone)
    if _USERNAME_SHAPE.fullmatch(text):
        return Search("username", text.lower())
    return Search("name", re.sub(r"\s+", " ", text))


def search_clause(search: Search, *, organisation_names: bool = False) -> sa.ColumnElement[bool]:
    if search.kind == "id_number":
        return Learner.id_number_hash.in_(cipher().search_hashes(search.value))
    if search.kind == "phone":
        return Learner.phone_hash.in_(cipher().search_hashes(search.value))
    if search.kind == "username":
        return sa.func.lower(User.username) == search.value
    by_name = Learner.name.contains(search.value, autoescape=True)
    if organisation_names:
        return sa.or_(by_name, Organisation.name.contains(search.value, autoescape=True))
    return by_name


# by ID number ----------------------------------------------------------------------------------


def learners_by_id_numbers(numbers: Iterable[str]) -> dict[str, Learner]:
    """The registered learners among these (normalised) ID numbers, by number; found
    through the keyed hash under every readable key (rows not yet rewritten by a key
    rotation are found too), whatever the area, a few queries for any number of them."""
    pii = cipher()
    number_of = {digest: number for number in numbers for digest in pii.search_hashes(number)}
    hashes = sorted(number_of)
    found: dict[str, Learner] = {}
    for start in range(0, len(hashes), HASH_CHUNK):
        chunk = hashes[start:start + HASH_CHUNK]
        for learner in db.session.scalars(sa.select(Learner).where(Learner.id_number_hash.in_(chunk))):
            found[number_of[learner.id_number_hash]] = learner
    return found


def learner_by_id_number(number: str) -> Learner | None:
    """The learner with this (normalised) ID number (:func:`learners_by_id_numbers`)."""
    return learners_by_id_numbers([number]).get(number)


# signing in with a mobile number ---------------------------------------------------------------


@login_lookup
def trainee_accounts_with_phone(text: str) -> list[User]:
    """Trainee accounts of the learners whose mobile number is ``text`` (usually one): a
    trainee may sign in with their mobile number instead of the user name."""
    phone = mobile_of(text)
    if phone is None:
        return []
    return list(db.session.scalars(
        sa.select(User)
        .join(Learner, Learner.user_id == User.id)
        .where(Learner.phone_hash.in_(cipher().search_hashes(phone)), User.role == Role.TRAINEE)
        .order_by(User.id)
    ))
