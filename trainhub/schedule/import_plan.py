"""The schedule import's dry run as plain data: each row with its problems (by row and
column), the session it would make, and what the whole file would create per course.
:mod:`trainhub.schedule.import_planner` fills it; nothing here reads the database.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from trainhub.accounts.models import User
from trainhub.courses.models import Course, Venue
from trainhub.schedule.clashes import Proposal
from trainhub.schedule.operations import ScheduleError
from trainhub.sheet_columns import ColumnMap, RowProblem, example_note


class ScheduleImportRefused(ScheduleError):
    """The file (or the whole import) is refused; the message is Chinese, nothing was written."""

    def __init__(self, message: str, field: str = "file"):
        super().__init__(field, message)


@dataclass
class ImportRow:
    row: int
    #: Every cell's text as read, in the file's column order.
    cells: list[str]
    #: The texts by column key.
    texts: dict[str, str]
    problems: list[RowProblem] = field(default_factory=list)
    #: Clashes accepted with the override reason (shown, not refused).
    overridden: list[RowProblem] = field(default_factory=list)
    #: What the preview says besides: a holiday kept, a make-up working day.
    notes: list[str] = field(default_factory=list)
    course: Course | None = None
    day: date | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    #: The session's details as the operations clean them (instructor, venue, meeting …).
    details: dict | None = None
    instructor: User | None = None
    venue: Venue | None = None

    @property
    def rejected(self) -> bool:
        return bool(self.problems)

    @property
    def proposal(self) -> Proposal | None:
        if self.course is None or self.details is None or self.starts_at is None or self.ends_at is None:
            return None
        return Proposal(course_id=self.course.id, starts_at=self.starts_at, ends_at=self.ends_at,
                        instructor_id=self.details["instructor_id"], venue_id=self.details["venue_id"])


@dataclass
class SchedulePlan:
    filename: str
    columns: ColumnMap
    rows: list[ImportRow]
    allow_holidays: bool = False
    #: The reason given to schedule despite clashes (None: clashes are refused).
    override_reason: str | None = None
    encoding: str | None = None
    #: Rows holding the template's example, left out.
    example_rows: list[int] = field(default_factory=list)
    #: Dates whose year's holidays are not yet published (not checked), as a warning.
    unpublished: str | None = None

    @property
    def problems(self) -> list[RowProblem]:
        return [problem for row in self.rows for problem in row.problems]

    @property
    def rejected(self) -> list[ImportRow]:
        return [row for row in self.rows if row.rejected]

    @property
    def has_problems(self) -> bool:
        return any(row.rejected for row in self.rows)

    @property
    def overridden(self) -> list[RowProblem]:
        return [problem for row in self.rows for problem in row.overridden]

    @property
    def per_course(self) -> list[tuple[Course, int]]:
        """The sessions to create per course, in the order the courses first appear."""
        counts = Counter(row.course.id for row in self.rows if row.course is not None)
        seen: dict[int, Course] = {}
        for row in self.rows:
            if row.course is not None:
                seen.setdefault(row.course.id, row.course)
        return [(course, counts[course.id]) for course in seen.values()]

    @property
    def example_note(self) -> str | None:
        return example_note(self.example_rows)

    def refusal(self) -> str:
        return (f"文件中有 {len(self.rejected)} 行有问题，按“全部导入或全部不导入”的规则，"
                "未保存任何课次。请按问题清单修改后重新上传。")


