"""Workbooks of the import: the template people fill in (whose example row an import
recognises and leaves out) and the rows an import left out, with what is wrong in each.

Both are written through :func:`~trainhub.spreadsheets.to_xlsx`: text stays text and
formulas stay inert.
"""

from __future__ import annotations

import pandas as pd

from trainhub.imports.columns import COLUMNS, template_example
from trainhub.imports.plan import ImportPlan, RowAction, RowPlan
from trainhub.sheet_columns import template_workbook as sheet_template
from trainhub.spreadsheets import to_xlsx
from trainhub.uploads import max_bytes, max_rows, size_text

#: Header of the column that explains, in the rejected-rows workbook, what is wrong.
ERROR_COLUMN = "错误说明"
ROW_COLUMN = "原行号"


def _unique_headers(headers: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    unique = []
    for position, header in enumerate(headers):
        text = header.strip() or f"第 {position + 1} 列"
        seen[text] = seen.get(text, 0) + 1
        unique.append(text if seen[text] == 1 else f"{text} ({seen[text]})")
    return unique


def problem_text(row: RowPlan) -> str:
    return "；".join(f"{problem.column}：{problem.message}" for problem in row.problems)


def rejected_rows_workbook(plan: ImportPlan) -> bytes | None:
    """The rejected rows with their original columns, the row number and what is wrong."""
    rejected = plan.of(RowAction.REJECTED)
    if not rejected:
        return None
    headers = _unique_headers(plan.columns.headers)
    width = len(headers)
    records = []
    for row in rejected:
        cells = (row.cells + [""] * width)[:width]
        records.append([*cells, row.row, problem_text(row)])
    frame = pd.DataFrame(records, columns=[*headers, ROW_COLUMN, ERROR_COLUMN], dtype=object)
    return to_xlsx({"未导入的行": frame})


def template_workbook() -> bytes:
    """The import template: the expected columns with an example row, and filling notes.

    The ID, phone and county columns are formatted as text, so that Excel keeps what is typed.
    """
    return sheet_template(
        COLUMNS, [template_example()], sheet="学员名单", text_keys=("id_number", "phone", "county"),
        overall_note="第一行是表头，从第二行起每行一名学员。第二行是示例（张晓明），"
                     "可以删除；留在文件中时导入会认出并跳过它，不会登记。"
                     "接受 .xlsx 和 .csv（UTF-8 或 GBK 编码）文件，最多 "
                     f"{max_rows()} 行（空行也计入）、{size_text(max_bytes())}。"
                     "以“=”“+”“-”“@”开头的内容按文字保存，不作公式计算。",
    )
