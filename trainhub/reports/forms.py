"""Forms of the report pages (filters read from the query string)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField
from wtforms.validators import Optional

from trainhub.forms import OneOfChoices, choices


class CoverageFilterForm(FlaskForm):
    """Filters of the coverage page (GET)."""

    class Meta:
        csrf = False

    province = SelectField("省份", choices=choices([("", "全部省份")]), validate_choice=False,
                           validators=[Optional(), OneOfChoices("请从列表中选择省份。")])
    gaps = BooleanField("只看有缺口的县")

    def set_province_choices(self, provinces: list[tuple[str, str]]) -> None:
        self.province.choices = choices([("", "全部省份"), *provinces])

    def filters(self) -> dict:
        province = self.province.data if self.province.data and not self.province.errors else None
        return {"province_code": province, "gaps_only": bool(self.gaps.data)}
