"""Forms of the bulk import pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField
from wtforms.validators import Optional

from trainhub.forms import OneOfChoices, choices
from trainhub.spreadsheets import XLSX_MIMETYPE

VALID_ONLY_HELP = ("不勾选时，只要有一行有问题就不导入任何数据；勾选后只导入无误的行，"
                   "有问题的行可下载为 Excel 文件，修改后重新导入。")


class ImportUploadForm(FlaskForm):
    file = FileField(
        "学员名单文件",
        validators=[FileRequired("请选择要导入的 .xlsx 或 .csv 文件。")],
        description="Excel 工作簿（.xlsx）或 CSV 文件（UTF-8 或 GBK 编码），读取第一个工作表。"
                    "上传后先预览检查结果，确认后才会写入。",
        render_kw={"accept": f".xlsx,.csv,{XLSX_MIMETYPE},text/csv"},
    )
    valid_only = BooleanField("只导入无误的行", description=VALID_ONLY_HELP)
    enrol = SelectField("同时报名课程", choices=choices([("", "不报名")]),
                        validators=[Optional(), OneOfChoices("请从列表中选择课程。")],
                        validate_choice=False,
                        description="可选：把文件中的全部学员（新登记的和已登记的）报名到该课程；"
                                    "名额已满时进入候补名单。")

    def set_course_choices(self, courses: list[tuple[str, str]]) -> None:
        self.enrol.choices = choices([("", "不报名"), *courses])


class ImportConfirmForm(FlaskForm):
    valid_only = BooleanField("只导入无误的行", description=VALID_ONLY_HELP)
