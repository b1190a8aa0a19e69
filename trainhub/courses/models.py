"""Programme, phases, tracks, courses, their sessions (课次) and enrolments."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainhub.accounts.models import User
from trainhub.db import LabelledEnum, UTCDateTime, enum_column, utcnow
from trainhub.extensions import db
from trainhub.learners.models import Learner


class Programme(db.Model):
    __tablename__ = "programme"
    __table_args__ = (sa.CheckConstraint("ends_on > starts_on", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    starts_on: Mapped[date]
    ends_on: Mapped[date]

    phases: Mapped[list[Phase]] = relationship(back_populates="programme", order_by="Phase.number")


class Phase(db.Model):
    """A period of the programme; every session of the phase lies inside its window."""

    __tablename__ = "phase"
    __table_args__ = (
        sa.UniqueConstraint("programme_id", "number", name="uq_phase_programme_number"),
        sa.CheckConstraint("ends_on > starts_on", name="ends_after_start"),
        sa.CheckConstraint("number > 0", name="number_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("programme.id"), index=True)
    number: Mapped[int]
    name: Mapped[str] = mapped_column(sa.String(100))
    starts_on: Mapped[date]
    #: Last day of the phase (inclusive).
    ends_on: Mapped[date]

    programme: Mapped[Programme] = relationship(back_populates="phases")
    tracks: Mapped[list[Track]] = relationship(back_populates="phase", order_by="Track.position")


class Track(db.Model):
    """A line of courses within a phase (课程模块)."""

    __tablename__ = "track"
    __table_args__ = (sa.UniqueConstraint("phase_id", "name", name="uq_track_phase_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    phase_id: Mapped[int] = mapped_column(sa.ForeignKey("phase.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    #: Display order within the phase.
    position: Mapped[int] = mapped_column(default=0)

    phase: Mapped[Phase] = relationship(back_populates="tracks")
    courses: Mapped[list[Course]] = relationship(back_populates="track", order_by="Course.code")


class CourseMode(LabelledEnum):
    ONLINE = ("online", "线上")
    ONSITE = ("onsite", "线下")
    BLENDED = ("blended", "线上线下结合")


course_instructor = sa.Table(
    "course_instructor",
    db.metadata,
    sa.Column("course_id", sa.ForeignKey("course.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
)


class Course(db.Model):
    __tablename__ = "course"
    __table_args__ = (
        sa.CheckConstraint("class_hours > 0", name="class_hours_positive"),
        sa.CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
        sa.CheckConstraint(
            "completion_min_rate >= 0 AND completion_min_rate <= 1", name="min_rate_fraction"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    track_id: Mapped[int] = mapped_column(sa.ForeignKey("track.id"), index=True)
    #: Short unique code used in imports and the CLI, e.g. ``P1-ORG-01``.
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str | None] = mapped_column(sa.Text)
    #: 学时 earned on completion.
    class_hours: Mapped[Decimal] = mapped_column(sa.Numeric(5, 1))
    mode: Mapped[CourseMode] = mapped_column(enum_column(CourseMode, "course_mode"))
    #: Maximum enrolled learners; NULL means unlimited.
    capacity: Mapped[int | None]
    # completion rule (default: attendance rate >= 80 % and the assessment passed, if any)
    completion_min_rate: Mapped[Decimal] = mapped_column(sa.Numeric(4, 3), default=Decimal("0.800"))
    has_assessment: Mapped[bool] = mapped_column(default=False)
    #: Score at or above which an assessment passes, when scores are used.
    pass_score: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 1))
    #: Whether excused sessions count against the rate; NULL = the programme-wide setting.
    excused_counts_against: Mapped[bool | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    track: Mapped[Track] = relationship(back_populates="courses")
    instructors: Mapped[list[User]] = relationship(secondary=course_instructor)
    sessions: Mapped[list[TrainingSession]] = relationship(
        back_populates="course", order_by="TrainingSession.starts_at"
    )


class SessionStatus(LabelledEnum):
    SCHEDULED = ("scheduled", "已排期")
    CANCELLED = ("cancelled", "已取消")


class TrainingSession(db.Model):
    """One scheduled meeting of a course (课次). Named so as not to clash with ``db.session``."""

    __tablename__ = "course_session"
    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.Index("ix_course_session_course_starts", "course_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id"))
    title: Mapped[str | None] = mapped_column(sa.String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    venue: Mapped[str | None] = mapped_column(sa.String(200))
    meeting_url: Mapped[str | None] = mapped_column(sa.String(500))
    instructor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    status: Mapped[SessionStatus] = mapped_column(
        enum_column(SessionStatus, "session_status"), default=SessionStatus.SCHEDULED
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    course: Mapped[Course] = relationship(back_populates="sessions")
    instructor: Mapped[User | None] = relationship()


class EnrolmentStatus(LabelledEnum):
    ENROLLED = ("enrolled", "已报名")
    WAITLISTED = ("waitlisted", "候补")
    WITHDRAWN = ("withdrawn", "已退课")


class Enrolment(db.Model):
    __tablename__ = "enrolment"
    __table_args__ = (
        sa.UniqueConstraint(
            "learner_id", "course_id", name="uq_enrolment_learner_course",
            info={"conflict": ("learner_id", "该学员已报名此课程（可能刚由他人报名）。")},
        ),
        sa.Index("ix_enrolment_course_status", "course_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(sa.ForeignKey("learner.id"), index=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id"))
    status: Mapped[EnrolmentStatus] = mapped_column(
        enum_column(EnrolmentStatus, "enrolment_status"), default=EnrolmentStatus.ENROLLED
    )
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Order on the waiting list (lower moves up first); NULL unless waitlisted.
    waitlist_position: Mapped[int | None]
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdraw_reason: Mapped[str | None] = mapped_column(sa.String(300))

    learner: Mapped[Learner] = relationship()
    course: Mapped[Course] = relationship()
