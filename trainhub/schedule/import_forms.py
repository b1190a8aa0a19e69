"""Forms of the schedule import pages (课次导入)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, StringField, SubmitField

from trainhub.forms import FieldErrors, clean
from trainhub.schedule.operations import REASON_MAX
from trainhub.spreadsheets import XLSX_MIMETYPE


class _ScheduleOptions(FlaskForm, FieldErrors):
    """The choices of an import: on the upload form, and again when confirming it."""

    allow_holidays = BooleanField(
        "允许在法定节假日排课",
        description="不勾选时，落在法定节假日（如 2023-05-01 劳动节）的行会被拒绝并写明节日。")
    override_reason = StringField(
        "覆盖时间冲突的理由", filters=[clean],
        description=f"可选，最多 {REASON_MAX} 个字。留空时，与已有课次或文件中其他行在讲师、共同学员、"
                    "场地上时间冲突的行会被拒绝；填写理由后照常排课，理由记录在这些课次和操作日志中。")

    def options(self) -> dict:
        return {"allow_holidays": bool(self.allow_holidays.data),
                "override_reason": self.override_reason.data or None}

    def set_options(self, options: dict) -> None:
        self.allow_holidays.data = bool(options.get("allow_holidays"))
        self.override_reason.data = options.get("override_reason") or ""


class ScheduleUploadForm(_ScheduleOptions):
    file = FileField(
        "课次文件",
        validators=[FileRequired("请选择要导入的 .xlsx 或 .csv 文件。")],
        description="Excel 工作簿（.xlsx）或 CSV 文件（UTF-8 或 GBK 编码），每行一个课次。"
                    "上传后先预览检查结果，确认后才会保存。",
        render_kw={"accept": f".xlsx,.csv,{XLSX_MIMETYPE},text/csv"},
    )


class ScheduleConfirmForm(_ScheduleOptions):
    #: Pressed instead of confirming: keep the choices and show the preview they give.
    recheck = SubmitField("按以上选项重新检查")
