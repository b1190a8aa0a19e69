"""Local (Asia/Shanghai) times for the scheduling tests, as the UTC instants the database keeps."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(day: str, clock: str) -> datetime:
    """A local (Asia/Shanghai) time as the UTC instant the database keeps."""
    return datetime.combine(date.fromisoformat(day), time.fromisoformat(clock),
                            tzinfo=SHANGHAI).astimezone(UTC)
