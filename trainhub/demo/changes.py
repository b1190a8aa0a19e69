"""Demo step "changes": what the office changed in the current phase's timetable after the
learners enrolled, through the scheduling operations, so that the demo shows it: two
sessions cancelled with their reasons (the weather: an on-site day where one falls in those
weeks; the instructor: an online session)
and one rescheduled with its reason (its SEQUENCE rises; the audit log keeps its times
before and after). Cancelled sessions stay on the timetable as cancelled; they get no
attendance and no leave requests (step "attendance" comes after this one).

The changes touch sessions one to four weeks ahead — never the week that the live
guarantees of :mod:`trainhub.demo.timetable` cover — each of a different course. The
rescheduled session moves to one of the next working days, at a time when no other session
is held, so the operation's clash check (with the enrolments now, learner clashes
included) finds nothing; were it to find a clash, the operation's refusal would stop the
demo rather than be overridden.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta

from trainhub.courses.models import TrainingSession
from trainhub.demo.context import Demo
from trainhub.demo.layout import USUAL_STARTS
from trainhub.schedule.holidays import holiday_name
from trainhub.schedule.operations import cancel_session, update_session

CANCEL_FOR_WEATHER = "因天气原因取消：暴雨橙色预警，山区道路通行受阻。本次课时另行安排。"
CANCEL_FOR_INSTRUCTOR = "讲师临时承担民政部门专项督导任务，本次课取消，课时另行安排。"
RESCHEDULE_REASON = "原定时间讲师需参加县民政局紧急工作会议，经与学员协商调整上课时间。"
#: The changes touch sessions from … until … days after today.
CHANGES_FROM = 7
CHANGES_UNTIL = 28
#: A rescheduled session moves to one of this many days after its own.
MOVE_WITHIN = 3


def add_changes(demo: Demo) -> None:
    build = demo.current
    sessions = sorted((s for items in build.sessions.values() for s in items),
                      key=lambda s: (s.starts_at, s.id))
    first = demo.at(demo.today + timedelta(days=CHANGES_FROM), time(0))
    last = demo.at(demo.today + timedelta(days=CHANGES_UNTIL), time(0))
    ahead = [s for s in sessions if first <= s.starts_at < last]
    touched: set[int] = set()

    def pick(wanted: Callable[[TrainingSession], bool]) -> TrainingSession | None:
        session = next((s for s in ahead if s.course_id not in touched and wanted(s)), None)
        if session is not None:
            touched.add(session.course_id)
        return session

    for session, reason in ((pick(lambda s: s.venue_id is not None) or pick(lambda s: True), CANCEL_FOR_WEATHER),
                            (pick(lambda s: s.venue_id is None), CANCEL_FOR_INSTRUCTOR)):
        if session is not None:
            cancel_session(session, reason=reason, actor=None)
            demo.cancelled.append(session)
    moves: dict[int, tuple[datetime, datetime]] = {}

    def movable(session: TrainingSession) -> bool:
        spot = _free_time(demo, sessions, session)
        if spot is not None:
            moves[session.id] = spot
        return spot is not None

    session = pick(lambda s: s.venue_id is None and movable(s))
    if session is not None:
        starts_at, ends_at = moves[session.id]
        update_session(session, {"starts_at": starts_at, "ends_at": ends_at},
                       reason=RESCHEDULE_REASON, actor=None)
        demo.rescheduled.append(session)
    for items in build.sessions.values():
        items.sort(key=lambda s: (s.starts_at, s.id))


def _free_time(demo: Demo, sessions: list[TrainingSession],
               session: TrainingSession) -> tuple[datetime, datetime] | None:
    """The first of the next :data:`MOVE_WITHIN` working days (Monday to Friday, not a
    public holiday, inside the phase) and of the session's own then the usual starting
    times at which no other session of the phase is held."""
    length = session.ends_at - session.starts_at
    local = session.starts_at.astimezone(demo.zone)
    clocks = [local.time(), *(time(m // 60, m % 60) for m in USUAL_STARTS if time(m // 60, m % 60) != local.time())]
    for offset in range(1, MOVE_WITHIN + 1):
        day = local.date() + timedelta(days=offset)
        if day.weekday() >= 5 or holiday_name(day) or day > demo.current.phase.ends_on:
            continue
        for clock in clocks:
            starts_at = demo.at(day, clock)
            ends_at = starts_at + length
            if not any(other.starts_at < ends_at and starts_at < other.ends_at and not other.is_cancelled
                       for other in sessions if other is not session):
                return starts_at, ends_at
    return None
