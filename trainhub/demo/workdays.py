"""The current phase's window, six months around the day the demo is made, and its name.
(Which days are public holidays the demo asks the scheduling code, whose recurrence rules
skip them: :mod:`trainhub.demo.layout`.)"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

#: How far the current phase reaches back from the day the demo is made (about two months;
#: it starts on the Monday of that week) and how long it lasts.
PHASE_WEEKS_BEFORE = 8
PHASE_MONTHS = 6


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole calendar months (the 31st becomes the month's last day)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def current_phase_window(today: date, *, not_before: date) -> tuple[date, date] | None:
    """First and last day of a six-month phase holding ``today``: it starts on the Monday
    about two months back (never before ``not_before``, the day after the last phase) and
    ends six months later. None when no such window holds ``today``."""
    starts_on = today - timedelta(weeks=PHASE_WEEKS_BEFORE)
    starts_on -= timedelta(days=starts_on.weekday())
    starts_on = max(starts_on, not_before)
    if starts_on > today:
        return None
    return starts_on, add_months(starts_on, PHASE_MONTHS) - timedelta(days=1)


_DIGITS = "零一二三四五六七八九"


def chinese_number(number: int) -> str:
    """1–99 in Chinese numerals, as phase names use them: 2 → 二, 10 → 十, 24 → 二十四."""
    if not 0 < number < 100:
        return str(number)
    tens, ones = divmod(number, 10)
    if tens == 0:
        return _DIGITS[ones]
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")
