"""The demo shows a live programme whenever it is made: the current phase around the moment,
sessions today and this week, and every role's start page with sessions to come."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
import sqlalchemy as sa

from trainhub.accounts.models import Role, User
from trainhub.attendance.models import Attendance, AttendanceStatus, LeaveRequest, LeaveStatus
from trainhub.courses.models import (
    Course,
    Enrolment,
    EnrolmentStatus,
    Phase,
    Programme,
    SessionStatus,
    Track,
    TrainingSession,
)
from trainhub.demo.cli import summary_lines
from trainhub.demo.operations import DEMO_PASSWORD, DemoError, create_demo_data
from trainhub.extensions import db
from trainhub.learners.models import Learner
from trainhub.orgs.models import Organisation
from trainhub.schedule.clashes import Proposal, find_clashes

BEIJING = ZoneInfo("Asia/Shanghai")

#: Moments (Beijing time) the demo is made at.
MOMENTS = {
    "weekday-morning": datetime(2026, 11, 30, 10, 17, tzinfo=BEIJING),  # a Monday
    "sunday-night": datetime(2026, 11, 29, 22, 40, tzinfo=BEIJING),
    "national-day": datetime(2026, 10, 1, 15, 5, tzinfo=BEIJING),  # a public holiday
    "beyond-the-calendar": datetime(2099, 3, 17, 7, 50, tzinfo=BEIJING),  # no holiday data
}


@dataclass
class Made:
    """What a test needs to know about the demo it made."""

    now: datetime
    lines: list[str]
    trainee: str
    instructor: str
    featured_course: str


def _make(app, moment: datetime, *, seed: int = 7) -> Made:
    now = moment.astimezone(UTC)
    with app.app_context():
        summary = create_demo_data(seed=seed, learners=60, now=now)
        db.session.commit()
        instructor = next(a.username for a in summary.accounts if a.note)
        course = re.search(r"《(.+?)》", summary.trainee.note).group(1)
        return Made(now=now, lines=summary_lines(summary, zone="Asia/Shanghai"),
                    trainee=summary.trainee.username, instructor=instructor, featured_course=course)


def _working(day: date) -> bool:
    """China's working days as the State Council announces them; weekdays past that."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def _local_day(value: datetime) -> date:
    return value.astimezone(BEIJING).date()


def _sessions() -> list[TrainingSession]:
    return list(db.session.scalars(sa.select(TrainingSession).order_by(TrainingSession.starts_at)))


@pytest.mark.parametrize("name", MOMENTS)
def test_sessions_today_and_this_week(app, name):
    moment = MOMENTS[name]
    made = _make(app, moment)
    now, today = made.now, moment.date()
    with app.app_context():
        sessions = _sessions()
        todays = [s for s in sessions if _local_day(s.starts_at) == today]
        assert todays
        in_progress = [s for s in todays if s.starts_at <= now < s.ends_at]
        to_come = [s for s in todays if s.starts_at > now]
        earlier = [s for s in todays if s.ends_at <= now]
        tomorrow = [s for s in sessions if _local_day(s.starts_at) == today + timedelta(days=1)]
        hour = moment.hour + moment.minute / 60
        if hour <= 19.5:
            assert to_come, "a session still to come today"
        else:
            assert earlier and tomorrow, "late in the evening: one earlier today, one tomorrow"
        assert bool(in_progress) == (8.5 <= hour < 21), "one in progress when the hour allows"
        for session in todays + tomorrow:  # from 08:00 to 22:00 Beijing time
            start, end = session.starts_at.astimezone(BEIJING), session.ends_at.astimezone(BEIJING)
            assert start.time() >= time(8) and end.time() <= time(22) and end.date() == start.date()

        week_ends = datetime.combine(today + timedelta(days=7), time(0), tzinfo=BEIJING)
        this_week = [s for s in sessions if now < s.ends_at and s.starts_at < week_ends and not s.is_cancelled]
        assert len(this_week) >= 2
        if name != "national-day":  # a week of public holidays has only today's
            after_today = [s for s in this_week if _local_day(s.starts_at) > today]
            assert len(after_today) >= 3

        # every other session keeps to working days (holidays and weekends left out)
        showcase_days = {today, today + timedelta(days=1)}
        off_days = {_local_day(s.starts_at) for s in sessions} - showcase_days
        assert all(_working(day) for day in off_days)

        # today's sessions were scheduled at their times, each on its own, not moved there
        # (no reschedule: SEQUENCE 0), each of a different track and instructor
        assert all(s.series_id is None for s in todays)
        assert all(s.sequence == 0 and s.status == SessionStatus.SCHEDULED for s in todays + tomorrow)
        assert len({s.instructor_id for s in todays}) == len(todays)

        # the office's changes lie beyond this week: two cancelled, one rescheduled
        cancelled = [s for s in sessions if s.is_cancelled]
        rescheduled = [s for s in sessions if s.sequence and not s.is_cancelled]
        assert len(cancelled) == 2 and len(rescheduled) == 1
        assert all(s.cancel_reason for s in cancelled)
        assert all(s.starts_at >= week_ends for s in cancelled + rescheduled)

        # no clash anywhere, learner clashes included, now that learners have enrolled
        assert find_clashes([
            Proposal(course_id=s.course_id, starts_at=s.starts_at, ends_at=s.ends_at,
                     instructor_id=s.instructor_id, venue_id=s.venue_id, session_id=s.id)
            for s in sessions if not s.is_cancelled]) == []

        # a live timetable for the people the demo points to
        trainee = db.session.scalar(sa.select(User).where(User.username == made.trainee))
        learner = db.session.scalar(sa.select(Learner).where(Learner.user_id == trainee.id))
        course = db.session.scalar(sa.select(Course).where(Course.title == made.featured_course))
        enrolment = db.session.scalar(sa.select(Enrolment).where(
            Enrolment.learner_id == learner.id, Enrolment.course_id == course.id))
        assert enrolment.status == EnrolmentStatus.ENROLLED
        featured = [s for s in todays if s.course_id == course.id]
        assert featured and enrolment.enrolled_at <= featured[0].starts_at
        instructor = db.session.scalar(sa.select(User).where(User.username == made.instructor))
        assert any(s.instructor_id == instructor.id for s in todays)
        assert f"{made.trainee}" in "\n".join(made.lines) and "上课" in "\n".join(made.lines)


@pytest.mark.parametrize("name", ["weekday-morning", "beyond-the-calendar"])
def test_the_current_phase_around_now_with_phase_one_as_history(app, name):
    moment = MOMENTS[name]
    made = _make(app, moment)
    today = moment.date()
    with app.app_context():
        programme = db.session.scalar(sa.select(Programme))
        phases = list(db.session.scalars(sa.select(Phase).order_by(Phase.number)))
        assert [p.number for p in phases] == [1, 2] and phases[1].name == "第二阶段"
        current = phases[1]
        assert current.starts_on <= today <= current.ends_on
        assert 50 <= (today - current.starts_on).days <= 70  # about two months behind
        assert 175 <= (current.ends_on - current.starts_on).days <= 185  # six months
        assert phases[0].ends_on < current.starts_on
        # the programme stretches to the end of the current phase's year, and says so
        assert programme.starts_on <= phases[0].starts_on
        assert programme.ends_on == date(current.ends_on.year, 12, 31)
        assert any("项目总体规划原定至 2025-12-31" in line and f"{current.ends_on.year}-12-31" in line
                   for line in made.lines)
        tracks = list(db.session.scalars(sa.select(Track).where(Track.phase_id == current.id)))
        assert len(tracks) >= 2 and all(len(track.courses) >= 3 for track in tracks)
        for session in db.session.scalars(sa.select(TrainingSession).join(Course).join(Track)
                                          .where(Track.phase_id == current.id)):
            assert current.starts_on <= _local_day(session.starts_at) <= current.ends_on

        # held sessions of the current phase have marks of all five kinds, upcoming ones none
        phase_sessions = sa.select(TrainingSession.id).join(Course).join(Track).where(Track.phase_id == current.id)
        marks = dict(db.session.execute(
            sa.select(Attendance.status, sa.func.count())
            .join(TrainingSession).where(Attendance.session_id.in_(phase_sessions))
            .group_by(Attendance.status)).all())
        assert set(marks) == set(AttendanceStatus)
        assert marks[AttendanceStatus.PRESENT] / sum(marks.values()) > 0.6
        assert db.session.scalar(sa.select(sa.func.max(TrainingSession.ends_at)).join(Attendance)) <= made.now
        # only sessions after a learner's enrolment are marked
        assert not db.session.scalar(
            sa.select(sa.func.count()).select_from(Attendance)
            .join(TrainingSession).join(Enrolment, sa.and_(
                Enrolment.learner_id == Attendance.learner_id,
                Enrolment.course_id == TrainingSession.course_id))
            .where(TrainingSession.starts_at < Enrolment.enrolled_at))
        late = db.session.scalar(sa.select(sa.func.count()).select_from(Enrolment).join(Course).join(Track)
                                 .where(Track.phase_id == current.id,
                                        Enrolment.enrolled_at > datetime.combine(
                                            current.starts_on, time(0), tzinfo=BEIJING)))
        assert late > 0

        # leave: decided for held sessions, waiting for sessions to come, never in the future
        leaves = list(db.session.scalars(sa.select(LeaveRequest)))
        by_status = {status: [x for x in leaves if x.status == status] for status in LeaveStatus}
        assert by_status[LeaveStatus.APPROVED] and by_status[LeaveStatus.REJECTED]
        assert by_status[LeaveStatus.PENDING]
        assert all(x.session.starts_at > made.now and x.decided_at is None
                   for x in by_status[LeaveStatus.PENDING])
        assert all(x.requested_at <= made.now and (x.decided_at or x.requested_at) <= made.now for x in leaves)
        assert all(x.decision_note for x in by_status[LeaveStatus.REJECTED])
        enrolled_at = dict(((learner, course), at) for learner, course, at in db.session.execute(
            sa.select(Enrolment.learner_id, Enrolment.course_id, Enrolment.enrolled_at)))
        assert all(enrolled_at[(x.learner_id, x.session.course_id)] <= x.requested_at <= x.session.starts_at
                   for x in leaves)

        # phase 1 stays whole: every session held, with marks
        history = sa.select(TrainingSession.id).join(Course).join(Track).where(Track.phase_id == phases[0].id)
        unmarked = db.session.scalar(sa.select(sa.func.count()).select_from(TrainingSession).where(
            TrainingSession.id.in_(history), ~sa.exists().where(Attendance.session_id == TrainingSession.id)))
        assert unmarked == 0


def test_beyond_the_holiday_calendar_the_demo_keeps_to_weekdays(app):
    moment = MOMENTS["beyond-the-calendar"]
    with pytest.raises(NotImplementedError):  # the premise: chinese-calendar has no such year
        chinese_calendar.is_workday(moment.date())
    _make(app, moment)
    showcase_days = {moment.date(), moment.date() + timedelta(days=1)}
    with app.app_context():
        days = {_local_day(s.starts_at) for s in _sessions()} - showcase_days
        current = [day for day in days if day.year >= 2099]
        assert current and all(day.weekday() < 5 for day in current)


def _section(html: str, section_id: str) -> str:
    start = html.index(f'id="{section_id}"')
    return html[start:html.index("</section>", start)]


@pytest.mark.parametrize("name", MOMENTS)
def test_every_role_sees_sessions_to_come_on_its_start_page(app, client, monkeypatch, name):
    made = _make(app, MOMENTS[name])
    monkeypatch.setattr("trainhub.dashboard.views.utcnow", lambda: made.now + timedelta(minutes=2))
    with app.app_context():
        coordinators = list(db.session.scalars(
            sa.select(User.username).where(User.role == Role.COORDINATOR).order_by(User.username)))
    accounts = ["office", *coordinators, made.instructor, made.trainee]
    printed = "\n".join(made.lines)
    for username in accounts:
        assert username in printed
        response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
        assert response.status_code == 302, (username, response.get_data(as_text=True)[:300])
        html = client.get("/").get_data(as_text=True)
        sessions = _section(html, "next-sessions")
        assert sessions.count('class="list-group-item"') >= 1, username
        assert "暂无课次安排" not in sessions
        if username == made.trainee:
            rates = re.findall(r'class="attendance-rate[^"]*">([^<]+)<', html)
            assert any(rate.strip().endswith("%") for rate in rates)
        if username in ("office", *coordinators):
            held = re.search(r'id="stat-sessions-held".*?stat-value[^>]*>([\d,]+)<', html, re.S).group(1)
            learners = re.search(r'id="stat-learners".*?stat-value[^>]*>([\d,]+)<', html, re.S).group(1)
            assert int(held.replace(",", "")) > 0 and int(learners.replace(",", "")) > 0
        client.post("/logout")

    response = client.post("/login", data={"username": "certifier", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert "待审核学员" in client.get("/").get_data(as_text=True)


def test_the_coordinators_areas_have_learners_in_the_current_phase(app):
    made = _make(app, MOMENTS["weekday-morning"])
    with app.app_context():
        for user in db.session.scalars(sa.select(User).where(User.role == Role.COORDINATOR)):
            enrolled = db.session.scalar(
                sa.select(sa.func.count(sa.distinct(Enrolment.learner_id)))
                .join(Learner).join(Organisation).join(Course)
                .join(TrainingSession, TrainingSession.course_id == Course.id)
                .where(Organisation.county_code.startswith(user.scope_code),
                       Enrolment.status == EnrolmentStatus.ENROLLED,
                       TrainingSession.starts_at > made.now))
            assert enrolled > 0, user.username


def test_a_moment_inside_phase_one_is_refused(app):
    with app.app_context():
        with pytest.raises(DemoError, match="尚在第一阶段"):
            create_demo_data(learners=60, now=datetime(2023, 5, 1, tzinfo=UTC))
        db.session.rollback()
        assert not db.session.scalar(sa.select(sa.func.count()).select_from(Learner))
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Phase)) == 0
