"""Writes on learners, the same rules for the web, the API, the command line and the import.

Each function takes the acting user as ``actor`` (None: the system itself — the demo, a
command run by the operator — with no area limit), checks the role and the area of the
learner's organisation, validates, flushes and audits; the unit of work commits
(:mod:`trainhub.transaction`). Refusals raise :class:`LearnerError` naming the field in
Chinese: :class:`LearnerInvalid` for input that is not acceptable (several fields at once),
:class:`LearnerConflict` for a clash with what is registered (the API answers 409).

Audit entries name the fields that changed, never the values of the ID or phone number.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Final

import pandas as pd

from trainhub.accounts.models import User
from trainhub.audit.operations import record, record_many
from trainhub.auth import Actor, Role, in_area
from trainhub.extensions import db
from trainhub.learners import queries
from trainhub.learners.models import DUPLICATE_ID_NUMBER, Gender, Learner
from trainhub.learners.queries import LearnerFilters
from trainhub.learners.search import learner_by_id_number, learners_by_id_numbers, parse_search
from trainhub.learners.validation import (
    FieldError,
    LearnerFields,
    check_learner_fields,
    parse_id_number,
)
from trainhub.orgs.models import Organisation
from trainhub.pii import cipher, normalize_id_number
from trainhub.refusals import Refusal

#: Who registers and changes learners: the office, and coordinators within their area.
LEARNER_MANAGERS: Final = (Role.OFFICE, Role.COORDINATOR)

#: Fields compared by :func:`apply_learner_fields`, with their Chinese names.
FIELD_LABELS = {
    "name": "姓名",
    "phone": "手机号码",
    "organisation": "所在机构",
    "position": "职务",
    "qualification": "职业资格",
    "joined_on": "入职日期",
}

NOT_A_MANAGER = "当前账号的角色无权管理学员。"
OUTSIDE_AREA = "该学员不在您的负责区域内。"
ORGANISATION_OUTSIDE_AREA = "所选机构不存在，或不在您的负责区域内。"


class LearnerError(Refusal):
    """A refused learner change."""


class LearnerConflict(LearnerError):
    """The change clashes with what is registered (the same ID number on another learner)."""

    status = 409


class LearnerInvalid(LearnerError):
    """Input that is not acceptable; ``errors`` holds a Chinese message for each field."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(errors=errors)


class _Keep(enum.Enum):
    KEEP = "keep"


#: Default of :func:`update_learner`'s fields: leave the field as it is.
KEEP: Final = _Keep.KEEP


# checks shared by every write -------------------------------------------------------------------


def check_manager(actor: Actor | None) -> None:
    if actor is not None and actor.role not in LEARNER_MANAGERS:
        raise LearnerError("actor", NOT_A_MANAGER)


def check_learner_in_area(actor: Actor | None, learner: Learner) -> None:
    """A coordinator acts only on learners whose organisation lies in their area."""
    check_manager(actor)
    if actor is not None and not in_area(actor, learner.organisation.county_code):
        raise LearnerError("learner", OUTSIDE_AREA)


def _check_organisation(actor: Actor | None, organisation: Organisation) -> None:
    if actor is not None and not in_area(actor, organisation.county_code):
        raise LearnerError("organisation_id", ORGANISATION_OUTSIDE_AREA)


def organisation_for(actor: Actor | None, organisation_id: int | None) -> Organisation:
    """The organisation a learner is to belong to, if it exists in ``actor``'s area."""
    if organisation_id is None:
        raise LearnerError("organisation_id", "请选择所在机构。")
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        raise LearnerError("organisation_id", ORGANISATION_OUTSIDE_AREA)
    _check_organisation(actor, organisation)
    return organisation


def _organisation_noting(actor: Actor | None, organisation_id: int | None,
                         errors: dict[str, str]) -> Organisation | None:
    """:func:`organisation_for`, its refusal noted in ``errors`` with the other fields'."""
    try:
        return organisation_for(actor, organisation_id)
    except LearnerError as error:
        errors[error.field] = error.message
        return None


# registering -----------------------------------------------------------------------------------


def register_learner(*, actor: Actor | None, organisation_id: int | None, name: str | None,
                     id_number: str | None, phone: str | None, gender: str | None = None,
                     birth_date: str | None = None, position: str | None = None,
                     qualification: str | None = None, joined_on: str | date | None = None,
                     with_account: bool = True) -> Learner:
    """Register a learner from what a person typed (web form, API): every field is checked
    (:func:`check_learner_fields`), every mistake reported at once (:class:`LearnerInvalid`)."""
    check_manager(actor)
    fields, errors = check_learner_fields({
        "name": name, "id_number": id_number, "phone": phone, "gender": gender,
        "birth_date": birth_date, "position": position, "qualification": qualification,
        "joined_on": joined_on,
    })
    organisation = _organisation_noting(actor, organisation_id, errors)
    if errors:
        raise LearnerInvalid(errors)
    return create_learner(fields, organisation, actor=actor, with_account=with_account)


def _new_learner(fields: LearnerFields, organisation: Organisation) -> Learner:
    learner = Learner(
        name=fields.name,
        gender=fields.gender,
        birth_date=fields.birth_date,
        organisation=organisation,
        position=fields.position,
        qualification=fields.qualification,
        joined_on=fields.joined_on,
    )
    learner.set_id_number(fields.id_number, cipher())
    learner.set_phone(fields.phone, cipher())
    return learner


def create_learner(fields: LearnerFields, organisation: Organisation, *, actor: Actor | None,
                   with_account: bool = True) -> Learner:
    """Register a learner (validated fields) and, by default, their trainee account, not
    yet activated: it has no password until the office gives a temporary one or an
    activation link, and the trainee chooses their own at first sign-in."""
    return create_learners([(fields, organisation)], actor=actor, with_accounts=with_account)[0]


def create_learners(items: list[tuple[LearnerFields, Organisation]], *, actor: Actor | None,
                    with_accounts: bool = True) -> list[Learner]:
    """:func:`create_learner` for many learners at once (the bulk import).

    The same rules and records (trainee accounts without a password, one ``learner.create``
    audit entry each) in a few statements: one query per 500 ID numbers checks that none is
    registered yet, and the learners and then their accounts are flushed together. Refuses
    the whole batch, writing nothing, when an organisation lies outside ``actor``'s area or
    an ID number is registered already or appears twice. Returns the learners in order.
    """
    check_manager(actor)
    if not items:
        return []
    for _, organisation in items:
        _check_organisation(actor, organisation)
    numbers = [fields.id_number for fields, _ in items]
    if len(set(numbers)) != len(numbers):
        raise LearnerConflict("id_number", "同一批学员中有重复的身份证号码，请勿重复登记。")
    if learners_by_id_numbers(numbers):
        raise LearnerConflict("id_number", DUPLICATE_ID_NUMBER)
    learners = [_new_learner(fields, organisation) for fields, organisation in items]
    db.session.add_all(learners)
    db.session.flush()
    if with_accounts:
        for learner in learners:
            learner.user = User(username=queries.trainee_username(learner),
                                display_name=learner.name, role=Role.TRAINEE,
                                must_change_password=True)
        db.session.add_all(learner.user for learner in learners)
        db.session.flush()
    record_many("learner.create", (
        ("learner", learner.id, {"organisation_id": organisation.id})
        for learner, (_, organisation) in zip(learners, items, strict=True)
    ))
    return learners


# changing --------------------------------------------------------------------------------------


def learner_changes(learner: Learner, fields: LearnerFields, organisation: Organisation) -> list[str]:
    """Names (keys of :data:`FIELD_LABELS`) of what ``fields`` would change on ``learner``."""
    changes = []
    if learner.name != fields.name:
        changes.append("name")
    if learner.phone(cipher()) != fields.phone:
        changes.append("phone")
    if learner.organisation_id != organisation.id:
        changes.append("organisation")
    if (learner.position or None) != fields.position:
        changes.append("position")
    if learner.qualification != fields.qualification:
        changes.append("qualification")
    if fields.joined_on is not None and learner.joined_on != fields.joined_on:
        changes.append("joined_on")
    return changes


def update_learner(learner: Learner, *, actor: Actor | None,
                   name: str | _Keep = KEEP, phone: str | _Keep | None = KEEP,
                   organisation_id: int | _Keep | None = KEEP,
                   position: str | _Keep | None = KEEP, qualification: str | _Keep | None = KEEP,
                   joined_on: str | date | _Keep | None = KEEP,
                   id_number: str | _Keep = KEEP, gender: str | _Keep | None = KEEP,
                   birth_date: str | _Keep | None = KEEP) -> list[str]:
    """Change a learner from what a person typed; returns the names of the changed fields.

    Fields left at :data:`KEEP` stay as they are; so does the phone when given blank (the
    edit form does not show the full number, so an empty box means "unchanged"); a blank
    ``joined_on`` keeps the date; a blank ``position`` clears it. The ID number cannot
    change here (:func:`correct_id_number`): given, it must be the current one; gender and
    birth date, given, must agree with it. Every mistake is reported at once.
    """
    check_learner_in_area(actor, learner)
    current_id = learner.id_number(cipher())
    current_phone = learner.phone(cipher())
    errors: dict[str, str] = {}
    if id_number is not KEEP and normalize_id_number(id_number) != current_id:
        errors["id_number"] = "身份证号码不能在此修改；号码登记错误时，请由项目办更正。"
    fields, field_errors = check_learner_fields({
        "name": learner.name if name is KEEP else name,
        "id_number": current_id,
        "phone": current_phone if phone is KEEP or not (phone or "").strip() else phone,
        "gender": None if gender is KEEP else gender,
        "birth_date": None if birth_date is KEEP else birth_date,
        "position": learner.position if position is KEEP else position,
        "qualification": learner.qualification.value if qualification is KEEP else qualification,
        "joined_on": learner.joined_on if joined_on is KEEP else joined_on,
    }, phone_required=False)
    errors.update(field_errors)
    organisation = learner.organisation
    if organisation_id is not KEEP:
        organisation = _organisation_noting(actor, organisation_id, errors)
    if errors:
        raise LearnerInvalid(errors)
    return apply_learner_fields(learner, fields, organisation, actor=actor)


def apply_learner_fields(learner: Learner, fields: LearnerFields, organisation: Organisation, *,
                         actor: Actor | None) -> list[str]:
    """Apply validated ``fields`` (the import's rows) to ``learner``; returns the names of
    the changed fields. The ID number identifies the learner and must be the same."""
    check_learner_in_area(actor, learner)
    _check_organisation(actor, organisation)
    if learner.id_number(cipher()) != fields.id_number:
        raise LearnerError("id_number", "身份证号码与该学员不符。")
    changes = learner_changes(learner, fields, organisation)
    if not changes:
        return []
    if "name" in changes:
        learner.name = fields.name
        if learner.user is not None:
            learner.user.display_name = fields.name
    if "phone" in changes:
        learner.set_phone(fields.phone, cipher())
    if "organisation" in changes:
        learner.organisation = organisation
    if "position" in changes:
        learner.position = fields.position
    if "qualification" in changes:
        learner.qualification = fields.qualification
    if "joined_on" in changes:
        learner.joined_on = fields.joined_on
    db.session.flush()
    record("learner.update", target_type="learner", target_id=learner.id,
           detail={"fields": changes})
    return changes


def correct_id_number(learner: Learner, number: str | None, *, actor: Actor | None) -> None:
    """Replace a mistyped ID number (the office); gender and birth date follow the number."""
    check_learner_in_area(actor, learner)
    if actor is not None and actor.role != Role.OFFICE:
        raise LearnerError("id_number", "只有项目办可以更正身份证号码。")
    try:
        parsed = parse_id_number(number)
    except FieldError as error:
        raise LearnerInvalid({error.field: error.message}) from None
    if parsed.number == learner.id_number(cipher()):
        raise LearnerInvalid({"id_number": "新号码与当前登记的号码相同，无需更正。"})
    other = learner_by_id_number(parsed.number)
    if other is not None and other.id != learner.id:
        raise LearnerConflict("id_number", "该身份证号码已登记为另一名学员。")
    learner.set_id_number(parsed.number, cipher())
    learner.gender = parsed.gender
    learner.birth_date = parsed.birth_date
    db.session.flush()
    record("learner.correct_id_number", target_type="learner", target_id=learner.id)


# reading what is kept from view ----------------------------------------------------------------


@dataclass(frozen=True)
class PersonalData:
    """A learner's full personal data, decrypted: for the office on request and for the
    trainee themselves."""

    id_number: str
    phone: str | None
    birth_date: date
    gender: Gender


def own_personal_data(learner: Learner) -> PersonalData:
    """The learner's personal data decrypted, as the trainee sees their own (not audited)."""
    return PersonalData(learner.id_number(cipher()), learner.phone(cipher()),
                        learner.birth_date, learner.gender)


def reveal_personal_data(learner: Learner, *, actor: Actor | None, via: str) -> PersonalData:
    """The full ID and phone numbers for the office; every look is audited (no values)."""
    check_learner_in_area(actor, learner)
    if actor is not None and actor.role != Role.OFFICE:
        raise LearnerError("actor", "只有项目办可以查看完整的身份证号码和手机号码。")
    record("learner.view_personal_data", target_type="learner", target_id=learner.id,
           detail={"via": via})
    return own_personal_data(learner)


def export_register(actor: Actor, filters: LearnerFilters, *, via: str) -> pd.DataFrame:
    """The register of ``actor``'s area matching ``filters`` as a table, masked; audited
    (rows, filters and what kind of search, never the searched text)."""
    check_manager(actor)
    frame = queries.export_frame(actor, filters)
    search = parse_search(filters.q)
    record("learner.export", detail={
        "rows": len(frame),
        "via": via,
        "filters": filters.audit_detail(),
        "search": search.kind if search else None,
    })
    return frame


def learners_in_area(actor: Actor | None, learners: Iterable[Learner]) -> list[Learner]:
    """``learners`` as a list, refused if one lies outside ``actor``'s area."""
    chosen = list(learners)
    for learner in chosen:
        check_learner_in_area(actor, learner)
    return chosen
