"""Forms of the county pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, Length, Optional

from trainhub.forms import (
    OneOfChoices,
    ProvinceChoices,
    choices,
    clean,
    clean_multiline,
    province_filter,
)

PRIORITY_FILTER_CHOICES = [("", "全部"), ("1", "仅重点帮扶县"), ("0", "非重点帮扶县")]


class CountyFilterForm(ProvinceChoices, FlaskForm):
    """Filters of the county list (GET; no CSRF token needed to read)."""

    class Meta:
        csrf = False

    province = province_filter()
    priority = SelectField("重点帮扶县", choices=choices(PRIORITY_FILTER_CHOICES), validate_choice=False,
                           validators=[Optional(), OneOfChoices("请从列表中选择：全部、仅重点帮扶县或非重点帮扶县。")])
    q = StringField("县名或代码", filters=[clean],
                    validators=[Optional(), Length(max=50, message="最多 50 个字符。")],
                    description="可输入县名、地市名或代码开头的数字。")


class PriorityFlagForm(FlaskForm):
    """Flag or unflag one county as a national key assistance county (office only)."""

    action = HiddenField(validators=[AnyOf(["flag", "unflag"], message="未知的操作。")])
    source = TextAreaField(
        "依据或原因", filters=[clean_multiline],
        validators=[Length(max=300, message="最多 300 个字符。")],
        description="标记时请写明依据（文件名称、文号或网址）；取消标记时请写明原因。",
    )
