"""Reading and writing the spreadsheets people exchange with the office.

In: ``.xlsx`` (and legacy ``.xls`` refused with advice), ``.csv`` in UTF-8, UTF-8 with BOM
or GBK (as Chinese Excel writes it). Every cell comes back as text exactly as typed: formulas
as their text (never evaluated), leading zeros kept, numbers that Excel turned into floats
reported as such so that callers can refuse them (an 18-digit ID stored as ``1.2E+17`` has
lost its last digits). Files that are not what they claim, encrypted, corrupt or too large
once unpacked are refused with a Chinese message.

Out: ``.xlsx`` and ``.csv`` from pandas DataFrames, with every text cell that a spreadsheet
would evaluate (``= + - @``, tab, carriage return) neutralised by a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime

import pandas as pd

ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")

#: An xlsx may unpack to at most this many bytes (decompression-bomb guard).
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
#: …and no member may be compressed more than this ratio.
MAX_COMPRESSION_RATIO = 200
#: Invisible characters that copying from web pages or chat apps leaves in cells.
_INVISIBLE = re.compile("[\u200b-\u200d\u2060\ufeff]")


class SpreadsheetError(ValueError):
    """A file that cannot be read; ``message`` is Chinese and tells the user what to do."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Cell:
    """One cell as read: its text, and whether the file stored it as a number."""

    text: str
    numeric: bool = False


@dataclass
class Table:
    """The sheet read (or the CSV): header texts and data rows, with 1-based row numbers."""

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
        return Cell("")
    if isinstance(value, bool):
        return Cell("是" if value else "否")
    if isinstance(value, int | float):
        return Cell(_number_text(value), numeric=True)
    if isinstance(value, datetime):
        text = value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
        return Cell(text)
    if isinstance(value, date):
        return Cell(value.isoformat())
    return Cell(_INVISIBLE.sub("", str(value)).strip())


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


def _check_zip(data: bytes) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise SpreadsheetError("Excel 文件已损坏，无法打开。请在 Excel 中重新保存后再上传。") from None
    total = 0
    for info in archive.infolist():
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if total > MAX_UNPACKED_BYTES or (info.file_size > 1024 * 1024 and ratio > MAX_COMPRESSION_RATIO):
            raise SpreadsheetError("Excel 文件解压后过大，疑似异常文件，已拒绝。")
    if "xl/workbook.xml" not in archive.namelist():
        raise SpreadsheetError("文件不是有效的 Excel 工作簿（.xlsx）。")


#: The header is looked for among this many non-blank rows at the top of a sheet (a title
#: row, a date line or a two-row header may come first).
HEADER_SCAN_ROWS = 10
_MERGE_REF = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]{1,3})(\d+)(?::([A-Z]{1,3})(\d+))?"')


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _vertical_merges(archive: zipfile.ZipFile, path: str | None) -> dict[tuple[int, int], int]:
    """Merged ranges of a sheet spanning rows: (first row, first column) -> last row (1-based).

    Read from the sheet's XML in chunks (``mergeCells`` follows the data); openpyxl's
    read-only mode does not report merges.
    """
    if not path:
        return {}
    found: dict[tuple[int, int], int] = {}
    tail = b""
    try:
        stream = archive.open(path.lstrip("/"))
    except KeyError:
        return {}
    with stream:
        while chunk := stream.read(1024 * 1024):
            text = tail + chunk
            for match in _MERGE_REF.finditer(text):
                if match[3] is None:
                    continue
                first, last = int(match[2]), int(match[4])
                if last > first:
                    found[(first, _column_number(match[1]))] = last
            tail = text[-200:]
    return found


def _sheet_rows(sheet, merges: dict[tuple[int, int], int]):
    """(row number, cells) of every row; a vertically merged cell's value fills the rows it
    covers, as the person sees it."""
    filling: dict[int, tuple[Cell, int]] = {}
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        cells = [_cell(v) for v in values]
        for column, (cell, last) in list(filling.items()):
            if number > last:
                del filling[column]
                continue
            cells += [Cell("")] * (column - len(cells))
            if not cells[column - 1].text:
                cells[column - 1] = cell
        for (first, column), last in merges.items():
            if first == number and column <= len(cells):
                filling[column] = (cells[column - 1], last)
        yield number, cells


def _find_header(rows, is_header):
    """Consume ``rows`` up to the header: (row number, cells, recognised), or None if blank.

    Without ``is_header`` the first non-blank row is the header; with it, the first of the
    top :data:`HEADER_SCAN_ROWS` non-blank rows that it accepts (rows above are titles).
    When none is accepted, the first non-blank row comes back with ``recognised`` false
    (and ``rows`` is consumed past it: read them again)."""
    seen = 0
    first = None
    for number, cells in rows:
        if not any(c.text for c in cells):
            continue
        if is_header is None or is_header([c.text for c in cells]):
            return number, cells, True
        first = first or (number, cells, False)
        seen += 1
        if seen >= HEADER_SCAN_ROWS:
            break
    return first


def _collect(table: Table, rows, max_rows: int) -> Table:
    for number, cells in rows:
        if not any(c.text for c in cells):
            continue
        if len(table.rows) >= max_rows:
            raise SpreadsheetError(f"文件超过 {max_rows} 行数据的上限，请拆分后分批导入。")
        table.rows.append(cells)
        table.row_numbers.append(number)
    return table


def _read_xlsx(data: bytes, max_rows: int, is_header=None) -> Table:
    from openpyxl import load_workbook

    _check_zip(data)
    archive = zipfile.ZipFile(io.BytesIO(data))
    try:
        # formulas come back as their text (data_only=False): never evaluated, never lost
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds for broken parts
        raise SpreadsheetError("Excel 文件已损坏，无法读取。请在 Excel 中重新保存后再上传。") from None
    try:
        sheets = [sheet for sheet in workbook.worksheets if getattr(sheet, "sheet_state", "visible") == "visible"]
        sheets = sheets or list(workbook.worksheets)
        merges = {sheet.title: _vertical_merges(archive, getattr(sheet, "_worksheet_path", None))
                  for sheet in sheets}
        # a workbook may hold instructions first, or one roster sheet per township: find the
        # sheets whose header is recognised and that hold data
        found = []
        for sheet in sheets:
            rows = _sheet_rows(sheet, merges[sheet.title])
            header = _find_header(rows, is_header)
            if header is None or not header[2]:
                continue
            if any(any(c.text for c in cells) for _, cells in rows):
                found.append(sheet)
        if len(found) > 1 and is_header is not None:
            names = "、".join(f"“{sheet.title}”" for sheet in found)
            raise SpreadsheetError(
                f"工作簿中有 {len(found)} 个工作表都有名单（{names}）：一次只能导入一个工作表。"
                "请把名单合并到一个工作表，或分成多个文件分别导入。"
            )
        sheet = found[0] if found else sheets[0]
        rows = _sheet_rows(sheet, merges[sheet.title])
        header = _find_header(rows, is_header)
        if header is None:
            raise SpreadsheetError("工作表是空的：第一个工作表中没有表头和数据。")
        if not header[2]:  # no recognised header: the first non-blank row, as before
            rows = _sheet_rows(sheet, merges[sheet.title])
            header = _find_header(rows, None)
        table = Table(headers=[c.text for c in header[1]], sheet=sheet.title)
        return _collect(table, rows, max_rows)
    finally:
        workbook.close()


def _sniff_delimiter(text: str) -> str:
    """Comma, unless the first non-blank lines have none but semicolons or tabs (a CSV saved
    with another list separator, or a tab-separated text export)."""
    lines = [line for line in text.splitlines()[:HEADER_SCAN_ROWS + 1] if line.strip()]
    sample = "\n".join(lines)
    if "," in sample:
        return ","
    for delimiter in ("\t", ";"):
        if delimiter in sample:
            return delimiter
    return ","


def _read_csv(data: bytes, max_rows: int, is_header=None) -> Table:
    if data.startswith(ZIP_MAGIC) or data.startswith(OLE2_MAGIC) or b"\x00" in data[:4096]:
        raise SpreadsheetError("文件扩展名是 .csv，但内容不是文本表格。请确认文件类型。")
    text, encoding = _decode_csv(data)
    delimiter = _sniff_delimiter(text)

    def rows():
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        for number, values in enumerate(reader, start=1):
            yield number, [Cell(_INVISIBLE.sub("", v).strip()) for v in values]

    try:
        iterator = rows()
        header = _find_header(iterator, is_header)
        if header is not None and not header[2]:
            iterator = rows()
            header = _find_header(iterator, None)
        if header is None:
            raise SpreadsheetError("文件是空的：没有表头和数据。")
        table = Table(headers=[c.text for c in header[1]], encoding=encoding)
        return _collect(table, iterator, max_rows)
    except csv.Error as exc:
        raise SpreadsheetError(f"CSV 文件格式有误：{exc}") from None


def read_table(filename: str, data: bytes, *, max_rows: int = 50_000, is_header=None) -> Table:
    """Read a sheet of ``data`` (named ``filename``) as text cells.

    ``is_header(texts)`` tells a header row when the caller knows its columns: rows above
    it (titles) are skipped, and of a workbook the one visible sheet holding such a header
    and data is read (several are refused, so that no sheet is silently left out).
    Without it, or when no row qualifies, the first non-blank row of the first sheet is
    the header."""
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

_DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """Make a text cell inert in spreadsheets (formula injection): prefix an apostrophe."""
    if isinstance(value, str) and value.startswith(_DANGEROUS_START):
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
