"""Writes on learners' trainee accounts: creating them, temporary passwords and one-time
activation links. The same rules as :mod:`trainhub.learners.operations`: the acting user
(``actor``, None for the system) must manage learners, and a coordinator only those of
their area; refusals raise :class:`~trainhub.learners.operations.LearnerError`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from trainhub.accounts.models import User
from trainhub.accounts.operations import (
    ACTIVATION_LINK_DAYS,
    AccountError,
    create_activation_link,
    is_activated,
    reset_password,
)
from trainhub.auth import Actor, Role
from trainhub.extensions import db
from trainhub.learners.models import Learner
from trainhub.learners.operations import LearnerError, check_learner_in_area, learners_in_area
from trainhub.learners.queries import trainee_username

#: Most activation links produced at once (one printed list), whoever asks.
MAX_LINKS_PER_BATCH: Final = 2000


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


@dataclass(frozen=True)
class IssuedLink:
    """A one-time activation link just produced for a learner (the token is shown once)."""

    learner: Learner
    username: str
    token: str
    expires_at: datetime


def issue_activation_links(learners: Iterable[Learner], *, actor: Actor | None,
                           days: int = ACTIVATION_LINK_DAYS) -> tuple[list[IssuedLink], int]:
    """One-time activation links for the learners whose account is not activated yet.

    At most :data:`MAX_LINKS_PER_BATCH` learners at once, all in ``actor``'s area (else
    nothing is written). Learners without an account get one first. Returns the links and
    how many learners were passed over (their account is activated or disabled, or is not a
    trainee account). Earlier unused links of the same accounts stop working.
    """
    chosen = learners_in_area(actor, learners)
    if len(chosen) > MAX_LINKS_PER_BATCH:
        raise LearnerError(
            "learner_id",
            f"一次最多为 {MAX_LINKS_PER_BATCH} 名学员生成激活链接（当前 {len(chosen)} 名），"
            "请按县区或机构缩小范围。",
        )
    issued: list[IssuedLink] = []
    skipped = 0
    for learner in chosen:
        user = ensure_trainee_account(learner)
        if is_activated(user) or not user.is_enabled or user.role != Role.TRAINEE:
            skipped += 1
            continue
        link, token = create_activation_link(user, days=days)
        issued.append(IssuedLink(learner=learner, username=user.username, token=token,
                                 expires_at=link.expires_at))
    return issued, skipped


def give_temporary_password(learner: Learner, *, actor: User | None) -> str:
    """A new temporary password for the learner's trainee account (returned once).

    The trainee must replace it with their own at the next sign-in; any other session of
    the account ends. The password is random: never derived from the ID number. Only the
    office may reset an account the trainee already uses (a coordinator could otherwise sign
    in as the trainee).
    """
    check_learner_in_area(actor, learner)
    user = learner.user
    if user is not None and user.role != Role.TRAINEE:
        raise LearnerError("account", "该学员关联的不是学员账号，请在用户管理中处理。")
    if user is not None and not user.is_enabled:
        raise LearnerError("account", "该学员的账号已被停用，请先由项目办在用户管理中启用。")
    if (actor is not None and actor.role != Role.OFFICE and user is not None
            and user.password_hash and not user.must_change_password):
        # a coordinator resetting an account in use could sign in as the trainee
        raise LearnerError("account", "该学员已自行设置密码。如需重置密码，请联系项目办。")
    user = ensure_trainee_account(learner)
    try:
        return reset_password(user, actor=actor)
    except AccountError as error:
        raise LearnerError("account", error.message) from error
