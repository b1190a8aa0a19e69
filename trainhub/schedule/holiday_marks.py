"""What a calendar marks on a span of local dates: public holidays (法定节假日) and make-up
working days (调休上班), named in Chinese, as :mod:`trainhub.schedule.holidays` reads them
from ``chinese-calendar``. A year the library does not know yet is reported as
*unpublished*: its days carry no mark, and pages say that its arrangement is not yet known
rather than guess or fail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from trainhub.schedule.holidays import day_info


@dataclass(frozen=True)
class HolidaySpan:
    """Consecutive days off of one holiday within the marked span, and the make-up working
    days announced for it that fall within the span too."""

    name: str
    first: date
    last: date
    makeup_days: tuple[date, ...] = ()

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def overlaps(self, first: date, last: date) -> bool:
        return self.first <= last and first <= self.last


@dataclass(frozen=True)
class DayMarks:
    """The marks of every day from ``first`` to ``last`` (inclusive): a span and its margin."""

    first: date
    last: date
    #: Day → Chinese name of the public holiday it belongs to.
    holidays: dict[date, str] = field(default_factory=dict)
    #: Day → Chinese name of the holiday a make-up working day makes up for.
    makeup_days: dict[date, str] = field(default_factory=dict)
    #: Years of the span whose arrangement ``chinese-calendar`` does not know.
    unpublished_years: tuple[int, ...] = ()

    def holiday(self, day: date) -> str | None:
        return self.holidays.get(day)

    def makeup_for(self, day: date) -> str | None:
        return self.makeup_days.get(day)

    def spans(self) -> list[HolidaySpan]:
        """The holidays of the span as runs of consecutive days off, in date order, each with
        its make-up working days."""
        spans: list[HolidaySpan] = []
        for day in sorted(self.holidays):
            name = self.holidays[day]
            last = spans[-1] if spans else None
            if last is not None and last.name == name and last.last == day - timedelta(days=1):
                spans[-1] = HolidaySpan(name, last.first, day)
            else:
                spans.append(HolidaySpan(name, day, day))
        return [
            HolidaySpan(span.name, span.first, span.last, tuple(
                day for day, name in sorted(self.makeup_days.items())
                if name == span.name and abs((day - span.first).days) <= 31
            ))
            for span in spans
        ]


#: How far around a span its marks are read, so that a holiday or its make-up working days
#: reaching over the span's edges are named whole (劳动节 2023-04-29 … 05-03 in a May calendar).
MARGIN = timedelta(days=31)


def day_marks(first: date, last: date) -> DayMarks:
    """Holidays and make-up working days from ``first`` to ``last`` (inclusive), and those
    within :data:`MARGIN` around them (for :meth:`DayMarks.spans`)."""
    first, last = first - MARGIN, last + MARGIN
    holidays: dict[date, str] = {}
    makeup: dict[date, str] = {}
    unpublished: set[int] = set()
    day = first
    while day <= last:
        if day.year in unpublished:
            day += timedelta(days=1)
            continue
        info = day_info(day)
        if not info.published:
            unpublished.add(day.year)
        elif info.holiday:
            holidays[day] = info.holiday
        elif info.makeup_for:
            makeup[day] = info.makeup_for
        day += timedelta(days=1)
    return DayMarks(first, last, holidays, makeup, tuple(sorted(unpublished)))
