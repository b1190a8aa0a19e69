"""Bulk import of learners: the one pipeline behind the web page, the API, the CLI and the demo.

A roster (``.xlsx`` or ``.csv`` as the counties send it) goes through three steps:

1. :func:`~trainhub.imports.reading.read_roster` reads it (size and row limits, file type,
   encoding) into text cells, bounded by the data the file holds;
2. :func:`~trainhub.imports.planner.plan_import` recognises the columns
   (:mod:`~trainhub.imports.columns`), resolves counties and organisations
   (:mod:`~trainhub.imports.places`) and checks every row: the dry run, which writes
   nothing and returns an :class:`~trainhub.imports.plan.ImportPlan`;
3. :func:`commit_import` (here) writes the plan: the one commit that every entry point calls.

Learners are matched by their ID number, so importing the same file twice changes nothing
the second time. Cells are text as typed: formulas are kept as their text, never
evaluated; leading zeros and the ``X`` check digit survive. Messages are Chinese and never
repeat an ID or phone number.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy.exc import IntegrityError

from trainhub.audit.operations import record
from trainhub.courses.models import Course
from trainhub.courses.operations import enrol_many
from trainhub.imports.errors import ImportConflict, ImportRefused
from trainhub.imports.plan import ImportPlan, RowAction, RowPlan
from trainhub.imports.workbooks import rejected_rows_workbook
from trainhub.learners.models import Learner
from trainhub.learners.operations import LearnerError, apply_learner_fields, create_learners
from trainhub.orgs.models import Organisation
from trainhub.orgs.operations import OrgError, create_organisation
from trainhub.transaction import savepoint

#: Audit action of a committed import.
AUDIT_ACTION = "import.learners"


@dataclass
class ImportResult:
    plan: ImportPlan
    valid_only: bool = False
    created: list[Learner] = field(default_factory=list)
    updated: list[Learner] = field(default_factory=list)
    unchanged: list[Learner] = field(default_factory=list)
    #: Every imported learner (new, updated, unchanged) in the file's row order.
    learners: list[Learner] = field(default_factory=list)
    organisations: list[Organisation] = field(default_factory=list)
    #: Enrolment outcome when a course was given: enrolled, waitlisted, already.
    enrolment: dict[str, int] | None = None
    #: The rows left out, as a workbook to mend and send again (valid rows only, when some
    #: were rejected).
    rejected_workbook: bytes | None = None

    @property
    def rejected(self) -> list[RowPlan]:
        return self.plan.of(RowAction.REJECTED)

    @property
    def counts(self) -> dict[str, int]:
        return {
            "rows": len(self.plan.rows),
            "new": len(self.created),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "rejected": len(self.rejected),
            "organisations": len(self.organisations),
        }


def _check(plan: ImportPlan, valid_only: bool) -> None:
    """The plan checked again at the moment of writing: the rule the dry run announced."""
    if plan.has_problems and not valid_only:
        raise ImportRefused(plan.refusal())
    if valid_only and len(plan.of(RowAction.REJECTED)) == len(plan.rows):
        raise ImportRefused("文件中没有无误的行，未导入任何数据。请按问题清单修改后重新上传。")


@contextmanager
def _all_or_nothing() -> Iterator[None]:
    """The writes inside a SAVEPOINT (:func:`trainhub.transaction.savepoint`): a refusal met
    half-way leaves the session as it was."""
    try:
        with savepoint(Learner.__table__):
            yield
    except (IntegrityError, LearnerError, OrgError) as exc:
        # someone registered one of the learners or organisations since the dry run
        raise ImportConflict() from exc


def _write(plan: ImportPlan, result: ImportResult) -> None:
    created_orgs: dict[tuple[str, str], Organisation] = {}
    for new in plan.organisations_to_create:
        org = create_organisation(name=new.name, kind=new.kind, county_code=new.county.code,
                                  actor=plan.user)
        created_orgs[new.key] = org
        result.organisations.append(org)
    valid = [row for row in plan.rows if not row.rejected]

    def organisation_of(row: RowPlan) -> Organisation:
        return row.organisation or created_orgs[row.new_organisation.key]

    new_rows = [row for row in valid if row.action == RowAction.CREATE]
    created = create_learners([(row.fields, organisation_of(row)) for row in new_rows],
                              actor=plan.user)
    learner_of = {row.row: learner for row, learner in zip(new_rows, created, strict=True)}
    result.created = created
    for row in valid:
        if row.action == RowAction.UPDATE:
            apply_learner_fields(row.learner, row.fields, organisation_of(row), actor=plan.user)
            result.updated.append(row.learner)
        elif row.action == RowAction.UNCHANGED:
            result.unchanged.append(row.learner)
        result.learners.append(learner_of.get(row.row) or row.learner)
    if plan.course is not None:
        result.enrolment = _enrol_all(plan.course.course, result.learners)


def _enrol_all(course: Course, learners: list[Learner]) -> dict[str, int]:
    """Enrol every learner in ``course`` (waiting list when full; enrolled ones unchanged)."""
    summary = enrol_many(learners, course, waitlist=True)
    return {"enrolled": len(summary.enrolled), "waitlisted": len(summary.waitlisted),
            "already": len(summary.already)}


def _audit(result: ImportResult, via: str) -> None:
    plan = result.plan
    detail = {
        "file": plan.filename[:200],
        "via": via,
        "valid_only": result.valid_only,
        "counts": result.counts,
    }
    if plan.example_rows:
        detail["example_rows_skipped"] = len(plan.example_rows)
    if plan.course is not None:
        detail["course"] = plan.course.course.code
        detail["enrolment"] = result.enrolment
    record(AUDIT_ACTION, target_type="import", detail=detail)


def commit_import(plan: ImportPlan, *, valid_only: bool = False, via: str = "web") -> ImportResult:
    """Write ``plan`` (a dry run made in this unit of work): the one import commit of the web
    page, the API, the command line and the demo.

    1. The plan is checked again: with a problem row and not ``valid_only``, or without a
       valid row, it is refused with :class:`ImportRefused`.
    2. Organisations, learners (each with a trainee account, ``xy`` + the learner's number),
       updates and, when the plan names a course, enrolments are written all together
       inside a SAVEPOINT, with one audit entry (counts and file name,
       no personal data). A learner or organisation registered by someone else since the
       dry run refuses the whole import with :class:`ImportConflict` (409) and leaves the
       session as it was before the call.
    3. With ``valid_only``, the rows left out come back as a workbook to mend.

    Writes are flushed; the caller's unit of work commits.
    """
    _check(plan, valid_only)
    result = ImportResult(plan=plan, valid_only=valid_only)
    with _all_or_nothing():
        _write(plan, result)
        _audit(result, via)
    if valid_only:
        result.rejected_workbook = rejected_rows_workbook(plan)
    return result
