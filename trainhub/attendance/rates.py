"""The attendance-rate rule and what follows from it, as pure functions of counts.

PRODUCT.md, "Rules that users rely on":

- attendance rate of a learner in a course = sessions attended (出勤, 迟到, 早退) / sessions
  held so far;
- whether excused sessions (请假) count against the rate is a setting, the course's own or
  else the programme's (``TRAINHUB_EXCUSED_COUNTS_AGAINST``); by default they are left out
  of both sides;
- only sessions held after a learner's enrolment count towards their rate: a session counts
  when it starts at or after the enrolment (one already under way when the learner enrolled
  does not count, so a late enrolment never costs the learner a session they could not
  attend). Cancelled sessions never count.

The counting itself (which sessions, which marks) is one SQL aggregate in
:mod:`trainhub.attendance.queries`; everything here works on the numbers it returns, so that
the dashboards, the certificate eligibility and the reports apply the same rule.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from trainhub.attendance.models import AttendanceStatus

#: Attendance statuses that count as attended (出勤, 迟到, 早退).
ATTENDED = tuple(s for s in AttendanceStatus if s.counts_as_attended)


def attendance_rate(
    attended: int, excused: int, held_count: int, *, excused_counts_against: bool
) -> float | None:
    """Sessions attended / sessions held (all counted from the enrolment on).

    Excused sessions are left out of both sides unless ``excused_counts_against``, in which
    case they stay in the denominator as not attended. None when nothing can be measured
    yet (no session held, or every held session excused).
    """
    denominator = held_count if excused_counts_against else held_count - excused
    if denominator <= 0:
        return None
    return attended / denominator


def sessions_needed(attended: int, counted: int, remaining: int, min_rate: Decimal | float) -> int | None:
    """How many of the ``remaining`` sessions must still be attended for the rate at the end
    of the course to reach ``min_rate``; None when even attending every one cannot.

    ``counted`` is the rate's denominator so far (held sessions, less excused ones where
    they are left out). The answer assumes no further leave: a later excused session that
    is left out of both sides lowers the need. 0 means the threshold is reached even if the
    learner attends nothing more.
    """
    total = counted + remaining
    if total <= 0:
        return None
    threshold = Fraction(str(min_rate))
    needed = max(math.ceil(threshold * total) - attended, 0)
    return needed if needed <= remaining else None


class Outlook(enum.Enum):
    """Where a learner stands against the completion threshold."""

    #: Nothing scheduled yet after the enrolment (the timetable is still to come).
    NOT_SCHEDULED = "not_scheduled"
    #: Every session had started before the enrolment: there is nothing to attend.
    NOTHING_TO_COUNT = "nothing_to_count"
    #: The threshold is met even without attending anything more.
    SECURED = "secured"
    #: ``needed`` more sessions must be attended.
    NEEDS_MORE = "needs_more"
    #: Even attending every remaining session cannot reach the threshold.
    UNREACHABLE = "unreachable"


@dataclass(frozen=True)
class AttendanceCount:
    """One learner's sessions in one course, counted from their enrolment on."""

    #: Sessions held (ended, not cancelled) that started at or after the enrolment.
    held: int
    #: Sessions still to come (not ended, not cancelled) that start at or after the enrolment.
    remaining: int
    #: Of the held ones, those marked 出勤, 迟到 or 早退.
    attended: int
    #: Of the held ones, those marked 请假.
    excused: int
    #: The rule in force for the course (its own setting, else the programme's).
    excused_counts_against: bool
    #: Sessions (not cancelled) that had started before the enrolment and do not count.
    before_enrolment: int = 0

    @property
    def counted(self) -> int:
        """The rate's denominator so far."""
        return self.held if self.excused_counts_against else self.held - self.excused

    @property
    def rate(self) -> float | None:
        return attendance_rate(self.attended, self.excused, self.held,
                               excused_counts_against=self.excused_counts_against)

    def meets(self, min_rate: Decimal | float) -> bool:
        """Whether the rate so far reaches ``min_rate`` (exactly: 7 of 10 meets 70 %)."""
        return self.counted > 0 and self.attended >= Fraction(str(min_rate)) * self.counted

    def needed(self, min_rate: Decimal | float) -> int | None:
        """:func:`sessions_needed` for these counts."""
        return sessions_needed(self.attended, self.counted, self.remaining, min_rate)

    def outlook(self, min_rate: Decimal | float) -> Outlook:
        if self.held + self.remaining == 0:
            return Outlook.NOTHING_TO_COUNT if self.before_enrolment else Outlook.NOT_SCHEDULED
        needed = self.needed(min_rate)
        if needed is None:
            return Outlook.UNREACHABLE
        return Outlook.SECURED if needed == 0 else Outlook.NEEDS_MORE
