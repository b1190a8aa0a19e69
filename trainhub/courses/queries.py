"""Reads on courses and enrolments, limited to what the reader may see.

Who sees what:

- the office and the Certification Centre: every course and every enrolment;
- a coordinator: every course (the programme's courses are common to all areas), but only
  the enrolments of learners in their area (:func:`trainhub.auth.area_clause`);
- an instructor: the courses they teach (named instructor of the course, or assigned to one
  of its sessions) and every enrolment in them;
- a trainee: their own enrolments (:func:`enrolments_of_user`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from trainhub.auth import Actor, Role, area_clause
from trainhub.courses.in_use import course_in_use, phase_in_use
from trainhub.courses.models import (
    Course,
    Enrolment,
    EnrolmentStatus,
    Phase,
    SessionStatus,
    Track,
    TrainingSession,
    course_instructor,
)
from trainhub.extensions import db
from trainhub.learners.models import Learner
from trainhub.learners.queries import learner_of_user
from trainhub.localtime import format_localtime
from trainhub.orgs.models import Organisation

#: Roles that may enrol learners (the coordinator only learners of their area).
ENROLLERS = (Role.OFFICE, Role.COORDINATOR)
#: Roles that may read the course pages.
COURSE_READERS = (Role.OFFICE, Role.COORDINATOR, Role.INSTRUCTOR, Role.CERTIFIER)


# courses -------------------------------------------------------------------------------------


def taught_course_ids(user_id: int) -> sa.Select:
    """Ids of the courses an instructor teaches: named on the course or on one of its sessions."""
    return sa.union(
        sa.select(course_instructor.c.course_id).where(course_instructor.c.user_id == user_id),
        sa.select(TrainingSession.course_id).where(TrainingSession.instructor_id == user_id),
    )


def course_clause(user: Actor) -> sa.ColumnElement[bool]:
    """SQL condition limiting courses to those ``user`` may see."""
    if user.role in (Role.OFFICE, Role.COORDINATOR, Role.CERTIFIER):
        return sa.true()
    if user.role == Role.INSTRUCTOR:
        return Course.id.in_(taught_course_ids(user.id))
    return sa.false()


def course_list_stmt(user: Actor, *, phase_id: int | None = None, track_id: int | None = None,
                     q: str | None = None, include_archived: bool = False) -> sa.Select:
    """Courses ``user`` may see, by phase, track and code; archived ones (or under an
    archived track, phase or programme) only with ``include_archived``."""
    stmt = (
        sa.select(Course)
        .join(Course.track)
        .join(Track.phase)
        .where(course_clause(user))
        .options(joinedload(Course.track).joinedload(Track.phase).joinedload(Phase.programme))
        .order_by(Phase.programme_id, Phase.number, Track.position, Track.id, Course.code)
    )
    if not include_archived:
        stmt = stmt.where(course_in_use())
    if phase_id:
        stmt = stmt.where(Track.phase_id == phase_id)
    if track_id:
        stmt = stmt.where(Course.track_id == track_id)
    q = (q or "").strip()
    if q:
        stmt = stmt.where(sa.or_(Course.title.contains(q, autoescape=True),
                                 Course.code.contains(q.upper(), autoescape=True)))
    return stmt


def list_courses(user: Actor, **filters) -> list[Course]:
    """The courses of :func:`course_list_stmt`, loaded."""
    return list(db.session.scalars(course_list_stmt(user, **filters)).unique().all())


def get_course(user: Actor, course_id: int) -> Course | None:
    """The course, or None when it does not exist or ``user`` may not see it."""
    return db.session.scalar(
        sa.select(Course)
        .where(Course.id == course_id, course_clause(user))
        .options(joinedload(Course.track).joinedload(Track.phase), selectinload(Course.instructors))
    )


def course_by_code(code: str | None) -> Course | None:
    """The course with this code (as typed: spaces and case do not matter), or None."""
    return db.session.scalar(sa.select(Course).where(Course.code == (code or "").strip().upper()))


@dataclass(frozen=True)
class CourseCounts:
    enrolled: int = 0
    waitlisted: int = 0
    withdrawn: int = 0
    #: Enrolled learners of the reader's area (coordinators); None for everyone else.
    area_enrolled: int | None = None
    capacity: int | None = None

    @property
    def free_places(self) -> int | None:
        """Places left; None when the course has no capacity limit."""
        if self.capacity is None:
            return None
        return max(self.capacity - self.enrolled, 0)

    @property
    def is_full(self) -> bool:
        return self.capacity is not None and self.enrolled >= self.capacity


def course_counts(courses: list[Course], user: Actor | None = None) -> dict[int, CourseCounts]:
    """Enrolled, waitlisted and withdrawn learners of each course (all areas: capacity is
    shared); for a coordinator also the enrolled learners of their area."""
    ids = [course.id for course in courses]
    if not ids:
        return {}
    status = Enrolment.status
    columns = [
        Enrolment.course_id,
        sa.func.count(Enrolment.id).filter(status == EnrolmentStatus.ENROLLED),
        sa.func.count(Enrolment.id).filter(status == EnrolmentStatus.WAITLISTED),
        sa.func.count(Enrolment.id).filter(status == EnrolmentStatus.WITHDRAWN),
    ]
    coordinator = user is not None and user.role == Role.COORDINATOR
    stmt = sa.select(*columns).where(Enrolment.course_id.in_(ids)).group_by(Enrolment.course_id)
    if coordinator:
        stmt = stmt.add_columns(
            sa.func.count(Enrolment.id).filter(
                status == EnrolmentStatus.ENROLLED, area_clause(user, Organisation.county_code)
            )
        ).join(Learner, Learner.id == Enrolment.learner_id).join(
            Organisation, Organisation.id == Learner.organisation_id
        )
    found = {row[0]: row for row in db.session.execute(stmt)}
    counts = {}
    for course in courses:
        row = found.get(course.id)
        area = (row[4] if row else 0) if coordinator else None
        counts[course.id] = CourseCounts(
            enrolled=row[1] if row else 0,
            waitlisted=row[2] if row else 0,
            withdrawn=row[3] if row else 0,
            area_enrolled=area,
            capacity=course.capacity,
        )
    return counts


def phases_and_tracks(*, include_archived: bool = False) -> list[Phase]:
    """The phases with their tracks, for the course filters: those in use (``tracks`` then
    still holds every track: filter with :attr:`Track.archived_note`), or every one."""
    stmt = sa.select(Phase).options(selectinload(Phase.tracks)).order_by(Phase.programme_id, Phase.number)
    if not include_archived:
        stmt = stmt.where(phase_in_use())
    return list(db.session.scalars(stmt))


@dataclass(frozen=True)
class CourseTiming:
    """How far a course's timetable has run (cancelled sessions aside), for warning before a
    late enrolment: only sessions that start after a learner's enrolment count towards their
    attendance rate (:mod:`trainhub.attendance.rates`)."""

    total: int
    #: Sessions that have started (held or under way).
    started: int
    #: Sessions that have ended.
    held: int

    @property
    def ended(self) -> bool:
        return self.total > 0 and self.held == self.total

    @property
    def under_way(self) -> bool:
        return self.started > 0 and not self.ended

    @property
    def late_warning(self) -> str | None:
        """The warning shown before enrolling in a course under way or ended (None before
        its first session)."""
        if self.ended:
            return (f"本课程已结束：{self.total} 个课次均已举行。现在报名的学员没有可计入出勤率的课次，"
                    "无法按出勤率结业。")
        if not self.started:
            return None
        running = self.started - self.held
        return (f"本课程已开课：共 {self.total} 个课次，已举行 {self.held} 个"
                + (f"，另有 {running} 个正在进行" if running else "")
                + f"。现在报名，已开始的 {self.started} 个课次不计入出勤率，"
                f"出勤率按之后的 {self.total - self.started} 个课次计算。")


def course_timing(course_id: int, now: datetime) -> CourseTiming:
    """Sessions of the course (not cancelled): in all, started by ``now``, ended by ``now``."""
    session = TrainingSession
    total, started, held = db.session.execute(
        sa.select(
            sa.func.count(session.id),
            sa.func.count(session.id).filter(session.starts_at <= now),
            sa.func.count(session.id).filter(session.ends_at <= now),
        ).where(session.course_id == course_id, session.status != SessionStatus.CANCELLED)
    ).one()
    return CourseTiming(total=total or 0, started=started or 0, held=held or 0)


def course_sessions(course_id: int) -> list[TrainingSession]:
    return list(
        db.session.scalars(
            sa.select(TrainingSession)
            .where(TrainingSession.course_id == course_id)
            .options(joinedload(TrainingSession.instructor), joinedload(TrainingSession.venue))
            .order_by(TrainingSession.starts_at, TrainingSession.id)
        )
    )


# enrolments ----------------------------------------------------------------------------------


def enrolment_clause(user: Actor) -> sa.ColumnElement[bool]:
    """SQL condition limiting enrolments to those ``user`` may see (the statement must join
    :class:`Learner` and :class:`Organisation`)."""
    if user.role == Role.INSTRUCTOR:
        return Enrolment.course_id.in_(taught_course_ids(user.id))
    if user.role == Role.TRAINEE:
        return Learner.user_id == user.id
    return area_clause(user, Organisation.county_code)


def enrolment_list_stmt(
    user: Actor,
    *,
    course_id: int | None = None,
    learner_id: int | None = None,
    status: EnrolmentStatus | str | None = None,
) -> sa.Select:
    """Enrolments ``user`` may see: waiting list in its order, then by county and name."""
    stmt = (
        sa.select(Enrolment)
        .join(Learner, Learner.id == Enrolment.learner_id)
        .join(Organisation, Organisation.id == Learner.organisation_id)
        .join(Course, Course.id == Enrolment.course_id)
        .where(enrolment_clause(user))
        .options(
            joinedload(Enrolment.learner).joinedload(Learner.organisation),
            joinedload(Enrolment.course).joinedload(Course.track).joinedload(Track.phase),
        )
    )
    if course_id is not None:
        stmt = stmt.where(Enrolment.course_id == course_id)
    if learner_id is not None:
        stmt = stmt.where(Enrolment.learner_id == learner_id)
    if status:
        stmt = stmt.where(Enrolment.status == EnrolmentStatus(status))
    return stmt.order_by(
        Course.code,
        sa.case(
            (Enrolment.status == EnrolmentStatus.ENROLLED, 0),
            (Enrolment.status == EnrolmentStatus.WAITLISTED, 1),
            else_=2,
        ),
        Enrolment.waitlist_position,
        Organisation.county_code,
        Learner.name,
        Enrolment.id,
    )


def course_enrolments(user: Actor, course_id: int, status: EnrolmentStatus) -> sa.Select:
    """One course's enrolments of one status that ``user`` may see (for a paged list)."""
    return enrolment_list_stmt(user, course_id=course_id, status=status)


def waiting_list(user: Actor, course_id: int) -> list[Enrolment]:
    """The course's waiting list in order (a coordinator sees their area's part of it, with
    each learner's place in the whole list)."""
    return list(
        db.session.scalars(
            enrolment_list_stmt(user, course_id=course_id, status=EnrolmentStatus.WAITLISTED)
        ).unique()
    )


def get_enrolment(user: Actor, enrolment_id: int) -> Enrolment | None:
    """The enrolment, or None when it does not exist or ``user`` may not see it."""
    return db.session.scalars(
        enrolment_list_stmt(user).where(Enrolment.id == enrolment_id)
    ).unique().one_or_none()


def enrolments_of_learner(learner_id: int) -> list[Enrolment]:
    """Every enrolment of one learner, with its course, track and phase, newest phase first.

    Not limited by area: the caller has already decided that the reader may see the learner
    (the learner's page, or the trainee themselves).
    """
    return list(
        db.session.scalars(
            sa.select(Enrolment)
            .join(Course, Course.id == Enrolment.course_id)
            .join(Track, Track.id == Course.track_id)
            .join(Phase, Phase.id == Track.phase_id)
            .where(Enrolment.learner_id == learner_id)
            .options(joinedload(Enrolment.course).joinedload(Course.track).joinedload(Track.phase))
            .order_by(
                Phase.number.desc(),
                sa.case((Enrolment.status == EnrolmentStatus.WITHDRAWN, 1), else_=0),
                Track.position,
                Course.code,
            )
        )
    )


def enrolments_of_user(user: Actor) -> list[Enrolment]:
    """A trainee's own enrolments (none when the account has no learner record)."""
    learner = learner_of_user(user)
    return enrolments_of_learner(learner.id) if learner is not None else []


def enrolment_status_of(course_id: int, learner_ids: list[int]) -> dict[int, Enrolment]:
    """The enrolment in the course of each of these learners that has one."""
    if not learner_ids:
        return {}
    return {
        e.learner_id: e
        for e in db.session.scalars(
            sa.select(Enrolment).where(
                Enrolment.course_id == course_id, Enrolment.learner_id.in_(learner_ids)
            )
        )
    }


# export --------------------------------------------------------------------------------------

EXPORT_COLUMNS = [
    "序号", "姓名", "性别", "身份证号码（脱敏）", "手机号码（脱敏）", "所在机构", "机构类型", "省份", "县区",
    "县区代码", "职务", "报名状态", "候补顺位", "报名时间", "退课时间", "退课原因",
]


def enrolment_frame(user: Actor, course: Course) -> pd.DataFrame:
    """The course's enrolments that ``user`` may see, one row each; ID and phone masked."""
    rows = []
    stmt = enrolment_list_stmt(user, course_id=course.id).options(
        joinedload(Enrolment.learner).joinedload(Learner.organisation).joinedload(Organisation.county)
    )
    for number, enrolment in enumerate(db.session.scalars(stmt).unique(), start=1):
        learner = enrolment.learner
        org = learner.organisation
        rows.append([
            number,
            learner.name,
            learner.gender.label,
            learner.id_number_masked,
            learner.phone_masked or "",
            org.name,
            org.kind.label,
            org.county.province,
            org.county.name,
            org.county_code,
            learner.position or "",
            enrolment.status.label,
            enrolment.waitlist_position,
            format_localtime(enrolment.enrolled_at),
            format_localtime(enrolment.withdrawn_at),
            enrolment.withdraw_reason or "",
        ])
    frame = pd.DataFrame(rows, columns=EXPORT_COLUMNS)
    frame["候补顺位"] = frame["候补顺位"].astype("Int64")
    return frame
