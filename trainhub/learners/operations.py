"""Writes on learners. Each function validates, flushes and audits; the caller commits.

The personal fields arrive validated as :class:`~trainhub.learners.validation.LearnerFields`
(the web form, the API and the bulk import all validate through
:func:`~trainhub.learners.validation.check_learner_fields`). Audit entries name the fields
that changed, never the values of the ID or phone number.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from trainhub.accounts.models import Role, User
from trainhub.accounts.operations import (
    ACTIVATION_LINK_DAYS,
    AccountError,
    create_activation_link,
    is_activated,
    reset_password,
)
from trainhub.audit.operations import record, record_many
from trainhub.extensions import db
from trainhub.learners.models import DUPLICATE_ID_NUMBER, Learner
from trainhub.learners.validation import LearnerFields
from trainhub.orgs.models import Organisation
from trainhub.pii import cipher

#: Prefix of the user names of trainee accounts: ``xy`` + the learner's number (学员).
TRAINEE_USERNAME_PREFIX = "xy"

#: Fields compared by :func:`update_learner`, with their Chinese names.
FIELD_LABELS = {
    "name": "姓名",
    "phone": "手机号码",
    "organisation": "所在机构",
    "position": "职务",
    "qualification": "职业资格",
    "joined_on": "入职日期",
}


class LearnerError(ValueError):
    """A refused learner change; ``field`` names the input, ``message`` is Chinese."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def learner_by_id_number(number: str) -> Learner | None:
    """The learner with this (normalised) ID number, found through its keyed hash."""
    return db.session.scalar(
        sa.select(Learner).where(Learner.id_number_hash == cipher().search_hash(number))
    )


def trainee_username(learner: Learner) -> str:
    return f"{TRAINEE_USERNAME_PREFIX}{learner.id:06d}"


def create_learner(fields: LearnerFields, organisation: Organisation, *,
                   with_account: bool = True) -> Learner:
    """Register a learner and (by default) their trainee account, not yet activated.

    The account has no password: the office gives a temporary password or a one-time
    activation link, and the trainee chooses their own at first sign-in.
    """
    if learner_by_id_number(fields.id_number) is not None:
        raise LearnerError("id_number", DUPLICATE_ID_NUMBER)
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
    db.session.add(learner)
    db.session.flush()
    if with_account:
        ensure_trainee_account(learner)
    record("learner.create", target_type="learner", target_id=learner.id,
           detail={"organisation_id": organisation.id})
    return learner


def ensure_trainee_account(learner: Learner) -> User:
    """The learner's trainee account, created (without a password) when missing."""
    if learner.user is not None:
        return learner.user
    user = User(
        username=trainee_username(learner),
        display_name=learner.name,
        role=Role.TRAINEE,
        must_change_password=True,
    )
    db.session.add(user)
    learner.user = user
    db.session.flush()
    return user


def learner_changes(learner: Learner, fields: LearnerFields, organisation: Organisation) -> list[str]:
    """Names (keys of :data:`FIELD_LABELS`) of what ``fields`` would change on ``learner``."""
    changes = []
    if learner.name != fields.name:
        changes.append("name")
    if (learner.phone_hash or None) != (cipher().search_hash(fields.phone) if fields.phone else None):
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


def update_learner(learner: Learner, fields: LearnerFields, organisation: Organisation) -> list[str]:
    """Apply ``fields`` to ``learner``; returns the names of the changed fields.

    The ID number identifies the learner and cannot change here: a wrong ID number is
    mended by the office on the learner's page (:func:`correct_id_number`).
    """
    if learner.id_number_hash != cipher().search_hash(fields.id_number):
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


def correct_id_number(learner: Learner, fields: LearnerFields) -> None:
    """Replace a mistyped ID number (gender and birth date follow it)."""
    other = learner_by_id_number(fields.id_number)
    if other is not None and other.id != learner.id:
        raise LearnerError("id_number", "该身份证号码已登记为另一名学员。")
    learner.set_id_number(fields.id_number, cipher())
    learner.gender = fields.gender
    learner.birth_date = fields.birth_date
    db.session.flush()
    record("learner.correct_id_number", target_type="learner", target_id=learner.id)


# trainee accounts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedLink:
    """A one-time activation link just produced for a learner (the token is shown once)."""

    learner: Learner
    username: str
    token: str
    expires_at: datetime


def issue_activation_links(learners: Iterable[Learner], *, days: int = ACTIVATION_LINK_DAYS
                           ) -> tuple[list[IssuedLink], int]:
    """One-time activation links for the learners whose account is not activated yet.

    Learners without an account get one first. Returns the links and how many learners
    were passed over (their account is activated or disabled, or is not a trainee
    account). Earlier unused links of the same accounts stop working.
    """
    issued: list[IssuedLink] = []
    skipped = 0
    for learner in learners:
        user = ensure_trainee_account(learner)
        if is_activated(user) or not user.is_enabled or user.role != Role.TRAINEE:
            skipped += 1
            continue
        link, token = create_activation_link(user, days=days)
        issued.append(IssuedLink(learner=learner, username=user.username, token=token,
                                 expires_at=link.expires_at))
    return issued, skipped


def give_temporary_password(learner: Learner, *, actor: User | None = None) -> str:
    """A new temporary password for the learner's trainee account (returned once).

    The trainee must replace it with their own at the next sign-in; any other session of
    the account ends. The password is random: never derived from the ID number. Only the
    office may reset an account the trainee already uses (a coordinator could otherwise sign
    in as the trainee).
    """
    user = ensure_trainee_account(learner)
    if user.role != Role.TRAINEE:
        raise LearnerError("account", "该学员关联的不是学员账号，请在用户管理中处理。")
    if not user.is_enabled:
        raise LearnerError("account", "该学员的账号已被停用，请先由项目办在用户管理中启用。")
    if actor is not None and actor.role != Role.OFFICE and user.password_hash and not user.must_change_password:
        # a coordinator resetting an account in use could sign in as the trainee
        raise LearnerError("account", "该学员已自行设置密码。如需重置密码，请联系项目办。")
    try:
        return reset_password(user, actor=actor)
    except AccountError as error:
        raise LearnerError("account", error.message) from error


def record_personal_data_view(learner: Learner, *, via: str) -> None:
    """Audit that the full ID and phone numbers of ``learner`` were shown (no values)."""
    record("learner.view_personal_data", target_type="learner", target_id=learner.id,
           detail={"via": via})


#: ID hashes per query when checking a batch (bound parameters per statement).
_BATCH_CHUNK = 500


def create_learners(items: list[tuple[LearnerFields, Organisation]], *,
                    with_accounts: bool = True) -> list[Learner]:
    """:func:`create_learner` for many learners at once (the bulk import).

    The same rules and records (trainee accounts without a password, one ``learner.create``
    audit entry each) in a few statements instead of several per learner: one query per
    500 ID numbers checks that none is registered yet, and the learners and then their
    accounts are flushed together. Refuses the whole batch, writing nothing, when an ID
    number is registered already or appears twice. Returns the learners in ``items`` order.
    """
    if not items:
        return []
    pii = cipher()
    hashes = [pii.search_hash(fields.id_number) for fields, _ in items]
    if len(set(hashes)) != len(hashes):
        raise LearnerError("id_number", "同一批学员中有重复的身份证号码，请勿重复登记。")
    for start in range(0, len(hashes), _BATCH_CHUNK):
        taken = db.session.scalar(
            sa.select(sa.func.count()).select_from(Learner)
            .where(Learner.id_number_hash.in_(hashes[start:start + _BATCH_CHUNK]))
        )
        if taken:
            raise LearnerError("id_number", DUPLICATE_ID_NUMBER)
    learners = []
    for fields, organisation in items:
        learner = Learner(
            name=fields.name,
            gender=fields.gender,
            birth_date=fields.birth_date,
            organisation=organisation,
            position=fields.position,
            qualification=fields.qualification,
            joined_on=fields.joined_on,
        )
        learner.set_id_number(fields.id_number, pii)
        learner.set_phone(fields.phone, pii)
        learners.append(learner)
    db.session.add_all(learners)
    db.session.flush()
    if with_accounts:
        for learner in learners:
            learner.user = User(username=trainee_username(learner), display_name=learner.name,
                                role=Role.TRAINEE, must_change_password=True)
        db.session.add_all(learner.user for learner in learners)
        db.session.flush()
    record_many("learner.create", (
        ("learner", learner.id, {"organisation_id": organisation.id})
        for learner, (_, organisation) in zip(learners, items, strict=True)
    ))
    return learners
