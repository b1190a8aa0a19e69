"""Demo step "timetable": every session of both phases, scheduled through the scheduling
operations as the office would schedule them (:mod:`trainhub.schedule`).

The plan comes from :mod:`trainhub.demo.layout` (pure): each course's regular online
meetings are recurrence rules, saved with :func:`~trainhub.schedule.series.create_series`
(public holidays skipped by the rule, and named in the series' audit entry — phase 1's
series skip 劳动节 and 端午 where they fall on their weekdays); its on-site days,
phase 1's online launch and the sessions placed around now are single sessions,
:func:`~trainhub.schedule.operations.create_session`. Each operation checks the phase
window, the instructor (one of the course's, which the database enforces too) and clashes,
and writes its audit entry; nothing is inserted around them. Sessions of the same track
follow one another and tracks meet on different weekdays, so the checks find no clash and
no override is needed; learners enrol later (step "enrolments"), and the demo stays free of
learner clashes because no two sessions of different courses overlap anywhere in it, the
sessions around now included (:func:`~trainhub.demo.layout.slots_around`).

On-site sessions take place at :class:`~trainhub.courses.models.Venue` records, the training
room of an implementation site (实施点): an agency hosting it, in its county, so that the
site's coordinators see the session in their area (``demo.venues``, one per site; each
on-site course of a phase has a site of its own). Online sessions have the course's meeting
link and meeting number.

**Around now.** So that every role sees a live programme right after the demo is loaded,
the current phase has sessions earlier today, in progress, still to come today (or
tomorrow), and every track one in the six days after today (see :mod:`~.layout`). Those
sessions are *scheduled at those times directly*, each on its own, rather than created on
their rule's dates and then moved with the reschedule operation: no one ever saw them
elsewhere, so a reschedule would invent a change that never happened (a reason nobody gave,
a raised SEQUENCE that makes every subscriber's calendar show today's sessions as changed,
a "session.reschedule" audit entry). The course keeps its number of sessions: the meeting a
placed session replaces is left out of its rule, and the rule's remaining occurrences are
saved as one series per unbroken run. They are the only sessions that may fall on a
weekend or a public holiday (today and tomorrow), because the demo's purpose is to show the
programme running whenever it is shown. The changes the office makes afterwards (cancelled
sessions, one rescheduled) are real changes with reasons: :mod:`trainhub.demo.changes`.
"""

from __future__ import annotations

import sqlalchemy as sa

from trainhub.courses.models import TrainingSession, Venue
from trainhub.demo.catalogue import MEETING_URL
from trainhub.demo.context import Demo, Featured, PhaseBuild
from trainhub.demo.layout import CoursePlan, keep_week_busy, lay_out, place_around_now
from trainhub.extensions import db
from trainhub.schedule.operations import create_session
from trainhub.schedule.series import create_series

OPENING_TITLE = "线上开班仪式暨第 1 讲"
ONLINE_TITLE = "线上直播授课"
ONSITE_TITLE = "实施点现场教学"
#: What a session placed around now is, as the demo's summary says it.
KIND_LABELS = {"earlier": "今天（已结束）", "in_progress": "今天（正在进行）",
               "to_come": "今天", "tomorrow": "明天"}


def add_timetable(demo: Demo) -> None:
    _add_venues(demo)
    for build in demo.phases:
        phase = build.phase
        plans = lay_out(build.plan, phase.starts_on, phase.ends_on, launch=build is demo.history)
        placed = []
        if build is demo.current:
            placed = place_around_now(plans, demo.now.astimezone(demo.zone))
            keep_week_busy(plans, demo.today)
        singles = _schedule(demo, build, plans)
        demo.featured += [Featured(item.kind, singles[id(item.meeting)], item.track) for item in placed]
        _collect(build)


def _add_venues(demo: Demo) -> None:
    """The training room of each implementation site."""
    for site in demo.sites:
        county = site.county
        demo.venues[site.id] = Venue(name=f"{county.province}{county.name}实施点（{site.name}培训室）",
                                     county_code=site.county_code, organisation=site,
                                     address=site.address)
    db.session.add_all(demo.venues.values())
    db.session.flush()


def _meeting_number(number: int) -> str:
    """``123456789`` as meeting platforms print it: ``123 456 789``."""
    text = str(number)
    return " ".join(text[i:i + 3] for i in range(0, len(text), 3))


def _schedule(demo: Demo, build: PhaseBuild, plans: list[CoursePlan]) -> dict[int, TrainingSession]:
    """Each course's series and single sessions through the scheduling operations; answers
    the single sessions by ``id()`` of their planned meeting."""
    singles: dict[int, TrainingSession] = {}
    sites = iter(demo.sites * len(plans))
    for plan in plans:
        _, course = build.courses[plan.course]
        online = onsite = None
        if any(not meeting.on_site for meeting in plan.meetings):
            number = demo.rng.randrange(10**8, 10**9)
            online = {"title": ONLINE_TITLE, "meeting_url": MEETING_URL.format(number),
                      "meeting_number": _meeting_number(number),
                      "instructor_id": course.instructors[0].id}
        if any(meeting.on_site for meeting in plan.meetings):
            venue = demo.venues[next(sites).id]
            onsite = {"title": ONSITE_TITLE, "venue_id": venue.id,
                      "instructor_id": course.instructors[-1].id}
        for rule in plan.rules():
            create_series(course, rule, **online, actor=None)
        for meeting in plan.singles:
            details = dict(onsite if meeting.on_site else online)
            if meeting.placed == "launch":
                details["title"] = OPENING_TITLE
            singles[id(meeting)] = create_session(
                course, starts_at=demo.at(meeting.day, meeting.starts),
                ends_at=demo.at(meeting.day, meeting.ends), **details, actor=None)
    return singles


def _collect(build: PhaseBuild) -> None:
    """The phase's sessions by course code, in time order (one query)."""
    codes = {course.id: build.code(spec) for spec, course in build.courses}
    build.sessions = {code: [] for code in codes.values()}
    for session in db.session.scalars(
        sa.select(TrainingSession).where(TrainingSession.course_id.in_(codes))
        .order_by(TrainingSession.starts_at, TrainingSession.id)
    ):
        build.sessions[codes[session.course_id]].append(session)

