"""The demo's timetable as planned (no database): the times placed around now at any hour,
the courses laid out on their rules with public holidays skipped by the scheduling code,
the current phase's window, phase names."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import date, datetime, time, timedelta

import chinese_calendar
import pytest

from trainhub.demo.catalogue import CURRENT_PLAN, PHASE_ONE_PLAN, SESSION_HOURS
from trainhub.demo.layout import keep_week_busy, lay_out, place_around_now, slots_around
from trainhub.demo.workdays import add_months, chinese_number, current_phase_window
from trainhub.schedule.recurrence import expand

PHASE_ONE = (date(2023, 2, 15), date(2023, 8, 14))


def _minutes(clock: time) -> int:
    return clock.hour * 60 + clock.minute


@pytest.mark.parametrize("second", [0, 59])
def test_every_minute_of_a_day_gets_sessions_around_it(second):
    day = date(2026, 11, 29)
    for minute in range(0, 24 * 60, 7):
        now = datetime.combine(day, time(minute // 60, minute % 60, second))
        slots = slots_around(now)
        kinds = [slot.kind for slot in slots]
        assert len(set(kinds)) == len(kinds) and len(slots) <= 3, (now, kinds)
        for slot in slots:
            assert _minutes(slot.starts) >= 8 * 60 and _minutes(slot.ends) <= 22 * 60
            assert _minutes(slot.ends) - _minutes(slot.starts) == 120
            start = datetime.combine(slot.day, slot.starts)
            end = datetime.combine(slot.day, slot.ends)
            if slot.kind == "earlier":
                assert slot.day == day and end <= now
            elif slot.kind == "in_progress":
                assert slot.day == day and start <= now < end
            elif slot.kind == "to_come":
                assert slot.day == day and start > now
            else:
                assert slot.kind == "tomorrow" and slot.day == day + timedelta(days=1)
        # something still to come today, or else something earlier today and tomorrow
        assert "to_come" in kinds or {"earlier", "tomorrow"} <= set(kinds), (now, kinds)
        assert ("in_progress" in kinds) == (8 * 60 + 30 <= minute < 21 * 60), (now, kinds)
        assert ("to_come" in kinds) == (minute < 19 * 60 + 30 or (minute == 19 * 60 + 30 and not second)), now
        todays = [slot for slot in slots if slot.day == day]
        assert todays == sorted(todays, key=lambda slot: slot.starts)
        # none overlaps another: a learner of two tracks is never asked to be in two places
        for before, after in itertools.pairwise(todays):
            assert before.ends <= after.starts, (now, kinds)


def test_a_session_to_come_starts_at_a_usual_time_when_one_is_half_an_hour_ahead():
    def to_come(clock: str) -> str:
        slot = next(s for s in slots_around(datetime.fromisoformat(f"2026-11-30T{clock}"))
                    if s.kind == "to_come")
        return slot.starts.strftime("%H:%M")

    assert to_come("06:00") == "09:30"
    assert to_come("10:17") == "14:30"
    assert to_come("14:00") == "14:30"
    assert to_come("14:01") == "19:00"
    assert to_come("18:40") == "19:30"  # no usual time left: as soon as possible
    assert to_come("19:30") == "20:00"  # after the session in progress (18:00–20:00)


def _meetings(courses):
    return [(course, meeting) for course in courses for meeting in course.meetings]


def test_phase_one_is_laid_out_on_rules_that_skip_the_2023_holidays():
    courses = lay_out(PHASE_ONE_PLAN, *PHASE_ONE, launch=True)
    assert [course.course for course in courses] == list(range(len(PHASE_ONE_PLAN.courses)))
    for course in courses:  # every course its class hours, inside the phase, on weekdays
        spec = PHASE_ONE_PLAN.courses[course.course]
        assert len(course.meetings) * SESSION_HOURS == spec.hours
        for meeting in course.meetings:
            assert PHASE_ONE[0] <= meeting.day <= PHASE_ONE[1]
            assert meeting.day.weekday() < 5 and chinese_calendar.is_workday(meeting.day)
    launch = min((m for _, m in _meetings(courses)), key=lambda m: (m.day, m.starts))
    assert (launch.day, launch.starts, launch.placed) == (PHASE_ONE[0], time(19), "launch")

    # the rules' occurrences are exactly the meetings planned for them, and some rules
    # skipped a public holiday, which the scheduling code names
    skipped = []
    for course in courses:
        runs = course.runs()
        assert sum(map(len, runs)) == len([m for m in course.meetings if m.occurrence is not None])
        for rule, run in zip(course.rules(), runs, strict=True):
            expansion = expand(rule)
            assert [o.day for o in expansion.occurrences] == [m.day for m in run]
            skipped += [str(day) for day in expansion.skipped]
    assert "2023-05-03 劳动节" in skipped and "2023-06-22 端午" in skipped

    # a track's courses follow one another; the tracks meet on different weekdays
    for track in range(len(PHASE_ONE_PLAN.tracks)):
        spans = sorted((min(m.day for m in c.meetings), max(m.day for m in c.meetings))
                       for c in courses if c.track == track)
        assert all(before[1] < after[0] for before, after in itertools.pairwise(spans))
    days = Counter((m.day, c.track) for c, m in _meetings(courses) if m.placed != "launch")
    assert len({day for day, _ in days}) == len(days)
    assert max(m.day for _, m in _meetings(courses)) > PHASE_ONE[1] - timedelta(days=14)  # six months


@pytest.mark.parametrize("moment", ["2026-11-30T10:17", "2026-12-01T18:40", "2026-11-29T22:40",
                                    "2026-10-01T15:05", "2099-03-17T07:50"])
def test_the_current_phase_keeps_its_courses_whole_around_now(moment):
    now = datetime.fromisoformat(moment)
    today = now.date()
    window = current_phase_window(today, not_before=PHASE_ONE[1] + timedelta(days=1))
    courses = lay_out(CURRENT_PLAN, *window, launch=False)
    before = {course.course: len(course.meetings) for course in courses}
    placed = place_around_now(courses, now)
    brought = keep_week_busy(courses, today)

    assert [p.kind for p in placed] == [slot.kind for slot in slots_around(now)]
    assert len({p.track for p in placed}) == len(placed)  # a track of its own each
    for item in placed:
        slot = next(s for s in slots_around(now) if s.kind == item.kind)
        assert (item.meeting.day, item.meeting.starts, item.meeting.ends) == (slot.day, slot.starts, slot.ends)
    assert {course.course: len(course.meetings) for course in courses} == before
    for course in courses:  # the rule's occurrences left are one series per unbroken run
        singles = {id(m) for m in course.singles}
        assert all(id(p.meeting) in singles for p in placed + brought if p.course is course)
        for rule, run in zip(course.rules(), course.runs(), strict=True):
            assert [o.day for o in expand(rule).occurrences] == [m.day for m in run]
    # every track meets again within the six days after today, unless they are all holidays
    for track in range(len(CURRENT_PLAN.tracks)):
        ahead = [m.day for c in courses if c.track == track for m in c.meetings if m.day > today]
        assert min(ahead) < today + timedelta(days=7) or moment.startswith("2026-10-01")
    # nothing overlaps anything else
    meetings = [m for _, m in _meetings(courses)]
    for index, meeting in enumerate(meetings):
        assert not any(other.overlaps(meeting.day, meeting.starts, meeting.ends)
                       for other in meetings[index + 1:]), meeting


def test_the_current_phase_holds_today_after_the_phases_before():
    assert current_phase_window(date(2026, 11, 30), not_before=date(2023, 8, 15)) == (
        date(2026, 10, 5), date(2027, 4, 4))
    # right after phase 1 the window starts the day after it
    assert current_phase_window(date(2023, 9, 1), not_before=date(2023, 8, 15)) == (
        date(2023, 8, 15), date(2024, 2, 14))
    assert current_phase_window(date(2023, 5, 1), not_before=date(2023, 8, 15)) is None


def test_months_and_phase_numbers():
    assert add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert add_months(date(2026, 10, 5), 6) == date(2027, 4, 5)
    assert [chinese_number(n) for n in (1, 2, 4, 10, 11, 20, 24)] == ["一", "二", "四", "十", "十一", "二十", "二十四"]
