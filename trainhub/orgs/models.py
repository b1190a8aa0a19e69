"""Organisations (社工机构, 乡镇（街道）社工站, 支援方) and pairings (牵手结对)."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainhub.db import LabelledEnum, UTCDateTime, enum_column, utcnow
from trainhub.extensions import db
from trainhub.geo.models import County
from trainhub.pii import ENCRYPTED, cipher


class OrgKind(LabelledEnum):
    AGENCY = ("agency", "社工机构")
    STATION = ("station", "乡镇（街道）社工站")
    SUPPORTER = ("supporter", "支援方机构")


class PairingStatus(LabelledEnum):
    """Where a pairing stands on a given day; derived from its dates, not stored."""

    PLANNED = ("planned", "未开始")
    ACTIVE = ("active", "进行中")
    ENDED = ("ended", "已结束")


class Organisation(db.Model):
    __tablename__ = "organisation"
    __table_args__ = (
        sa.UniqueConstraint(
            "county_code", "name", name="uq_organisation_county_name",
            info={"conflict": ("name", "同一县内已有同名机构（可能刚由他人登记）。")},
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    kind: Mapped[OrgKind] = mapped_column(enum_column(OrgKind, "org_kind"))
    county_code: Mapped[str] = mapped_column(sa.ForeignKey("county.code"), index=True)
    #: 统一社会信用代码 (18 characters), where known.
    credit_code: Mapped[str | None] = mapped_column(
        sa.String(18), unique=True,
        info={"conflict": ("credit_code", "该统一社会信用代码已登记给另一机构（可能刚由他人登记）。")},
    )
    address: Mapped[str | None] = mapped_column(sa.String(200))
    contact_name: Mapped[str | None] = mapped_column(sa.String(50))
    #: The contact's telephone number (often a personal mobile number), Fernet-encrypted;
    #: read and written through :attr:`contact_phone`.
    contact_phone_enc: Mapped[str | None] = mapped_column(sa.Text, info=ENCRYPTED)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    county: Mapped[County] = relationship(lazy="joined")

    @property
    def contact_phone(self) -> str | None:
        """The contact's telephone number (decrypted with the application's key)."""
        return cipher().decrypt(self.contact_phone_enc) if self.contact_phone_enc else None

    @contact_phone.setter
    def contact_phone(self, value: str | None) -> None:
        self.contact_phone_enc = cipher().encrypt(value) if value else None

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name}>"


class Pairing(db.Model):
    """A supporting organisation paired with a recipient organisation (牵手结对)."""

    __tablename__ = "pairing"
    __table_args__ = (
        sa.UniqueConstraint(
            "supporter_id", "recipient_id", "started_on", name="uq_pairing_pair_start",
            info={"conflict": ("started_on", "这两个机构已登记了同一开始日期的结对（可能刚由他人登记）。")},
        ),
        sa.CheckConstraint("supporter_id <> recipient_id", name="distinct_parties"),
        sa.CheckConstraint("ended_on IS NULL OR ended_on >= started_on", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    supporter_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    recipient_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    started_on: Mapped[date]
    #: The day the pairing ended: it is over from that day on (``ended_on > today`` is still active).
    ended_on: Mapped[date | None]
    note: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    supporter: Mapped[Organisation] = relationship(foreign_keys=[supporter_id])
    recipient: Mapped[Organisation] = relationship(foreign_keys=[recipient_id])

    def status(self, today: date) -> PairingStatus:
        if self.started_on > today:
            return PairingStatus.PLANNED
        if self.ended_on is not None and self.ended_on <= today:
            return PairingStatus.ENDED
        return PairingStatus.ACTIVE
