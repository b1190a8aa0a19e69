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
could is refused before it is parsed (:mod:`trainhub.sheet_reading`,
:mod:`trainhub.xlsx_package`).

Out: ``.xlsx`` and ``.csv`` from pandas DataFrames, with every text cell that a spreadsheet
would evaluate (``= + - @`` and their full-width forms, tab, carriage return, line feed)
neutralised by a leading apostrophe.
"""

from __future__ import annotations

import csv
import io

import pandas as pd
from flask import send_file

from trainhub.localtime import local_today
from trainhub.sheet_reading import (
    HEADER_MAX_ROW,
    HEADER_SCAN_ROWS,
    Cell,
    Rows,
    SpreadsheetError,
    Table,
    collect,
    find_header,
    text_cells,
)
from trainhub.xlsx_package import read_xlsx

__all__ = [
    "FORMULA_STARTS",
    "XLSX_MIMETYPE",
    "Cell",
    "SpreadsheetError",
    "Table",
    "dated_filename",
    "neutralise",
    "read_table",
    "to_csv",
    "to_xlsx",
    "xlsx_download",
]

#: The MIME type of every ``.xlsx`` the application sends.
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")


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

    def rows() -> Rows:
        def produce(rows: Rows):
            reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
            for number, values in enumerate(reader, start=1):
                yield number, text_cells(values[:rows.width])

        return Rows(produce)

    try:
        iterator = rows()
        header = find_header(iterator, is_header)
        if header is not None and not header[2]:
            iterator = rows()
            header = find_header(iterator, None)
        if header is None:
            raise SpreadsheetError(f"文件是空的：前 {HEADER_MAX_ROW} 行中没有表头和数据。")
        table = Table(headers=[c.text for c in header[1]], encoding=encoding)
        return collect(table, iterator, header[0], max_rows)
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
        return read_xlsx(data, max_rows, is_header)
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


def dated_filename(stem: str) -> str:
    """``stem-YYYYMMDD.xlsx`` for today in Beijing (Chinese names are fine)."""
    return f"{stem}-{local_today():%Y%m%d}.xlsx"


def xlsx_download(content: bytes | dict[str, pd.DataFrame], filename: str):
    """An ``.xlsx`` download named ``filename``: ready bytes, or sheets (:func:`to_xlsx`).
    Never cached: exports hold data that may change, or personal data."""
    data = content if isinstance(content, bytes) else to_xlsx(content)
    return send_file(io.BytesIO(data), mimetype=XLSX_MIMETYPE, as_attachment=True,
                     download_name=filename, max_age=0)
