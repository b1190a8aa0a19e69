"""Demo steps "enrolments", "attendance" and "assessments": who takes which course, what
was recorded for the sessions held before the demo's moment, and the course results.

Bulk inserts (plain rows) keep ``trainhub demo`` fast; the rows follow the rules the
features apply: one enrolment per learner and course, a waiting list beyond capacity,
attendance only for sessions held (ended, not cancelled) that started after the enrolment
(the rule of :mod:`trainhub.attendance.rates`), leave decided before or around the session, results
after a course's last session.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa

from trainhub.attendance.models import (
    Assessment,
    Attendance,
    AttendanceSource,
    AttendanceStatus,
    LeaveRequest,
    LeaveStatus,
)
from trainhub.courses.models import Course, Enrolment, EnrolmentStatus, TrainingSession
from trainhub.demo import fake
from trainhub.demo.catalogue import (
    ATTENDANCE_PROFILES,
    LEAVE_REASONS,
    REJECTION_NOTES,
    STATUSES,
    WITHDRAW_REASONS,
    CourseSpec,
)
from trainhub.demo.context import Demo, Featured, PhaseBuild
from trainhub.extensions import db
from trainhub.learners.models import Learner
from trainhub.orgs.models import OrgKind

#: Shares of enrolments that come late (after the phase began) or are withdrawn.
LATE_SHARE = 0.08
WITHDRAW_SHARE = 0.03
#: Shares of leave requests besides those behind 请假 marks: turned down for a held session;
#: waiting for a decision or withdrawn for a session in the next ``LEAVE_AHEAD``.
REJECTED_SHARE = 0.01
PENDING_SHARE = 0.04
CANCELLED_SHARE = 0.01
LEAVE_AHEAD = timedelta(days=14)


def _own_track(learner: Learner) -> int:
    """Agencies' staff take the first track, stations' staff the second."""
    return 0 if learner.organisation.kind == OrgKind.AGENCY else 1


def _choose(demo: Demo, build: PhaseBuild, learner: Learner) -> list[tuple[CourseSpec, Course]]:
    """The courses a learner takes in a phase: most of their own track's; in a phase with
    a third track (open to all) some of its courses; now and then one of the other track."""
    rng = demo.rng
    by_track: dict[int, list[tuple[CourseSpec, Course]]] = {}
    for spec, course in build.courses:
        by_track.setdefault(spec.track, []).append((spec, course))
    own = _own_track(learner)
    if build is demo.history:
        chosen = rng.sample(by_track[own], rng.choice((3, 4, 4, 5, 5)))
    else:
        chosen = rng.sample(by_track[own], rng.choice((2, 3, 3, 4)))
        if len(by_track) > 2 and rng.random() < 0.5:
            chosen += rng.sample(by_track[2], rng.choice((1, 1, 2)))
    if rng.random() < 0.15:
        chosen.append(rng.choice(by_track[1 - own]))
    return sorted(chosen, key=lambda item: item[0].suffix)


def _enrolled_at(demo: Demo, build: PhaseBuild, *, may_be_late: bool) -> datetime:
    rng = demo.rng
    day = fake.random_date(rng, build.enrol_from, build.enrol_until)
    late_until = demo.today - timedelta(days=2)
    late_from = build.phase.starts_on + timedelta(days=7)
    if may_be_late and late_from <= late_until and rng.random() < LATE_SHARE:
        day = fake.random_date(rng, late_from, late_until)
    return demo.at(day, time(rng.randint(8, 21), rng.randrange(60)))


#: Which featured session the demo's trainee and instructor are picked for, first to last.
FEATURED_ORDER = ("to_come", "in_progress", "earlier", "tomorrow")


def featured_session(demo: Demo) -> Featured | None:
    """The session to point people at: one still to come today, else the nearest."""
    return min(demo.featured, key=lambda item: FEATURED_ORDER.index(item.kind), default=None)


def featured_learner(demo: Demo) -> Learner | None:
    """A learner of the featured session's course to sign in with: in the province
    coordinator's area where one fits, of the course's track (the third is open to all)."""
    featured = featured_session(demo)
    if featured is None or not demo.learners:
        return None
    area = (demo.coordinators[0].scope_code or "") if demo.coordinators else ""
    fits = [learner for learner in demo.learners
            if featured.track >= 2 or _own_track(learner) == featured.track] or demo.learners
    in_area = [learner for learner in fits if learner.organisation.county_code.startswith(area)]
    return (in_area or fits)[0]


def add_enrolments(demo: Demo) -> None:
    """Phase 1's enrolments, then the current phase's. The featured learner takes the
    featured session's course, enrolled in time; they come first so that it is not full."""
    featured = featured_learner(demo)
    featured_course = featured_session(demo).session.course if featured is not None else None
    for build in demo.phases:
        order = list(demo.learners)
        forced_here = featured is not None and build is demo.current
        if forced_here:
            order.remove(featured)
            order.insert(0, featured)
        taken: dict[str, int] = {}
        waiting: dict[str, int] = {}
        for learner in order:
            chosen = _choose(demo, build, learner)
            forced = forced_here and learner is featured
            if forced and all(course is not featured_course for _, course in chosen):
                chosen.append(next(item for item in build.courses if item[1] is featured_course))
            for spec, course in chosen:
                keep = forced and course is featured_course
                demo.enrolments.append(_enrolment(demo, build, learner, spec, course, taken, waiting,
                                                  keep=keep))
    db.session.execute(sa.insert(Enrolment), [
        {key: value for key, value in row.items() if not key.startswith("_")} for row in demo.enrolments
    ])


def _enrolment(demo: Demo, build: PhaseBuild, learner: Learner, spec: CourseSpec, course: Course,
               taken: dict[str, int], waiting: dict[str, int], *, keep: bool) -> dict:
    """One enrolment row; ``keep`` makes it an on-time, lasting one."""
    code = build.code(spec)
    enrolled_at = _enrolled_at(demo, build, may_be_late=not keep and build is demo.current)
    row = {"learner_id": learner.id, "course_id": course.id, "enrolled_at": enrolled_at,
           "status": EnrolmentStatus.ENROLLED, "waitlist_position": None,
           "withdrawn_at": None, "withdraw_reason": None,
           "_code": code, "_spec": spec, "_build": build}
    withdrawn_at = enrolled_at + timedelta(days=demo.rng.randint(3, 30))
    if taken.get(code, 0) >= spec.capacity:
        waiting[code] = waiting.get(code, 0) + 1
        row.update(status=EnrolmentStatus.WAITLISTED, waitlist_position=waiting[code])
    elif demo.rng.random() < WITHDRAW_SHARE and not keep and withdrawn_at <= demo.now:
        row.update(status=EnrolmentStatus.WITHDRAWN, withdrawn_at=withdrawn_at,
                   withdraw_reason=demo.rng.choice(WITHDRAW_REASONS))
    else:
        taken[code] = taken.get(code, 0) + 1
    return row


def add_attendance(demo: Demo) -> None:
    """Marks for the sessions held (ended) after each enrolment, by each learner's habits;
    a leave request behind every 请假 mark (approved), a few turned down; requests waiting
    for a decision (or withdrawn) for sessions in the next two weeks."""
    rng, now = demo.rng, demo.now
    habits: dict[int, tuple] = {}
    leaves: list[dict] = []
    for enrolment in demo.enrolments:
        if enrolment["status"] != EnrolmentStatus.ENROLLED:
            continue
        learner_id, enrolled_at = enrolment["learner_id"], enrolment["enrolled_at"]
        if learner_id not in habits:
            habits[learner_id] = _weighted(rng, [(w, share) for share, w in ATTENDANCE_PROFILES])
        for session in enrolment["_build"].sessions[enrolment["_code"]]:
            if session.starts_at < enrolled_at or session.is_cancelled:
                continue  # before the enrolment (neither held for them nor to come), or not held
            if session.ends_at > now:
                if session.starts_at > now and session.starts_at - now <= LEAVE_AHEAD:
                    _leave_to_come(demo, leaves, learner_id, session, enrolled_at)
                continue
            status = rng.choices(STATUSES, weights=habits[learner_id])[0]
            demo.attendance.append(_attendance_row(demo, learner_id, session, status))
            if status == AttendanceStatus.EXCUSED:
                leaves.append(_leave(demo, learner_id, session, enrolled_at, LeaveStatus.APPROVED))
            elif rng.random() < REJECTED_SHARE:
                leaves.append(_leave(demo, learner_id, session, enrolled_at, LeaveStatus.REJECTED))
    if demo.attendance:
        db.session.execute(sa.insert(Attendance), demo.attendance)
    if leaves:
        db.session.execute(sa.insert(LeaveRequest), leaves)
    demo.leave_requests = len(leaves)


def _weighted(rng, pairs):
    values = [value for value, _ in pairs]
    weights = [weight for _, weight in pairs]
    return rng.choices(values, weights=weights)[0]


def _leave(demo: Demo, learner_id: int, session: TrainingSession, enrolled_at: datetime,
           status: LeaveStatus) -> dict:
    """A request made hours or days before a held session (after the enrolment), decided
    by the office."""
    rng = demo.rng
    requested = max(session.starts_at - timedelta(hours=rng.randint(4, 72)), enrolled_at)
    decided = min(requested + timedelta(minutes=rng.randint(20, 240)), demo.now)
    return {
        "learner_id": learner_id, "session_id": session.id, "reason": rng.choice(LEAVE_REASONS),
        "status": status, "requested_at": requested, "decided_by_id": demo.office.id,
        "decided_at": decided,
        "decision_note": rng.choice(REJECTION_NOTES) if status == LeaveStatus.REJECTED else None,
    }


def _leave_to_come(demo: Demo, leaves: list[dict], learner_id: int, session: TrainingSession,
                   enrolled_at: datetime) -> None:
    """Now and then a request for a session still to come: waiting, or withdrawn."""
    draw = demo.rng.random()
    if draw >= PENDING_SHARE + CANCELLED_SHARE:
        return
    status = LeaveStatus.PENDING if draw < PENDING_SHARE else LeaveStatus.CANCELLED
    requested = max(demo.now - timedelta(minutes=demo.rng.randint(10, 3 * 24 * 60)), enrolled_at)
    leaves.append({
        "learner_id": learner_id, "session_id": session.id, "reason": demo.rng.choice(LEAVE_REASONS),
        "status": status, "requested_at": requested, "decided_by_id": None, "decided_at": None,
        "decision_note": None,
    })


def _attendance_row(demo: Demo, learner_id: int, session: TrainingSession,
                    status: AttendanceStatus) -> dict:
    """Online sessions: as the meeting platform's export gives them (join and leave clipped
    to the session); on-site sessions: marked by the instructor."""
    rng = demo.rng
    on_site = session.venue_id is not None or session.venue is not None
    start, end = session.starts_at, session.ends_at
    joined = left = minutes = None
    if status.counts_as_attended:
        joined = start + timedelta(minutes=rng.randint(-10, 4))
        left = end + timedelta(minutes=rng.randint(-3, 8))
        if status == AttendanceStatus.LATE:
            joined = start + timedelta(minutes=rng.randint(10, 40))
        elif status == AttendanceStatus.LEFT_EARLY:
            left = end - timedelta(minutes=rng.randint(15, 60))
        joined, left = max(joined, start), min(left, end)  # clipped to the session
        minutes = int((left - joined).total_seconds() // 60)
    if on_site:
        source = AttendanceSource.MANUAL
        joined = left = minutes = None
    elif status == AttendanceStatus.EXCUSED:
        source = AttendanceSource.LEAVE
    else:
        source = AttendanceSource.IMPORT
    return {
        "learner_id": learner_id, "session_id": session.id, "status": status, "source": source,
        "joined_at": joined, "left_at": left, "minutes_attended": minutes, "note": None,
        "recorded_by_id": session.instructor_id if on_site else None,
        "recorded_at": min(end + timedelta(hours=rng.randint(1, 30)), demo.now),
    }


#: Results are recorded a week after a course's last session.
ASSESSMENT_AFTER = timedelta(days=7)


def add_assessments(demo: Demo) -> None:
    """A result for each learner enrolled in a course with an assessment whose last session
    was held at least a week ago; the score follows the learner's attendance."""
    attended: dict[tuple[int, int], int] = {}
    course_of = {s.id: s.course_id for build in demo.phases for items in build.sessions.values()
                 for s in items}
    for row in demo.attendance:
        if row["status"].counts_as_attended:
            key = (row["learner_id"], course_of[row["session_id"]])
            attended[key] = attended.get(key, 0) + 1
    rows = []
    for enrolment in demo.enrolments:
        spec: CourseSpec = enrolment["_spec"]
        sessions = enrolment["_build"].sessions[enrolment["_code"]]
        last = sessions[-1]
        assessed_on = (last.ends_at.astimezone(demo.zone) + ASSESSMENT_AFTER).date()
        if (not spec.has_assessment or enrolment["status"] != EnrolmentStatus.ENROLLED
                or assessed_on > demo.today):
            continue
        counted = sum(1 for s in sessions if s.starts_at >= enrolment["enrolled_at"] and not s.is_cancelled) or 1
        rate = attended.get((enrolment["learner_id"], enrolment["course_id"]), 0) / counted
        score = max(20.0, min(100.0, demo.rng.gauss(62 + 25 * rate, 8)))
        score_value = Decimal(f"{score:.1f}")
        rows.append({
            "learner_id": enrolment["learner_id"], "course_id": enrolment["course_id"],
            "score": score_value, "passed": score_value >= Decimal(60),
            "assessed_on": assessed_on, "note": None, "recorded_by_id": last.instructor_id,
            "recorded_at": min(demo.at(assessed_on, time(17, 0)), demo.now),
        })
    if rows:
        db.session.execute(sa.insert(Assessment), rows)
    demo.assessments = len(rows)
