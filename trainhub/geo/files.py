"""Reading the county files people give: a code list (``code,county,prefecture,province``)
and a list of county codes (priority flags). Nothing is written here: a file is read and
checked completely, and refused with every faulty row named, before any change is made.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from trainhub.refusals import Refusal

REQUIRED_COLUMNS = ("code", "county", "prefecture", "province")
#: First two digits of GB/T 2260 codes: the provinces, Taiwan, Hong Kong and Macao.
PROVINCE_CODES = frozenset({
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65",
    "71", "81", "82",
})
CODE_RE = re.compile(r"\d{6}")
MAX_LENGTHS = {"county": 64, "prefecture": 64, "province": 32}
COLUMN_LABELS = {"county": "县名", "prefecture": "地市", "province": "省份"}
#: At most this many problems are listed when a file is refused.
MAX_LISTED_PROBLEMS = 20


class CountyError(Refusal):
    """A refused change of the county list or the priority flags."""

    def __init__(self, field: str, message: str, problems: list[str] | None = None):
        super().__init__(field, message)
        #: For files: one Chinese line per faulty row.
        self.problems = problems or []


def refuse_file(problems: list[str]) -> CountyError:
    listed = problems[:MAX_LISTED_PROBLEMS]
    if len(problems) > len(listed):
        listed.append(f"……另有 {len(problems) - len(listed)} 处错误未列出。")
    message = "文件有误，未做任何更改：\n" + "\n".join(listed)
    return CountyError("file", message, listed)


def decode_text(data: bytes) -> str:
    """Text of an uploaded or given file: UTF-8 (with or without BOM) or GBK/GB18030."""
    if b"\x00" in data:
        raise CountyError(
            "file",
            "无法识别文件编码：请另存为 UTF-8 或 GBK 编码的 CSV 文本文件"
            "（不是 UTF-16 文本或 Excel 工作簿）。",
        )
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise CountyError("file", "无法识别文件编码：请另存为 UTF-8 或 GBK 编码的 CSV 文本文件。")


# code lists ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CodeListRow:
    line: int
    code: str
    name: str
    prefecture: str
    province: str


def read_code_list(data: bytes) -> list[CodeListRow]:
    """Parse and check a code list (columns code, county, prefecture, province).

    Raises :class:`CountyError` naming every faulty row: malformed or duplicate codes,
    unknown province prefixes, empty or over-long names, provinces that disagree with
    their code's first two digits.
    """
    text = decode_text(data)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [(name or "").strip().lower() for name in (reader.fieldnames or [])]
    if not header:
        raise CountyError("file", "文件是空的：应有表头 code,county,prefecture,province 和数据行。")
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise CountyError(
            "file",
            f"第 1 行（表头）缺少列：{', '.join(missing)}。应有列：{', '.join(REQUIRED_COLUMNS)}。",
        )
    reader.fieldnames = header

    rows: list[CodeListRow] = []
    problems: list[str] = []
    first_line: dict[str, int] = {}
    province_of: dict[str, tuple[str, int]] = {}
    for raw in reader:
        line = reader.line_num
        values = {key: (raw.get(key) or "").strip() for key in REQUIRED_COLUMNS}
        if not any(values.values()):
            continue
        code = values["code"]
        row_problems = []
        if not CODE_RE.fullmatch(code):
            row_problems.append(f"代码“{code}”应为 6 位数字")
        elif code[:2] not in PROVINCE_CODES:
            row_problems.append(f"代码 {code} 的前两位 {code[:2]} 不是省级代码")
        for key, limit in MAX_LENGTHS.items():
            if not values[key]:
                row_problems.append(f"{COLUMN_LABELS[key]}（{key}）为空")
            elif len(values[key]) > limit:
                row_problems.append(f"{COLUMN_LABELS[key]}（{key}）超过 {limit} 个字符")
        if not row_problems and code in first_line:
            row_problems.append(f"代码 {code} 与第 {first_line[code]} 行重复")
        if not row_problems:
            known = province_of.get(code[:2])
            if known and known[0] != values["province"]:
                row_problems.append(
                    f"省份“{values['province']}”与代码前两位 {code[:2]} 不符"
                    f"（第 {known[1]} 行为“{known[0]}”）"
                )
        if row_problems:
            problems.append(f"第 {line} 行：" + "；".join(row_problems) + "。")
            continue
        first_line[code] = line
        province_of.setdefault(code[:2], (values["province"], line))
        rows.append(CodeListRow(line, code, values["county"], values["prefecture"], values["province"]))
    if problems:
        raise refuse_file(problems)
    if not rows:
        raise CountyError("file", "文件中没有数据行：表头之后应为每个县级行政区划一行。")
    return rows


# lists of county codes ---------------------------------------------------------------------------


def read_codes(data: bytes) -> list[str]:
    """County codes from a file: a CSV with a ``code`` column, or one code per line.

    In a file without a ``code`` header the first field of each line (separated by a comma,
    tab or semicolon) is the code; blank lines and lines starting with ``#`` are skipped.
    """
    text = decode_text(data)
    lines = text.splitlines()
    first = next((line for line in lines if line.strip() and not line.lstrip().startswith("#")), None)
    if first is None:
        raise CountyError("file", "文件中没有县级代码。")
    codes: list[str] = []
    problems: list[str] = []
    header = [cell.strip().lower() for cell in next(csv.reader([first]))]
    if "code" in header:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        reader.fieldnames = [(name or "").strip().lower() for name in reader.fieldnames or []]
        for raw in reader:
            code = (raw.get("code") or "").strip()
            if not code:
                continue
            if CODE_RE.fullmatch(code):
                codes.append(code)
            else:
                problems.append(f"第 {reader.line_num} 行：“{code}”不是 6 位县级代码。")
    else:
        for number, line in enumerate(lines, start=1):
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            code = re.split(r"[,\t;，；]", stripped, maxsplit=1)[0].strip()
            if CODE_RE.fullmatch(code):
                codes.append(code)
            else:
                problems.append(f"第 {number} 行：“{code[:20]}”不是 6 位县级代码。")
    if problems:
        raise refuse_file(problems)
    if not codes:
        raise CountyError("file", "文件中没有县级代码。")
    return codes
