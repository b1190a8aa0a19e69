"""China's public holidays (法定节假日) and make-up working days (调休上班), as the State
Council announces them each year, read from ``chinese-calendar`` only (never a list of our
own).

The library transcribes the yearly notice, so it knows only the years announced when the
installed version was released (up to 2026 in version 1.11) and raises
``NotImplementedError`` for any other year. Such a day is *unpublished* here: it is neither
called a holiday nor a working day, and callers say that the arrangement is not yet
published rather than guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import chinese_calendar
from chinese_calendar import Holiday

#: Chinese name of each holiday, by the English name the library stores
#: (``"Labour Day"`` → ``"劳动节"``).
HOLIDAY_NAMES: dict[str, str] = {holiday.value: holiday.chinese for holiday in Holiday}


@dataclass(frozen=True)
class DayInfo:
    """What the holiday arrangement says about one local date."""

    day: date
    #: Whether the arrangement of the day's year is published (known to the library).
    published: bool
    #: Chinese name of the public holiday the day belongs to (放假), e.g. ``劳动节``.
    holiday: str | None = None
    #: A make-up working day (调休上班, usually a weekend day): the holiday it makes up for.
    makeup_for: str | None = None

    @property
    def is_holiday(self) -> bool:
        return self.holiday is not None

    @property
    def is_makeup_workday(self) -> bool:
        return self.makeup_for is not None


def _chinese(name: str | None) -> str | None:
    if name is None:
        return None
    return HOLIDAY_NAMES.get(name, name)


def day_info(day: date) -> DayInfo:
    """The arrangement of ``day``: a public holiday (named), a make-up working day (naming
    the holiday it makes up for), an ordinary day, or unpublished."""
    try:
        resting, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return DayInfo(day=day, published=False)
    if name is None:  # an ordinary working day or weekend
        return DayInfo(day=day, published=True)
    if resting:
        return DayInfo(day=day, published=True, holiday=_chinese(name))
    return DayInfo(day=day, published=True, makeup_for=_chinese(name))


def holiday_name(day: date) -> str | None:
    """Chinese name of the public holiday ``day`` belongs to (``2023-05-01`` → ``劳动节``),
    or None: an ordinary day, a make-up working day, or a year not yet published (ask
    :func:`is_published`)."""
    return day_info(day).holiday


def makeup_workday_for(day: date) -> str | None:
    """When ``day`` is a make-up working day (调休上班, e.g. Sunday 2023-04-23), the Chinese
    name of the holiday it makes up for; else None."""
    return day_info(day).makeup_for


def is_published(day: date) -> bool:
    """Whether the holiday arrangement of ``day``'s year is known."""
    return day_info(day).published


def published_years() -> tuple[int, int]:
    """First and last year the installed ``chinese-calendar`` knows."""
    years = [day.year for day in chinese_calendar.holidays]
    return min(years), max(years)


def unpublished_warning(days: list[date]) -> str | None:
    """The warning a preview shows for dates whose year's arrangement is not yet
    published (None when there are none): holidays were not checked on them."""
    if not days:
        return None
    years = sorted({day.year for day in days})
    first, last = published_years()
    shown = "、".join(day.isoformat() for day in days[:10])
    more = f"等 {len(days)} 个日期" if len(days) > 10 else ""
    return (f"{'、'.join(str(y) for y in years)} 年的节假日安排尚未公布（节假日数据目前只到 {last} 年，"
            f"始于 {first} 年），以下日期未按节假日检查：{shown}{more}。公布后请核对这些课次。")
