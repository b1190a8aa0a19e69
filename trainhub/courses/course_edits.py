"""Writes on courses as the programme office designs them: create, edit every field,
archive and restore (the catalogue's rules: :mod:`trainhub.courses.catalogue`). Each
function validates, flushes and audits; the unit of work commits.

What a course holds and how it is checked:

- ``code``: unique (archived courses keep theirs), stored upper-case (``p2-org-01`` and
  full-width ``Ｐ２－ＯＲＧ－０１`` are ``P2-ORG-01``);
- ``track_id``: a track in use (an archived one only when the course already is in it);
  moving a course to another phase's track needs its sessions inside that phase's window;
- ``class_hours`` (学时) above 0 with at most one decimal; ``mode``: online, onsite, blended;
- ``instructor_ids``: users with the instructor role. One who is still assigned sessions of
  the course cannot be removed (the database enforces it too, at commit:
  ``fk_course_session_course_instructor``): the refusal says how many sessions;
- ``capacity``: None for unlimited; never below the learners enrolled. Places a raised
  capacity frees go to the waiting list, in order, at once;
- the completion rule: ``min_attendance_percent`` (0–100, stored as a fraction),
  ``has_assessment``, ``pass_score`` (0–100, required with an assessment, dropped without
  one) and ``excused_counts_against`` (None: the programme-wide setting).
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa

from trainhub.accounts.models import User
from trainhub.audit.operations import record
from trainhub.auth import Actor, Role
from trainhub.courses.catalogue import (
    CatalogueConflict,
    CatalogueError,
    Problems,
    apply_changes,
    audit_value,
    check_office,
    name_value,
    optional_count,
    optional_text,
    refuse_sessions_to_come,
    refuse_unknown,
    sessions_outside,
    set_archived,
    whole_number,
)
from trainhub.courses.models import Course, CourseMode, Track, TrainingSession
from trainhub.courses.operations import _fill_from_waiting_list, _lock_course
from trainhub.extensions import db

COURSE_FIELDS = (
    "code", "title", "track_id", "class_hours", "mode", "instructor_ids", "capacity",
    "description", "min_attendance_percent", "has_assessment", "pass_score",
    "excused_counts_against",
)
#: What a new course must have, and what is said when it is missing.
REQUIRED = {"code": "请填写课程编号。", "title": "请填写课程名称。", "track_id": "请选择课程模块。",
            "class_hours": "请填写学时。", "mode": "请选择授课形式。"}
CODE_PATTERN = re.compile(r"[A-Z0-9][A-Z0-9._-]{0,31}")
CODE_RULE = "课程编号只能由字母、数字和 - _ . 组成，以字母或数字开头，最多 32 个字符，如 P2-ORG-01。"
TITLE_MAX = 200
DESCRIPTION_MAX = 2000
CAPACITY_MAX = 100_000
HOURS_MAX = Decimal("9999.9")
DEFAULT_MIN_PERCENT = Decimal(80)
ONE_DECIMAL = Decimal("0.1")


def normalise_code(value) -> str:
    """A course code as stored: full-width characters folded, trimmed, upper-case."""
    return unicodedata.normalize("NFKC", value if isinstance(value, str) else "").strip().upper()


def _code(value) -> str:
    if value is not None and not isinstance(value, str):
        raise CatalogueError("code", "课程编号应为文本。")
    code = normalise_code(value)
    if not code:
        raise CatalogueError("code", "请填写课程编号。")
    if not CODE_PATTERN.fullmatch(code):
        raise CatalogueError("code", CODE_RULE)
    return code


def decimal_value(value, field: str, label: str, low: Decimal, high: Decimal, *,
                  above_low: bool = False) -> Decimal:
    """A number with at most one decimal between ``low`` and ``high`` (above ``low`` when
    ``above_low``); text such as ``"12.5"`` is accepted."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise CatalogueError(field, f"{label}应为数字。")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise CatalogueError(field, f"{label}应为数字，如 12 或 12.5。") from None
    if not number.is_finite():
        raise CatalogueError(field, f"{label}应为数字，如 12 或 12.5。")
    if (number <= low if above_low else number < low) or number > high:
        bound = "大于" if above_low else "不小于"
        raise CatalogueError(field, f"{label}应{bound} {low}，且不超过 {high}（当前 {number}）。")
    if number != number.quantize(ONE_DECIMAL):
        raise CatalogueError(field, f"{label}最多保留一位小数。")
    return number.quantize(ONE_DECIMAL)


def _track(value, course: Course | None) -> Track:
    track_id = whole_number(value, "track_id", "课程模块", 1, 2**63 - 1)
    track = db.session.get(Track, track_id)
    if track is None:
        raise CatalogueError("track_id", f"课程模块 {track_id} 不存在。")
    if track.archived_note and (course is None or course.track_id != track.id):
        raise CatalogueError("track_id", f"课程模块“{track.name}”{track.archived_note}，请选择在用的课程模块。")
    return track


def _mode(value) -> CourseMode:
    for mode in CourseMode:
        if value in (mode.value, mode.label, mode):
            return mode
    choices = "、".join(f"{mode.value}（{mode.label}）" for mode in CourseMode)
    raise CatalogueError("mode", f"授课形式应为以下之一：{choices}。")


def _instructors(value) -> list[User]:
    if value is None:
        return []
    if isinstance(value, str | bytes) or not isinstance(value, list | tuple | set):
        raise CatalogueError("instructor_ids", "讲师应为用户编号的列表。")
    ids = list(dict.fromkeys(whole_number(v, "instructor_ids", "讲师编号", 1, 2**63 - 1) for v in value))
    found = {user.id: user for user in db.session.scalars(sa.select(User).where(User.id.in_(ids)))}
    for user_id in ids:
        user = found.get(user_id)
        if user is None:
            raise CatalogueError("instructor_ids", f"用户 {user_id} 不存在。")
        if user.role != Role.INSTRUCTOR:
            raise CatalogueError("instructor_ids", f"“{user.display_name}”不是讲师账号，不能任课。")
    return [found[user_id] for user_id in ids]


def _percent(value) -> Decimal:
    if value in (None, ""):
        raise CatalogueError("min_attendance_percent", "请填写结业所需的最低出勤率（0–100）。")
    return decimal_value(value, "min_attendance_percent", "最低出勤率（%）", Decimal(0), Decimal(100))


def _flag(field: str, label: str):
    def check(value) -> bool:
        if not isinstance(value, bool):
            raise CatalogueError(field, f"{label}应为是或否（true / false）。")
        return value
    return check


def _pass_score(value) -> Decimal | None:
    if value in (None, ""):
        return None
    return decimal_value(value, "pass_score", "及格分数", Decimal(0), Decimal(100))


def _excused(value) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise CatalogueError("excused_counts_against", "请假是否计入出勤率应为 true、false 或 null（按全局设置）。")
    return value


_CHECKS = {
    "code": _code,
    "title": lambda value: name_value(value, "title", "课程名称", TITLE_MAX),
    "class_hours": lambda value: decimal_value(value, "class_hours", "学时", Decimal(0), HOURS_MAX,
                                               above_low=True),
    "mode": _mode,
    "instructor_ids": _instructors,
    "capacity": lambda value: optional_count(value, "capacity", "容量", CAPACITY_MAX),
    "description": lambda value: optional_text(value, "description", "课程简介", DESCRIPTION_MAX,
                                               multiline=True),
    "min_attendance_percent": _percent,
    "has_assessment": _flag("has_assessment", "是否需要考核"),
    "pass_score": _pass_score,
    "excused_counts_against": _excused,
}


def _checked(values: dict, course: Course | None) -> dict:
    """``values`` validated all at once, then the code's uniqueness; the result is keyed by
    the course's attributes (``instructors``, ``completion_min_rate`` …)."""
    refuse_unknown(values, COURSE_FIELDS)
    problems = Problems()
    if course is None:
        for field, message in REQUIRED.items():
            if values.get(field) in (None, ""):
                problems[field] = message
    cleaned = {}
    for field, value in values.items():
        if field in problems:
            continue
        if field == "track_id":
            cleaned[field] = problems.check(field, _track, value, course)
        else:
            cleaned[field] = problems.check(field, _CHECKS[field], value)
    has_assessment = cleaned.get("has_assessment", course.has_assessment if course else False)
    if course is None or {"has_assessment", "pass_score"} & values.keys():
        pass_score = cleaned.get("pass_score", course.pass_score if course else None)
        if has_assessment and pass_score is None and "pass_score" not in problems:
            problems["pass_score"] = "需要考核的课程请填写及格分数（0–100）。"  # noqa: S105 (a score)
        if not has_assessment:
            cleaned["pass_score"] = None
    if course is not None and not problems:
        problems.update(_course_fits(course, cleaned))
    problems.raise_if_any()
    if "code" in cleaned and (course is None or cleaned["code"] != course.code):
        other = db.session.scalar(sa.select(Course).where(Course.code == cleaned["code"]))
        if other is not None:
            note = "（该课程已归档，编号仍被占用）" if other.archived_at else ""
            raise CatalogueConflict("code", f"课程编号 {cleaned['code']} 已被课程“{other.title}”使用{note}。")
    track = cleaned.pop("track_id", None)
    if track is not None:
        cleaned["track_id"] = track.id
    if "instructor_ids" in cleaned:
        cleaned["instructors"] = cleaned.pop("instructor_ids")
    if "min_attendance_percent" in cleaned:
        cleaned["completion_min_rate"] = cleaned.pop("min_attendance_percent") / 100
    return cleaned


def _this(course: Course) -> sa.Select:
    return sa.select(Course.id).where(Course.id == course.id)


def _course_fits(course: Course, cleaned: dict) -> dict:
    """Refusals of a change that would not fit the course's sessions: an instructor removed
    while still assigned some, a track in a phase whose window leaves some outside."""
    errors = {}
    if cleaned.get("instructor_ids") is not None:
        kept = {user.id for user in cleaned["instructor_ids"]}
        removed = [user for user in course.instructors if user.id not in kept]
        counts = dict(db.session.execute(
            sa.select(TrainingSession.instructor_id, sa.func.count(TrainingSession.id))
            .where(TrainingSession.course_id == course.id,
                   TrainingSession.instructor_id.in_([user.id for user in removed]))
            .group_by(TrainingSession.instructor_id)
        ).all()) if removed else {}
        busy = [f"“{user.display_name}”仍担任本课程的 {counts[user.id]} 个课次"
                for user in removed if counts.get(user.id)]
        if busy:
            errors["instructor_ids"] = "、".join(busy) + "（含已取消的课次），请先为这些课次更换讲师，再移出该讲师。"
    track = cleaned.get("track_id")
    if track is not None and track.phase_id != course.track.phase_id:
        phase = track.phase
        outside = sessions_outside(_this(course), phase.starts_on, phase.ends_on,
                                   f"移到{phase.name}的课程模块后，本课程")
        if outside:
            errors["track_id"] = "".join(outside.values())
    return errors


def create_course(*, actor: Actor | None, code: str | None, title: str | None, track_id: int | None,
                  class_hours, mode: CourseMode | str | None, instructor_ids=(),
                  capacity: int | None = None, description: str | None = None,
                  min_attendance_percent=DEFAULT_MIN_PERCENT, has_assessment: bool = False,
                  pass_score=None, excused_counts_against: bool | None = None) -> Course:
    """Create a course in a track in use (see the module's rules for each field)."""
    check_office(actor)
    values = _checked({
        "code": code, "title": title, "track_id": track_id, "class_hours": class_hours,
        "mode": mode, "instructor_ids": list(instructor_ids or ()), "capacity": capacity,
        "description": description, "min_attendance_percent": min_attendance_percent,
        "has_assessment": has_assessment, "pass_score": pass_score,
        "excused_counts_against": excused_counts_against,
    }, None)
    course = Course(**values)
    db.session.add(course)
    db.session.flush()
    detail = {key: audit_value(value) for key, value in values.items() if key != "instructors"}
    detail["instructor_ids"] = [user.id for user in values["instructors"]]
    record("course.create", target_type="course", target_id=course.id, detail=detail)
    return course


def update_course(course: Course, changes: dict, *, actor: Actor | None) -> dict:
    """Change the given fields of a course (any of :data:`COURSE_FIELDS`); returns
    ``{attribute: (old, new)}`` of real changes. Lowering the capacity below the learners
    enrolled is refused, naming them; raising it moves learners up from the waiting list."""
    check_office(actor)
    values = _checked(changes, course)
    places = None
    if "capacity" in values and values["capacity"] != course.capacity:
        places = _lock_course(course)  # against enrolments counted meanwhile
        if values["capacity"] is not None and values["capacity"] < places.enrolled:
            raise CatalogueError("capacity", f"本课程已有 {places.enrolled} 名学员报名，容量不能低于 "
                                             f"{places.enrolled}。")
        places.capacity = values["capacity"]
    extra = {}
    instructors = values.pop("instructors", None)
    if instructors is not None:
        old_ids = sorted(user.id for user in course.instructors)
        new_ids = sorted(user.id for user in instructors)
        if old_ids != new_ids:
            course.instructors = instructors
            extra["instructor_ids"] = (old_ids, new_ids)
    changed = apply_changes(course, values, "course.update", "course", extra=extra)
    if places is not None:
        _fill_from_waiting_list(places)
    return changed


def archive_course(course: Course, *, actor: Actor | None) -> bool:
    """Take the course out of lists and enrolment; refused while it has scheduled sessions
    that have not ended, naming how many."""
    check_office(actor)
    if not course.archived_at:
        refuse_sessions_to_come(_this(course), "本课程")
    return set_archived(course, True, "course.archive", "course", {"code": course.code})


def restore_course(course: Course, *, actor: Actor | None) -> bool:
    check_office(actor)
    if course.archived_at and course.track.archived_note:
        raise CatalogueConflict("track_id", f"所属课程模块“{course.track.name}”{course.track.archived_note}，"
                                            "请先恢复课程模块，或把课程移到在用的课程模块。")
    return set_archived(course, False, "course.restore", "course", {"code": course.code})
