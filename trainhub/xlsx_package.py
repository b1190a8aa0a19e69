"""Reading an ``.xlsx`` workbook: its package looked at before openpyxl parses any of it,
then its roster sheet read row by row (:mod:`trainhub.sheet_reading`).

An ``.xlsx`` is a zip of XML parts. openpyxl parses some parts whole (the styles, the shared
strings) and worksheets cell by cell, so its cost follows what the parts hold, not the
file's size: a 5 KB file can hold a few hundred thousand styled blank cells. Each part is
therefore checked first, streaming through its bytes once without parsing: the unpacked
size and compression ratio of every member, the number of cells of every worksheet and of
strings in the shared-strings table (against a limit the caller derives from its row
limit), and the size of the other XML parts. Vertically merged ranges are collected on the
way (openpyxl's read-only mode does not report them). The sheet's stated dimension is
then ignored: rows end with the data, not with what the file claims.

The XML itself is parsed by openpyxl through ``defusedxml`` (a declared dependency, which
openpyxl uses whenever it is installed): entity declarations are refused, never expanded.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from openpyxl import load_workbook

from trainhub.sheet_reading import (
    BLANK,
    HEADER_MAX_ROW,
    MAX_COLUMNS,
    Cell,
    Rows,
    SpreadsheetError,
    Table,
    collect,
    data_rows,
    find_header,
    row_cells,
)

#: An xlsx may unpack to at most this many bytes (decompression-bomb guard).
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
#: …and no member may be compressed more than this ratio.
MAX_COMPRESSION_RATIO = 200
#: XML parts other than worksheets and the shared strings (styles, theme, workbook,
#: relationships) are at most this large unpacked.
MAX_PART_BYTES = 16 * 1024 * 1024
#: A worksheet may hold at most this many cells per row the caller accepts (formatted blank
#: cells included) before it is refused unparsed.
CELLS_PER_ROW = 32
#: Most vertically merged ranges a worksheet may hold.
MAX_MERGED_RANGES = 50_000

CORRUPT_MESSAGE = "Excel 文件已损坏，无法读取。请在 Excel 中重新保存后再上传。"
#: What openpyxl raises for a part it cannot parse (also while rows are being read).
BrokenWorkbook = (ParseError, DefusedXmlException, zipfile.BadZipFile, zlib.error, EOFError,
                  KeyError, IndexError, TypeError, ValueError, AttributeError)

#: Vertically merged ranges of a sheet: first row -> [(column, last row)], 1-based.
Merges = dict[int, list[tuple[int, int]]]

_CHUNK = 1024 * 1024
_CELL = re.compile(rb"<(?:\w+:)?c[\s/>]")
_ROW = re.compile(rb"<(?:\w+:)?row[\s/>]")
_MERGE = re.compile(rb"<(?:\w+:)?mergeCell[\s/>]")
_MERGE_REF = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]{1,3})(\d+)(?::([A-Z]{1,3})(\d+))?"')
_SHARED_STRING = re.compile(rb"<(?:\w+:)?si[\s/>]")
_TOO_BIG = "Excel 文件解压后过大，疑似异常文件，已拒绝。"
_COPY_ADVICE = "请只把名单区域复制到新建的工作簿中保存后再上传。"


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _scan_sheet(archive: zipfile.ZipFile, name: str, max_rows: int, header_rows: int,
                max_cells: int) -> Merges:
    """Count a worksheet's rows (blank ones included) and its cells and merged ranges,
    refused past ``max_rows + header_rows`` and ``max_cells``, and collect its vertical
    merges, reading the part in chunks (``mergeCells`` follows the data).

    Counting a chunk on its own may miss a tag cut by its end: a bound needs no more."""
    found: dict[tuple[int, int], int] = {}
    rows = elements = 0
    tail = b""
    with archive.open(name) as stream:
        while chunk := stream.read(_CHUNK):
            text = tail + chunk
            tail = text[-200:]
            rows += len(_ROW.findall(chunk))
            if rows > max_rows + header_rows:
                raise SpreadsheetError(
                    f"工作表超过 {max_rows} 行（空行也计入行数上限，包括只设置了格式的空白行），已拒绝。"
                    "请删除名单下方多余的空行后重新保存，或拆分后分批导入。"
                )
            elements += len(_CELL.findall(chunk))
            if b"mergeCell" in text:  # near the end of the part: scanned there only
                elements += len(_MERGE.findall(chunk))
                for match in _MERGE_REF.finditer(text):
                    if match[3] is not None and int(match[4]) > int(match[2]):
                        found[(int(match[2]), _column_number(match[1]))] = int(match[4])
            if elements > max_cells:
                raise SpreadsheetError(
                    f"工作表中的单元格过多（超过 {max_cells} 个，多为只设置了格式的空白单元格），"
                    f"远多于名单所需，疑似异常文件，已拒绝。{_COPY_ADVICE}"
                )
            if len(found) > MAX_MERGED_RANGES:
                raise SpreadsheetError(f"工作表中的合并单元格过多，疑似异常文件，已拒绝。{_COPY_ADVICE}")
    merges: Merges = {}
    for (first, column), last in sorted(found.items()):
        merges.setdefault(first, []).append((column, last))
    return merges


def _count_strings(archive: zipfile.ZipFile, name: str, max_cells: int) -> None:
    count = 0
    with archive.open(name) as stream:
        while chunk := stream.read(_CHUNK):
            count += len(_SHARED_STRING.findall(chunk))
            if count > max_cells:
                raise SpreadsheetError(f"工作簿中的文字条目过多（超过 {max_cells} 个），疑似异常文件，已拒绝。"
                                       f"{_COPY_ADVICE}")


def inspect_package(data: bytes, *, max_rows: int, header_rows: int, cells_per_row: int) -> dict[str, Merges]:
    """Refuse a package openpyxl should not be given (a worksheet of more than
    ``max_rows`` rows below ``header_rows`` rows of titles and header, or more cells than
    ``cells_per_row`` for each of them, …); the vertical merges of each worksheet part, by
    its path in the package (``xl/worksheets/sheet1.xml``)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, EOFError, ValueError):
        raise SpreadsheetError("Excel 文件已损坏，无法打开。请在 Excel 中重新保存后再上传。") from None
    total = 0
    for info in members:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if total > MAX_UNPACKED_BYTES or (info.file_size > 1024 * 1024 and ratio > MAX_COMPRESSION_RATIO):
            raise SpreadsheetError(_TOO_BIG)
    if "xl/workbook.xml" not in archive.namelist():
        raise SpreadsheetError("文件不是有效的 Excel 工作簿（.xlsx）。")
    max_cells = (max_rows + header_rows) * cells_per_row
    merges: dict[str, Merges] = {}
    try:
        for info in members:
            name = info.filename
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                merges[name] = _scan_sheet(archive, name, max_rows, header_rows, max_cells)
            elif name == "xl/sharedStrings.xml":
                _count_strings(archive, name, max_cells)
            elif name.endswith((".xml", ".rels", ".vml")) and info.file_size > MAX_PART_BYTES:
                raise SpreadsheetError(_TOO_BIG)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError):
        raise SpreadsheetError(CORRUPT_MESSAGE) from None
    return merges


def open_workbook(data: bytes):
    """The workbook in openpyxl's read-only mode, formulas as their text (never evaluated)."""
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds for broken parts
        raise SpreadsheetError(CORRUPT_MESSAGE) from None


# reading -------------------------------------------------------------------------------------


def _sheet_rows(sheet, merges: Merges) -> Rows:
    """The rows of a read-only worksheet; a vertically merged cell's value fills the rows
    it covers, as the person sees it. The sheet's stated dimension is ignored."""
    sheet.reset_dimensions()

    def produce(rows: Rows):
        filling: dict[int, tuple[Cell, int]] = {}
        values_of = sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True)
        for number, values in enumerate(values_of, start=1):
            width = rows.width
            cells = row_cells(values[:width])
            for column, (cell, last) in list(filling.items()):
                if number > last or column > width:
                    del filling[column]
                    continue
                cells += [BLANK] * (column - len(cells))
                if not cells[column - 1].text:
                    cells[column - 1] = cell
            for column, last in merges.get(number, ()):
                if column <= len(cells):
                    filling[column] = (cells[column - 1], last)
            yield number, cells

    return Rows(produce)


def read_xlsx(data: bytes, max_rows: int, is_header=None) -> Table:
    """Read the roster sheet of an .xlsx (see :func:`trainhub.spreadsheets.read_table`)."""
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

    def rows_of(sheet) -> Rows:
        path = (getattr(sheet, "_worksheet_path", None) or "").lstrip("/")
        return _sheet_rows(sheet, merges.get(path, {}))

    # a workbook may hold instructions first, or one roster sheet per township: find the
    # sheets whose header is recognised and that hold data
    found = []
    for sheet in sheets:
        rows = rows_of(sheet)
        header = find_header(rows, is_header)
        if header is None or not header[2]:
            continue
        if next(data_rows(rows, header[0], max_rows), None) is not None:
            found.append(sheet)
    if len(found) > 1 and is_header is not None:
        names = "、".join(f"“{sheet.title}”" for sheet in found)
        raise SpreadsheetError(
            f"工作簿中有 {len(found)} 个工作表都有名单（{names}）：一次只能导入一个工作表。"
            "请把名单合并到一个工作表，或分成多个文件分别导入。"
        )
    sheet = found[0] if found else sheets[0]
    rows = rows_of(sheet)
    header = find_header(rows, is_header)
    if header is None:
        raise SpreadsheetError(f"工作表是空的：第一个工作表的前 {HEADER_MAX_ROW} 行中没有表头和数据。")
    if not header[2]:  # no recognised header: the first non-blank row, as before
        rows = rows_of(sheet)
        header = find_header(rows, None)
    table = Table(headers=[c.text for c in header[1]], sheet=sheet.title)
    return collect(table, rows, header[0], max_rows)
