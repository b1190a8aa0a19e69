"""Reading what counties send and writing what the office exports."""

from __future__ import annotations

import io
import zipfile

import crafted_workbooks
import openpyxl
import pandas as pd
import pytest

from trainhub.spreadsheets import SpreadsheetError, neutralise, read_table, to_csv, to_xlsx

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


# files crafted to stall the reader (issue 6, section 5) -----------------------------------

ROSTER_ROWS = [[f"学员{n}", f"52052619900307{n:03d}X", f"138{n:08d}", "威宁县阳光社会工作服务中心",
                "威宁彝族回族苗族自治县"] for n in range(800)]


@pytest.fixture
def bounded(monkeypatch):
    """Read with memory traced and the cells built counted: a reader that walks the cells a
    file claims instead of those it holds fails here, on a count, never on a clock."""
    import tracemalloc

    from trainhub import sheet_reading

    built = 0
    original = sheet_reading._cell

    def counted(value):
        nonlocal built
        built += 1
        if built > 500_000:
            raise AssertionError("more than 500,000 cells built: the reader walks empty cells")
        return original(value)

    monkeypatch.setattr(sheet_reading, "_cell", counted)

    def read(data: bytes, **options):
        tracemalloc.start()
        try:
            return read_table("名单.xlsx", data, **options)
        finally:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            assert peak < 32 * 1024 * 1024, f"peak {peak / 1e6:.0f} MB"

    return read


def test_a_claimed_dimension_with_a_far_corner_cell_is_refused_quickly(bounded):
    data = crafted_workbooks.far_corner()
    assert len(data) < 6 * 1024
    with pytest.raises(SpreadsheetError, match="空行也计入行数上限"):
        bounded(data, max_rows=20_000)


def test_cells_in_column_xfd_are_not_walked_to(bounded):
    data = crafted_workbooks.far_column_roster(ROSTER_ROWS)
    table = bounded(data, max_rows=20_000)
    assert table.headers == crafted_workbooks.ROSTER_HEADERS
    assert len(table.rows) == 800
    assert max(len(cells) for cells in table.rows) == 5  # the cell in XFD is never reached
    assert [c.text for c in table.rows[0]][:3] == ["学员0", "52052619900307000X", "13800000000"]


def test_a_million_blank_rows_count_against_the_row_limit(bounded):
    data = crafted_workbooks.blank_rows()
    assert len(data) > 5 * 1024 * 1024
    with pytest.raises(SpreadsheetError, match="超过 20000 行（空行也计入行数上限"):
        bounded(data, max_rows=20_000)


def test_rows_of_styled_empty_cells_are_refused_before_parsing(bounded):
    with pytest.raises(SpreadsheetError, match="单元格过多"):
        bounded(crafted_workbooks.dense_rows(40), max_rows=20_000)


def test_blank_rows_inside_the_limit_are_skipped_and_past_it_refused():
    rows = [crafted_workbooks.row(1, HEADER), crafted_workbooks.row(2, ["张三", "1", "2"]),
            crafted_workbooks.row(30, ["李四", "3", "4"])]
    table = read_table("a.xlsx", crafted_workbooks.workbook(rows), max_rows=30)
    assert table.row_numbers == [2, 30]
    with pytest.raises(SpreadsheetError, match="其中 27 行是空行"):
        read_table("a.xlsx", crafted_workbooks.workbook(rows), max_rows=28)
    csv_data = ("姓名,身份证号\n张三,1\n" + "\n" * 40 + "李四,2\n").encode()
    with pytest.raises(SpreadsheetError, match="空行也计入行数上限"):
        read_table("a.csv", csv_data, max_rows=20)


def test_data_right_of_the_header_is_read_only_nearby():
    far = crafted_workbooks.cell(3 + 40, 2, "远处")
    rows = [crafted_workbooks.row(1, HEADER),
            crafted_workbooks.row(2, ["张三", "1", "2", "", "近处"], extra=far)]
    (cells,) = read_table("a.xlsx", crafted_workbooks.workbook(rows)).rows
    assert [c.text for c in cells] == ["张三", "1", "2", "", "近处"]


def test_xml_entities_are_refused_not_expanded():
    with pytest.raises(SpreadsheetError, match="已损坏"):
        read_table("a.xlsx", crafted_workbooks.entity_expansion())


def test_a_nul_byte_anywhere_in_a_csv_is_refused_with_its_line():
    lines = ["姓名,身份证号"] + [f"学员{n},52052619900307{n:03d}X" for n in range(300)]
    data = bytearray("\n".join(lines).encode())
    assert len(data) > 4096
    position = data.index("学员250".encode())
    data[position:position] = b"\x00"
    with pytest.raises(SpreadsheetError, match="第 252 行含有空字符"):
        read_table("a.csv", bytes(data))


@pytest.mark.parametrize("text", ["=1+1", "+86", "-2", "@SUM(A1)", "\tx", "\rx", "\nx",
                                  "＝1+1", "＋86", "－2", "＠SUM(A1)"])
def test_every_formula_start_is_neutralised(text):
    frame = pd.DataFrame({"备注": [text]})
    sheet = openpyxl.load_workbook(io.BytesIO(to_xlsx({"表": frame})))["表"]
    # (XML reads a carriage return back as a line feed)
    assert sheet["A2"].value == "'" + text.replace("\r", "\n") and sheet["A2"].data_type == "s"
    assert neutralise(text) == "'" + text
    assert to_csv(frame).decode("utf-8-sig").splitlines()[1].startswith(('"\'', "'"))
    assert neutralise("张三") == "张三"
