"""Recurrence rules (重复规则) and their expansion into local dates: "every Wednesday
19:00–21:00 from 2023-03-01 for 12 weeks".

Pure: no database, no request. A :class:`Rule` is checked (:meth:`Rule.check`, every
mistake at once, as a :class:`RuleError` naming the fields) and expanded (:func:`expand`)
into :class:`Occurrence` s on local (Asia/Shanghai) dates. Public holidays are skipped by
default and listed with their names ("2023-05-01 劳动节"); a holiday the office keeps on
purpose is scheduled and marked. A count rule still makes ``count`` sessions: skipped dates
do not count. Sessions on make-up working days (调休上班) are marked. Dates whose year's
holiday arrangement is not yet published are scheduled as ordinary days and listed, so
that the preview can warn (see :mod:`trainhub.schedule.holidays`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from trainhub.courses.models import SessionSeries
from trainhub.localtime import WEEKDAYS, parse_clock
from trainhub.refusals import Refusal
from trainhub.schedule.holidays import day_info, unpublished_warning

#: Most sessions one rule may make (six months of daily sessions are about 180).
MAX_OCCURRENCES = 300
#: A rule never reaches further than this from its first date (a typing slip otherwise).
MAX_SPAN = timedelta(days=3 * 366)


class RuleError(Refusal):
    """A recurrence rule refused, naming its fields (``weekdays``, ``starts_time``,
    ``ends_time``, ``first_date``, ``until_date``, ``count``)."""


def parse_time_of_day(value: object, field: str = "starts_time", label: str = "时间") -> time:
    """``"19:00"`` (or ``19：00``, ``9:30``) as a time of day; an impossible time such as
    ``25:00`` or ``19:75`` is refused naming ``field``."""
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    try:
        return parse_clock(value if isinstance(value, str) else "", label)
    except ValueError as error:
        raise RuleError(field, str(error)) from None


def parse_weekdays(value: object) -> tuple[int, ...]:
    """ISO weekdays 1 (Monday) … 7 (Sunday) from ``"246"``, ``"2,4,6"`` or a list of numbers;
    refused naming ``weekdays``."""
    if isinstance(value, str):
        items: Iterable[object] = [c for c in value if not c.isspace() and c not in ",，、"]
    elif isinstance(value, Iterable):
        items = value
    else:
        items = []
    days = []
    for item in items:
        try:
            number = int(item)  # type: ignore[call-overload]
        except (TypeError, ValueError):
            raise RuleError("weekdays", "星期应为 1（周一）到 7（周日）之间的数字。") from None
        if isinstance(item, bool) or not 1 <= number <= 7:
            raise RuleError("weekdays", "星期应为 1（周一）到 7（周日）之间的数字。")
        days.append(number)
    if not days:
        raise RuleError("weekdays", "请至少选择一个星期几。")
    return tuple(sorted(set(days)))


def weekday_names(weekdays: Iterable[int]) -> str:
    """``(1, 3)`` → ``周一、周三``."""
    return "、".join(WEEKDAYS[day - 1] for day in weekdays)


@dataclass(frozen=True)
class Rule:
    """A recurrence: on ``weekdays`` (ISO, 1 = Monday … 7 = Sunday), from ``starts_time``
    to ``ends_time`` local wall-clock time, from ``first_date`` until ``until_date``
    (inclusive) or for ``count`` sessions (exactly one of the two)."""

    weekdays: tuple[int, ...]
    starts_time: time
    ends_time: time
    first_date: date
    until_date: date | None = None
    count: int | None = None
    #: Skip public holidays (the default); the dates in ``keep_holidays`` are kept anyway.
    skip_holidays: bool = True
    keep_holidays: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def from_series(cls, series: SessionSeries) -> Rule:
        kept = frozenset(date.fromisoformat(text) for text in (series.kept_holidays or "").split(",") if text)
        return cls(weekdays=tuple(int(c) for c in series.weekdays), starts_time=series.starts_time,
                   ends_time=series.ends_time, first_date=series.first_date,
                   until_date=series.until_date, count=series.occurrences,
                   skip_holidays=series.skip_holidays, keep_holidays=kept)

    @property
    def weekdays_code(self) -> str:
        """The weekdays as ``SessionSeries.weekdays`` keeps them: ``"246"``."""
        return "".join(str(day) for day in sorted(set(self.weekdays)))

    def describe(self) -> str:
        """``每周三 19:00–21:00，自 2023-03-01 起共 12 次`` (or ``至 2023-06-30``)."""
        end = (f"共 {self.count} 次" if self.count is not None
               else f"至 {self.until_date.isoformat()}" if self.until_date else "")
        return (f"每{weekday_names(sorted(set(self.weekdays)))} {self.starts_time:%H:%M}–{self.ends_time:%H:%M}，"
                f"自 {self.first_date.isoformat()} 起{end}")

    def check(self) -> None:
        """Refuse an impossible rule, naming every field at fault at once: no weekday, a
        weekday out of 1–7, an end time not after the start, neither or both of an end date
        and a count, a count of zero or below or above :data:`MAX_OCCURRENCES`, an end date
        before the first date or too far after it."""
        errors: dict[str, str] = {}
        try:
            parse_weekdays(self.weekdays)
        except RuleError as error:
            errors.update(error.errors)
        if not isinstance(self.starts_time, time):
            errors["starts_time"] = "请填写开始时间，格式如 19:00。"
        if not isinstance(self.ends_time, time):
            errors["ends_time"] = "请填写结束时间，格式如 21:00。"
        elif isinstance(self.starts_time, time) and self.ends_time <= self.starts_time:
            errors["ends_time"] = (f"结束时间（{self.ends_time:%H:%M}）应晚于开始时间"
                                   f"（{self.starts_time:%H:%M}），且在同一天内。")
        if not isinstance(self.first_date, date):
            errors["first_date"] = "请填写首次日期，格式如 2023-03-01。"
        if self.until_date is None and self.count is None:
            errors["until_date"] = "请填写结束日期或次数（二者选一）。"
        elif self.until_date is not None and self.count is not None:
            errors["count"] = "结束日期和次数只能填写一项。"
        elif self.count is not None:
            if isinstance(self.count, bool) or not isinstance(self.count, int) or self.count <= 0:
                errors["count"] = "次数应为正整数。"
            elif self.count > MAX_OCCURRENCES:
                errors["count"] = f"次数最多 {MAX_OCCURRENCES} 次。"
        elif isinstance(self.first_date, date):
            if self.until_date < self.first_date:
                errors["until_date"] = (f"结束日期（{self.until_date.isoformat()}）不能早于首次日期"
                                        f"（{self.first_date.isoformat()}）。")
            elif self.until_date - self.first_date > MAX_SPAN:
                errors["until_date"] = "结束日期距首次日期超过三年，请检查。"
        if errors:
            raise RuleError(errors=errors)


@dataclass(frozen=True)
class SkippedDay:
    """A date of the rule left out because it is a public holiday."""

    day: date
    holiday: str

    def __str__(self) -> str:
        return f"{self.day.isoformat()} {self.holiday}"


@dataclass(frozen=True)
class Occurrence:
    """One local date of the rule, with its local wall-clock times."""

    day: date
    starts_time: time
    ends_time: time
    #: The public holiday of a date the office kept on purpose.
    holiday: str | None = None
    #: The holiday a make-up working day (调休上班) makes up for.
    makeup_for: str | None = None
    #: False when the day's year has no published holiday arrangement yet.
    published: bool = True

    def starts_at(self, zone: ZoneInfo) -> datetime:
        """The start as a UTC instant (the local time in ``zone``)."""
        return datetime.combine(self.day, self.starts_time, tzinfo=zone).astimezone(UTC)

    def ends_at(self, zone: ZoneInfo) -> datetime:
        return datetime.combine(self.day, self.ends_time, tzinfo=zone).astimezone(UTC)

    @property
    def note(self) -> str | None:
        """What the preview says about the date, in Chinese, or None."""
        if self.holiday:
            return f"{self.holiday}假期，按要求保留"
        if self.makeup_for:
            return f"调休上班日（{self.makeup_for}调休）"
        if not self.published:
            return "当年节假日安排尚未公布"
        return None


@dataclass(frozen=True)
class Expansion:
    """What a rule gives: its sessions' dates, the holidays it skipped, and the dates it
    could not check against holidays."""

    rule: Rule
    occurrences: list[Occurrence]
    skipped: list[SkippedDay]

    @property
    def unpublished(self) -> list[date]:
        return [o.day for o in self.occurrences if not o.published]

    @property
    def makeup_days(self) -> list[Occurrence]:
        return [o for o in self.occurrences if o.makeup_for]

    @property
    def kept_holidays(self) -> list[Occurrence]:
        return [o for o in self.occurrences if o.holiday]

    @property
    def warnings(self) -> list[str]:
        """Chinese warnings of the preview (unpublished holiday arrangements)."""
        warning = unpublished_warning(self.unpublished)
        return [warning] if warning else []


def expand(rule: Rule) -> Expansion:
    """The local dates of ``rule`` (checked first: :meth:`Rule.check`)."""
    rule.check()
    weekdays = set(rule.weekdays)
    occurrences: list[Occurrence] = []
    skipped: list[SkippedDay] = []
    day, last = rule.first_date, rule.first_date + MAX_SPAN
    while day <= last:
        if rule.until_date is not None and day > rule.until_date:
            break
        if rule.count is not None and len(occurrences) == rule.count:
            break
        if day.isoweekday() in weekdays:
            info = day_info(day)
            if info.holiday and rule.skip_holidays and day not in rule.keep_holidays:
                skipped.append(SkippedDay(day, info.holiday))
            else:
                occurrences.append(Occurrence(day=day, starts_time=rule.starts_time,
                                              ends_time=rule.ends_time, holiday=info.holiday,
                                              makeup_for=info.makeup_for, published=info.published))
                if len(occurrences) > MAX_OCCURRENCES:
                    raise RuleError("until_date", f"该规则将生成超过 {MAX_OCCURRENCES} 次课，请缩短日期范围。")
        day += timedelta(days=1)
    if not occurrences:
        field_name = "until_date" if rule.until_date is not None else "first_date"
        raise RuleError(field_name, "该规则在所选日期范围内没有生成任何课次（所选星期几不在范围内，"
                                    "或这些日期都是节假日）。")
    return Expansion(rule=rule, occurrences=occurrences, skipped=skipped)
