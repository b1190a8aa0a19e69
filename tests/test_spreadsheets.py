"""Reading what counties send and writing what the office exports."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pandas as pd
import pytest

from trainhub.spreadsheets import SpreadsheetError, read_table, to_csv, to_xlsx

HEADER = ["姓名", "身份证号", "手机号"]


def _xlsx(rows) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_cells_come_back_as_typed_text():
    data = _xlsx([HEADER, ["=SUM(1,2)", "01234567890123456X", 13812345678],
                  [None, None, None], ["王五", 520221199001010012, "+8613812345678"]])
    table = read_table("名单.xlsx", data)
    assert table.headers == HEADER
    first, second = table.rows
    assert first[0].text == "=SUM(1,2)"  # the formula's text, not its value
    assert first[1].text == "01234567890123456X"
    assert first[2].text == "13812345678" and first[2].numeric
    assert second[1].numeric and "E+17" in second[1].text  # Excel's number: digits lost
    assert second[2].text == "+8613812345678"
    assert table.row_numbers == [2, 4]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_encodings_are_detected(encoding):
    text = "姓名,身份证号\r\n张三,52022119900101001X\r\n=1+1,0012\r\n"
    table = read_table("名单.csv", text.encode(encoding))
    assert table.headers == ["姓名", "身份证号"]
    assert [c.text for c in table.rows[0]] == ["张三", "52022119900101001X"]
    assert [c.text for c in table.rows[1]] == ["=1+1", "0012"]


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("a.xlsx", b"name,id\n1,2\n", "不是 Excel 工作簿"),
        ("a.csv", _xlsx([HEADER]), "不是文本表格"),
        ("a.xlsx", b"PK\x03\x04garbage", "已损坏"),
        ("a.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "EncryptedPackage".encode("utf-16-le"), "密码"),
        ("a.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", ".xls"),
        ("a.pdf", b"%PDF-1.4", "只接受"),
        ("a.csv", b"", "空"),
        ("a.csv", b"\xff\xfe\xfa\xfb\x81\x30", "编码"),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(filename, data, message):
    with pytest.raises(SpreadsheetError) as info:
        read_table(filename, data)
    assert message in info.value.message


def test_decompression_bomb_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (50 * 1024 * 1024))
    with pytest.raises(SpreadsheetError, match="过大"):
        read_table("bomb.xlsx", buffer.getvalue())


def test_row_limit():
    data = ("姓名\n" + "张三\n" * 11).encode()
    with pytest.raises(SpreadsheetError, match="10 行"):
        read_table("a.csv", data, max_rows=10)


def test_exports_neutralise_formulas():
    frame = pd.DataFrame({"姓名": ["=HYPERLINK(\"http://x\")", "张三"], "学时": [4, 2.5]})
    workbook = openpyxl.load_workbook(io.BytesIO(to_xlsx({"学员": frame})))
    sheet = workbook["学员"]
    assert sheet["A2"].value == "'=HYPERLINK(\"http://x\")"
    assert sheet["A2"].data_type == "s"
    assert sheet["B3"].value == 2.5
    csv_text = to_csv(frame).decode("utf-8-sig")
    assert "'=HYPERLINK" in csv_text
