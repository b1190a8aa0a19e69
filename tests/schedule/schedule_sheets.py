"""Schedule sheets for the schedule import tests, as the office's files come: ``.xlsx`` as
Excel writes it (dates and times as Excel values where given as ``date``/``time``), CSV in
UTF-8 or GBK, a title block above the header."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import openpyxl

HEADERS = ["课程编号", "日期", "开始时间", "结束时间", "地点", "会议链接", "会议号", "讲师", "标题"]
ENGLISH = ["Course code", "Date", "Start", "End", "Venue", "Meeting link", "Meeting number",
           "Instructor", "Title"]
LINK = "https://meeting.test/j/1001"


def row(code: str = "S-A", day="2023-03-01", starts="19:00", ends="21:00", *, venue: str = "",
        link: str = LINK, number: str = "", instructor: str = "", title: str = "") -> list:
    return [code, day, starts, ends, venue, link, number, instructor, title]


def xlsx(rows: list[list], headers: list[str] = HEADERS, *, title_rows: list[list] = ()) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "课表"
    for line in title_rows:
        sheet.append(line)
    sheet.append(headers)
    for values in rows:
        sheet.append(values)
    for cells in sheet.iter_rows(min_row=len(title_rows) + 2):
        for cell in cells:
            if isinstance(cell.value, datetime | date):
                cell.number_format = "yyyy-mm-dd"
            elif isinstance(cell.value, time):
                cell.number_format = "hh:mm"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[list], headers: list[str] = HEADERS, *, encoding: str = "utf-8",
              title_rows: list[list] = ()) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    for line in (*title_rows, headers, *rows):
        writer.writerow(["" if value is None else str(value) for value in line])
    return buffer.getvalue().encode(encoding)


def utc(day: str, clock: str) -> datetime:
    """A local (Asia/Shanghai) time as the UTC instant the database keeps."""
    return datetime.combine(date.fromisoformat(day), time.fromisoformat(clock),
                            tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(UTC)


def add_import_world(app, plan) -> dict:
    """Beside the ``plan`` world: an archived course (S-Z), a namesake of the 水城区 hall in
    another county, and two sessions on the timetable — course C at the hall on 2023-03-02
    09:00–11:00 (李老师) and course B on 2023-03-03 19:00–21:00 (李老师). Returns their ids."""
    from decimal import Decimal

    from trainhub.courses.models import Course, CourseMode, Venue
    from trainhub.db import utcnow
    from trainhub.extensions import db
    from trainhub.geo.models import County
    from trainhub.schedule.operations import create_session

    with app.app_context():
        course_c = db.session.get(Course, plan.courses["c"])
        archived = Course(track_id=course_c.track_id, code="S-Z", title="已归档课程", class_hours=Decimal(4),
                          mode=CourseMode.ONLINE, archived_at=utcnow())
        db.session.add(County(code="520526", name="威宁彝族回族苗族自治县", prefecture="毕节市",
                              province="贵州省", province_code="52", is_priority=True, list_version="test"))
        db.session.add(archived)
        db.session.flush()
        namesake = Venue(name="同名培训室", county_code="520526")
        first = Venue(name="同名培训室", county_code="520204")
        db.session.add_all([namesake, first])
        db.session.flush()
        at_hall = create_session(course_c, starts_at=utc("2023-03-02", "09:00"), ends_at=utc("2023-03-02", "11:00"),
                                 venue_id=plan.venues["hall"], actor=None)
        course_b = db.session.get(Course, plan.courses["b"])
        evening = create_session(course_b, starts_at=utc("2023-03-03", "19:00"),
                                 ends_at=utc("2023-03-03", "21:00"), meeting_url=LINK,
                                 instructor_id=plan.other_teacher, actor=None)
        db.session.commit()
        return {"archived": archived.id, "at_hall": at_hall.id, "evening": evening.id,
                "namesakes": (first.id, namesake.id)}
