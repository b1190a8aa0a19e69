"""Attendance (考勤), leave requests (请假) and assessment results (考核)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainhub.accounts.models import User
from trainhub.courses.models import Course, TrainingSession
from trainhub.db import LabelledEnum, UTCDateTime, enum_column, utcnow
from trainhub.extensions import db
from trainhub.learners.models import Learner


class AttendanceStatus(LabelledEnum):
    PRESENT = ("present", "出勤")
    LATE = ("late", "迟到")
    LEFT_EARLY = ("left_early", "早退")
    EXCUSED = ("excused", "请假")
    ABSENT = ("absent", "缺勤")

    @property
    def counts_as_attended(self) -> bool:
        return self in (AttendanceStatus.PRESENT, AttendanceStatus.LATE, AttendanceStatus.LEFT_EARLY)


class AttendanceSource(LabelledEnum):
    MANUAL = ("manual", "人工登记")
    CHECKIN = ("checkin", "学员签到")
    IMPORT = ("import", "会议平台导入")
    LEAVE = ("leave", "请假审批")


class Attendance(db.Model):
    __tablename__ = "attendance"
    __table_args__ = (
        sa.UniqueConstraint("learner_id", "session_id", name="uq_attendance_learner_session"),
        sa.Index("ix_attendance_session_status", "session_id", "status"),
        sa.CheckConstraint(
            "left_at IS NULL OR joined_at IS NULL OR left_at >= joined_at", name="left_after_join"
        ),
        sa.CheckConstraint("minutes_attended IS NULL OR minutes_attended >= 0", name="minutes_nonneg"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(sa.ForeignKey("learner.id"), index=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("course_session.id"))
    status: Mapped[AttendanceStatus] = mapped_column(enum_column(AttendanceStatus, "attendance_status"))
    source: Mapped[AttendanceSource] = mapped_column(
        enum_column(AttendanceSource, "attendance_source"), default=AttendanceSource.MANUAL
    )
    #: First join and last leave within the session's time (online imports and check-ins).
    joined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Minutes present after merging and clipping the platform's rows.
    minutes_attended: Mapped[int | None]
    note: Mapped[str | None] = mapped_column(sa.String(300))
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    learner: Mapped[Learner] = relationship()
    session: Mapped[TrainingSession] = relationship()
    recorded_by: Mapped[User | None] = relationship()


class LeaveStatus(LabelledEnum):
    PENDING = ("pending", "待审批")
    APPROVED = ("approved", "已批准")
    REJECTED = ("rejected", "已驳回")
    CANCELLED = ("cancelled", "已撤回")


class LeaveRequest(db.Model):
    __tablename__ = "leave_request"
    __table_args__ = (sa.Index("ix_leave_request_session_status", "session_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(sa.ForeignKey("learner.id"), index=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("course_session.id"))
    reason: Mapped[str] = mapped_column(sa.String(500))
    status: Mapped[LeaveStatus] = mapped_column(
        enum_column(LeaveStatus, "leave_status"), default=LeaveStatus.PENDING
    )
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(sa.String(300))

    learner: Mapped[Learner] = relationship()
    session: Mapped[TrainingSession] = relationship()


class Assessment(db.Model):
    """A learner's result in a course (考核)."""

    __tablename__ = "assessment"
    __table_args__ = (
        sa.UniqueConstraint("learner_id", "course_id", name="uq_assessment_learner_course"),
        sa.CheckConstraint("score IS NULL OR (score >= 0 AND score <= 100)", name="score_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(sa.ForeignKey("learner.id"), index=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id"), index=True)
    score: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 1))
    passed: Mapped[bool]
    assessed_on: Mapped[date]
    note: Mapped[str | None] = mapped_column(sa.String(300))
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    learner: Mapped[Learner] = relationship()
    course: Mapped[Course] = relationship()
