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
    """The first sheet (or the CSV): header texts and data rows, with 1-based row numbers."""

    headers: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    #: Spreadsheet row number of each data row (the header is row 1).
    row_numbers: list[int] = field(default_factory=list)
    encoding: str | None = None


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
    return Cell(str(value).strip())


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


def _read_xlsx(data: bytes, max_rows: int) -> Table:
    from openpyxl import load_workbook

    _check_zip(data)
    try:
        # formulas come back as their text (data_only=False): never evaluated, never lost
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds for broken parts
        raise SpreadsheetError("Excel 文件已损坏，无法读取。请在 Excel 中重新保存后再上传。") from None
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        table = None
        for number, values in enumerate(rows, start=1):
            cells = [_cell(v) for v in values]
            if table is None:
                if not any(c.text for c in cells):
                    continue  # blank lines above the header
                table = Table(headers=[c.text for c in cells])
                continue
            if not any(c.text for c in cells):
                continue
            if len(table.rows) >= max_rows:
                raise SpreadsheetError(f"文件超过 {max_rows} 行数据的上限，请拆分后分批导入。")
            table.rows.append(cells)
            table.row_numbers.append(number)
        if table is None:
            raise SpreadsheetError("工作表是空的：第一个工作表中没有表头和数据。")
        return table
    finally:
        workbook.close()


def _read_csv(data: bytes, max_rows: int) -> Table:
    if data.startswith(ZIP_MAGIC) or data.startswith(OLE2_MAGIC) or b"\x00" in data[:4096]:
        raise SpreadsheetError("文件扩展名是 .csv，但内容不是文本表格。请确认文件类型。")
    text, encoding = _decode_csv(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    table = None
    try:
        for number, values in enumerate(reader, start=1):
            cells = [Cell(v.strip()) for v in values]
            if table is None:
                if not any(c.text for c in cells):
                    continue
                table = Table(headers=[c.text for c in cells], encoding=encoding)
                continue
            if not any(c.text for c in cells):
                continue
            if len(table.rows) >= max_rows:
                raise SpreadsheetError(f"文件超过 {max_rows} 行数据的上限，请拆分后分批导入。")
            table.rows.append(cells)
            table.row_numbers.append(number)
    except csv.Error as exc:
        raise SpreadsheetError(f"CSV 文件格式有误：{exc}") from None
    if table is None:
        raise SpreadsheetError("文件是空的：没有表头和数据。")
    return table


def read_table(filename: str, data: bytes, *, max_rows: int = 50_000) -> Table:
    """Read the first sheet of ``data`` (named ``filename``) as text cells."""
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
        return _read_xlsx(data, max_rows)
    if name.endswith(".xls"):
        raise SpreadsheetError("不支持旧版 Excel 97-2003 格式（.xls），请另存为 .xlsx 后上传。")
    if name.endswith(".csv") or name.endswith(".txt"):
        return _read_csv(data, max_rows)
    raise SpreadsheetError("只接受 .xlsx 或 .csv 文件。")


# writing -------------------------------------------------------------------------------

_DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """Make a text cell inert in spreadsheets (formula injection): prefix an apostrophe."""
    if isinstance(value, str) and value.startswith(_DANGEROUS_START):
        return "'" + value
    return value


def _neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    for column in frame.columns:
        if frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column]):
            frame[column] = frame[column].map(neutralise)
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
            width = max([len(str(column))] + [len(str(v)) for v in frame[column].head(200)]) + 2
            sheet.column_dimensions[get_column_letter(index)].width = min(max(width * 1.6, 8), 60)
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def to_csv(frame: pd.DataFrame) -> bytes:
    """UTF-8 with BOM, so that Excel on Chinese Windows opens it correctly."""
    return _neutralised(frame).to_csv(index=False).encode("utf-8-sig")
