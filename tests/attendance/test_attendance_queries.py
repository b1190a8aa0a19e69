"""Counting each learner's sessions from their enrolment on, in the database."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from trainhub.attendance.models import AttendanceStatus
from trainhub.attendance.queries import attendance_counts, course_rates, learner_progress
from trainhub.attendance.rates import Outlook
from trainhub.courses.models import Course, EnrolmentStatus
from trainhub.extensions import db

PRESENT, LATE, LEFT_EARLY = AttendanceStatus.PRESENT, AttendanceStatus.LATE, AttendanceStatus.LEFT_EARLY
EXCUSED, ABSENT = AttendanceStatus.EXCUSED, AttendanceStatus.ABSENT


def _count(timeline, learner, course):
    return attendance_counts(now=timeline.now, learner_id=learner)[(learner, course)]


def test_late_enrolment_counts_only_the_sessions_after_it(timeline):
    """The reported case: four sessions held, then the learner enrolled. Not 0 % (已举行 4/4,
    出勤 0) but nothing to measure yet; the sessions after the enrolment count."""
    learner = timeline.learners[0]
    course, sessions = timeline.course(sessions_days=[-40, -30, -20, -10, -3, 5, 12])
    timeline.enrol(learner, course, days=-8)
    timeline.mark(learner, sessions[0], PRESENT)  # before the enrolment: ignored
    timeline.mark(learner, sessions[4], LATE)

    count = _count(timeline, learner, course)
    assert (count.before_enrolment, count.held, count.remaining) == (4, 1, 2)
    assert (count.attended, count.rate) == (1, 1.0)
    # 80 % of the 3 counted sessions: 3 attended, so both remaining ones
    assert count.needed(Decimal("0.800")) == 2


def test_enrolled_after_every_session_has_no_rate_and_nothing_to_count(timeline):
    learner = timeline.learners[0]
    course, _ = timeline.course(sessions_days=[-40, -30, -20, -10])
    timeline.enrol(learner, course, days=-1)
    count = _count(timeline, learner, course)
    assert (count.before_enrolment, count.held, count.remaining, count.rate) == (4, 0, 0, None)
    assert count.outlook(Decimal("0.800")) == Outlook.NOTHING_TO_COUNT


def test_a_session_under_way_at_the_enrolment_does_not_count(timeline):
    learner = timeline.learners[0]
    # a session that started an hour before the enrolment (and ended an hour after it)
    course, sessions = timeline.course(sessions_days=[-2 - 1 / 24, 3])
    timeline.enrol(learner, course, days=-2)
    timeline.mark(learner, sessions[0], ABSENT)
    count = _count(timeline, learner, course)
    assert (count.before_enrolment, count.held, count.remaining, count.rate) == (1, 0, 1, None)


def test_every_attended_status_counts_and_cancelled_sessions_never(timeline):
    learner = timeline.learners[0]
    course, sessions = timeline.course(sessions_days=[-9, -8, -7, -6, -5, 4], cancelled_days=(-4, 6))
    timeline.enrol(learner, course, days=-30)
    for session, status in zip(sessions, [PRESENT, LATE, LEFT_EARLY, EXCUSED, ABSENT], strict=False):
        timeline.mark(learner, session, status)
    timeline.mark(learner, sessions[6], PRESENT)  # the cancelled one
    count = _count(timeline, learner, course)
    assert (count.held, count.remaining, count.attended, count.excused) == (5, 1, 3, 1)
    assert count.rate == 0.75  # 3 / (5 - 1)
    assert count.needed(Decimal("0.800")) == 1  # 4 of 5 counted sessions
    # a session without a mark counts as not attended
    timeline.enrol(timeline.learners[1], course, days=-30)
    other = _count(timeline, timeline.learners[1], course)
    assert (other.held, other.attended, other.rate) == (5, 0, 0.0)
    assert other.outlook(Decimal("0.800")) == Outlook.UNREACHABLE


def test_excused_rule_course_setting_then_programme_setting(timeline, app):
    learner = timeline.learners[0]
    days = [-9, -8, -7, -6, -5]
    own_rule, own = timeline.course(sessions_days=days, excused_counts_against=True)
    own_off, off = timeline.course(sessions_days=days, excused_counts_against=False)
    programme, prog = timeline.course(sessions_days=days)
    for course, sessions in ((own_rule, own), (own_off, off), (programme, prog)):
        timeline.enrol(learner, course, days=-30)
        for session, status in zip(sessions, [PRESENT, PRESENT, PRESENT, EXCUSED, ABSENT], strict=True):
            timeline.mark(learner, session, status)

    def rates(**kwargs):
        counts = attendance_counts(now=timeline.now, learner_id=learner, **kwargs)
        return [counts[(learner, course)].rate for course in (own_rule, own_off, programme)]

    assert rates() == [0.6, 0.75, 0.75]  # the configured default: left out
    assert rates(excused_counts_against=True) == [0.6, 0.75, 0.6]
    app.config["EXCUSED_COUNTS_AGAINST"] = True
    assert rates() == [0.6, 0.75, 0.6]


def test_course_rates_cover_its_enrolled_learners_only(timeline):
    first, second, third = timeline.learners
    course, sessions = timeline.course(sessions_days=[-9, -5, 3])
    other, other_sessions = timeline.course(sessions_days=[-9])
    timeline.enrol(first, course, days=-30)
    timeline.enrol(second, course, days=-7)
    timeline.enrol(third, course, days=-30, status=EnrolmentStatus.WITHDRAWN)
    timeline.enrol(first, other, days=-30)
    timeline.mark(first, sessions[0], PRESENT)
    timeline.mark(second, sessions[1], PRESENT)
    timeline.mark(first, other_sessions[0], ABSENT)

    rates = course_rates(course, now=timeline.now)
    assert set(rates) == {first, second}
    assert (rates[first].held, rates[first].rate) == (2, 0.5)
    assert (rates[second].held, rates[second].rate, rates[second].before_enrolment) == (1, 1.0, 1)


def test_learner_progress_lists_every_course_with_its_threshold(timeline):
    learner = timeline.learners[0]
    first, sessions = timeline.course(sessions_days=[-9, -5, 3, 10], min_rate="0.750")
    second, _ = timeline.course(sessions_days=[])
    withdrawn, _ = timeline.course(sessions_days=[-9])
    timeline.enrol(learner, first, days=-30)
    timeline.enrol(learner, second, days=-1)
    timeline.enrol(learner, withdrawn, days=-30, status=EnrolmentStatus.WITHDRAWN)
    timeline.mark(learner, sessions[0], PRESENT)

    progress = {p.course_id: p for p in learner_progress(learner, now=timeline.now)}
    assert [p.code for p in progress.values()] == ["AT-01", "AT-02", "AT-03"]
    assert (progress[first].min_rate, progress[first].class_hours) == (Decimal("0.750"), Decimal("12"))
    assert (progress[first].rate, progress[first].needed) == (0.5, 2)  # 3 of 4
    assert progress[first].outlook == Outlook.NEEDS_MORE
    assert progress[second].outlook == Outlook.NOT_SCHEDULED
    assert (progress[withdrawn].status, progress[withdrawn].is_active) == (EnrolmentStatus.WITHDRAWN, False)


def test_promotion_from_the_waiting_list_starts_the_count(timeline):
    """A learner who waited while sessions were held is counted from the day they got a place."""
    from trainhub.courses.operations import enrol, withdraw
    from trainhub.learners.models import Learner

    first, second = (db.session.get(Learner, i) for i in timeline.learners[:2])
    course_id, _ = timeline.course(sessions_days=[-9, -5, 1, 2], capacity=1)
    course = db.session.get(Course, course_id)
    placed = enrol(first, course)
    waiting = enrol(second, course)
    assert waiting.status == EnrolmentStatus.WAITLISTED
    waiting.enrolled_at = timeline.now - timedelta(days=30)  # joined before two sessions were held

    promoted = withdraw(placed, "工作调动")
    assert promoted is not None and promoted.learner_id == second.id
    count = _count(timeline, second.id, course_id)
    assert (count.before_enrolment, count.held, count.remaining) == (2, 0, 2)
