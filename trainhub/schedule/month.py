"""The month calendar: the sessions a reader may read in one local month, by local day, with
the month's public holidays and make-up working days marked (:mod:`trainhub.schedule.holiday_marks`).

Weeks run Monday to Sunday, as calendars in China print them; the grid holds the days of
the neighbouring months that complete its first and last week (without their sessions).
Two queries whatever the number of sessions (:func:`trainhub.schedule.queries.session_items`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from trainhub.auth import Actor
from trainhub.localtime import WEEKDAYS, to_local
from trainhub.schedule.holiday_marks import HolidaySpan, day_marks
from trainhub.schedule.queries import SessionItem, SessionState, days_clause, session_items
from trainhub.schedule.scope import readable_sessions

#: Months the calendar shows (dates beyond stay out of every computation).
FIRST_YEAR, LAST_YEAR = 2000, 2099


@dataclass(frozen=True)
class CalendarDay:
    day: date
    in_month: bool
    is_today: bool
    #: Chinese name of the public holiday of the day (放假).
    holiday: str | None
    #: A make-up working day (调休上班): the holiday it makes up for.
    makeup_for: str | None
    sessions: list[SessionItem]

    @property
    def weekday(self) -> str:
        return WEEKDAYS[self.day.weekday()]

    @property
    def is_weekend(self) -> bool:
        return self.day.weekday() >= 5


@dataclass(frozen=True)
class MonthCalendar:
    #: First day of the month.
    month: date
    weeks: list[list[CalendarDay]]
    #: The month's holidays (runs of days off) with their make-up working days.
    holidays: list[HolidaySpan]
    #: Make-up working days of the month, with the holiday each makes up for.
    makeup_days: list[tuple[date, str]]
    #: Years whose holiday arrangement is not yet published (nothing marked for them).
    unpublished_years: tuple[int, ...]

    @property
    def days(self) -> list[CalendarDay]:
        """The days of the month itself, in order."""
        return [day for week in self.weeks for day in week if day.in_month]

    @property
    def sessions(self) -> int:
        return sum(len(day.sessions) for day in self.days)

    @property
    def cancelled(self) -> int:
        return sum(1 for day in self.days for s in day.sessions if s.state == SessionState.CANCELLED)

    @property
    def previous(self) -> date | None:
        first = (self.month - timedelta(days=1)).replace(day=1)
        return first if first.year >= FIRST_YEAR else None

    @property
    def next(self) -> date | None:
        first = next_month(self.month)
        return first if first.year <= LAST_YEAR else None


def next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def month_calendar(user: Actor, month: date, now: datetime) -> MonthCalendar:
    """The calendar of the local month holding ``month`` for ``user``."""
    first = month.replace(day=1)
    last = next_month(first) - timedelta(days=1)
    grid_first = first - timedelta(days=first.weekday())
    grid_last = last + timedelta(days=6 - last.weekday())
    by_day: dict[date, list[SessionItem]] = {}
    for item in session_items(sa.and_(readable_sessions(user), days_clause(first, last)), now):
        by_day.setdefault(item.local_day, []).append(item)
    marks = day_marks(grid_first, grid_last)
    today = to_local(now).date()
    weeks: list[list[CalendarDay]] = []
    day = grid_first
    while day <= grid_last:
        if day.weekday() == 0:
            weeks.append([])
        in_month = first <= day <= last
        weeks[-1].append(CalendarDay(
            day=day, in_month=in_month, is_today=day == today, holiday=marks.holiday(day),
            makeup_for=marks.makeup_for(day), sessions=by_day.get(day, []) if in_month else [],
        ))
        day += timedelta(days=1)
    return MonthCalendar(
        month=first,
        weeks=weeks,
        holidays=[span for span in marks.spans() if span.overlaps(first, last)],
        makeup_days=[(d, name) for d, name in sorted(marks.makeup_days.items()) if first <= d <= last],
        unpublished_years=tuple(y for y in marks.unpublished_years if first.year <= y <= last.year),
    )
