"""Rows of a sheet read within bounds, whatever the file's format (:mod:`trainhub.spreadsheets`
reads CSV, :mod:`trainhub.xlsx_package` workbooks).

Every cell comes back as text exactly as typed. Rows are cut a little right of the header (a
cell typed in column XFD is never reached by walking the columns before it) and lose their
trailing blank cells; the header is looked for near the top; blank rows below the header count
against the row limit like data rows, so a sheet of a million blank rows is not walked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from trainhub.text import clean_line

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
#: Invisible characters that copying from web pages or chat apps leaves in cells.


class SpreadsheetError(ValueError):
    """A file that cannot be read; ``message`` is Chinese and tells the user what to do."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(slots=True)
class Cell:
    """One cell as read: its text, and whether the file stored it as a number (read only:
    one blank cell is shared by every row)."""

    text: str
    numeric: bool = False


BLANK = Cell("")


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
        return BLANK
    if isinstance(value, bool):
        return Cell("是" if value else "否")
    if isinstance(value, int | float):
        return Cell(_number_text(value), numeric=True)
    if isinstance(value, datetime):
        text = value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
        return Cell(text)
    if isinstance(value, date):
        return Cell(value.isoformat())
    text = clean_line(str(value))
    return Cell(text) if text else BLANK


def _trimmed(cells: list[Cell]) -> list[Cell]:
    """A row without its trailing blank cells (a blank row is an empty list)."""
    while cells and not cells[-1].text:
        cells.pop()
    return cells


def row_cells(values) -> list[Cell]:
    return _trimmed([_cell(value) for value in values])


def text_cells(values: list[str]) -> list[Cell]:
    return _trimmed([Cell(text) if (text := clean_line(value)) else BLANK
                     for value in values])


class Rows:
    """(row number, cells) of a sheet, each row cut at :attr:`width` columns.

    ``produce(self)`` yields the rows; it reads :attr:`width` for each row, so that the
    reader narrows it to the header's width once the header is found."""

    def __init__(self, produce: Callable[[Rows], Iterator[tuple[int, list[Cell]]]]):
        self.width = MAX_COLUMNS
        self._rows = produce(self)

    def __iter__(self):
        return self

    def __next__(self) -> tuple[int, list[Cell]]:
        return next(self._rows)


def find_header(rows: Rows, is_header):
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


def data_rows(rows: Rows, header_row: int, max_rows: int):
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


def collect(table: Table, rows: Rows, header_row: int, max_rows: int) -> Table:
    for number, cells in data_rows(rows, header_row, max_rows):
        table.rows.append(cells)
        table.row_numbers.append(number)
    return table
