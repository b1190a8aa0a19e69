"""Counties (GB/T 2260 county-level divisions) and the priority flag."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from trainhub.db import UTCDateTime, utcnow
from trainhub.extensions import db


class County(db.Model):
    __tablename__ = "county"
    __table_args__ = (
        sa.CheckConstraint("length(code) = 6", name="code_six_digits"),
    )

    #: 6-digit county-level code (GB/T 2260), e.g. ``520221``.
    code: Mapped[str] = mapped_column(sa.String(6), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    prefecture: Mapped[str] = mapped_column(sa.String(64))
    province: Mapped[str] = mapped_column(sa.String(32), index=True)
    #: First two digits of the code: the province code.
    province_code: Mapped[str] = mapped_column(sa.String(2), index=True)
    #: 国家乡村振兴重点帮扶县: flagged by the office, every change audited.
    is_priority: Mapped[bool] = mapped_column(default=False, index=True)
    #: Where the priority flag came from (published source or who flagged it).
    priority_source: Mapped[str | None] = mapped_column(sa.String(300))
    #: Version of the code list this row came from, e.g. ``NBS-2023``.
    list_version: Mapped[str] = mapped_column(sa.String(32))
    #: False once a newer code list no longer contains the code (kept for history).
    is_current: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<County {self.code} {self.name}>"


class CodeListVersion(db.Model):
    """Each county code list the operator has loaded."""

    __tablename__ = "code_list_version"

    version: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    source: Mapped[str] = mapped_column(sa.String(300))
    county_count: Mapped[int]
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
