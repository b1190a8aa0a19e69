"""Learners (学员): trainees with their personal data encrypted at rest."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainhub.accounts.models import User
from trainhub.db import LabelledEnum, UTCDateTime, enum_column, utcnow
from trainhub.extensions import db
from trainhub.orgs.models import Organisation
from trainhub.pii import (
    ENCRYPTED,
    PersonalDataCipher,
    cipher,
    keyed_hash,
    mask_id_number,
    mask_phone,
)

#: The refusal of a second registration of the same person (also a conflict's message).
DUPLICATE_ID_NUMBER = "该身份证号码已登记为学员，请勿重复登记。"


class Gender(LabelledEnum):
    MALE = ("male", "男")
    FEMALE = ("female", "女")


class Qualification(LabelledEnum):
    NONE = ("none", "无")
    ASSISTANT = ("assistant", "助理社会工作师")
    SOCIAL_WORKER = ("social_worker", "社会工作师")
    SENIOR = ("senior", "高级社会工作师")


class Learner(db.Model):
    """A trainee. The ID number, the mobile number and the birth date are encrypted; their
    masked forms are derived when shown, never stored. Kept in clear: the birth year (age
    statistics) and the gender. With the organisation's county, what is in clear leaves
    about 365 x 100 x 5 = 182,500 possible ID numbers per learner (README, "Personal data").
    """

    __tablename__ = "learner"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The learner's trainee account.
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"), unique=True)
    name: Mapped[str] = mapped_column(sa.String(50), index=True)
    #: Follows the ID number (its 17th digit); kept in clear for statistics.
    gender: Mapped[Gender] = mapped_column(enum_column(Gender, "gender"))
    #: Year of birth in clear, for age statistics; the full date is in ``birth_date_enc``.
    birth_year: Mapped[int] = mapped_column(sa.SmallInteger)
    #: Birth date ``YYYY-MM-DD``, Fernet-encrypted (it is part of the ID number).
    birth_date_enc: Mapped[str] = mapped_column(sa.Text, info=ENCRYPTED)
    #: Resident ID number, Fernet-encrypted.
    id_number_enc: Mapped[str] = mapped_column(sa.Text, info=ENCRYPTED)
    #: Keyed HMAC of the ID number: uniqueness and exact search without decrypting.
    id_number_hash: Mapped[str] = mapped_column(
        sa.String(64), unique=True,
        info={**keyed_hash("id_number_enc"), "conflict": ("id_number", DUPLICATE_ID_NUMBER)},
    )
    phone_enc: Mapped[str | None] = mapped_column(sa.Text, info=ENCRYPTED)
    phone_hash: Mapped[str | None] = mapped_column(sa.String(64), index=True,
                                                   info=keyed_hash("phone_enc"))
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    position: Mapped[str | None] = mapped_column(sa.String(50))
    qualification: Mapped[Qualification] = mapped_column(
        enum_column(Qualification, "qualification"), default=Qualification.NONE
    )
    joined_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    user: Mapped[User | None] = relationship()

    def set_id_number(self, value: str, cipher: PersonalDataCipher) -> None:
        """Store a validated, normalised (upper-case X) ID number, encrypted and hashed."""
        self.id_number_enc = cipher.encrypt(value)
        self.id_number_hash = cipher.search_hash(value)

    def id_number(self, cipher: PersonalDataCipher) -> str:
        return cipher.decrypt(self.id_number_enc)

    def set_phone(self, value: str | None, cipher: PersonalDataCipher) -> None:
        if not value:
            self.phone_enc = self.phone_hash = None
            return
        self.phone_enc = cipher.encrypt(value)
        self.phone_hash = cipher.search_hash(value)

    def phone(self, cipher: PersonalDataCipher) -> str | None:
        return cipher.decrypt(self.phone_enc) if self.phone_enc else None

    @property
    def birth_date(self) -> date:
        """The full birth date (decrypted with the application's key)."""
        return date.fromisoformat(cipher().decrypt(self.birth_date_enc))

    @birth_date.setter
    def birth_date(self, value: date) -> None:
        self.birth_date_enc = cipher().encrypt(value.isoformat())
        self.birth_year = value.year

    @property
    def id_number_masked(self) -> str:
        """e.g. ``6201**********123X``: what lists and exports show (derived, not stored)."""
        return mask_id_number(self.id_number(cipher()))

    @property
    def phone_masked(self) -> str | None:
        """e.g. ``138****5678``, or None (derived, not stored)."""
        phone = self.phone(cipher())
        return mask_phone(phone) if phone else None

    def __repr__(self) -> str:
        return f"<Learner {self.id} {self.name}>"
