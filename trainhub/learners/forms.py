"""Forms of the learner pages.

The personal fields are plain text fields: their meaning is checked by
:func:`trainhub.learners.validation.check_learner_fields`, the same rules and Chinese
messages as the API and the bulk import. The forms only carry what was typed.
"""

from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import Length, Optional

from trainhub.forms import FieldErrors, choices, clean
from trainhub.learners.models import Qualification
from trainhub.learners.queries import LearnerFilters
from trainhub.orgs.models import Organisation

ACTIVATED_CHOICES = [("", "全部"), ("1", "已激活"), ("0", "未激活")]
GENDER_CHOICES = [("", "按身份证号码确定"), ("男", "男"), ("女", "女")]
BAD_FILTER = "无效的筛选条件，已忽略。"


def organisation_choices(organisations: list[Organisation], *, empty: str) -> list[SelectChoice]:
    return choices(
        [("", empty)] + [(str(org.id), f"{org.name}（{org.county.name}）") for org in organisations]
    )


class LearnerFilterForm(FlaskForm):
    """Filters and search above the learner list; also carried by the export and the
    activation-link buttons. Unknown values are reported and ignored, never a 500."""

    class Meta:
        csrf = False  # reading; the POST of a personal search is protected app-wide

    q = StringField(
        "搜索", filters=[clean],
        validators=[Optional(), Length(max=50, message="搜索内容不能超过 50 个字符。")],
        render_kw={"placeholder": "姓名，或完整的身份证号码、手机号码、用户名", "autocomplete": "off"},
    )
    province = SelectField("省份", choices=choices([("", "全部省份")]), validate_choice=False)
    county = SelectField("县区", choices=choices([("", "全部县区")]), validate_choice=False)
    organisation = SelectField("所在机构", choices=choices([("", "全部机构")]), validate_choice=False)
    qualification = SelectField(
        "职业资格", choices=choices([("", "全部"), *Qualification.choices()]), validate_choice=False
    )
    activated = SelectField("账号", choices=choices(ACTIVATED_CHOICES), validate_choice=False)

    def set_choices(self, provinces, counties, organisations, *, organisations_hint: str | None = None):
        self.province.choices = choices([("", "全部省份"), *provinces])
        self.county.choices = choices(
            [("", "全部县区")] + [(c.code, f"{c.name}（{c.code}）") for c in counties]
        )
        self.organisation.choices = organisation_choices(organisations, empty="全部机构")
        if organisations_hint:
            self.organisation.description = organisations_hint

    def _known(self, field) -> str | None:
        """The field's value if it is one of its choices; otherwise an error and None."""
        value = field.data or ""
        if not value:
            return None
        if value in {choice.value for choice in field.choices}:
            return value
        field.errors = [*field.errors, BAD_FILTER]
        return None

    def to_filters(self) -> LearnerFilters:
        """The filters the form holds (a value out of scope or malformed is ignored)."""
        self.validate()
        organisation_id = None
        raw_org = (self.organisation.data or "").strip()
        if raw_org:
            if raw_org.isdigit() and raw_org in {c.value for c in self.organisation.choices}:
                organisation_id = int(raw_org)
            else:
                self.organisation.errors = [*self.organisation.errors, BAD_FILTER]
        qualification = self._known(self.qualification)
        activated = self._known(self.activated)
        return LearnerFilters(
            organisation_id=organisation_id,
            county_code=self._known(self.county),
            province_code=self._known(self.province),
            qualification=Qualification(qualification) if qualification else None,
            activated={"1": True, "0": False}.get(activated or ""),
            q=None if self.q.errors else (self.q.data or None),
        )

    def args(self, *, include_q: bool = True) -> dict[str, str]:
        """The non-empty filter values, to carry into links and hidden form fields."""
        values = {name: (getattr(self, name).data or "") for name in
                  ("q", "province", "county", "organisation", "qualification", "activated")}
        if not include_q:
            values.pop("q")
        return {key: value for key, value in values.items() if value}


def _date_field(label: str, description: str | None = None) -> StringField:
    return StringField(label, filters=[clean], description=description,
                       render_kw={"type": "date", "placeholder": "2023-03-01"})


class _LearnerFields(FieldErrors, FlaskForm):
    name = StringField("姓名", filters=[clean], render_kw={"autocomplete": "off"})
    phone = StringField("手机号码", filters=[clean],
                        render_kw={"inputmode": "tel", "autocomplete": "off"})
    organisation_id = SelectField("所在机构", choices=[], validate_choice=False)
    position = StringField("职务/岗位", filters=[clean])
    qualification = SelectField("职业资格", choices=choices(Qualification.choices()),
                                default=Qualification.NONE.value, validate_choice=False)
    joined_on = _date_field("入职日期", "选填。")

    def set_organisations(self, organisations: list[Organisation]) -> None:
        self.organisation_id.choices = organisation_choices(organisations, empty="请选择所在机构")

    def selected_organisation_id(self) -> int | None:
        value = (self.organisation_id.data or "").strip()
        return int(value) if value.isdigit() else None

    def raw(self) -> dict:
        """What was typed, under the keys of ``check_learner_fields``."""
        return {
            "name": self.name.data,
            "phone": self.phone.data,
            "position": self.position.data,
            "qualification": self.qualification.data,
            "joined_on": self.joined_on.data,
        }


class LearnerForm(_LearnerFields):
    """Register a learner (the template places the fields in reading order)."""

    id_number = StringField(
        "身份证号码", filters=[clean],
        description="18 位公民身份号码，最后一位可以是 X。性别和出生日期由号码确定。",
        render_kw={"autocomplete": "off", "autocapitalize": "characters"},
    )
    gender = SelectField("性别", choices=choices(GENDER_CHOICES), validate_choice=False,
                         description="选填；填写时须与身份证号码一致。")
    birth_date = _date_field("出生日期", "选填；填写时须与身份证号码中的出生日期一致。")
    phone = StringField("手机号码", filters=[clean], description="11 位中国大陆手机号码。",
                        render_kw={"inputmode": "tel", "autocomplete": "off"})

    def raw(self) -> dict:
        return {**super().raw(), "id_number": self.id_number.data, "gender": self.gender.data,
                "birth_date": self.birth_date.data}


class LearnerEditForm(_LearnerFields):
    """Change a learner; the ID number is corrected apart (office only). The phone field
    starts empty so that its full value is not shown: left empty, it stays as it is."""

    def describe_phone(self, masked: str | None) -> None:
        if masked:
            self.phone.description = f"当前为 {masked}。留空则不修改；填写则替换为新的号码。"
        else:
            self.phone.description = "尚未登记手机号码；可在此补充。"


class IdNumberForm(FlaskForm):
    """Correct a mistyped ID number (office)."""

    id_number = StringField(
        "正确的身份证号码", filters=[clean],
        description="性别和出生日期将随新号码一并更正。此操作记入审计日志。",
        render_kw={"autocomplete": "off", "autocapitalize": "characters"},
    )


def parse_ids(values: list[str]) -> list[int] | None:
    """Learner ids ticked in the list; None when one of them is not a number."""
    ids = []
    for value in values:
        value = (value or "").strip()
        if not re.fullmatch(r"\d{1,12}", value):
            return None
        ids.append(int(value))
    return ids
