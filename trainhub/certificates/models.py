"""Certificate templates, certificates and their gap-free serial counters."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainhub.accounts.models import User
from trainhub.courses.models import Course, Phase
from trainhub.db import LabelledEnum, UTCDateTime, enum_column, utcnow
from trainhub.extensions import db
from trainhub.learners.models import Learner


class CertificateKind(LabelledEnum):
    COMPLETION = ("completion", "结业证书")
    HOURS = ("hours", "学时证明")


class CertificateStatus(LabelledEnum):
    VALID = ("valid", "有效")
    REVOKED = ("revoked", "已撤销")


class CertificateTemplate(db.Model):
    __tablename__ = "certificate_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    kind: Mapped[CertificateKind] = mapped_column(enum_column(CertificateKind, "certificate_kind"))
    #: Layout as data (title, body text with placeholders, signatures, seal position…).
    layout: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Certificate(db.Model):
    """An issued certificate. Never changed after issue except to revoke it."""

    __tablename__ = "certificate"
    __table_args__ = (
        sa.UniqueConstraint("kind", "year", "sequence", name="uq_certificate_kind_year_sequence"),
        sa.CheckConstraint("sequence > 0", name="sequence_positive"),
        sa.CheckConstraint(
            "course_id IS NOT NULL OR phase_id IS NOT NULL", name="certifies_course_or_phase"
        ),
        sa.CheckConstraint(
            "(status = 'revoked') = (revoked_at IS NOT NULL)", name="revoked_has_time"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Readable serial, e.g. ``QS-JY-2023-000123``; unique and gap-free per kind and year.
    serial: Mapped[str] = mapped_column(sa.String(32), unique=True)
    kind: Mapped[CertificateKind] = mapped_column(enum_column(CertificateKind, "certificate_kind"))
    year: Mapped[int]
    sequence: Mapped[int]
    #: Random, unguessable code printed with the QR code for public verification.
    verification_code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    learner_id: Mapped[int] = mapped_column(sa.ForeignKey("learner.id"), index=True)
    course_id: Mapped[int | None] = mapped_column(sa.ForeignKey("course.id"), index=True)
    phase_id: Mapped[int | None] = mapped_column(sa.ForeignKey("phase.id"), index=True)
    template_id: Mapped[int] = mapped_column(sa.ForeignKey("certificate_template.id"))
    #: What was certified, frozen at issue (name, masked ID, course, hours, template layout…).
    snapshot: Mapped[dict] = mapped_column(sa.JSON)
    status: Mapped[CertificateStatus] = mapped_column(
        enum_column(CertificateStatus, "certificate_status"), default=CertificateStatus.VALID
    )
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    revoke_reason: Mapped[str | None] = mapped_column(sa.String(500))
    #: The revoked certificate this one replaces.
    replaces_id: Mapped[int | None] = mapped_column(sa.ForeignKey("certificate.id"), unique=True)

    learner: Mapped[Learner] = relationship()
    course: Mapped[Course | None] = relationship()
    phase: Mapped[Phase | None] = relationship()
    template: Mapped[CertificateTemplate] = relationship()
    issued_by: Mapped[User | None] = relationship(foreign_keys=[issued_by_id])
    replaces: Mapped[Certificate | None] = relationship(remote_side=[id])


class SerialCounter(db.Model):
    """Last sequence number issued per certificate kind and year (locked while issuing)."""

    __tablename__ = "serial_counter"

    kind: Mapped[CertificateKind] = mapped_column(
        enum_column(CertificateKind, "certificate_kind"), primary_key=True
    )
    year: Mapped[int] = mapped_column(primary_key=True)
    last_sequence: Mapped[int] = mapped_column(default=0)
