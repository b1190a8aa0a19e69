"""Reads behind the role dashboards: counts and short lists, each one SQL aggregate.

Terms used throughout:

- a session is *held* when it is not cancelled and has ended (``ends_at <= now``);
- a session is *upcoming* when it is not cancelled and has not ended (this includes one in
  progress), so held + upcoming = every session that was not cancelled;
- a coordinator's area is applied through :func:`trainhub.auth.area_clause` on the county
  code of the organisation a learner belongs to (or of the county itself). Courses are not
  tied to a place: a coordinator's courses are those in which a learner of their area is
  enrolled; everyone's sessions are their own sessions of :mod:`trainhub.schedule.scope`
  (a coordinator's: those courses' sessions and the sessions held at a venue of the area);
- a start page opens with the person's :class:`Agenda`: today, the rest of this week, then
  the next sessions.

Results are plain dataclasses so that templates never touch the database. The summaries of
one person (an instructor's, a trainee's) are in :mod:`trainhub.dashboard.personal`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from trainhub.attendance.models import Attendance
from trainhub.auth import Actor, Role, area_clause
from trainhub.certificates.models import Certificate, CertificateKind, CertificateStatus
from trainhub.courses.models import (
    Course,
    Enrolment,
    EnrolmentStatus,
    SessionStatus,
    TrainingSession,
)
from trainhub.extensions import db
from trainhub.geo.models import County
from trainhub.geo.operations import EXPECTED_PRIORITY_COUNT
from trainhub.learners.models import Learner
from trainhub.localtime import to_local
from trainhub.orgs.models import Organisation, OrgKind
from trainhub.schedule.queries import SessionItem, day_starts, days_clause, session_items
from trainhub.schedule.scope import own_sessions

#: How many sessions after this week the start pages list.
LIST_LIMIT = 10
#: At most this many of today's and this week's sessions (the office's may be many).
AGENDA_LIMIT = 100


# shared pieces -------------------------------------------------------------------------------


def held(now: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(TrainingSession.status != SessionStatus.CANCELLED, TrainingSession.ends_at <= now)


def upcoming(now: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(TrainingSession.status != SessionStatus.CANCELLED, TrainingSession.ends_at > now)


def count(stmt) -> int:
    return db.session.scalar(stmt) or 0


@dataclass(frozen=True)
class Agenda:
    """A person's sessions as their start page opens with them: today's, the rest of this
    week's (local days, Monday to Sunday), then the next ones after this week.

    Today's and this week's include cancelled sessions (shown as cancelled: someone may have
    planned for them); the later ones do not.
    """

    today: date
    #: The Sunday that ends this week.
    week_ends: date
    today_sessions: list[SessionItem]
    #: The days after today up to Sunday that have sessions, with their sessions.
    week: list[tuple[date, list[SessionItem]]]
    #: Whether today's and this week's sessions were more than :data:`AGENDA_LIMIT`.
    truncated: bool
    later: list[SessionItem]
    later_total: int


def agenda(where: sa.ColumnElement[bool], now: datetime) -> Agenda:
    """The :class:`Agenda` of the sessions matching ``where`` (e.g. ``own_sessions(user)``)
    at ``now``: five queries whatever their number."""
    today = to_local(now).date()
    week_ends = today + timedelta(days=6 - today.weekday())
    this_week = session_items(sa.and_(where, days_clause(today, week_ends)), now,
                              limit=AGENDA_LIMIT + 1)
    truncated = len(this_week) > AGENDA_LIMIT
    by_day: dict[date, list[SessionItem]] = {}
    for item in this_week[:AGENDA_LIMIT]:
        by_day.setdefault(item.local_day, []).append(item)
    later = sa.and_(where, upcoming(now), TrainingSession.starts_at >= day_starts(week_ends + timedelta(days=1)))
    return Agenda(
        today=today,
        week_ends=week_ends,
        today_sessions=by_day.pop(today, []),
        week=sorted(by_day.items()),
        truncated=truncated,
        later=session_items(later, now, limit=LIST_LIMIT),
        later_total=count(sa.select(sa.func.count(TrainingSession.id)).where(later)),
    )


def area_name(scope_code: str | None) -> str | None:
    """A coordinator's area in words: ``贵州省`` or ``贵州省六盘水市水城区``."""
    if not scope_code:
        return None
    if len(scope_code) == 2:
        return db.session.scalar(
            sa.select(County.province).where(County.province_code == scope_code).limit(1)
        ) or scope_code
    row = db.session.execute(
        sa.select(County.province, County.prefecture, County.name).where(County.code == scope_code)
    ).first()
    if row is None:
        return scope_code
    province, prefecture, name = row
    parts = [province] + ([prefecture] if prefecture and prefecture != province else []) + [name]
    return "".join(parts)


# office and coordinator ----------------------------------------------------------------------


@dataclass(frozen=True)
class Coverage:
    """Priority counties flagged (in the area) and how many have organisations / learners."""

    flagged: int
    with_organisations: int
    with_learners: int
    #: The published total (160, not all confirmed yet) for the whole programme; None for an area.
    expected: int | None


@dataclass(frozen=True)
class AreaSummary:
    area_name: str | None
    learners: int
    organisations: list[tuple[OrgKind, int]]
    courses: int
    sessions_held: int
    sessions_upcoming: int
    attendance_records: int
    certificates_valid: int
    certificates_revoked: int
    coverage: Coverage
    agenda: Agenda

    @property
    def organisations_total(self) -> int:
        return sum(count for _, count in self.organisations)


def _whole_programme(user: Actor) -> bool:
    return user.role in (Role.OFFICE, Role.CERTIFIER)


def _area_course_ids(user: Actor):
    """Ids of the courses a coordinator's learners are enrolled in (a subquery)."""
    return (
        sa.select(Enrolment.course_id)
        .join(Learner, Learner.id == Enrolment.learner_id)
        .join(Organisation, Organisation.id == Learner.organisation_id)
        .where(
            Enrolment.status == EnrolmentStatus.ENROLLED,
            area_clause(user, Organisation.county_code),
        )
        .distinct()
    )


def area_summary(user: Actor, now: datetime) -> AreaSummary:
    """The office's figures for the whole programme, a coordinator's for their area."""
    in_area = area_clause(user, Organisation.county_code)

    learners = count(
        sa.select(sa.func.count(Learner.id))
        .join(Organisation, Organisation.id == Learner.organisation_id)
        .where(in_area)
    )
    by_kind = dict(
        db.session.execute(
            sa.select(Organisation.kind, sa.func.count(Organisation.id))
            .where(in_area)
            .group_by(Organisation.kind)
        ).all()
    )
    organisations = [(kind, by_kind.get(kind, 0)) for kind in OrgKind]

    course_scope = sa.true() if _whole_programme(user) else Course.id.in_(_area_course_ids(user))
    session_scope = own_sessions(user)
    courses = count(sa.select(sa.func.count(Course.id)).where(course_scope))
    sessions_held = count(
        sa.select(sa.func.count(TrainingSession.id)).where(session_scope, held(now))
    )
    sessions_upcoming = count(
        sa.select(sa.func.count(TrainingSession.id)).where(session_scope, upcoming(now))
    )

    attendance_records = count(
        sa.select(sa.func.count(Attendance.id))
        .join(Learner, Learner.id == Attendance.learner_id)
        .join(Organisation, Organisation.id == Learner.organisation_id)
        .where(in_area)
    )
    certificates = dict(
        db.session.execute(
            sa.select(Certificate.status, sa.func.count(Certificate.id))
            .join(Learner, Learner.id == Certificate.learner_id)
            .join(Organisation, Organisation.id == Learner.organisation_id)
            .where(in_area)
            .group_by(Certificate.status)
        ).all()
    )

    return AreaSummary(
        area_name=None if _whole_programme(user) else area_name(user.scope_code),
        learners=learners,
        organisations=organisations,
        courses=courses,
        sessions_held=sessions_held,
        sessions_upcoming=sessions_upcoming,
        attendance_records=attendance_records,
        certificates_valid=certificates.get(CertificateStatus.VALID, 0),
        certificates_revoked=certificates.get(CertificateStatus.REVOKED, 0),
        coverage=priority_coverage(user),
        agenda=agenda(session_scope, now),
    )


def priority_coverage(user: Actor) -> Coverage:
    """How many flagged priority counties (in the user's area) have organisations, learners."""
    flagged = sa.and_(County.is_priority.is_(True), area_clause(user, County.code))
    has_org = sa.exists().where(Organisation.county_code == County.code)
    has_learner = (
        sa.exists()
        .where(Learner.organisation_id == Organisation.id)
        .where(Organisation.county_code == County.code)
    )
    row = db.session.execute(
        sa.select(
            sa.func.count(County.code),
            sa.func.count(County.code).filter(has_org),
            sa.func.count(County.code).filter(has_learner),
        ).where(flagged)
    ).one()
    return Coverage(
        flagged=row[0] or 0,
        with_organisations=row[1] or 0,
        with_learners=row[2] or 0,
        expected=EXPECTED_PRIORITY_COUNT if _whole_programme(user) else None,
    )


# certifier -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CertifierSummary:
    year: int
    issued_this_year: list[tuple[CertificateKind, int]]
    revoked_this_year: int
    valid_total: int
    #: Learners with at least one current enrolment (an upper bound of who may qualify).
    enrolled_learners: int
    #: Learners enrolled in a course whose sessions have all ended (the ones to review now).
    learners_in_finished_courses: int

    @property
    def issued_total_this_year(self) -> int:
        return sum(count for _, count in self.issued_this_year)


def _year_bounds(now: datetime, zone: ZoneInfo) -> tuple[int, datetime, datetime]:
    """The local calendar year containing ``now``, as UTC-comparable bounds."""
    year = now.astimezone(zone).year
    return year, datetime(year, 1, 1, tzinfo=zone), datetime(year + 1, 1, 1, tzinfo=zone)


def finished_course_ids(now: datetime):
    """Courses with at least one session and none still to come (cancelled ones aside)."""
    return (
        sa.select(TrainingSession.course_id)
        .where(TrainingSession.status != SessionStatus.CANCELLED)
        .group_by(TrainingSession.course_id)
        .having(sa.func.max(TrainingSession.ends_at) <= now)
    )


def certifier_summary(now: datetime, zone: ZoneInfo) -> CertifierSummary:
    year, start, end = _year_bounds(now, zone)
    issued = dict(
        db.session.execute(
            sa.select(Certificate.kind, sa.func.count(Certificate.id))
            .where(Certificate.issued_at >= start, Certificate.issued_at < end)
            .group_by(Certificate.kind)
        ).all()
    )
    enrolled = sa.select(sa.func.count(sa.distinct(Enrolment.learner_id))).where(
        Enrolment.status == EnrolmentStatus.ENROLLED
    )
    return CertifierSummary(
        year=year,
        issued_this_year=[(kind, issued.get(kind, 0)) for kind in CertificateKind],
        revoked_this_year=count(
            sa.select(sa.func.count(Certificate.id)).where(
                Certificate.revoked_at >= start, Certificate.revoked_at < end
            )
        ),
        valid_total=count(
            sa.select(sa.func.count(Certificate.id)).where(
                Certificate.status == CertificateStatus.VALID
            )
        ),
        enrolled_learners=count(enrolled),
        learners_in_finished_courses=count(
            enrolled.where(Enrolment.course_id.in_(finished_course_ids(now)))
        ),
    )
