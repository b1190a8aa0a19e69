"""Recurrence rules over the 2023 holidays (chinese-calendar), make-up working days, kept
holidays, years not yet published, and impossible rules."""

from __future__ import annotations

from datetime import date, time
from unittest import mock

import chinese_calendar
import pytest

from trainhub.schedule.holidays import day_info, holiday_name, is_published, makeup_workday_for
from trainhub.schedule.recurrence import (
    MAX_OCCURRENCES,
    Rule,
    RuleError,
    expand,
    parse_time_of_day,
    parse_weekdays,
)

EVENING = (time(19), time(21))

#: The 2023 public holidays the programme's phase 1 crosses, as the State Council set them.
HOLIDAYS_2023 = {
    "2023-04-05": "清明",
    **{f"2023-04-{d}": "劳动节" for d in (29, 30)},
    **{f"2023-05-0{d}": "劳动节" for d in (1, 2, 3)},
    **{f"2023-06-{d}": "端午" for d in (22, 23, 24)},
    "2023-09-29": "中秋",  # the library names the first day of the combined break after 中秋
    "2023-09-30": "国庆节",
    **{f"2023-10-0{d}": "国庆节" for d in range(1, 7)},
}
MAKEUP_2023 = {"2023-04-23": "劳动节", "2023-05-06": "劳动节", "2023-06-25": "端午",
               "2023-10-07": "国庆节", "2023-10-08": "国庆节"}


def rule(weekdays, first, *, until=None, count=None, times=EVENING, **kwargs) -> Rule:
    return Rule(weekdays=tuple(weekdays), starts_time=times[0], ends_time=times[1],
                first_date=date.fromisoformat(first),
                until_date=date.fromisoformat(until) if until else None, count=count, **kwargs)


def days(expansion) -> list[str]:
    return [o.day.isoformat() for o in expansion.occurrences]


@pytest.mark.parametrize(("day", "name"), sorted(HOLIDAYS_2023.items()))
def test_2023_holidays_are_named(day, name):
    assert holiday_name(date.fromisoformat(day)) == name
    assert makeup_workday_for(date.fromisoformat(day)) is None


@pytest.mark.parametrize(("day", "name"), sorted(MAKEUP_2023.items()))
def test_2023_makeup_workdays_name_their_holiday(day, name):
    info = day_info(date.fromisoformat(day))
    assert info.makeup_for == name
    assert not info.is_holiday


def test_ordinary_days_are_neither():
    for day in (date(2023, 4, 4), date(2023, 4, 8), date(2023, 10, 9)):  # a Tuesday, a Saturday
        info = day_info(day)
        assert (info.published, info.holiday, info.makeup_for) == (True, None, None)


def test_every_wednesday_evening_for_twelve_weeks():
    expansion = expand(rule([3], "2023-03-01", count=12))
    # 04-05 (清明) and 05-03 (劳动节) are Wednesdays: skipped, and still twelve sessions
    assert days(expansion) == ["2023-03-01", "2023-03-08", "2023-03-15", "2023-03-22", "2023-03-29",
                               "2023-04-12", "2023-04-19", "2023-04-26",
                               "2023-05-10", "2023-05-17", "2023-05-24", "2023-05-31"]
    assert [str(s) for s in expansion.skipped] == ["2023-04-05 清明", "2023-05-03 劳动节"]
    assert all(o.starts_time == time(19) and o.ends_time == time(21) for o in expansion.occurrences)
    assert expansion.warnings == []


def test_until_rule_skips_every_2023_holiday_on_its_weekdays():
    expansion = expand(rule(range(1, 8), "2023-04-01", until="2023-10-10"))
    skipped = {s.day.isoformat(): s.holiday for s in expansion.skipped}
    assert skipped == {day: name for day, name in HOLIDAYS_2023.items()}
    assert not set(HOLIDAYS_2023) & set(days(expansion))
    makeup = {o.day.isoformat(): o.makeup_for for o in expansion.makeup_days}
    assert makeup == MAKEUP_2023
    note = next(o for o in expansion.occurrences if o.day == date(2023, 4, 23)).note
    assert note == "调休上班日（劳动节调休）"


def test_the_first_of_may_is_named():
    expansion = expand(rule([1], "2023-04-24", count=3))
    assert [str(s) for s in expansion.skipped] == ["2023-05-01 劳动节"]
    assert days(expansion) == ["2023-04-24", "2023-05-08", "2023-05-15"]


def test_a_holiday_kept_on_purpose_is_scheduled_and_marked():
    kept = rule([3], "2023-03-01", count=12, keep_holidays=frozenset({date(2023, 5, 3)}))
    expansion = expand(kept)
    assert "2023-05-03" in days(expansion)
    assert [str(s) for s in expansion.skipped] == ["2023-04-05 清明"]
    assert len(expansion.occurrences) == 12
    occurrence = next(o for o in expansion.occurrences if o.day == date(2023, 5, 3))
    assert occurrence.holiday == "劳动节"
    assert occurrence.note == "劳动节假期，按要求保留"


def test_not_skipping_holidays_keeps_them_all():
    expansion = expand(rule([3], "2023-03-01", count=12, skip_holidays=False))
    assert expansion.skipped == []
    assert days(expansion)[-1] == "2023-05-17"
    assert len(expansion.kept_holidays) == 2


def test_weekends_are_not_holidays():
    expansion = expand(rule([6], "2023-03-04", until="2023-03-25"))
    assert days(expansion) == ["2023-03-04", "2023-03-11", "2023-03-18", "2023-03-25"]


def test_times_become_utc_instants_in_the_local_zone():
    from zoneinfo import ZoneInfo

    occurrence = expand(rule([3], "2023-03-01", count=1)).occurrences[0]
    zone = ZoneInfo("Asia/Shanghai")
    assert occurrence.starts_at(zone).isoformat() == "2023-03-01T11:00:00+00:00"
    assert occurrence.ends_at(zone).isoformat() == "2023-03-01T13:00:00+00:00"


def test_a_year_not_yet_published_is_not_guessed():
    last_year = max(day.year for day in chinese_calendar.holidays)
    later = date(last_year + 1, 1, 1)
    assert not is_published(later)
    assert holiday_name(later) is None  # 元旦 surely, but not announced: never guessed
    expansion = expand(rule([1, 2, 3, 4, 5, 6, 7], f"{last_year}-12-30", count=4))
    assert days(expansion) == [f"{last_year}-12-30", f"{last_year}-12-31",
                               f"{last_year + 1}-01-01", f"{last_year + 1}-01-02"]
    assert expansion.unpublished == [later, date(last_year + 1, 1, 2)]
    (warning,) = expansion.warnings
    assert f"{last_year + 1} 年的节假日安排尚未公布" in warning
    assert f"{last_year + 1}-01-01" in warning


def test_the_library_raising_is_caught_for_any_year():
    with mock.patch("chinese_calendar.get_holiday_detail", side_effect=NotImplementedError("no data")):
        assert day_info(date(2023, 5, 1)).published is False


@pytest.mark.parametrize(("kwargs", "field", "message"), [
    ({"weekdays": ()}, "weekdays", "请至少选择一个星期几"),
    ({"weekdays": (0,)}, "weekdays", "1（周一）到 7（周日）"),
    ({"weekdays": (8,)}, "weekdays", "1（周一）到 7（周日）"),
    ({"times": (time(21), time(19))}, "ends_time", "应晚于开始时间"),
    ({"times": (time(19), time(19))}, "ends_time", "应晚于开始时间"),
    ({"count": 0}, "count", "正整数"),
    ({"count": -3}, "count", "正整数"),
    ({"count": MAX_OCCURRENCES + 1}, "count", f"最多 {MAX_OCCURRENCES} 次"),
    ({"count": None}, "until_date", "结束日期或次数"),
    ({"count": 3, "until": "2023-04-01"}, "count", "只能填写一项"),
    ({"count": None, "until": "2023-02-28"}, "until_date", "不能早于首次日期"),
    ({"count": None, "until": "2030-03-01"}, "until_date", "超过三年"),
])
def test_impossible_rules_are_refused(kwargs, field, message):
    arguments = {"weekdays": (3,), "count": 5, **kwargs}
    weekdays = arguments.pop("weekdays")
    with pytest.raises(RuleError) as refused:
        expand(rule(weekdays, "2023-03-01", **arguments))
    assert field in refused.value.errors
    assert message in refused.value.errors[field]


def test_every_mistake_is_named_at_once():
    bad = Rule(weekdays=(), starts_time=time(21), ends_time=time(20), first_date=date(2023, 3, 1))
    with pytest.raises(RuleError) as refused:
        bad.check()
    assert set(refused.value.errors) == {"weekdays", "ends_time", "until_date"}


def test_a_rule_making_nothing_is_refused():
    with pytest.raises(RuleError) as refused:
        expand(rule([3], "2023-03-02", until="2023-03-07"))  # Thursday to Tuesday: no Wednesday
    assert "没有生成任何课次" in refused.value.errors["until_date"]


def test_too_many_sessions_from_an_end_date_are_refused():
    with pytest.raises(RuleError) as refused:
        expand(rule(range(1, 8), "2023-01-01", until="2024-06-30", skip_holidays=False))
    assert f"超过 {MAX_OCCURRENCES} 次课" in refused.value.errors["until_date"]


@pytest.mark.parametrize(("text", "expected"), [("19:00", time(19)), ("9:30", time(9, 30)),
                                                ("19：05", time(19, 5)), (" 07:00 ", time(7))])
def test_times_of_day_are_read(text, expected):
    assert parse_time_of_day(text) == expected


@pytest.mark.parametrize(("text", "message"), [("25:00", "不存在"), ("19:75", "不存在"),
                                               ("七点", "无法识别"), ("", "请填写"), ("1900", "无法识别")])
def test_impossible_times_are_refused(text, message):
    with pytest.raises(RuleError) as refused:
        parse_time_of_day(text, "ends_time", "结束时间")
    assert message in refused.value.errors["ends_time"]


def test_weekdays_are_read_from_text_or_numbers():
    assert parse_weekdays("246") == (2, 4, 6)
    assert parse_weekdays("3,1，3") == (1, 3)
    assert parse_weekdays([7, 1]) == (1, 7)
    for bad in ("", "9", "周三", [True]):
        with pytest.raises(RuleError):
            parse_weekdays(bad)


def test_a_rule_describes_itself():
    assert rule([3], "2023-03-01", count=12).describe() == "每周三 19:00–21:00，自 2023-03-01 起共 12 次"
    assert rule([2, 4], "2023-03-01", until="2023-06-30").describe() == (
        "每周二、周四 19:00–21:00，自 2023-03-01 起至 2023-06-30")
