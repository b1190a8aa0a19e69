"""The demo data set: a realistic, reproducible programme that is running when it is shown.

:func:`create_demo_data` fills an empty database (apart from the reference data, which it
loads itself) with organisations and township stations in priority counties and their
supporting organisations in eastern provinces; an account of every role; phase 1 (2023,
the programme's facts) as history, with its finished courses, attendance and results; and
the programme's current phase, six months around the moment the demo is made, with sessions
held (attendance recorded, leave requested and decided), in progress, later today and to
come, scheduled through the scheduling operations, some cancelled or rescheduled since (see
:mod:`trainhub.demo.timetable` and :mod:`trainhub.demo.changes`). Learners come through the bulk import with its
trainee accounts (``xy`` + the learner's number), which get the demo password.

Every value comes from one ``random.Random(seed)`` and the moment ``now``: the same seed and
moment give the same data. Like every operation it flushes and never commits; the command
commits once.

The data set is built by :data:`STEPS`, one per feature, each a function of the shared
:class:`~trainhub.demo.context.Demo` that reads what the steps before it made. A feature
that gains demo data adds its step where its inputs exist.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import sqlalchemy as sa

from trainhub.audit.models import AuditEntry
from trainhub.audit.operations import record
from trainhub.courses.models import Course
from trainhub.db import utcnow
from trainhub.demo.changes import add_changes
from trainhub.demo.context import DEMO_PASSWORD, Demo, DemoAccount, DemoError, DemoSummary
from trainhub.demo.people import add_learners, add_staff, check_trainee_names_free, existing_users
from trainhub.demo.places import add_places
from trainhub.demo.programme import add_programme
from trainhub.demo.records import (
    add_assessments,
    add_attendance,
    add_enrolments,
    featured_learner,
    featured_session,
)
from trainhub.demo.timetable import KIND_LABELS, add_timetable
from trainhub.extensions import db
from trainhub.geo.operations import load_counties
from trainhub.learners.models import Learner
from trainhub.localtime import local_zone
from trainhub.orgs.models import Organisation

__all__ = ["DEMO_PASSWORD", "DemoError", "DemoSummary", "create_demo_data"]

#: Audit action marking that the demo data set exists.
DEMO_ACTION = "demo.create"
DEFAULT_SEED = 2023
DEFAULT_LEARNERS = 300
MIN_LEARNERS = 50
MAX_LEARNERS = 5000

#: The builder's steps in order: (name, function of the shared ``Demo``). The database is
#: flushed after each, so later steps see the ids of what earlier ones made.
STEPS = (
    ("places", add_places),            # geo, orgs: counties, agencies, supporters, pairings, sites
    ("staff", add_staff),              # accounts: office, coordinators, instructors, certifier
    ("programme", add_programme),      # courses: phase 1 as history, the current phase, courses
    ("timetable", add_timetable),      # schedule: venues, series and sessions, some around now
    ("learners", add_learners),        # imports, learners: the roster and its trainee accounts
    ("enrolments", add_enrolments),    # courses: enrolments, waiting lists, withdrawals
    ("changes", add_changes),          # schedule: sessions cancelled and rescheduled, with reasons
    ("attendance", add_attendance),    # attendance: marks of held sessions, leave requests
    ("assessments", add_assessments),  # attendance: results of courses that have ended
    # Certificates (issue 8) go here, once ``trainhub.certificates`` issues them: a step
    # "certificates" that asks that feature's own operation which phase-1 learners are
    # eligible (rate and assessment, as the certifier would) and issues their certificates
    # through it (serials, codes, snapshots), as of ``demo.now``. Never insert rows that
    # the feature's rules did not produce.
    # Check-in (issue 9) goes here too, once trainees can check in: a step "check-in" that
    # checks some learners of the session in progress (``demo.featured``, kind
    # "in_progress") in through that feature's operation, so its list is live; until then
    # no attendance row has the source "学员签到".
)


def demo_exists() -> bool:
    return bool(db.session.scalar(sa.select(sa.exists().where(AuditEntry.action == DEMO_ACTION))))


def business_data_counts() -> dict[str, int]:
    """Rows that would mix with demo data: organisations, courses, learners."""
    return {
        label: db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for label, model in (("机构", Organisation), ("课程", Course), ("学员", Learner))
    }


def create_demo_data(seed: int = DEFAULT_SEED, learners: int = DEFAULT_LEARNERS,
                     now: datetime | None = None) -> DemoSummary | None:
    """Create the demo data set; None if it exists already (then nothing changes).

    Loads the reference data first (idempotent). Refuses with :class:`DemoError` when the
    database holds organisations, courses or learners that are not demo data, or an account
    named like a trainee account. ``now`` is the moment the timetable is built around
    (default: the current time); "today" is its date in the configured zone.
    """
    if not MIN_LEARNERS <= learners <= MAX_LEARNERS:
        raise DemoError(f"学员人数应在 {MIN_LEARNERS} 到 {MAX_LEARNERS} 之间。")
    if demo_exists():
        return None
    existing = {label: n for label, n in business_data_counts().items() if n}
    if existing:
        listed = "、".join(f"{label} {n} 条" for label, n in existing.items())
        raise DemoError(f"数据库中已有业务数据（{listed}），演示数据只能写入新建的数据库，未做任何更改。")

    demo = Demo(rng=random.Random(seed), now=now or utcnow(), zone=local_zone(),
                summary=DemoSummary(seed=seed, password=DEMO_PASSWORD), learner_count=learners,
                users=existing_users())
    check_trainee_names_free(demo)
    load_counties()
    for _, step in STEPS:
        step(demo)
        db.session.flush()
    summary = _summarise(demo)
    record(DEMO_ACTION, target_type="demo", target_id=seed, detail={
        "seed": seed, "learners": learners, "today": summary.today.isoformat(),
        "phase": summary.phase_name, "counts": summary.counts,
        "programme_ends_on": summary.programme_ends_on.isoformat(),
        "programme_extended_from": (summary.programme_extended_from.isoformat()
                                    if summary.programme_extended_from else None),
    })
    return summary


def _summarise(demo: Demo) -> DemoSummary:
    summary = demo.summary
    summary.today = demo.today
    sessions = [s for build in demo.phases for items in build.sessions.values() for s in items]
    today_starts = demo.at(demo.today, datetime.min.time())
    week_ends = today_starts + timedelta(days=7)
    summary.counts = {
        "priority_counties": len(demo.counties),
        "organisations": len(demo.agencies) + len(demo.stations) + len(demo.supporters),
        "supporters": len(demo.supporters),
        "pairings": demo.pairings,
        "courses": sum(len(build.courses) for build in demo.phases),
        "sessions": len(sessions),
        "sessions_current_phase": sum(len(items) for items in demo.current.sessions.values()),
        "sessions_today": sum(1 for s in sessions if today_starts <= s.starts_at < today_starts + timedelta(days=1)
                              and not s.is_cancelled),
        "sessions_next_7_days": sum(1 for s in sessions if today_starts <= s.starts_at < week_ends
                                    and not s.is_cancelled),
        "series": len({s.series_id for s in sessions if s.series_id is not None}),
        "sessions_cancelled": len(demo.cancelled),
        "sessions_rescheduled": len(demo.rescheduled),
        "learners": len(demo.learners),
        "enrolments": len(demo.enrolments),
        "attendance": len(demo.attendance),
        "leave_requests": demo.leave_requests,
        "assessments": demo.assessments,
    }
    featured = featured_session(demo)
    if featured is None:
        return summary
    session = featured.session
    local = session.starts_at.astimezone(demo.zone)
    when = (f"{KIND_LABELS[featured.kind]} {local:%H:%M}–{session.ends_at.astimezone(demo.zone):%H:%M}"
            f"《{session.course.title}》（{session.title}）")
    for account in summary.accounts:
        if session.instructor is not None and account.username == session.instructor.username:
            account.note = f"{when} 授课"
    learner = featured_learner(demo)
    if learner is not None:
        summary.trainee = DemoAccount(learner.user.username, learner.user.role, learner.name,
                                      note=f"{learner.organisation.name}；{when} 上课")
    return summary
