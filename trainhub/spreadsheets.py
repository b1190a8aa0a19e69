"""Reading and writing the spreadsheets people exchange with the office.

In: ``.xlsx`` (and legacy ``.xls`` refused with advice), ``.csv`` in UTF-8, UTF-8 with BOM
or GBK (as Chinese Excel writes it). Every cell comes back as text exactly as typed: formulas
as their text (never evaluated), leading zeros kept, numbers that Excel turned into floats
reported as such so that callers can refuse them (an 18-digit ID stored as ``1.2E+17`` has
lost its last digits). Files that are not what they claim, encrypted, corrupt or too large
once unpacked are refused with a Chinese message.

Reading is bounded by the data a file really holds, never by what it claims: a workbook's
stated dimension is ignored, columns stop a little right of the header (a cell typed in
column XFD is never reached by walking the columns before it), blank rows count against
the row limit like data rows, and a worksheet holding far more cells than such a roster
could is refused before it is parsed (:mod:`trainhub.xlsx_package`).

Out: ``.xlsx`` and ``.csv`` from pandas DataFrames, with every text cell that a spreadsheet
would evaluate (``= + - @`` and their full-width forms, tab, carriage return, line feed)
neutralised by a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

import pandas as pd

from trainhub.xlsx_package import (
    CORRUPT_MESSAGE,
    BrokenWorkbook,
    Merges,
    SpreadsheetError,
    inspect_package,
    open_workbook,
)

#: The MIME type of every ``.xlsx`` the application sends.
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")

#: The header is looked for among this many non-blank rows at the top of a sheet (a title
#: row, a date line or a two-row header may come first)…
HEADER_SCAN_ROWS = 10
#: …within this many rows from the top.
HEADER_MAX_ROW = 100
#: Columns read while looking for the header; cells further right are never read.
MAX_COLUMNS = 100
#: Columns right of the header's last one that are still read, so that data typed there
#: (under no header) can be reported; cells further right are never read.
NEAR_COLUMNS = 10
#: A worksheet may hold at most this many cells per row the caller accepts (formatted
#: blank cells included) before it is refused unparsed.
CELLS_PER_ROW = 32
#: Invisible characters that copying from web pages or chat apps leaves in cells.
_INVISIBLE = re.compile("[\u200b-\u200d\u2060\ufeff]")

@dataclass(slots=True)
class Cell:
    """One cell as read: its text, and whether the file stored it as a number (read only:
    one blank cell is shared by every row)."""

    text: str
    numeric: bool = False


_BLANK = Cell("")


@dataclass
class Table:
    """The sheet read (or the CSV): header texts and data rows, with 1-based row numbers.

    Rows end with their last non-blank cell, at most :data:`NEAR_COLUMNS` right of the
    header's last column."""

    headers: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    #: Spreadsheet row number of each data row (the header is row 1).
    row_numbers: list[int] = field(default_factory=list)
    encoding: str | None = None
    #: The worksheet read (xlsx only).
    sheet: str | None = None


def _number_text(value: float | int) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, float):
        return repr(value) if abs(value) < 1e15 else f"{value:.6E}"
    return str(value)


def _cell(value) -> Cell:
    if value is None:
        return _BLANK
    if isinstance(value, bool):
        return Cell("是" if value else "否")
    if isinstance(value, int | float):
        return Cell(_number_text(value), numeric=True)
    if isinstance(value, datetime):
        text = value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
        return Cell(text)
    if isinstance(value, date):
        return Cell(value.isoformat())
    text = _INVISIBLE.sub("", str(value)).strip()
    return Cell(text) if text else _BLANK


def _trimmed(cells: list[Cell]) -> list[Cell]:
    """A row without its trailing blank cells (a blank row is an empty list)."""
    while cells and not cells[-1].text:
        cells.pop()
    return cells


def _cells(values) -> list[Cell]:
    return _trimmed([_cell(value) for value in values])


def _text_cells(values: list[str]) -> list[Cell]:
    return _trimmed([Cell(text) if (text := _INVISIBLE.sub("", value).strip()) else _BLANK
                     for value in values])


class _Rows:
    """(row number, cells) of a sheet, each row cut at :attr:`width` columns.

    ``produce(self)`` yields the rows; it reads :attr:`width` for each row, so that the
    reader narrows it to the header's width once the header is found."""

    def __init__(self, produce: Callable[[_Rows], Iterator[tuple[int, list[Cell]]]]):
        self.width = MAX_COLUMNS
        self._rows = produce(self)

    def __iter__(self):
        return self

    def __next__(self) -> tuple[int, list[Cell]]:
        return next(self._rows)


def _find_header(rows: _Rows, is_header):
    """Consume ``rows`` up to the header: (row number, cells, recognised), or None if blank.

    Without ``is_header`` the first non-blank row is the header; with it, the first of the
    top :data:`HEADER_SCAN_ROWS` non-blank rows (within :data:`HEADER_MAX_ROW`) that it
    accepts (rows above are titles). When none is accepted, the first non-blank row comes
    back with ``recognised`` false (and ``rows`` is consumed past it: read them again)."""
    seen = 0
    first = None
    for number, cells in rows:
        if number > HEADER_MAX_ROW:
            break
        if not cells:
            continue
        if is_header is None or is_header([c.text for c in cells]):
            rows.width = len(cells) + NEAR_COLUMNS
            return number, cells, True
        first = first or (number, cells, False)
        seen += 1
        if seen >= HEADER_SCAN_ROWS:
            break
    return first


def _data_rows(rows: _Rows, header_row: int, max_rows: int):
    """The non-blank rows below the header; refuses a sheet that goes on past ``max_rows``
    rows below it, blank rows included (a sheet of a million blank rows is not walked)."""
    blank = 0
    for number, cells in rows:
        if number - header_row > max_rows:
            if not blank:
                raise SpreadsheetError(f"文件超过 {max_rows} 行数据的上限，请拆分后分批导入。")
            raise SpreadsheetError(
                f"表头以下超过 {max_rows} 行（其中 {blank} 行是空行，空行也计入行数上限），已拒绝。"
                "请删除名单中间和下方多余的空行（包括只设置了格式的空白行）后重新保存，或拆分后分批导入。"
            )
        if cells:
            yield number, cells
        else:
            blank += 1


def _collect(table: Table, rows: _Rows, header_row: int, max_rows: int) -> Table:
    for number, cells in _data_rows(rows, header_row, max_rows):
        table.rows.append(cells)
        table.row_numbers.append(number)
    return table


def _sheet_rows(sheet, merges: Merges) -> _Rows:
    """The rows of a read-only worksheet; a vertically merged cell's value fills the rows
    it covers, as the person sees it. The sheet's stated dimension is ignored."""
    sheet.reset_dimensions()

    def produce(rows: _Rows):
        filling: dict[int, tuple[Cell, int]] = {}
        values_of = sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True)
        for number, values in enumerate(values_of, start=1):
            width = rows.width
            cells = _cells(values[:width])
            for column, (cell, last) in list(filling.items()):
                if number > last or column > width:
                    del filling[column]
                    continue
                cells += [_BLANK] * (column - len(cells))
                if not cells[column - 1].text:
                    cells[column - 1] = cell
            for column, last in merges.get(number, ()):
                if column <= len(cells):
                    filling[column] = (cells[column - 1], last)
            yield number, cells

    return _Rows(produce)


def _read_xlsx(data: bytes, max_rows: int, is_header=None) -> Table:
    merges = inspect_package(data, max_rows=max_rows, header_rows=HEADER_MAX_ROW, cells_per_row=CELLS_PER_ROW)
    workbook = open_workbook(data)
    try:
        return _read_workbook(workbook, merges, max_rows, is_header)
    except SpreadsheetError:
        raise
    except BrokenWorkbook:  # a part that openpyxl cannot parse, met while reading the rows
        raise SpreadsheetError(CORRUPT_MESSAGE) from None
    finally:
        workbook.close()


def _read_workbook(workbook, merges: dict[str, Merges], max_rows: int, is_header) -> Table:
    sheets = [sheet for sheet in workbook.worksheets if getattr(sheet, "sheet_state", "visible") == "visible"]
    sheets = sheets or list(workbook.worksheets)

    def rows_of(sheet) -> _Rows:
        path = (getattr(sheet, "_worksheet_path", None) or "").lstrip("/")
        return _sheet_rows(sheet, merges.get(path, {}))

    # a workbook may hold instructions first, or one roster sheet per township: find the
    # sheets whose header is recognised and that hold data
    found = []
    for sheet in sheets:
        rows = rows_of(sheet)
        header = _find_header(rows, is_header)
        if header is None or not header[2]:
            continue
        if next(_data_rows(rows, header[0], max_rows), None) is not None:
            found.append(sheet)
    if len(found) > 1 and is_header is not None:
        names = "、".join(f"“{sheet.title}”" for sheet in found)
        raise SpreadsheetError(
            f"工作簿中有 {len(found)} 个工作表都有名单（{names}）：一次只能导入一个工作表。"
            "请把名单合并到一个工作表，或分成多个文件分别导入。"
        )
    sheet = found[0] if found else sheets[0]
    rows = rows_of(sheet)
    header = _find_header(rows, is_header)
    if header is None:
        raise SpreadsheetError("工作表是空的：第一个工作表中没有表头和数据。")
    if not header[2]:  # no recognised header: the first non-blank row, as before
        rows = rows_of(sheet)
        header = _find_header(rows, None)
    table = Table(headers=[c.text for c in header[1]], sheet=sheet.title)
    return _collect(table, rows, header[0], max_rows)


def _decode_csv(data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gbk"
    except UnicodeDecodeError:
        raise SpreadsheetError(
            "无法识别 CSV 文件的编码，请以 UTF-8 或 GBK 编码保存（Excel 中选择“CSV UTF-8”）。"
        ) from None


def _check_csv_bytes(data: bytes) -> None:
    """A binary file renamed .csv, or a text file with a NUL byte anywhere (which no text
    column can store): refused before anything is decoded."""
    if data.startswith(ZIP_MAGIC) or data.startswith(OLE2_MAGIC) or b"\x00" in data[:4096]:
        raise SpreadsheetError("文件扩展名是 .csv，但内容不是文本表格。请确认文件类型。")
    nul = data.find(b"\x00")
    if nul >= 0:  # UTF-8 and GBK never hold a zero byte inside a character
        line = data.count(b"\n", 0, nul) + 1
        raise SpreadsheetError(
            f"CSV 文件第 {line} 行含有空字符（NUL），文件可能已损坏或混入了二进制内容，未导入任何数据。"
            "请在 Excel 中打开后另存为“CSV UTF-8”再上传。"
        )


def _sniff_delimiter(text: str) -> str:
    """Comma, unless the first non-blank lines have none but semicolons or tabs (a CSV saved
    with another list separator, or a tab-separated text export)."""
    lines = [line for line in text[:65536].splitlines()[:HEADER_MAX_ROW] if line.strip()]
    sample = "\n".join(lines[:HEADER_SCAN_ROWS + 1])
    if "," in sample:
        return ","
    for delimiter in ("\t", ";"):
        if delimiter in sample:
            return delimiter
    return ","


def _read_csv(data: bytes, max_rows: int, is_header=None) -> Table:
    _check_csv_bytes(data)
    text, encoding = _decode_csv(data)
    delimiter = _sniff_delimiter(text)

    def rows() -> _Rows:
        def produce(rows: _Rows):
            reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
            for number, values in enumerate(reader, start=1):
                yield number, _text_cells(values[:rows.width])

        return _Rows(produce)

    try:
        iterator = rows()
        header = _find_header(iterator, is_header)
        if header is not None and not header[2]:
            iterator = rows()
            header = _find_header(iterator, None)
        if header is None:
            raise SpreadsheetError("文件是空的：没有表头和数据。")
        table = Table(headers=[c.text for c in header[1]], encoding=encoding)
        return _collect(table, iterator, header[0], max_rows)
    except csv.Error as exc:
        raise SpreadsheetError(f"CSV 文件格式有误：{exc}") from None


def read_table(filename: str, data: bytes, *, max_rows: int = 50_000, is_header=None) -> Table:
    """Read a sheet of ``data`` (named ``filename``) as text cells.

    ``is_header(texts)`` tells a header row when the caller knows its columns: rows above
    it (titles) are skipped, and of a workbook the one visible sheet holding such a header
    and data is read (several are refused, so that no sheet is silently left out).
    Without it, or when no row qualifies, the first non-blank row of the first sheet is
    the header. At most ``max_rows`` rows below the header are read, blank ones included.
    """
    name = (filename or "").lower()
    if not data:
        raise SpreadsheetError("文件是空的。")
    if name.endswith(".xlsx") or name.endswith(".xlsm"):
        if data.startswith(OLE2_MAGIC):
            if ENCRYPTED_PACKAGE in data:
                raise SpreadsheetError("工作簿设置了打开密码，无法读取。请取消密码后重新保存再上传。")
            raise SpreadsheetError("文件实际是旧版 Excel 97-2003 格式（.xls），请另存为 .xlsx 后上传。")
        if not data.startswith(ZIP_MAGIC):
            raise SpreadsheetError("文件扩展名是 .xlsx，但内容不是 Excel 工作簿。请确认文件类型。")
        return _read_xlsx(data, max_rows, is_header)
    if name.endswith(".xls"):
        raise SpreadsheetError("不支持旧版 Excel 97-2003 格式（.xls），请另存为 .xlsx 后上传。")
    if name.endswith(".csv") or name.endswith(".txt"):
        return _read_csv(data, max_rows, is_header)
    raise SpreadsheetError("只接受 .xlsx 或 .csv 文件。")


# writing -------------------------------------------------------------------------------

#: Starts of a text cell that a spreadsheet would evaluate (or that hide what follows):
#: formula signs, their full-width forms (which Excel on Chinese systems also takes for
#: formulas), tab, carriage return and line feed.
FORMULA_STARTS = ("=", "+", "-", "@", "＝", "＋", "－", "＠", "\t", "\r", "\n")


def neutralise(value):
    """Make a text cell inert in spreadsheets (formula injection): prefix an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with inert text cells and headers (a rejected-rows sheet carries
    the headers of the uploaded file, which may themselves be formulas)."""
    frame = frame.copy()
    for position in range(frame.shape[1]):
        values = frame.iloc[:, position]
        if values.dtype == object or pd.api.types.is_string_dtype(values):
            frame.isetitem(position, values.map(neutralise))
    frame.columns = [neutralise(str(column)) for column in frame.columns]
    return frame


def to_xlsx(sheets: dict[str, pd.DataFrame]) -> bytes:
    """A workbook with one sheet per frame; text cells written as text, never as formulas."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import TYPE_STRING
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, frame in sheets.items():
        sheet = workbook.create_sheet(title=title[:31])
        frame = _neutralised(frame)
        sheet.append([str(c) for c in frame.columns])
        for cell in sheet[1]:
            cell.data_type = TYPE_STRING  # a header is a label, never a formula
        for record in frame.itertuples(index=False, name=None):
            row = []
            for value in record:
                if value is None or (not isinstance(value, str) and pd.isna(value)):
                    row.append(None)
                else:
                    row.append(value)
            sheet.append(row)
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = TYPE_STRING  # openpyxl would take "=..." for a formula
        for index, column in enumerate(frame.columns, start=1):
            values = frame.iloc[:200, index - 1]
            width = max([len(str(column))] + [len(str(v)) for v in values]) + 2
            sheet.column_dimensions[get_column_letter(index)].width = min(max(width * 1.6, 8), 60)
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def to_csv(frame: pd.DataFrame) -> bytes:
    """UTF-8 with BOM, so that Excel on Chinese Windows opens it correctly."""
    return _neutralised(frame).to_csv(index=False).encode("utf-8-sig")
