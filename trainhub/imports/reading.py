"""Reading an uploaded roster, within the configured size and row limits
(:func:`trainhub.uploads.read_upload`)."""

from __future__ import annotations

from trainhub.imports.columns import looks_like_header
from trainhub.imports.errors import ImportRefused
from trainhub.spreadsheets import SpreadsheetError, Table
from trainhub.uploads import read_upload


def read_roster(filename: str, data: bytes) -> Table:
    """Read an uploaded roster into text cells, within the size and row limits.

    The header may come below a title row; of a workbook, the sheet holding the roster is
    read (see :func:`~trainhub.spreadsheets.read_table`)."""
    try:
        return read_upload(filename, data, looks_like_header)
    except SpreadsheetError as exc:
        raise ImportRefused(exc.message) from None
