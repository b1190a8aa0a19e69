"""Reading an uploaded roster, within the configured size and row limits."""

from __future__ import annotations

from flask import current_app

from trainhub.imports.columns import looks_like_header
from trainhub.imports.errors import ImportRefused
from trainhub.spreadsheets import SpreadsheetError, Table, read_table

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_ROWS = 20_000


def max_bytes() -> int:
    return int(current_app.config.get("IMPORT_MAX_BYTES") or DEFAULT_MAX_BYTES)


def max_rows() -> int:
    return int(current_app.config.get("IMPORT_MAX_ROWS") or DEFAULT_MAX_ROWS)


def size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.4g} MB"
    if size >= 1024:
        return f"{size / 1024:.4g} KB"
    return f"{size} 字节"


def check_size(size: int) -> None:
    limit = max_bytes()
    if size > limit:
        raise ImportRefused(
            f"文件过大（{size_text(size)}），超过导入上限 {size_text(limit)}。请拆分后分批导入。"
        )



def read_roster(filename: str, data: bytes) -> Table:
    """Read an uploaded roster into text cells, within the size and row limits.

    The header may come below a title row; of a workbook, the sheet holding the roster is
    read (see :func:`~trainhub.spreadsheets.read_table`)."""
    check_size(len(data))
    try:
        return read_table(filename, data, max_rows=max_rows(), is_header=looks_like_header)
    except SpreadsheetError as exc:
        raise ImportRefused(exc.message) from None

