"""Exports never carry a live formula, not even in a header taken from an uploaded file."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd

from trainhub.spreadsheets import to_csv, to_xlsx


def _frame() -> pd.DataFrame:
    # a rejected-rows sheet keeps the uploaded file's headers, whatever the county typed there
    frame = pd.DataFrame([["张三", "x"], ["李四", "y"]], columns=["姓名", '=HYPERLINK("http://evil","点我")'])
    return frame


def test_xlsx_header_from_an_upload_is_text_not_a_formula():
    sheet = openpyxl.load_workbook(io.BytesIO(to_xlsx({"未导入的行": _frame()})))["未导入的行"]
    header = sheet["B1"]
    assert header.data_type == "s"
    assert header.value == "'=HYPERLINK(\"http://evil\",\"点我\")"
    assert sheet["A1"].value == "姓名"
    assert sheet["B2"].value == "x"


def test_csv_header_from_an_upload_is_neutralised():
    first_line = to_csv(_frame()).decode("utf-8-sig").splitlines()[0]
    assert first_line.startswith("姓名,")
    assert "'=HYPERLINK" in first_line


def test_duplicate_headers_still_export():
    frame = pd.DataFrame([["=1+1", "-2"]], columns=["备注", "备注"])
    sheet = openpyxl.load_workbook(io.BytesIO(to_xlsx({"表": frame})))["表"]
    assert [sheet["A2"].value, sheet["B2"].value] == ["'=1+1", "'-2"]
