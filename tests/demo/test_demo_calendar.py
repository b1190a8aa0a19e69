"""The demo's clock and calendar: the times placed around now at any hour, working days,
the current phase's window, phase names."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from trainhub.demo.timetable import slots_around
from trainhub.demo.workdays import add_months, chinese_number, current_phase_window, is_working_day


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
        assert [slot for slot in slots if slot.day == day] == sorted(
            (slot for slot in slots if slot.day == day), key=lambda slot: slot.starts)


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


def test_working_days_follow_the_state_councils_notice():
    assert not is_working_day(date(2026, 10, 1))  # National Day, a Thursday
    assert not is_working_day(date(2026, 11, 29))  # a Sunday
    assert is_working_day(date(2026, 9, 20))  # a Sunday made a working day (调休)
    assert is_working_day(date(2026, 11, 30))


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
