"""The dry run's result: each row's outcome and problems, the organisations to create, the
course to enrol in. Plain data; :mod:`trainhub.imports.planner` fills it."""

from __future__ import annotations

from dataclasses import dataclass, field

from trainhub.accounts.models import User
from trainhub.courses.models import Course
from trainhub.db import LabelledEnum
from trainhub.geo.models import County
from trainhub.imports.columns import EXAMPLE_NAME, ColumnMap
from trainhub.imports.places import org_key
from trainhub.learners.models import Learner
from trainhub.learners.operations import FIELD_LABELS
from trainhub.learners.validation import LearnerFields
from trainhub.orgs.models import Organisation, OrgKind
from trainhub.sheet_columns import RowProblem, example_note


class RowAction(LabelledEnum):
    CREATE = ("create", "新增")
    UPDATE = ("update", "更新")
    UNCHANGED = ("unchanged", "无变化")
    REJECTED = ("rejected", "有问题")


@dataclass
class NewOrganisation:
    """An organisation named in the file that the import would create."""

    name: str
    kind: OrgKind
    county: County
    #: Rows (spreadsheet numbers) naming it.
    rows: list[int] = field(default_factory=list)
    #: The row whose 机构类型 cell set ``kind`` (None: inferred from the name).
    kind_row: int | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.county.code, org_key(self.name))


@dataclass
class RowPlan:
    row: int
    #: Every cell's text as read, in the file's column order (for the rejected-rows sheet).
    cells: list[str]
    #: The name as typed (for display).
    name: str
    action: RowAction = RowAction.REJECTED
    problems: list[RowProblem] = field(default_factory=list)
    fields: LearnerFields | None = None
    county: County | None = None
    organisation: Organisation | None = None
    new_organisation: NewOrganisation | None = None
    learner: Learner | None = None
    #: Keys of :data:`~trainhub.learners.operations.FIELD_LABELS` an update would change.
    changes: list[str] = field(default_factory=list)

    @property
    def rejected(self) -> bool:
        return bool(self.problems)

    @property
    def change_labels(self) -> list[str]:
        return [FIELD_LABELS.get(name, name) for name in self.changes]

    @property
    def organisation_name(self) -> str:
        if self.organisation is not None:
            return self.organisation.name
        return self.new_organisation.name if self.new_organisation else ""


@dataclass
class CourseInfo:
    course: Course
    #: Learners of the file (found in the register) already enrolled or waiting.
    already: int
    enrolled: int
    waitlisted: int

    @property
    def seats_left(self) -> int | None:
        if self.course.capacity is None:
            return None
        return max(self.course.capacity - self.enrolled, 0)


@dataclass
class ImportPlan:
    filename: str
    columns: ColumnMap
    rows: list[RowPlan]
    new_organisations: list[NewOrganisation]
    course: CourseInfo | None = None
    encoding: str | None = None
    #: Who imports (a coordinator's rows are limited to their area); None: the whole country.
    user: User | None = None
    #: Rows holding the import template's example (张晓明), left out.
    example_rows: list[int] = field(default_factory=list)

    def of(self, action: RowAction) -> list[RowPlan]:
        return [row for row in self.rows if row.action == action]

    @property
    def problems(self) -> list[RowProblem]:
        return [problem for row in self.rows for problem in row.problems]

    @property
    def organisations_to_create(self) -> list[NewOrganisation]:
        """New organisations named by at least one valid row (rejected rows create nothing)."""
        wanted = {row.new_organisation.key for row in self.rows
                  if row.new_organisation is not None and not row.rejected}
        return [org for org in self.new_organisations if org.key in wanted]

    @property
    def counts(self) -> dict[str, int]:
        counts = {action.value: 0 for action in RowAction}
        for row in self.rows:
            counts[row.action.value] += 1
        return {
            "rows": len(self.rows),
            "new": counts["create"],
            "updated": counts["update"],
            "unchanged": counts["unchanged"],
            "rejected": counts["rejected"],
            "organisations": len(self.organisations_to_create),
        }

    @property
    def has_problems(self) -> bool:
        return any(row.rejected for row in self.rows)

    @property
    def example_note(self) -> str | None:
        """What the preview says about the template's example row left in the file."""
        return example_note(self.example_rows, EXAMPLE_NAME)

    def refusal(self) -> str:
        """Why an all-or-nothing commit of this plan is refused (Chinese)."""
        rejected = self.counts["rejected"]
        return (f"文件中有 {rejected} 行有问题，按“全部导入或全部不导入”的规则，未导入任何数据。"
                "请修改后重新上传，或选择“只导入无误的行”。")

