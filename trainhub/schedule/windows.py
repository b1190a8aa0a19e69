"""Phase windows: every session of a phase lies within its ``starts_on .. ends_on``.

Sessions are UTC instants; a phase's first and last days are inclusive local dates. They are
compared in the programme's zone (Asia/Shanghai): a session from 22:00 to 23:30 local time
on the phase's last day lies inside it (although it ends on the next day in UTC), and one
from 07:00 local time on the day after the last day lies outside it (although it starts on
the last day in UTC). Both the start and the end of a session must lie inside.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from trainhub.courses.models import Phase


def local_dates(starts_at: datetime, ends_at: datetime, zone: ZoneInfo) -> tuple[date, date]:
    """The local dates of a session's start and end."""
    return starts_at.astimezone(zone).date(), ends_at.astimezone(zone).date()


@dataclass(frozen=True)
class WindowProblem:
    """Sessions that would lie outside their phase, by local date."""

    phase_name: str
    starts_on: date
    ends_on: date
    #: The local dates outside the window, each once, in order.
    dates: list[date]

    @property
    def message(self) -> str:
        shown = "、".join(day.isoformat() for day in self.dates[:20])
        more = f"等 {len(self.dates)} 个日期" if len(self.dates) > 20 else ""
        return (f"以下日期不在{self.phase_name}的时间范围（{self.starts_on.isoformat()} 至 "
                f"{self.ends_on.isoformat()}）内：{shown}{more}。")


def outside_window(
    spans: Iterable[tuple[datetime, datetime]], phase: Phase, zone: ZoneInfo
) -> WindowProblem | None:
    """The problem of the sessions (``(starts_at, ends_at)`` UTC pairs) lying outside
    ``phase``, or None when every one lies inside."""
    outside: set[date] = set()
    for starts_at, ends_at in spans:
        for day in local_dates(starts_at, ends_at, zone):
            if not phase.starts_on <= day <= phase.ends_on:
                outside.add(day)
    if not outside:
        return None
    return WindowProblem(phase_name=phase.name, starts_on=phase.starts_on, ends_on=phase.ends_on,
                         dates=sorted(outside))
