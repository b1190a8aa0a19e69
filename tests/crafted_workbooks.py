"""Workbooks crafted to stall a reader that trusts what a file claims (issue 6, section 5).

Each is small on disk and was measured against the reader before it was bounded:

* :func:`far_corner` — 5 KB; the sheet claims the dimension ``A1:XFD1048576`` and holds one
  cell in the far corner: the reader walked 16,384 × 1,048,576 empty cells (hours);
* :func:`far_column_roster` — 12 KB; a roster with one cell in column XFD on each of 800
  rows: 16,384 cells built per row (12 s and 1.4 GB for one upload);
* :func:`blank_rows` — about 7 MB; a million blank rows under the header, which did not
  count towards the row limit (killed by the worker timeout);
* :func:`dense_rows` — rows of 16,384 styled empty cells each: openpyxl parses every one.

They are written as raw parts (no styles) so that building them takes well under a second.
"""

from __future__ import annotations

import functools
import io
import zipfile
from xml.sax.saxutils import escape

from openpyxl.utils import get_column_letter

ROSTER_HEADERS = ["姓名", "身份证号码", "手机号码", "工作单位", "所在县（区）"]
LAST_ROW = 1_048_576

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "{strings}</Types>"
)
_STRINGS_TYPE = ('<Override PartName="/xl/sharedStrings.xml" '
                 'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="xl/workbook.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>'
    "</Relationships>"
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="学员名单" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="worksheets/sheet1.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"/>'
    "</Relationships>"
)


def cell(column: int, row: int, text: str) -> str:
    return f'<c r="{get_column_letter(column)}{row}" t="inlineStr"><is><t>{escape(text)}</t></is></c>'


def row(number: int, texts: list[str] = (), extra: str = "") -> str:
    cells = "".join(cell(column, number, text) for column, text in enumerate(texts, start=1) if text)
    return f'<row r="{number}">{cells}{extra}</row>'


def workbook(rows: list[str] | str, *, dimension: str | None = None, strings: str | None = None) -> bytes:
    """An .xlsx whose one sheet holds ``rows`` (``<row>`` elements) as given."""
    body = rows if isinstance(rows, str) else "".join(rows)
    sheet = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + (f'<dimension ref="{dimension}"/>' if dimension else "")
        + f"<sheetData>{body}</sheetData></worksheet>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml",
                         _CONTENT_TYPES.format(strings=_STRINGS_TYPE if strings is not None else ""))
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
        if strings is not None:
            archive.writestr("xl/sharedStrings.xml", strings)
    return buffer.getvalue()


def far_corner(headers: list[str] = ROSTER_HEADERS) -> bytes:
    """The header, and one cell in XFD1048576; the sheet claims A1:XFD1048576."""
    return workbook([row(1, headers), row(LAST_ROW, extra=cell(16_384, LAST_ROW, "x"))],
                    dimension=f"A1:XFD{LAST_ROW}")


def far_column_roster(data_rows: list[list[str]], headers: list[str] = ROSTER_HEADERS) -> bytes:
    """A roster whose every data row also holds one cell in column XFD."""
    rows = [row(1, headers)]
    for number, texts in enumerate(data_rows, start=2):
        rows.append(row(number, texts, extra=cell(16_384, number, "x")))
    return workbook(rows, dimension=f"A1:XFD{len(data_rows) + 1}")


@functools.cache
def blank_rows(count: int = LAST_ROW - 1) -> bytes:
    """The header, then ``count`` rows each holding one blank (space) cell."""
    rows = "".join(f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t xml:space="preserve"> </t></is></c></row>'
                   for n in range(2, count + 2))
    return workbook(row(1, ROSTER_HEADERS) + rows)


def dense_rows(count: int) -> bytes:
    """The header, then ``count`` rows of 16,384 styled empty cells each."""
    letters = [get_column_letter(column) for column in range(1, 16_385)]
    rows = "".join(f'<row r="{n}">' + "".join(f'<c r="{letter}{n}" s="0"/>' for letter in letters) + "</row>"
                   for n in range(2, count + 2))
    return workbook(row(1, ROSTER_HEADERS) + rows)


def entity_expansion() -> bytes:
    """Shared strings declaring an entity ("billion laughs" style)."""
    strings = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
        "<si><t>&lol2;</t></si></sst>"
    )
    return workbook([row(1, ROSTER_HEADERS), '<row r="2"><c r="A2" t="s"><v>0</v></c></row>'],
                    strings=strings)
