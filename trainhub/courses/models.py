"""Programme, phases, tracks, courses, their sessions (课次) and enrolments."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainhub.accounts.models import User
from trainhub.db import LabelledEnum, UTCDateTime, enum_column, utcnow
from trainhub.extensions import db
from trainhub.geo.models import County
from trainhub.learners.models import Learner
from trainhub.orgs.models import Organisation


class Programme(db.Model):
    __tablename__ = "programme"
    __table_args__ = (sa.CheckConstraint("ends_on > starts_on", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(
        sa.String(100), unique=True, info={"conflict": ("name", "已有同名的项目（可能刚由他人保存）。")}
    )
    starts_on: Mapped[date]
    #: Last day of the programme (inclusive).
    ends_on: Mapped[date]
    #: Set when the office archives it: it leaves lists, stays in history and reports.
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    phases: Mapped[list[Phase]] = relationship(back_populates="programme", order_by="Phase.number")

    @property
    def archived_note(self) -> str | None:
        """Why it is out of the lists (Chinese), or None while it is in use."""
        return "已归档" if self.archived_at else None


class Phase(db.Model):
    """A period of the programme; every session of the phase lies inside its window."""

    __tablename__ = "phase"
    __table_args__ = (
        sa.UniqueConstraint(
            "programme_id", "number", name="uq_phase_programme_number",
            info={"conflict": ("number", "本项目已有该编号的阶段（可能刚由他人创建）。")},
        ),
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
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    programme: Mapped[Programme] = relationship(back_populates="phases")
    tracks: Mapped[list[Track]] = relationship(back_populates="phase", order_by="Track.position")

    @property
    def archived_note(self) -> str | None:
        """Why it is out of the lists (itself or its programme archived), or None."""
        if self.archived_at:
            return "已归档"
        return "所属项目已归档" if self.programme.archived_at else None


class Track(db.Model):
    """A line of courses within a phase (课程模块)."""

    __tablename__ = "track"
    __table_args__ = (
        sa.UniqueConstraint(
            "phase_id", "name", name="uq_track_phase_name",
            info={"conflict": ("name", "本阶段已有同名的课程模块（可能刚由他人创建）。")},
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    phase_id: Mapped[int] = mapped_column(sa.ForeignKey("phase.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    #: Display order within the phase.
    position: Mapped[int] = mapped_column(default=0)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    phase: Mapped[Phase] = relationship(back_populates="tracks")
    courses: Mapped[list[Course]] = relationship(back_populates="track", order_by="Course.code")

    @property
    def archived_note(self) -> str | None:
        """Why it is out of the lists (itself, its phase or programme archived), or None."""
        if self.archived_at:
            return "已归档"
        note = self.phase.archived_note
        return None if note is None else ("所属阶段已归档" if note == "已归档" else note)


class CourseMode(LabelledEnum):
    ONLINE = ("online", "线上")
    ONSITE = ("onsite", "线下")
    BLENDED = ("blended", "线上线下结合")


course_instructor = sa.Table(
    "course_instructor",
    db.metadata,
    sa.Column("course_id", sa.ForeignKey("course.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
    # Enforces the rule that a session's instructor teaches its course: see
    # ``fk_course_session_course_instructor``. Removing an instructor who still has
    # sessions of the course is refused by the database.
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
    code: Mapped[str] = mapped_column(
        sa.String(32), unique=True,
        info={"conflict": ("code", "该课程编号已被另一门课程使用（可能刚由他人创建）。")},
    )
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
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    track: Mapped[Track] = relationship(back_populates="courses")
    #: In the order their accounts were made: the first is the default instructor of a
    #: session scheduled without one.
    instructors: Mapped[list[User]] = relationship(secondary=course_instructor, order_by="User.id")
    sessions: Mapped[list[TrainingSession]] = relationship(
        back_populates="course", order_by="TrainingSession.starts_at"
    )

    @property
    def archived_note(self) -> str | None:
        """Why it is out of the lists and closed to enrolment (itself, its track, phase or
        programme archived), or None."""
        if self.archived_at:
            return "已归档"
        note = self.track.archived_note
        return None if note is None else ("所属课程模块已归档" if note == "已归档" else note)


class SessionStatus(LabelledEnum):
    SCHEDULED = ("scheduled", "已排期")
    CANCELLED = ("cancelled", "已取消")


class Venue(db.Model):
    """A place where on-site sessions are held (an implementation site, 实施点, or a room
    of it). Venue clashes compare these records, not free text; a venue's county puts its
    sessions in coordinators' areas."""

    __tablename__ = "venue"
    __table_args__ = (
        sa.UniqueConstraint(
            "county_code", "name", name="uq_venue_county_name",
            info={"conflict": ("name", "该县已有同名场地。")},
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    county_code: Mapped[str] = mapped_column(sa.ForeignKey("county.code"), index=True)
    #: The organisation hosting the site, when it is one.
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    address: Mapped[str | None] = mapped_column(sa.String(300))
    capacity: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    county: Mapped[County] = relationship()
    organisation: Mapped[Organisation | None] = relationship()

    @property
    def archived_note(self) -> str | None:
        return "已归档" if self.archived_at else None


class SessionSeries(db.Model):
    """A recurrence rule and the sessions made from it, so that they can be changed or
    cancelled as a whole. The sessions are rows of their own: the rule is kept to show and
    to edit, never re-expanded behind the office's back."""

    __tablename__ = "session_series"
    __table_args__ = (
        sa.CheckConstraint("ends_time > starts_time", name="ends_after_start"),
        sa.CheckConstraint("(until_date IS NULL) <> (occurrences IS NULL)", name="until_or_count"),
        sa.CheckConstraint("occurrences IS NULL OR occurrences > 0", name="count_positive"),
        sa.CheckConstraint("until_date IS NULL OR until_date >= first_date", name="until_after_first"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id"), index=True)
    #: ISO weekdays the rule repeats on, as digits 1 (Monday) … 7 (Sunday), e.g. ``"3"`` or ``"246"``.
    weekdays: Mapped[str] = mapped_column(sa.String(7))
    #: Local (Asia/Shanghai) wall-clock times of every session of the series.
    starts_time: Mapped[time]
    ends_time: Mapped[time]
    first_date: Mapped[date]
    #: Last date (inclusive) — or ``occurrences``: exactly one of them is set.
    until_date: Mapped[date | None]
    occurrences: Mapped[int | None]
    #: Whether public holidays were skipped (the default) when the rule was expanded.
    skip_holidays: Mapped[bool] = mapped_column(default=True)
    #: Holiday dates the office kept on purpose (ISO dates, comma separated).
    kept_holidays: Mapped[str | None] = mapped_column(sa.Text)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    course: Mapped[Course] = relationship()
    sessions: Mapped[list[TrainingSession]] = relationship(
        back_populates="series", order_by="TrainingSession.starts_at"
    )


class TrainingSession(db.Model):
    """One scheduled meeting of a course (课次). Named so as not to clash with ``db.session``."""

    __tablename__ = "course_session"
    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint("sequence >= 0", name="sequence_nonneg"),
        sa.CheckConstraint(
            "(status = 'cancelled') = (cancelled_at IS NOT NULL)", name="cancelled_when_cancelled"
        ),
        sa.Index("ix_course_session_course_starts", "course_id", "starts_at"),
        sa.ForeignKeyConstraint(
            ["course_id", "instructor_id"],
            ["course_instructor.course_id", "course_instructor.user_id"],
            name="fk_course_session_course_instructor",
            # checked at commit: a course's instructors are written after its new sessions
            # in the same flush (association rows come last in SQLAlchemy's unit of work)
            deferrable=True, initially="DEFERRED",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id"))
    #: The recurrence this session was made from; NULL for a session scheduled alone.
    series_id: Mapped[int | None] = mapped_column(sa.ForeignKey("session_series.id"), index=True)
    title: Mapped[str | None] = mapped_column(sa.String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Where an on-site (or blended) session is held; its county is the session's area.
    venue_id: Mapped[int | None] = mapped_column(sa.ForeignKey("venue.id"), index=True)
    #: Room or directions within the venue (free text; also what was typed before venues
    #: were records).
    venue_detail: Mapped[str | None] = mapped_column(sa.String(200))
    meeting_url: Mapped[str | None] = mapped_column(sa.String(500))
    #: Meeting number (会议号) of the online meeting.
    meeting_number: Mapped[str | None] = mapped_column(sa.String(40))
    #: Teaches the course (composite foreign key onto ``course_instructor``).
    instructor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    status: Mapped[SessionStatus] = mapped_column(
        enum_column(SessionStatus, "session_status"), default=SessionStatus.SCHEDULED
    )
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(sa.String(300))
    #: Reason the office gave for scheduling despite a clash (also in the audit log).
    clash_override: Mapped[str | None] = mapped_column(sa.String(300))
    #: iCalendar SEQUENCE: raised on every change a subscriber should see.
    sequence: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    course: Mapped[Course] = relationship(back_populates="sessions")
    series: Mapped[SessionSeries | None] = relationship(back_populates="sessions")
    venue: Mapped[Venue | None] = relationship()
    instructor: Mapped[User | None] = relationship()

    @property
    def place(self) -> str | None:
        """Where it is held, as shown: the venue's name and the detail within it."""
        parts = [self.venue.name if self.venue else None, self.venue_detail]
        return "，".join(p for p in parts if p) or None

    @property
    def is_cancelled(self) -> bool:
        return self.status == SessionStatus.CANCELLED


class CalendarFeed(db.Model):
    """A secret calendar-feed address: a user's own sessions, or a course's sessions shared
    by the office. Only a hash of the secret is stored; a new feed replaces (revokes) the
    old one."""

    __tablename__ = "calendar_feed"
    __table_args__ = (
        sa.CheckConstraint("(user_id IS NULL) <> (course_id IS NULL)", name="user_or_course"),
        sa.Index(
            "uq_calendar_feed_active_user", "user_id", unique=True,
            sqlite_where=sa.text("revoked_at IS NULL AND user_id IS NOT NULL"),
            postgresql_where=sa.text("revoked_at IS NULL AND user_id IS NOT NULL"),
        ),
        sa.Index(
            "uq_calendar_feed_active_course", "course_id", unique=True,
            sqlite_where=sa.text("revoked_at IS NULL AND course_id IS NOT NULL"),
            postgresql_where=sa.text("revoked_at IS NULL AND course_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    course_id: Mapped[int | None] = mapped_column(sa.ForeignKey("course.id"), index=True)
    #: SHA-256 (hex) of the secret in the feed's address.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    course: Mapped[Course | None] = relationship()


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
