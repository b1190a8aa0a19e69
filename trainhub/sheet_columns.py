"""Columns of an imported sheet, recognised by their headers, and the problems of its rows.

Every import (the learner roster, the schedule) declares its columns as :class:`Column`\\ s
in a :class:`SheetColumns`: what each holds, the headers that name it (Chinese or English;
compared half-width, lower-case, without spaces, ``_``/``-`` or "*"/"(必填)" marks), whether
it is required. :meth:`SheetColumns.map` finds them in a file's header row (refusing a file
that lacks a required one, saying which headers it found) and :meth:`SheetColumns.looks_like_header`
tells the header from the title rows above it. A row's problem is a :class:`RowProblem`,
named by its row number and the column's header as the file spells it. The template people
fill in is :func:`template_workbook`.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from trainhub.sheet_reading import SpreadsheetError, Table
from trainhub.spreadsheets import FORMULA_STARTS, to_xlsx


@dataclass(frozen=True)
class Column:
    key: str
    #: Header of the template and of messages when the file lacks the column.
    label: str
    aliases: tuple[str, ...]
    required: bool = False
    #: How to fill the column (the template's notes sheet).
    note: str = ""


@dataclass(frozen=True)
class RowProblem:
    #: Spreadsheet row number (the header is row 1).
    row: int
    #: The column's header as in the file.
    column: str
    #: The field the column holds (``id_number``, ``county``, …).
    field: str
    message: str


_HEADER_MARKS = re.compile(r"[*]|\((必填|选填|可选|必须)\)$")


def header_key(text: str) -> str:
    """A header reduced to compare: half-width, lower-case, without spaces, ``_`` or ``-``,
    or required marks (``course code``, ``Course_Code`` and ``课程编号*`` as their aliases)."""
    text = unicodedata.normalize("NFKC", text or "").strip().lower()
    text = re.sub(r"[\s_\-]+", "", text)
    return _HEADER_MARKS.sub("", text)


def clean_cell(text: str) -> str:
    """A cell's text; an apostrophe that a formula-safe export put before ``= + - @`` (and
    the other starts :func:`~trainhub.spreadsheets.neutralise` guards) is dropped, so that a
    sheet the application wrote and that is sent back reads as it was first typed."""
    if len(text) > 1 and text[0] == "'" and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


@dataclass
class ColumnMap:
    """Which column of the file holds which field."""

    index: dict[str, int]
    headers: list[str]
    #: Headers (as in the file) that were not recognised.
    ignored: list[str]
    #: Label of every known column, by key (the header named when the file lacks it).
    labels: dict[str, str]

    def header(self, key: str) -> str:
        position = self.index.get(key)
        if position is None:
            return self.labels.get(key, key)
        return self.headers[position] or f"第 {position + 1} 列"

    def text(self, cells: list[str], key: str) -> str:
        """The cell of column ``key`` ("" where the file lacks the column or the cell)."""
        position = self.index.get(key)
        if position is None or position >= len(cells):
            return ""
        return cells[position]

    def texts(self, cells: list[str]) -> dict[str, str]:
        """A row's cells by column key."""
        return {key: self.text(cells, key) for key in self.labels}


class SheetColumns:
    """The columns an import reads, in the template's order."""

    def __init__(self, columns: Iterable[Column]):
        self.columns = tuple(columns)
        self.by_key = {column.key: column for column in self.columns}
        self._aliases = {header_key(alias): column.key
                         for column in self.columns for alias in column.aliases}

    def __iter__(self):
        return iter(self.columns)

    def key_of(self, header: str) -> str | None:
        return self._aliases.get(header_key(header))

    def looks_like_header(self, texts: list[str]) -> bool:
        """A row naming at least two of the columns (not a title row above the header)."""
        return len({key for key in map(self.key_of, texts) if key is not None}) >= 2

    def map(self, headers: list[str], *, one_of: Iterable[tuple[str, ...]] = ()) -> ColumnMap:
        """Recognise the columns of ``headers``. Refuses (:class:`SpreadsheetError`) a file
        that lacks a required column — or, for each group in ``one_of``, every column of the
        group — naming the headers it did find, or that repeats a column."""
        index: dict[str, int] = {}
        ignored: list[str] = []
        repeated: list[str] = []
        for position, text in enumerate(headers):
            key = self.key_of(text)
            if key is None:
                if text.strip():
                    ignored.append(text.strip())
                continue
            if key in index:
                repeated.append(f"“{headers[index[key]]}”和“{text}”（都表示{self.by_key[key].label}）")
                continue
            index[key] = position
        if repeated:
            raise SpreadsheetError("表头中有重复的列：" + "；".join(repeated) + "。请只保留其中一列。")
        missing = [f"{column.label}（可用表头：{'、'.join(column.aliases[:4])}）"
                   for column in self.columns if column.required and column.key not in index]
        missing += ["或".join(self.by_key[key].label for key in group) + "（至少一列）"
                    for group in one_of if not any(key in index for key in group)]
        if missing:
            found = "、".join(f"“{text.strip()}”" for text in headers if text.strip()) or "（无）"
            raise SpreadsheetError(
                f"文件缺少必需的列：{'；'.join(missing)}。文件中找到的表头：{found}。"
                "请在表头行填写这些列，或下载导入模板对照填写。"
            )
        return ColumnMap(index=index, headers=list(headers), ignored=ignored,
                         labels={column.key: column.label for column in self.columns})


def example_note(rows: list[int], example: str = "") -> str | None:
    """What a preview says about the template's example row(s) left in the file (None: none)."""
    if not rows:
        return None
    numbers = "、".join(str(number) for number in rows)
    return f"第 {numbers} 行是导入模板中的示例{f'（{example}）' if example else ''}，已跳过，不会导入。"


def unnamed_columns_with_data(table: Table) -> list[str]:
    """Columns holding data under an empty header (or beyond the header): they are ignored,
    and the preview must say so rather than drop what was typed there unmentioned."""
    named = {position for position, text in enumerate(table.headers) if text.strip()}
    unnamed: set[int] = set()
    for cells in table.rows:
        for position, cell in enumerate(cells):
            if position not in named and cell.text.strip():
                unnamed.add(position)
    return [f"第 {position + 1} 列（无表头，有数据）" for position in sorted(unnamed)]


def template_workbook(columns: SheetColumns, examples: list[dict[str, str]], *, sheet: str,
                      overall_note: str, text_keys: Iterable[str] = ()) -> bytes:
    """An import template: the columns with example rows (by column key) on ``sheet``, and
    a "填写说明" sheet (each column: required or not, the headers recognised, how to fill
    it; then ``overall_note``). Columns in ``text_keys`` are formatted as text, so that
    Excel keeps what is typed (leading zeros, long numbers)."""
    frame = pd.DataFrame([[example.get(column.key, "") for column in columns] for example in examples],
                         columns=[column.label for column in columns], dtype=object)
    notes = pd.DataFrame(
        [[column.label, "必填" if column.required else "可选", "、".join(column.aliases), column.note]
         for column in columns] + [["（整体）", "", "", overall_note]],
        columns=["列名", "是否必填", "可用的表头写法", "填写说明"], dtype=object,
    )
    data = to_xlsx({sheet: frame, "填写说明": notes})
    text_keys = set(text_keys)
    if not text_keys:
        return data
    workbook = load_workbook(io.BytesIO(data))
    worksheet = workbook[sheet]
    for position, column in enumerate(columns, start=1):
        if column.key in text_keys:
            letter = get_column_letter(position)
            worksheet.column_dimensions[letter].number_format = "@"
            for row in range(2, 1002):
                worksheet[f"{letter}{row}"].number_format = "@"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
