"""Dates and times of the schedule import's cells: as people type them, as Excel keeps them,
and the impossible ones refused with the reason."""

from __future__ import annotations

from datetime import date, time

import pytest

from trainhub.schedule.import_columns import parse_date, parse_time
from trainhub.sheet_reading import Cell


@pytest.mark.parametrize(("text", "numeric", "expected"), [
    ("2023-03-01", False, date(2023, 3, 1)),
    ("2023-3-1", False, date(2023, 3, 1)),
    ("2023/3/1", False, date(2023, 3, 1)),
    ("2023.03.01", False, date(2023, 3, 1)),
    ("2023年3月1日", False, date(2023, 3, 1)),
    ("２０２３年３月１日", False, date(2023, 3, 1)),  # full-width digits
    ("2023-03-01（周三）", False, date(2023, 3, 1)),
    ("2023-03-01 星期三", False, date(2023, 3, 1)),
    ("20230301", False, date(2023, 3, 1)),
    ("2023-03-01 00:00:00", False, date(2023, 3, 1)),
    ("44986", True, date(2023, 3, 1)),  # an Excel serial date in a 常规 column
])
def test_dates_as_typed_and_as_excel_keeps_them(text, numeric, expected):
    assert parse_date(Cell(text, numeric)) == expected


@pytest.mark.parametrize(("text", "numeric", "said"), [
    ("", False, "请填写日期。"),
    ("2023-02-29", False, "日期“2023-02-29”不存在"),
    ("2023-13-01", False, "不存在"),
    ("3月1日", False, "无法识别"),
    ("44986", False, "无法识别"),  # typed as text, not an Excel date
    ("44986.5", True, "无法识别"),
    ("12", True, "无法识别"),
])
def test_impossible_or_unreadable_dates_say_why(text, numeric, said):
    message = parse_date(Cell(text, numeric))
    assert isinstance(message, str) and said in message


@pytest.mark.parametrize(("text", "numeric", "expected"), [
    ("19:00", False, time(19, 0)),
    ("9:05", False, time(9, 5)),
    ("19:00:00", False, time(19, 0)),
    ("１９：３０", False, time(19, 30)),
    ("19点30分", False, time(19, 30)),
    ("19点", False, time(19, 0)),
    ("下午7:00", False, time(19, 0)),
    ("上午9:30", False, time(9, 30)),
    ("7:00 PM", False, time(19, 0)),
    ("0.7916666666666666", True, time(19, 0)),  # an Excel time value
    ("0.375", True, time(9, 0)),
    ("1899-12-30 19:00:00", False, time(19, 0)),
])
def test_times_as_typed_and_as_excel_keeps_them(text, numeric, expected):
    assert parse_time(Cell(text, numeric), "开始时间") == expected


@pytest.mark.parametrize(("text", "numeric", "said"), [
    ("", False, "请填写开始时间"),
    ("25:00", False, "开始时间“25:00”不存在：小时应为 0–23，分钟应为 0–59。"),
    ("24:00", False, "不存在"),
    ("19:60", False, "开始时间“19:60”不存在"),
    ("19:00:75", False, "秒应为 0–59"),
    ("晚饭后", False, "无法识别"),
    ("19", True, "无法识别"),
    ("1.25", True, "无法识别"),
])
def test_impossible_or_unreadable_times_say_why(text, numeric, said):
    message = parse_time(Cell(text, numeric), "开始时间")
    assert isinstance(message, str) and said in message
