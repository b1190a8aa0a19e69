"""Forms of the report pages (filters read from the query string)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField

from trainhub.forms import ProvinceChoices, chosen, province_filter


class CoverageFilterForm(ProvinceChoices, FlaskForm):
    """Filters of the coverage page (GET)."""

    class Meta:
        csrf = False

    province = province_filter()
    gaps = BooleanField("只看有缺口的县")

    def filters(self) -> dict:
        return {"province_code": chosen(self.province), "gaps_only": bool(self.gaps.data)}
