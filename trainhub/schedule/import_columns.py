"""The schedule import's columns (recognised by their Chinese or English headers, as
:mod:`trainhub.sheet_columns` does for every import), how its dates and times are read, and
the template the office fills in.

Dates come as ``2023-03-01``, ``2023/3/1``, ``2023.3.1``, ``2023年3月1日`` (a weekday after
it, as the timetable prints it, is allowed) or as real Excel dates; times as ``19:00``,
``19:00:00``, ``下午7:00`` or Excel time values. Excel stores dates and times as numbers
(days since 1899-12-30, fractions of a day): a cell kept as a number in a column formatted
"常规" is read that way too.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, time, timedelta

from trainhub.schedule.recurrence import RuleError, parse_time_of_day
from trainhub.sheet_columns import Column, SheetColumns, template_workbook
from trainhub.sheet_reading import Cell
from trainhub.uploads import max_bytes, max_rows, size_text

COLUMNS = SheetColumns((
    Column("course_code", "课程编号",
           ("课程编号", "课程代码", "课程编码", "课程号", "course code", "course", "code"), True,
           "课程的编号，如 P1-ORG-01（大小写、空格不限）。已归档的课程不能再排课。"),
    Column("date", "日期", ("日期", "上课日期", "授课日期", "开课日期", "date", "day"), True,
           "如 2023-03-01、2023/3/1 或 2023年3月1日，也可以是 Excel 日期。须在课程所属阶段的起止日期内；"
           "法定节假日默认不排课。"),
    Column("starts", "开始时间", ("开始时间", "开始", "上课时间", "起始时间", "start", "start time", "starts"),
           True, "北京时间，如 19:00 或 19:00:00，也可以是 Excel 时间。"),
    Column("ends", "结束时间", ("结束时间", "结束", "下课时间", "终止时间", "end", "end time", "ends"), True,
           "北京时间，须晚于开始时间，一次课最长 12 小时。"),
    Column("venue", "地点", ("地点", "上课地点", "授课地点", "场地", "venue", "place", "location"), False,
           "线下课次的场地名称，须是已登记的场地（与场地名称完全一致）。不同县有同名场地时，"
           "请写成“场地名称（县名）”，如 培训室（威宁彝族回族苗族自治县）。地点和会议链接至少填一项。"),
    Column("meeting_url", "会议链接",
           ("会议链接", "会议地址", "线上链接", "入会链接", "直播链接", "meeting link", "meeting url", "link", "url"),
           False, "线上课次的入会链接，以 https:// 开头。地点和会议链接至少填一项。"),
    Column("meeting_number", "会议号", ("会议号", "会议号码", "会议ID", "meeting number", "meeting id"), False,
           "可选，如 123 456 789。"),
    Column("instructor", "讲师",
           ("讲师", "授课讲师", "讲师用户名", "教师", "instructor", "teacher", "instructor username"), False,
           "讲师的用户名（登录名），须是该课程的讲师；留空时为课程的第一位讲师。"),
    Column("title", "标题", ("标题", "课次标题", "本次课内容", "主题", "课次主题", "title", "topic"), False,
           "可选：本次课的内容，最多 200 个字。"),
))
#: Of these, at least one column must be in the file.
ONE_OF = (("venue", "meeting_url"),)

#: Excel's day zero (its serial dates count days from here, the 1900 leap-year bug included).
EXCEL_EPOCH = date(1899, 12, 30)
#: Serial numbers taken for dates: 2000-01-01 … 2099-12-31.
EXCEL_DATES = (36526, 73050)

_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
#: A weekday the timetable prints after a date: ``（周三）``, ``星期三``.
_WEEKDAY = re.compile(r"\s*[(（]?\s*(周|星期|礼拜)[一二三四五六日天]\s*[)）]?$")
#: A date and time of day together (a datetime cell): the date part, the time part.
_DATETIME = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T](\d{1,2}:\d{2}(:\d{2})?)$")
_CLOCK = re.compile(r"^(\d{1,2})\s*[:点时]\s*(\d{1,2})?\s*分?(?::(\d{1,2}))?$")
#: A time with the half of the day before or after it: ``下午7:00``, ``7:00 PM``.
_HALF_DAY = re.compile(r"^(上午|早上|中午|下午|晚上|am|pm)?\s*(.+?)\s*(am|pm)?$", re.IGNORECASE)


def _normal(text: str) -> str:
    """Half-width (``１９：００`` → ``19:00``), trimmed."""
    return unicodedata.normalize("NFKC", text or "").strip()


def _serial(cell: Cell) -> float | None:
    if not cell.numeric:
        return None
    try:
        return float(cell.text)
    except ValueError:
        return None


def parse_date(cell: Cell) -> date | str:
    """The date in ``cell``, or a Chinese message saying why it is not one."""
    text = _normal(cell.text)
    if not text:
        return "请填写日期。"
    serial = _serial(cell)
    if serial is not None:
        if serial.is_integer() and EXCEL_DATES[0] <= serial <= EXCEL_DATES[1]:
            return EXCEL_EPOCH + timedelta(days=int(serial))
        return f"日期“{cell.text}”无法识别，请填写如 2023-03-01 的日期。"
    stamp = _DATETIME.match(text)
    if stamp:
        text = stamp.group(1)
    text = _WEEKDAY.sub("", text)
    match = _DATE.match(text) or _COMPACT_DATE.match(text)
    if match is None:
        return f"日期“{cell.text}”无法识别，请填写如 2023-03-01、2023/3/1 或 2023年3月1日。"
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return f"日期“{cell.text}”不存在，请检查月份和日。"


def parse_time(cell: Cell, label: str) -> time | str:
    """The time of day in ``cell`` (``label`` names the column in messages), or a Chinese
    message saying why it is not one: unreadable, or impossible such as ``25:00`` or
    ``19:60``."""
    text = _normal(cell.text)
    if not text:
        return f"请填写{label}，格式如 19:00。"
    serial = _serial(cell)
    if serial is not None:
        if 0 <= serial < 1:  # a fraction of a day, to the nearest minute
            minutes = round(serial * 24 * 60)
            return time(*divmod(minutes, 60)) if minutes < 24 * 60 else time(23, 59)
        return f"{label}“{cell.text}”无法识别，请按 19:00 的格式填写。"
    stamp = _DATETIME.match(text)
    if stamp:
        text = stamp.group(2)
    half = _HALF_DAY.match(text)
    marks = {(half.group(1) or "").lower(), (half.group(3) or "").lower()}
    clock = _CLOCK.match(half.group(2))
    if clock is None:
        return f"{label}“{cell.text}”无法识别，请按 19:00 的格式填写。"
    hour, minute, second = (int(part) if part else 0 for part in clock.groups())
    if second > 59:
        return f"{label}“{cell.text}”不存在：秒应为 0–59。"
    if marks & {"下午", "晚上", "pm"} and hour < 12:
        hour += 12
    elif "am" in marks and hour == 12:  # 12:30 AM is half past midnight
        hour = 0
    try:
        return parse_time_of_day(f"{hour}:{minute:02d}", label=label)
    except RuleError:
        return f"{label}“{cell.text}”不存在：小时应为 0–23，分钟应为 0–59。"


# the template ---------------------------------------------------------------------------------

#: The example row's meeting link, on a domain reserved for examples (RFC 2606): a row
#: holding it is the template's example left in the file, and is skipped.
EXAMPLE_MEETING_URL = "https://meeting.example.com/j/123456789"


def template_example() -> dict[str, str]:
    return {
        "course_code": "P1-ORG-01", "date": "2023-03-01", "starts": "19:00", "ends": "21:00",
        "venue": "", "meeting_url": EXAMPLE_MEETING_URL, "meeting_number": "123 456 789",
        "instructor": "teacher01", "title": "第 1 讲 社会工作机构的治理结构",
    }


def is_template_example(texts: dict[str, str]) -> bool:
    return _normal(texts.get("meeting_url", "")).rstrip("/") == EXAMPLE_MEETING_URL


def schedule_template() -> bytes:
    """The schedule import template: the columns with an example row, and filling notes."""
    return template_workbook(
        COLUMNS, [template_example()], sheet="课次", text_keys=("course_code", "meeting_number", "instructor"),
        overall_note="表头可以在标题行下面；从表头下一行起每行一个课次。第二行是示例（会议链接为 "
                     f"{EXAMPLE_MEETING_URL}），可以删除；留在文件中时导入会认出并跳过它。"
                     "全部导入或全部不导入：任何一行有问题时不保存任何课次。与已有课次或文件中其他行的"
                     "讲师、学员、场地时间冲突默认拒绝，可填写理由后覆盖。接受 .xlsx 和 .csv（UTF-8 或 GBK "
                     f"编码）文件，最多 {max_rows()} 行（空行也计入）、{size_text(max_bytes())}。",
    )
