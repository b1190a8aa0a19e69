"""Forms of the organisation and pairing pages.

Every message is Chinese: choices are checked by our own validators rather than WTForms'
English built-ins. The forms check shape (required, lengths, a choice from the list);
:mod:`trainhub.orgs.operations` checks meaning (the county, the credit code, the parties of
a pairing, uniqueness) with the same messages the API gives.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from trainhub.forms import (
    DateRequired,
    FieldErrors,
    LocalDateField,
    Mandatory,
    OneOfChoices,
    ProvinceChoices,
    choices,
    chosen,
    clean,
    clean_multiline,
    province_filter,
)
from trainhub.orgs.models import OrgKind, PairingStatus
from trainhub.orgs.pairings import PAIRING_NOTE_LIMIT


class _CountyFilter:
    """A county filter typed as a 6-digit code or part of a county's name."""

    def validate_county(self, field) -> None:
        if field.data and field.data.isdigit() and len(field.data) != 6:
            raise ValidationError("县级代码应为 6 位数字；也可填写县名。")

    def _county_filters(self) -> dict:
        county = self.county.data if self.county.data and not self.county.errors else None
        return {
            "county_code": county if county and county.isdigit() else None,
            "county_name": county if county and not county.isdigit() else None,
        }


KIND_CHOICE_ERROR = "请从列表中选择机构类型。"


# organisations -------------------------------------------------------------------------------


class OrganisationFilterForm(_CountyFilter, ProvinceChoices, FlaskForm):
    """Filters of the organisation list (GET; no CSRF token needed to read)."""

    class Meta:
        csrf = False

    kind = SelectField("机构类型", choices=choices([("", "全部类型"), *OrgKind.choices()]),
                       validate_choice=False, validators=[Optional(), OneOfChoices(KIND_CHOICE_ERROR)])
    province = province_filter()
    county = StringField("县（区）", filters=[clean],
                         validators=[Optional(), Length(max=30, message="最多 30 个字符。")],
                         render_kw={"placeholder": "县名或 6 位代码"})
    priority = BooleanField("仅重点帮扶县")
    q = StringField("搜索", filters=[clean],
                    validators=[Optional(), Length(max=50, message="最多 50 个字符。")],
                    render_kw={"placeholder": "机构名称或统一社会信用代码"})

    def filters(self) -> dict:
        """Keyword filters for :func:`trainhub.orgs.queries.organisation_list_stmt`; a field
        with an error filters nothing."""
        return {
            "kind": chosen(self.kind),
            "province_code": chosen(self.province),
            **self._county_filters(),
            "priority_only": bool(self.priority.data),
            "q": chosen(self.q),
        }


class OrganisationForm(FieldErrors, FlaskForm):
    """Register or edit an organisation."""

    name = StringField(
        "机构名称", filters=[clean],
        validators=[DataRequired("请填写机构名称。"),
                    Length(min=2, max=120, message="机构名称应为 2–120 个字符。")],
        description="同一县内不能重名。",
    )
    kind = SelectField(
        "机构类型", choices=choices([("", "请选择"), *OrgKind.choices()]), validate_choice=False,
        validators=[DataRequired("请选择机构类型。"), OneOfChoices(KIND_CHOICE_ERROR)],
    )
    county = StringField(
        "所在县（区）", filters=[clean],
        validators=[DataRequired("请填写所在县（6 位县级代码或县名）。"),
                    Length(max=30, message="最多 30 个字符。")],
        description="填写 6 位县级代码（如 520204）或县名（如 水城区）；同名的县请填写代码。",
        render_kw={"list": "county-options", "autocomplete": "off"},
    )
    credit_code = StringField(
        "统一社会信用代码", filters=[clean],
        validators=[Optional(), Length(max=30, message="统一社会信用代码应为 18 位。")],
        description="18 位，可留空；填写时按国家标准核对校验位。",
    )
    address = StringField("地址", filters=[clean],
                          validators=[Optional(), Length(max=200, message="地址不能超过 200 个字符。")])
    contact_name = StringField(
        "联系人", filters=[clean],
        validators=[Optional(), Length(max=50, message="联系人不能超过 50 个字符。")],
    )
    contact_phone = StringField(
        "联系电话", filters=[clean],
        validators=[Optional(), Length(max=30, message="联系电话不能超过 30 个字符。")],
        description="11 位手机号码，或带区号的固定电话，如 13812345678、0858-8221234。",
        render_kw={"inputmode": "tel"},
    )

    FIELD_OF_ERROR = {"county_code": "county"}

    def describe_hidden_phone(self, masked: str) -> None:
        """For editors who may not see the number in full: the box starts empty and, left
        empty, keeps the number (``update_organisation``)."""
        self.contact_phone.description = f"当前为 {masked}。留空则不修改；填写则替换为新的号码。"

    def values(self) -> dict:
        """The fields as :func:`~trainhub.orgs.operations.create_organisation` takes them
        (the county still as typed: the view resolves it)."""
        return {
            "name": self.name.data,
            "kind": self.kind.data,
            "credit_code": self.credit_code.data or None,
            "address": self.address.data or None,
            "contact_name": self.contact_name.data or None,
            "contact_phone": self.contact_phone.data or None,
        }


# pairings ------------------------------------------------------------------------------------

STATUS_FILTER_CHOICES = [("", "全部状态"), *PairingStatus.choices()]


class PairingFilterForm(_CountyFilter, ProvinceChoices, FlaskForm):
    """Filters of the pairing list (GET)."""

    class Meta:
        csrf = False

    status = SelectField("状态", choices=choices(STATUS_FILTER_CHOICES), validate_choice=False,
                         validators=[Optional(), OneOfChoices("请从列表中选择状态。")])
    province = province_filter("受援方省份")
    county = StringField("受援方县（区）", filters=[clean],
                         validators=[Optional(), Length(max=30, message="最多 30 个字符。")],
                         render_kw={"placeholder": "县名或 6 位代码"})
    q = StringField("搜索", filters=[clean],
                    validators=[Optional(), Length(max=50, message="最多 50 个字符。")],
                    render_kw={"placeholder": "支援方或受援方名称"})

    def filters(self) -> dict:
        """Keyword filters for :func:`trainhub.orgs.queries.pairing_list_stmt`."""
        return {
            "status": chosen(self.status),
            "province_code": chosen(self.province),
            **self._county_filters(),
            "q": chosen(self.q),
        }


class PairingForm(FieldErrors, FlaskForm):
    """Register a pairing (office)."""

    supporter_id = SelectField("支援方机构", choices=choices([("", "请选择")]),
                               validate_choice=False, validators=[Mandatory()],
                               description="类型为“支援方机构”的机构。")
    recipient_id = SelectField(
        "受援方机构", choices=choices([("", "请选择")]), validate_choice=False,
        validators=[Mandatory()],
        description="重点帮扶县内的社工机构或乡镇（街道）社工站，按县排列。",
    )
    started_on = LocalDateField("开始日期", validators=[DateRequired("请填写开始日期。")])
    ended_on = LocalDateField("结束日期", validators=[Optional()],
                              description="可留空；结对结束时再填写。")
    note = TextAreaField(
        "备注", filters=[clean_multiline],
        validators=[Optional(), Length(max=PAIRING_NOTE_LIMIT,
                                       message=f"备注不能超过 {PAIRING_NOTE_LIMIT} 个字符。")],
        description="例如结对协议、帮扶内容。",
    )

    def set_choices(self, supporters, recipients) -> None:
        self.supporter_id.choices = choices(
            [("", "请选择")] + [(o.id, f"{o.name}（{o.county.province}{o.county.name}）")
                               for o in supporters]
        )
        self.recipient_id.choices = choices(
            [("", "请选择")] + [(o.id, f"{o.county.province}{o.county.name} · {o.name}（{o.kind.label}）")
                               for o in recipients]
        )

    @staticmethod
    def _id(value):
        """A whole number as such; anything else as typed, for the operation to refuse."""
        value = (value or "").strip()
        return int(value) if value.isdigit() else (value or None)

    def values(self) -> dict:
        return {
            "supporter_id": self._id(self.supporter_id.data),
            "recipient_id": self._id(self.recipient_id.data),
            "started_on": self.started_on.data,
            "ended_on": self.ended_on.data,
            "note": self.note.data or None,
        }


class PairingEndForm(FieldErrors, FlaskForm):
    """End a pairing (office)."""

    ended_on = LocalDateField("结束日期", validators=[DateRequired("请填写结束日期。")],
                              description="结对自该日起不再进行。")
    note = TextAreaField(
        "备注", filters=[clean_multiline],
        validators=[Optional(), Length(max=PAIRING_NOTE_LIMIT,
                                       message=f"备注不能超过 {PAIRING_NOTE_LIMIT} 个字符。")],
        description="可留空；填写则替换原备注，例如结束原因。",
    )
