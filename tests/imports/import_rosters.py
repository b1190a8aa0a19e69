"""Rosters for the bulk import tests, as the real files counties send.

``bad_roster_rows()`` is a roster carrying every kind of bad row the import must explain,
with a few good ones; ``xlsx_file`` and ``gbk_csv_file`` turn rows into the bytes Excel
would write (the xlsx keeps one ID as an Excel number, as happens when the column was not
formatted as text).
"""

from __future__ import annotations

import csv
import io
from datetime import date

import openpyxl

from trainhub.learners import idcard

WEINING = "520526"  # 威宁彝族回族苗族自治县, 贵州省毕节市
SANDU = "522732"  # 三都水族自治县, 贵州省黔南州
GANLUO = "513435"  # 甘洛县, 四川省凉山州
EXISTING_ORG = "威宁县阳光社会工作服务中心"
NEW_STATION = "威宁县龙场镇社会工作服务站"

HEADERS = ["序号", "姓名", "身份证号码", "手机号码", "性别", "工作单位", "所在县（区）", "职务",
           "持证情况", "备注"]


def make_id(division: str = WEINING, born: date = date(1990, 3, 7), seq: int = 1,
            male: bool = True) -> str:
    """A valid, synthetic ID number (sequence ``seq`` keeps numbers apart)."""
    first17 = f"{division}{born:%Y%m%d}{seq:02d}{1 if male else 2}"
    return first17 + idcard.check_character(first17)


def id_with_x() -> str:
    """A valid ID number whose check character is X."""
    for seq in range(100):
        number = make_id(seq=seq, born=date(1988, 11, 2))
        if number.endswith("X"):
            return number
    raise AssertionError("no X check digit found")


def bad_check_digit(number: str) -> str:
    wrong = "0" if number[-1] != "0" else "1"
    return number[:-1] + wrong


def person(name: str, id_number, phone: str = "13800138001", *, gender: str = "",
           org: str = EXISTING_ORG, county: str = "威宁彝族回族苗族自治县", position: str = "项目社工",
           qualification: str = "助理社会工作师", serial: str = "", note: str = "") -> list:
    return [serial, name, id_number, phone, gender, org, county, position, qualification, note]


def bad_roster_rows() -> list[list]:
    """Rows 2–14 of a roster (row 1 is the header). Good rows: 2, 3, 12, 14."""
    duplicate = make_id(seq=6)
    return [
        person("张晓明", make_id(seq=1), "13800138001", gender="男", serial="0001", note="00123"),  # 2 good
        person("李娜", make_id(seq=2, male=False), "13800138002", gender="女", org=NEW_STATION,
               position="驻站社工"),  # 3 good, creates a station
        person("王强", bad_check_digit(make_id(seq=3)), "13800138003"),  # 4 bad check digit
        person("赵敏", make_id(seq=4, male=False), "13800138004", county="不存在县"),  # 5 unknown county
        person("钱多", duplicate, "13800138005"),  # 6 duplicate of 7
        person("孙丽", duplicate, "13800138006"),  # 7 duplicate of 6
        person("周杰", make_id(seq=8), "1380013"),  # 8 malformed phone
        person("", make_id(seq=9), "13800138009"),  # 9 required field empty (name)
        person("吴刚", 520526199003070011, "13800138010"),  # 10 numeric ID (xlsx) / 5.2E+17 (csv)
        person("郑伟", make_id(seq=11), "13800138011", gender="女"),  # 11 gender mismatch
        person("冯雪", make_id(seq=12, male=False), "13800138012",
               position='=HYPERLINK("http://x.test","点我")'),  # 12 good: formula kept as text
        person("=1+2", make_id(seq=13), "13800138013"),  # 13 formula as name: refused
        person("陈红", id_with_x(), "+86 138-0013-8014", qualification="社会工作师"),  # 14 good, X check digit
    ]


GOOD_ROWS = (2, 3, 12, 14)
BAD_ROWS = (4, 5, 6, 7, 8, 9, 10, 11, 13)


def xlsx_file(rows: list[list], headers: list[str] = HEADERS) -> bytes:
    """An .xlsx as openpyxl (and Excel) writes it; ints and floats become Excel numbers."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "学员名单"
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    # formulas written as formulas, as a county's sheet would hold them
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _csv_text(value) -> str:
    if isinstance(value, int) and value > 10**15:
        return f"{value:.5E}"  # how Excel writes a long number to CSV: 5.20526E+17
    return "" if value is None else str(value)


def csv_file(rows: list[list], headers: list[str] = HEADERS, encoding: str = "gbk") -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow([_csv_text(value) for value in row])
    return buffer.getvalue().encode(encoding)


def gbk_csv_file(rows: list[list], headers: list[str] = HEADERS) -> bytes:
    return csv_file(rows, headers, "gbk")
