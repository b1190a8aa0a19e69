"""What a session is made of besides its course: its times, title, instructor, venue and
meeting, checked the same way for every entry point (the operations, and the schedule import
row by row). Each check puts its Chinese message into an ``errors`` dict by field, so that
callers report every mistake at once."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta

from trainhub.accounts.models import User
from trainhub.courses.models import Course, Venue
from trainhub.extensions import db
from trainhub.text import clean_line

TITLE_MAX = 200
VENUE_DETAIL_MAX = 200
MEETING_URL_MAX = 500
MEETING_NUMBER_MAX = 40
#: Longest session accepted (a slip of the date otherwise).
MAX_DURATION = timedelta(hours=12)

#: Fields of a session the office sets (besides its times).
DETAIL_FIELDS = ("title", "venue_id", "venue_detail", "meeting_url", "meeting_number", "instructor_id")

_MEETING_NUMBER = re.compile(r"^[0-9A-Za-z][0-9A-Za-z \-]*$")


def default_instructor(course: Course) -> User | None:
    """The course's first instructor (as its page lists them), or None."""
    return course.instructors[0] if course.instructors else None


def _optional_text(values: Mapping, name: str, label: str, limit: int, errors: dict) -> str | None:
    text = clean_line(values.get(name))
    if len(text) > limit:
        errors[name] = f"{label}最多 {limit} 个字。"
    return text or None


def _check_instructor(course: Course, value: object, errors: dict) -> int | None:
    if value is None or value == "":
        instructor = default_instructor(course)
        return instructor.id if instructor else None
    if isinstance(value, bool) or not isinstance(value, int):
        errors["instructor_id"] = "讲师应为用户编号（整数）。"
        return None
    if value not in {user.id for user in course.instructors}:
        user = db.session.get(User, value)
        who = f"“{user.display_name}”" if user is not None else f"编号 {value} 的用户"
        names = "、".join(u.display_name for u in course.instructors) or "（尚未设置讲师）"
        errors["instructor_id"] = f"{who}不是课程“{course.title}”的讲师；本课程的讲师：{names}。"
        return None
    return value


def _check_venue(value: object, errors: dict, *, current: int | None) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        errors["venue_id"] = "场地应为场地编号（整数）。"
        return None
    venue = db.session.get(Venue, value)
    if venue is None:
        errors["venue_id"] = f"场地 {value} 不存在。"
    elif venue.archived_at is not None and value != current:
        errors["venue_id"] = f"场地“{venue.name}”已归档，不能再安排课次。"
    return value


def _check_meeting_url(values: Mapping, errors: dict) -> str | None:
    text = clean_line(values.get("meeting_url"))
    if not text:
        return None
    if len(text) > MEETING_URL_MAX:
        errors["meeting_url"] = f"会议链接最多 {MEETING_URL_MAX} 个字符。"
    elif not re.match(r"^https?://[^\s/]+\S*$", text, flags=re.IGNORECASE):
        errors["meeting_url"] = "会议链接应以 https:// 或 http:// 开头，且不含空格。"
    return text


def _check_meeting_number(values: Mapping, errors: dict) -> str | None:
    text = clean_line(values.get("meeting_number"))
    if not text:
        return None
    if len(text) > MEETING_NUMBER_MAX:
        errors["meeting_number"] = f"会议号最多 {MEETING_NUMBER_MAX} 个字符。"
    elif not _MEETING_NUMBER.match(text):
        errors["meeting_number"] = "会议号只能包含数字、字母、空格和连字符，例如 123 456 789。"
    return text


def check_details(course: Course, values: Mapping[str, object], errors: dict[str, str], *,
                  current_venue_id: int | None = None) -> dict[str, object]:
    """The cleaned details of a session of ``course`` (:data:`DETAIL_FIELDS`) from
    ``values``; mistakes go into ``errors`` by field. A missing instructor is the course's
    first; one given must teach the course. A venue must exist and not be archived (unless
    it is the session's venue already, ``current_venue_id``)."""
    return {
        "title": _optional_text(values, "title", "本次课内容", TITLE_MAX, errors),
        "venue_id": _check_venue(values.get("venue_id"), errors, current=current_venue_id),
        "venue_detail": _optional_text(values, "venue_detail", "具体地点", VENUE_DETAIL_MAX, errors),
        "meeting_url": _check_meeting_url(values, errors),
        "meeting_number": _check_meeting_number(values, errors),
        "instructor_id": _check_instructor(course, values.get("instructor_id"), errors),
    }


def check_course_open(course: Course, errors: dict[str, str]) -> None:
    """New sessions go only to a course in use: neither archived itself nor under an
    archived track, phase or programme."""
    note = course.archived_note
    if note is not None:
        errors["course_id"] = f"课程“{course.title}”{note}，不能再排课。"


def check_times(starts_at: object, ends_at: object, errors: dict[str, str]) -> None:
    """A session's start and end: timezone-aware, the end after the start, at most
    :data:`MAX_DURATION` long."""
    for name, value, label in (("starts_at", starts_at, "开始时间"), ("ends_at", ends_at, "结束时间")):
        if not isinstance(value, datetime) or value.tzinfo is None:
            errors[name] = f"请填写{label}。"
    if "starts_at" in errors or "ends_at" in errors:
        return
    if ends_at <= starts_at:
        errors["ends_at"] = "结束时间应晚于开始时间。"
    elif ends_at - starts_at > MAX_DURATION:
        errors["ends_at"] = f"一次课最长 {MAX_DURATION.seconds // 3600} 小时，请检查结束时间。"
