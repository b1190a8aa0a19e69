"""The schedule import's dry run: every row of the sheet checked, nothing written.

:func:`plan_schedule` recognises the columns (:mod:`.import_columns`), reads each row's
date and times, finds its course, instructor (user name; blank: the course's first) and
venue (by name), and checks it with the rules every scheduling write uses (the course
open, times and details from :mod:`.details`, the phase window from :mod:`.operations`,
holidays from :mod:`.holidays`, clashes with the timetable and between the rows from
:mod:`.clashes`).
Every problem is named by its row and the column's header as the file spells it. It reads
the database with a fixed number of queries whatever the number of rows.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from trainhub.accounts.models import User
from trainhub.courses.models import Course, SessionStatus, Track, TrainingSession, Venue
from trainhub.extensions import db
from trainhub.localtime import local_zone
from trainhub.schedule.clashes import ClashKind, find_clashes
from trainhub.schedule.details import check_course_open, check_details, check_times
from trainhub.schedule.holidays import day_info, unpublished_warning
from trainhub.schedule.import_columns import (
    COLUMNS,
    ONE_OF,
    is_template_example,
    parse_date,
    parse_time,
)
from trainhub.schedule.import_plan import ImportRow, ScheduleImportRefused, SchedulePlan
from trainhub.schedule.operations import check_reason, phase_window
from trainhub.sheet_columns import RowProblem, clean_cell, unnamed_columns_with_data
from trainhub.sheet_reading import BLANK, SpreadsheetError, Table

#: Lookups by a list of values are sent in chunks of this size (bound parameters per statement).
CHUNK = 500
#: The fields :func:`~trainhub.schedule.details.check_details` and ``check_times`` name,
#: by the column that holds them.
FIELD_COLUMNS = {"starts_at": "starts", "ends_at": "ends", "title": "title", "venue_id": "venue",
                 "meeting_url": "meeting_url", "meeting_number": "meeting_number",
                 "instructor_id": "instructor"}
#: The column a clash is named under.
CLASH_COLUMNS = {ClashKind.INSTRUCTOR: "instructor", ClashKind.LEARNERS: "course_code",
                 ClashKind.VENUE: "venue"}
#: What the instructor and venue lookups answer for a cell they refused (None: a blank cell).
_REFUSED = ""
#: ``场地名称（县名）``: a venue named with its county, for names several counties share.
_VENUE_IN_COUNTY = re.compile(r"^(.+?)\s*[(（]\s*([^()（）]+?)\s*[)）]$")


def course_key(text: str) -> str:
    """A course code as typed, compared as the catalogue keeps it (half-width, upper case)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or "")).upper()


def _chunked(values: set[str]):
    ordered = sorted(values)
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start:start + CHUNK]


def _courses(codes: set[str]) -> dict[str, Course]:
    """The courses by code, with their track, phase and instructors (two queries a chunk)."""
    found: dict[str, Course] = {}
    for chunk in _chunked(codes):
        stmt = (sa.select(Course).where(Course.code.in_(chunk))
                .options(joinedload(Course.track).joinedload(Track.phase), selectinload(Course.instructors)))
        found.update((course.code, course) for course in db.session.scalars(stmt))
    return found


def _users(usernames: set[str]) -> dict[str, User]:
    """Users by lower-case user name."""
    found: dict[str, User] = {}
    for chunk in _chunked(usernames):
        stmt = sa.select(User).where(sa.func.lower(User.username).in_(chunk))
        found.update((user.username.lower(), user) for user in db.session.scalars(stmt))
    return found


def _venues(names: set[str]) -> dict[str, list[Venue]]:
    """Venues by name (every county's), with their county."""
    found: dict[str, list[Venue]] = {}
    for chunk in _chunked(names):
        stmt = (sa.select(Venue).where(Venue.name.in_(chunk)).options(joinedload(Venue.county))
                .order_by(Venue.county_code, Venue.id))
        for venue in db.session.scalars(stmt):
            found.setdefault(venue.name, []).append(venue)
    return found


def _venue_name(text: str) -> str:
    """A venue cell as typed, white space folded (names are compared exactly: a registered
    name may hold full-width characters)."""
    return re.sub(r"\s+", " ", text or "").strip()


def _venue_candidates(text: str) -> list[str]:
    """The names a venue cell may mean: as typed, and without a county in brackets."""
    name = _venue_name(text)
    names = [name] if name else []
    match = _VENUE_IN_COUNTY.match(name)
    if match:
        names.append(match.group(1))
    return names


def _venue_label(venue: Venue) -> str:
    county = venue.county
    return f"{venue.name}（{county.province}{county.name}）"


def _existing_sessions(rows: list[ImportRow]) -> dict[tuple[int, datetime, datetime], int]:
    """Scheduled sessions of the file's courses at the file's start times: ``(course, start,
    end) -> session id`` (one query a chunk of courses)."""
    starts = {row.starts_at for row in rows if row.starts_at is not None and row.course is not None}
    course_ids = sorted({row.course.id for row in rows if row.course is not None})
    if not starts or not course_ids:
        return {}
    found = {}
    for start in range(0, len(course_ids), CHUNK):
        stmt = sa.select(TrainingSession.id, TrainingSession.course_id, TrainingSession.starts_at,
                         TrainingSession.ends_at).where(
            TrainingSession.course_id.in_(course_ids[start:start + CHUNK]),
            TrainingSession.status == SessionStatus.SCHEDULED,
            TrainingSession.starts_at >= min(starts), TrainingSession.starts_at <= max(starts))
        for session_id, course_id, starts_at, ends_at in db.session.execute(stmt):
            found[(course_id, starts_at, ends_at)] = session_id
    return found


class _Planner:
    def __init__(self, table: Table, *, allow_holidays: bool, override_reason: str | None):
        self.table = table
        self.allow_holidays = allow_holidays
        self.override_reason = override_reason
        try:
            self.columns = COLUMNS.map(table.headers, one_of=ONE_OF)
        except SpreadsheetError as exc:
            raise ScheduleImportRefused(exc.message) from None
        self.columns.ignored.extend(unnamed_columns_with_data(table))
        self.rows: list[ImportRow] = []
        self.example_rows: list[int] = []
        self.unpublished: list[date] = []
        self.zone = local_zone()

    def problem(self, row: ImportRow, key: str, message: str, *, into: list | None = None) -> None:
        target = row.problems if into is None else into
        target.append(RowProblem(row.row, self.columns.header(key), key, message))

    def cell(self, cells, key: str):
        position = self.columns.index.get(key)
        return cells[position] if position is not None and position < len(cells) else BLANK

    def plan(self) -> list[ImportRow]:
        recognised = sorted(self.columns.index.values())
        width = len(self.table.headers)
        parsed = []
        for number, cells in zip(self.table.row_numbers, self.table.rows, strict=True):
            texts = [clean_cell(cell.text) for cell in cells]
            texts += [""] * (width - len(texts))
            if not any(texts[position].strip() for position in recognised):
                continue  # only unrecognised columns filled (a serial number): not a session
            row = ImportRow(row=number, cells=texts, texts=self.columns.texts(texts))
            if is_template_example(row.texts):
                self.example_rows.append(number)
                continue
            self.rows.append(row)
            parsed.append((row, self._times(row, cells)))
        courses = _courses({course_key(row.texts["course_code"]) for row in self.rows} - {""})
        users = _users({row.texts["instructor"].strip().lower() for row in self.rows} - {""})
        venues = _venues({name for row in self.rows for name in _venue_candidates(row.texts["venue"])})
        for row, times in parsed:
            self._check_row(row, times, courses, users, venues)
        self._check_duplicates()
        self._check_clashes()
        return self.rows

    # one row --------------------------------------------------------------------------------

    def _times(self, row: ImportRow, cells) -> tuple[time | None, time | None]:
        day = parse_date(self.cell(cells, "date"))
        if isinstance(day, str):
            self.problem(row, "date", day)
        else:
            row.day = day
        found = []
        for key in ("starts", "ends"):
            value = parse_time(self.cell(cells, key), COLUMNS.by_key[key].label)
            if isinstance(value, str):
                self.problem(row, key, value)
                value = None
            found.append(value)
        return found[0], found[1]

    def _course(self, row: ImportRow, courses: dict[str, Course]) -> Course | None:
        typed = row.texts["course_code"].strip()
        if not typed:
            self.problem(row, "course_code", "请填写课程编号。")
            return None
        course = courses.get(course_key(typed))
        if course is None:
            self.problem(row, "course_code", f"课程编号“{typed}”不存在，请核对（如 P1-ORG-01）。")
            return None
        errors: dict[str, str] = {}
        check_course_open(course, errors)
        for message in errors.values():
            self.problem(row, "course_code", message)
        return None if errors else course

    def _instructor(self, row: ImportRow, users: dict[str, User]) -> int | str | None:
        """The instructor's user id, None for the course's first, or :data:`_REFUSED`."""
        typed = row.texts["instructor"].strip()
        if not typed:
            return None
        user = users.get(typed.lower())
        if user is None:
            self.problem(row, "instructor", f"未找到用户名为“{typed}”的用户，请填写讲师的登录用户名。")
            return _REFUSED
        if not user.is_enabled:
            self.problem(row, "instructor", f"用户“{user.username}”（{user.display_name}）的账号已停用。")
            return _REFUSED
        row.instructor = user
        return user.id

    def _venue(self, row: ImportRow, venues: dict[str, list[Venue]]) -> int | str | None:
        """The venue's id, None when the cell is blank, or :data:`_REFUSED`."""
        text = _venue_name(row.texts["venue"])
        if not text:
            return None
        candidates = venues.get(text, [])
        match = _VENUE_IN_COUNTY.match(text)
        if not candidates and match:
            county = match.group(2)
            candidates = [venue for venue in venues.get(match.group(1), [])
                          if county in (venue.county_code, venue.county.name)]
        active = [venue for venue in candidates if venue.archived_at is None]
        if len(active) > 1:
            listed = "、".join(_venue_label(venue) for venue in active)
            self.problem(row, "venue", f"有 {len(active)} 个名为“{active[0].name}”的场地：{listed}。"
                                       f"请写成“场地名称（县名）”，如 {_venue_label(active[0])}。")
            return _REFUSED
        chosen = active or candidates
        if not chosen:
            self.problem(row, "venue", f"未找到名为“{text}”的场地：请填写已登记的场地名称（须完全一致），"
                                       "线上课次请留空并填写会议链接。")
            return _REFUSED
        row.venue = chosen[0]
        return chosen[0].id

    def _check_row(self, row: ImportRow, times, courses, users, venues) -> None:
        course = self._course(row, courses)
        instructor_id = self._instructor(row, users)
        venue_id = self._venue(row, venues)
        if not row.texts["venue"].strip() and not row.texts["meeting_url"].strip():
            self.problem(row, "venue" if "venue" in self.columns.index else "meeting_url",
                         "请填写地点（线下）或会议链接（线上），至少一项。")
        starts, ends = times
        if row.day is not None and starts is not None and ends is not None:
            row.starts_at = datetime.combine(row.day, starts, tzinfo=self.zone).astimezone(UTC)
            row.ends_at = datetime.combine(row.day, ends, tzinfo=self.zone).astimezone(UTC)
            errors: dict[str, str] = {}
            check_times(row.starts_at, row.ends_at, errors)
            self._field_problems(row, errors)
            if errors:
                row.starts_at = row.ends_at = None
        if row.day is not None:
            self._check_day(row)
        if course is None:
            return
        row.course = course
        if _REFUSED not in (instructor_id, venue_id):
            errors = {}
            details = check_details(course, {
                "title": row.texts["title"], "venue_id": venue_id, "meeting_url": row.texts["meeting_url"],
                "meeting_number": row.texts["meeting_number"], "instructor_id": instructor_id,
            }, errors)
            self._field_problems(row, errors)
            row.details = None if errors else details
            if row.details is not None and row.instructor is None:  # the course's first
                row.instructor = next((user for user in course.instructors
                                       if user.id == details["instructor_id"]), None)
        if row.starts_at is not None:
            window = phase_window(course, [(row.starts_at, row.ends_at)])
            if window is not None:
                self.problem(row, "date", window.message)

    def _field_problems(self, row: ImportRow, errors: dict[str, str]) -> None:
        for name, message in errors.items():
            self.problem(row, FIELD_COLUMNS.get(name, name), message)

    def _check_day(self, row: ImportRow) -> None:
        info = day_info(row.day)
        if not info.published:
            self.unpublished.append(row.day)
        elif info.holiday and not self.allow_holidays:
            self.problem(row, "date", f"{row.day.isoformat()} {info.holiday}：法定节假日默认不排课。"
                                      "如确需安排，请勾选“允许在法定节假日排课”（命令行：--allow-holidays）。")
        elif info.holiday:
            row.notes.append(f"{row.day.isoformat()} {info.holiday}（已允许在节假日排课）")
        elif info.makeup_for:
            row.notes.append(f"{row.day.isoformat()} 是调休上班日（{info.makeup_for}调休）")

    # across rows --------------------------------------------------------------------------

    def _check_duplicates(self) -> None:
        """The same session (course, start, end) twice in the file, or already scheduled."""
        first: dict[tuple, ImportRow] = {}
        existing = _existing_sessions(self.rows)
        for row in self.rows:
            if row.course is None or row.starts_at is None:
                continue
            key = (row.course.id, row.starts_at, row.ends_at)
            if key in first:
                self.problem(row, "course_code", f"与第 {first[key].row} 行重复：同一课程、同一时间的课次只能有一行。")
                row.details = None  # left out of the clash check: the first row stands for both
                continue
            first[key] = row
            if key in existing:
                self.problem(row, "course_code", f"该课次已经排定（课次编号 {existing[key]}）：同一课程、同一时间"
                                                 "不能重复排课。是否重复导入了同一文件？")
                row.details = None

    def _check_clashes(self) -> None:
        """Clashes with the timetable and between the rows (three queries for all of them);
        with an override reason they are shown, not refused."""
        checked = [row for row in self.rows if row.proposal is not None]
        into_overridden = self.override_reason is not None
        for clash in find_clashes([row.proposal for row in checked]):
            row = checked[clash.index]
            message = clash.message
            if clash.other_index is not None:
                message = message.removesuffix("。") + f"（文件第 {checked[clash.other_index].row} 行）。"
            self.problem(row, CLASH_COLUMNS[clash.kind], message,
                         into=row.overridden if into_overridden else None)


def plan_schedule(table: Table, *, filename: str = "", allow_holidays: bool = False,
                  override_reason: str | None = None) -> SchedulePlan:
    """The dry run of a schedule import: every row checked, nothing written.

    ``allow_holidays`` lets rows fall on public holidays (named in the notes);
    ``override_reason`` lets clashes through (listed in ``overridden``), as the reason
    entered on a single session does. Refuses the whole file
    (:class:`ScheduleImportRefused`) when its columns are wrong, it holds no session, or
    the reason is too long.
    """
    reason = None
    if override_reason is not None:
        reason = check_reason(override_reason, "override_reason", "覆盖冲突的理由", required=False)
    planner = _Planner(table, allow_holidays=allow_holidays, override_reason=reason)
    rows = planner.plan()
    if not rows and planner.example_rows:
        raise ScheduleImportRefused(f"文件中只有导入模板的示例行（第 {planner.example_rows[0]} 行），没有要导入的课次。"
                                    "请删除示例行，从表头下一行起填写课次后重新上传。")
    if not rows:
        raise ScheduleImportRefused("文件中没有课次数据：表头下面的行都是空的。")
    return SchedulePlan(filename=filename, columns=planner.columns, rows=rows, allow_holidays=allow_holidays,
                        override_reason=reason, encoding=table.encoding, example_rows=planner.example_rows,
                        unpublished=unpublished_warning(sorted(set(planner.unpublished))))
