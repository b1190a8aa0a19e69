"""Reads behind the timetable pages: holidays and make-up working days, the month calendar,
a phase's six-month overview, a series in words, and constant query counts."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
import sqlalchemy as sa
from timetable_world import at, build_timetable

from trainhub.accounts.models import User
from trainhub.courses.models import Phase, SessionSeries
from trainhub.extensions import db
from trainhub.schedule.holiday_marks import day_marks
from trainhub.schedule.month import month_calendar
from trainhub.schedule.overview import phase_overview
from trainhub.schedule.queries import SessionState, describe_series

NOW = at(date(2023, 5, 10), "12:00")


@pytest.fixture
def tt(app, make_user):
    return build_timetable(app, make_user)


def _user(username: str) -> User:
    return db.session.scalar(sa.select(User).where(User.username == username))


# holidays --------------------------------------------------------------------------------------


def test_the_2023_holidays_and_make_up_working_days_are_named(app):
    with app.app_context():
        marks = day_marks(date(2023, 4, 1), date(2023, 10, 31))
    spans = [(s.name, s.first, s.last) for s in marks.spans()
             if date(2023, 4, 1) <= s.first <= date(2023, 10, 31)]
    assert spans == [
        ("清明", date(2023, 4, 5), date(2023, 4, 5)),
        ("劳动节", date(2023, 4, 29), date(2023, 5, 3)),
        ("端午", date(2023, 6, 22), date(2023, 6, 24)),
        ("中秋", date(2023, 9, 29), date(2023, 9, 29)),
        ("国庆节", date(2023, 9, 30), date(2023, 10, 6)),
    ]
    labour = next(s for s in marks.spans() if s.name == "劳动节")
    assert labour.makeup_days == (date(2023, 4, 23), date(2023, 5, 6))
    assert marks.makeup_for(date(2023, 6, 25)) == "端午"
    assert marks.holiday(date(2023, 5, 4)) is None and marks.makeup_for(date(2023, 5, 4)) is None
    assert marks.unpublished_years == ()


def test_years_beyond_the_holiday_data_are_unpublished_not_an_error(app):
    marks = day_marks(date(2098, 12, 1), date(2099, 1, 31))
    assert marks.holidays == {} and marks.makeup_days == {}
    assert set(marks.unpublished_years) >= {2098, 2099}


# the month calendar ----------------------------------------------------------------------------


def test_may_2023_marks_labour_day_and_the_make_up_saturday(app, tt):
    with app.app_context():
        calendar = month_calendar(_user("trainee-gz"), date(2023, 5, 17), NOW)
    assert calendar.month == date(2023, 5, 1)
    # 2023-05-01 is a Monday: the grid starts on it and ends on Sunday 2023-06-04
    assert calendar.weeks[0][0].day == date(2023, 5, 1)
    assert calendar.weeks[-1][-1].day == date(2023, 6, 4)
    assert all(len(week) == 7 for week in calendar.weeks)
    days = {day.day: day for day in calendar.days}
    assert [d for d, day in days.items() if day.holiday] == [date(2023, 5, d) for d in (1, 2, 3)]
    assert days[date(2023, 5, 1)].holiday == "劳动节"
    assert days[date(2023, 5, 6)].makeup_for == "劳动节"
    assert [(s.name, s.first, s.last) for s in calendar.holidays] == [
        ("劳动节", date(2023, 4, 29), date(2023, 5, 3))]
    assert calendar.makeup_days == [(date(2023, 5, 6), "劳动节")]
    # the trainee's sessions (ORG-01 and ORG-02), by local day; STA-01 is not theirs
    titles = {d.day: [s.course_code for s in d.sessions] for d in calendar.days if d.sessions}
    assert titles == {
        date(2023, 5, 6): ["ORG-02"], date(2023, 5, 10): ["ORG-01"], date(2023, 5, 11): ["ORG-02"],
        date(2023, 5, 12): ["ORG-02"], date(2023, 5, 17): ["ORG-01"], date(2023, 5, 24): ["ORG-01"],
        date(2023, 5, 31): ["ORG-01"],
    }
    assert days[date(2023, 5, 12)].sessions[0].state == SessionState.CANCELLED
    assert calendar.sessions == 7 and calendar.cancelled == 1
    assert days[date(2023, 5, 10)].is_today and not days[date(2023, 5, 11)].is_today
    assert calendar.previous == date(2023, 4, 1) and calendar.next == date(2023, 6, 1)


def test_an_early_morning_session_lies_on_its_local_day(app, tt):
    """07:30 on 2023-05-20 in Shanghai is still 2023-05-19 in UTC."""
    with app.app_context():
        calendar = month_calendar(_user("teacher-zhang"), date(2023, 5, 1), NOW)
    day = next(d for d in calendar.days if d.day == date(2023, 5, 20))
    assert [s.course_code for s in day.sessions] == ["STA-01"]
    assert not any(s.course_code == "STA-01" for d in calendar.days if d.day == date(2023, 5, 19)
                   for s in d.sessions)


def test_a_month_beyond_the_holiday_data_is_shown_without_marks(app, tt):
    with app.app_context():
        calendar = month_calendar(_user("trainee-gz"), date(2099, 12, 1), NOW)
    assert calendar.unpublished_years == (2099,)
    assert not any(day.holiday or day.makeup_for for day in calendar.days)
    assert calendar.next is None  # the calendar stops at 2099


# the overview ----------------------------------------------------------------------------------


def test_phase_one_overview_weeks_and_holiday_shading(app, tt, make_user):
    make_user("office", username="office-reader")
    with app.app_context():
        overview = phase_overview(_user("office-reader"), db.session.get(Phase, tt.phase), NOW)
    weeks = overview.weeks
    # 2023-02-15 (Wednesday) … 2023-08-14 (Monday): the weeks of 2023-02-13 … 2023-08-14
    assert len(weeks) == 27
    assert weeks[0].monday == date(2023, 2, 13) and weeks[-1].sunday == date(2023, 8, 20)
    shaded = {w.monday: [span.name for span in w.holidays] for w in weeks if w.holidays}
    assert shaded == {
        date(2023, 4, 3): ["清明"],
        date(2023, 4, 24): ["劳动节"],
        date(2023, 5, 1): ["劳动节"],
        date(2023, 6, 19): ["端午"],
    }
    assert [span.name for span in overview.holidays] == ["清明", "劳动节", "端午"]
    assert [w.monday for w in weeks if w.is_current] == [date(2023, 5, 8)]
    # rows: the courses grouped by track, in the tracks' order
    assert [(t.name, [c.code for c in t.courses]) for t in overview.tracks] == [
        ("社工机构管理运营", ["ORG-01", "ORG-02"]),
        ("乡镇（街道）社工站建设", ["STA-01"]),
    ]
    org1 = overview.tracks[0].courses[0]
    by_week = {weeks[i].monday: (c.held_or_planned, c.cancelled) for i, c in enumerate(org1.cells)
               if not c.empty}
    # Wednesdays from 03-01, 12 times: 04-05 (清明) and 05-03 (劳动节) skipped, 03-15 cancelled
    assert by_week[date(2023, 3, 13)] == (0, 1)
    assert date(2023, 4, 3) not in by_week and date(2023, 5, 1) not in by_week
    assert by_week[date(2023, 5, 29)] == (1, 0)
    assert org1.sessions == 11 and org1.cancelled == 1
    org2 = overview.tracks[0].courses[1]
    assert [(weeks[i].monday, c.held_or_planned, c.cancelled) for i, c in enumerate(org2.cells)
            if not c.empty] == [(date(2023, 5, 1), 1, 0), (date(2023, 5, 8), 1, 1)]
    assert overview.sessions == 11 + 2 + 3 and overview.cancelled == 2


def test_the_overview_shows_each_reader_their_courses_only(app, tt):
    with app.app_context():
        phase = db.session.get(Phase, tt.phase)
        trainee = phase_overview(_user("trainee-gs"), phase, NOW)
        guest = phase_overview(_user("teacher-wang"), phase, NOW)
    assert [[c.code for c in t.courses] for t in trainee.tracks] == [["STA-01"]]
    assert trainee.sessions == 3
    # the guest reads every session of the course they are listed for
    assert [[c.code for c in t.courses] for t in guest.tracks] == [["STA-01"]]


# a series in words -----------------------------------------------------------------------------


def test_a_series_is_described_in_words(app, tt):
    with app.app_context():
        series = db.session.get(SessionSeries, tt.series)
        assert describe_series(series) == (
            "每周三 19:00–21:00，自 2023-03-01 起，共 12 次，遇法定节假日不排课")
        series.weekdays, series.occurrences, series.until_date = "24", None, date(2023, 6, 30)
        series.kept_holidays = "2023-06-22"
        assert describe_series(series) == (
            "每周二、周四 19:00–21:00，自 2023-03-01 起，至 2023-06-30 止，遇法定节假日不排课"
            "（2023-06-22 保留）")
        series.skip_holidays = False
        series.starts_time, series.ends_time = time(9, 30), time(11)
        assert describe_series(series).endswith("09:30–11:00，自 2023-03-01 起，至 2023-06-30 止，"
                                                 "法定节假日照常排课")
        db.session.rollback()


def test_now_is_compared_as_an_instant(app, tt):
    """A moment given in UTC and the same moment in Shanghai time make the same calendar."""
    with app.app_context():
        user = _user("trainee-gz")
        local = month_calendar(user, date(2023, 5, 1), NOW)
        utc = month_calendar(user, date(2023, 5, 1), NOW.astimezone(UTC))
        assert [d.is_today for d in local.days] == [d.is_today for d in utc.days]
        assert datetime(2023, 5, 10, 4, tzinfo=UTC) == NOW
