"""Time where the programme runs: timestamps are stored in UTC and shown in the configured
zone (``TIMEZONE``, Asia/Shanghai); "today" is the local date there.

Shared by templates (as filters), queries and exports, operations and commands.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app

from trainhub.db import utcnow

WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
_CLOCK = re.compile(r"^\s*(\d{1,2})\s*[:：]\s*(\d{2})(?:[:：]00)?\s*$")


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def to_local(value: datetime) -> datetime:
    """A timestamp in the configured zone; naive values are taken to be UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(local_zone())


def format_localtime(value, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return to_local(value).strftime(fmt)
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    return str(value)


def format_date(value, fmt: str = "%Y-%m-%d") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_local(value)
    if isinstance(value, date):
        return value.strftime(fmt)
    return str(value)


def format_weekday(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_local(value)
    return WEEKDAYS[value.weekday()]


def format_timespan(starts_at: datetime | None, ends_at: datetime | None = None) -> str:
    """``2023-02-15（周三）19:00–21:00``; the end date is repeated only when it differs."""
    if starts_at is None:
        return ""
    start = to_local(starts_at)
    text = f"{start:%Y-%m-%d}（{WEEKDAYS[start.weekday()]}）{start:%H:%M}"
    if ends_at is None:
        return text
    end = to_local(ends_at)
    if end.date() == start.date():
        return f"{text}–{end:%H:%M}"
    return f"{text} 至 {end:%Y-%m-%d %H:%M}"


def local_today() -> date:
    """Today's date where the programme runs."""
    return to_local(utcnow()).date()


def parse_clock(text: str, label: str = "时间") -> time:
    """A wall-clock time of day typed as ``19:00`` (``9:30``, ``19：00``, ``19:00:00``).
    Raises ValueError with a Chinese message naming ``label`` for a blank, unreadable or
    impossible time (``25:00``, ``19:75``)."""
    text = (text or "").strip()
    if not text:
        raise ValueError(f"请填写{label}，格式如 19:00。")
    match = _CLOCK.match(text)
    if match is None:
        raise ValueError(f"{label}“{text}”无法识别，请按 19:00 的格式填写。")
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise ValueError(f"{label}“{text}”不存在：小时应为 0–23，分钟应为 0–59。")
    return time(hour, minute)
