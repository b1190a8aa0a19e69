"""The attendance-rate rule as pure arithmetic (PRODUCT.md, "Rules that users rely on")."""

from __future__ import annotations

from decimal import Decimal

import pytest

from trainhub.attendance.rates import AttendanceCount, Outlook, attendance_rate, sessions_needed


@pytest.mark.parametrize(
    ("attended", "excused", "held", "against", "expected"),
    [
        (3, 1, 5, False, 0.75),  # excused left out of both sides: 3 / 4
        (3, 1, 5, True, 0.6),  # excused counted as not attended: 3 / 5
        (0, 0, 0, False, None),  # nothing held yet
        (0, 2, 2, False, None),  # every held session excused: nothing to measure
        (0, 2, 2, True, 0.0),
        (4, 0, 4, False, 1.0),
    ],
)
def test_attendance_rate(attended, excused, held, against, expected):
    assert attendance_rate(attended, excused, held, excused_counts_against=against) == expected


@pytest.mark.parametrize(
    ("attended", "counted", "remaining", "min_rate", "expected"),
    [
        (3, 4, 6, Decimal("0.800"), 5),  # 8 of 10 needed, 3 so far
        (3, 4, 1, Decimal("0.800"), 1),  # 4 of 5
        (0, 4, 2, Decimal("0.800"), None),  # 5 of 6 needed, only 2 left
        (8, 8, 2, Decimal("0.800"), 0),  # 8 of 10 reached already
        (4, 5, 0, Decimal("0.800"), 0),  # course over, 80 % exactly
        (3, 5, 0, Decimal("0.800"), None),  # course over, 60 %
        (0, 0, 10, Decimal("0.700"), 7),  # exact: 0.7 × 10 is 7, not 7.000000000000001
        (0, 0, 3, Decimal("0.000"), 0),  # no threshold
        (0, 0, 0, Decimal("0.800"), None),  # nothing to count at all
    ],
)
def test_sessions_needed(attended, counted, remaining, min_rate, expected):
    assert sessions_needed(attended, counted, remaining, min_rate) == expected


def _count(**values) -> AttendanceCount:
    return AttendanceCount(**{"held": 0, "remaining": 0, "attended": 0, "excused": 0,
                              "excused_counts_against": False, **values})


def test_excused_sessions_leave_the_denominator_unless_they_count_against():
    left_out = _count(held=5, remaining=5, attended=3, excused=1)
    against = _count(held=5, remaining=5, attended=3, excused=1, excused_counts_against=True)
    assert (left_out.counted, left_out.rate) == (4, 0.75)
    assert (against.counted, against.rate) == (5, 0.6)
    # 80 % of 9 sessions = 7.2 -> 8 attended, 5 more; of 10 -> 8 attended, 5 more
    assert left_out.needed(Decimal("0.8")) == 5
    assert against.needed(Decimal("0.8")) == 5
    # 85 %: of 9 sessions 7.65 -> 8 attended, 5 more; of 10, 8.5 -> 9, 6 more of only 5 left
    assert left_out.needed(Decimal("0.85")) == 5
    assert against.needed(Decimal("0.85")) is None


@pytest.mark.parametrize(
    ("values", "outlook"),
    [
        ({}, Outlook.NOT_SCHEDULED),
        ({"before_enrolment": 4}, Outlook.NOTHING_TO_COUNT),
        ({"held": 4, "attended": 4}, Outlook.SECURED),
        ({"held": 4, "attended": 4, "remaining": 1}, Outlook.SECURED),  # 4 of 5 is 80 %
        ({"held": 4, "attended": 3, "remaining": 2}, Outlook.NEEDS_MORE),
        ({"held": 4, "attended": 1, "remaining": 2}, Outlook.UNREACHABLE),
    ],
)
def test_outlook_against_the_threshold(values, outlook):
    assert _count(**values).outlook(Decimal("0.800")) == outlook


def test_meeting_the_threshold_is_exact():
    assert _count(held=10, attended=7).meets(Decimal("0.700"))  # 0.7 as a float is below 0.700
    assert not _count(held=10, attended=6).meets(Decimal("0.700"))
    assert not _count().meets(Decimal("0.000"))  # nothing measured yet
