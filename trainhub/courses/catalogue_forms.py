"""Forms of the catalogue pages: the programme, a phase, a track, a course, a venue.

They check shape only (lengths, a readable date); the operations check meaning — required
values, numbers and their ranges, windows, uniqueness, sessions — with the same Chinese
messages the API gives, and :class:`~trainhub.forms.FieldErrors` puts each refusal under its
field. Numbers are typed as text so that a mistyped one gets the operation's Chinese message
rather than WTForms' English one.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import Length, Optional

from trainhub.courses.course_edits import DESCRIPTION_MAX, TITLE_MAX
from trainhub.courses.models import CourseMode
from trainhub.courses.venues import ADDRESS_MAX
from trainhub.courses.venues import NAME_MAX as VENUE_NAME_MAX
from trainhub.forms import FieldErrors, LocalDateField, Mandatory, choices, clean, clean_multiline

NUMBER = {"inputmode": "numeric", "autocomplete": "off"}
DECIMAL = {"inputmode": "decimal", "autocomplete": "off"}
#: The choices of "whether excused sessions count against the rate", and their values.
EXCUSED_CHOICES = [("", "默认（按全局设置）"), ("true", "计入（请假算作未出勤）"),
                   ("false", "不计入（请假课次不计入出勤率的分子和分母）")]
EXCUSED_VALUES = {"": None, "true": True, "false": False}


def _name(label: str, limit: int = 100, description: str | None = None) -> StringField:
    return StringField(label, filters=[clean], description=description,
                       validators=[Mandatory(), Length(max=limit, message=f"{label}最多 {limit} 个字。")])


def _number(value) -> object:
    """Digits as a number; anything else as typed, for the operation to refuse."""
    value = (value or "").strip()
    return int(value) if value.isdigit() else (value or None)


class ArchivedToggleForm(FlaskForm):
    """The office's "显示已归档" switch of a list (GET)."""

    class Meta:
        csrf = False

    archived = BooleanField("显示已归档")


class VenueFilterForm(ArchivedToggleForm):
    """Filters of the venue list (GET)."""

    q = StringField("搜索", filters=[clean], render_kw={"placeholder": "场地名称或地址"},
                    validators=[Optional(), Length(max=50, message="最多 50 个字符。")])


class ProgrammeForm(FieldErrors, FlaskForm):
    name = _name("项目名称")
    starts_on = LocalDateField("开始日期", validators=[Mandatory()])
    ends_on = LocalDateField("结束日期", validators=[Mandatory()], description="项目的最后一天（含）。")

    def values(self) -> dict:
        return {"name": self.name.data, "starts_on": self.starts_on.data, "ends_on": self.ends_on.data}


class PhaseForm(FieldErrors, FlaskForm):
    number = StringField("阶段编号", filters=[clean], validators=[Mandatory()], render_kw=NUMBER,
                         description="1、2、3……同一项目内不能重复。")
    name = _name("阶段名称", description="例如：第二阶段。")
    starts_on = LocalDateField("开始日期", validators=[Mandatory()])
    ends_on = LocalDateField("结束日期", validators=[Mandatory()],
                             description="阶段的最后一天（含，北京时间）；阶段须在项目时间之内，本阶段的课次都须在阶段时间之内。")

    def values(self) -> dict:
        return {"number": _number(self.number.data), "name": self.name.data,
                "starts_on": self.starts_on.data, "ends_on": self.ends_on.data}


class TrackForm(FieldErrors, FlaskForm):
    name = _name("课程模块名称", description="同一阶段内不能重名。")
    position = StringField("排列顺序", filters=[clean], render_kw=NUMBER,
                           description="数字小的排在前面（0–999）；新建时留空则排在最后。")

    def values(self) -> dict:
        return {"name": self.name.data, "position": _number(self.position.data)}


class MultiCheckboxField(SelectMultipleField):
    """Several choices as checkboxes (``templates/_forms.html`` lays them out); values as
    sent, for the operation to check."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, validate_choice=False, **kwargs)


class CourseForm(FieldErrors, FlaskForm):
    code = StringField("课程编号", filters=[clean], render_kw={"autocomplete": "off"},
                       validators=[Mandatory(), Length(max=40, message="课程编号最多 32 个字符。")],
                       description="字母、数字和 - _ .，如 P2-ORG-01；保存为大写，全系统唯一（已归档课程的编号也不能再用）。")
    title = _name("课程名称", TITLE_MAX)
    track_id = SelectField("课程模块", choices=choices([("", "请选择")]), validate_choice=False,
                           validators=[Mandatory()])
    class_hours = StringField("学时", filters=[clean], validators=[Mandatory()], render_kw=DECIMAL,
                              description="结业后获得的学时，大于 0，最多一位小数，如 12 或 7.5。")
    mode = RadioField("授课形式", choices=choices(CourseMode.choices()), validate_choice=False,
                      validators=[Mandatory()])
    instructor_ids = MultiCheckboxField("讲师", description="可多选；仍担任本课程课次的讲师不能移出。")
    capacity = StringField("容量", filters=[clean], render_kw=NUMBER,
                           description="最多报名人数；留空为不限。不能低于已报名人数。")
    description = TextAreaField(
        "课程简介", filters=[clean_multiline], render_kw={"rows": 4},
        validators=[Optional(), Length(max=DESCRIPTION_MAX, message=f"课程简介最多 {DESCRIPTION_MAX} 个字。")],
    )
    min_attendance_percent = StringField("结业所需最低出勤率（%）", filters=[clean], validators=[Mandatory()],
                                         render_kw=DECIMAL, description="0–100，默认 80。")
    has_assessment = BooleanField("需要考核", description="勾选后须填写及格分数；结业须考核合格。")
    pass_score = StringField("及格分数", filters=[clean], render_kw=DECIMAL,
                             description="0–100，最多一位小数；需要考核时必填。")
    excused_counts_against = RadioField("请假是否计入出勤率", choices=choices(EXCUSED_CHOICES), default="",
                                        validate_choice=False)

    FIELD_OF_ERROR = {"completion_min_rate": "min_attendance_percent"}

    def set_choices(self, tracks: list[tuple[int, str]], instructors) -> None:
        self.track_id.choices = choices([("", "请选择"), *tracks])
        self.instructor_ids.choices = choices([(user.id, f"{user.display_name}（{user.username}）")
                                               for user in instructors])

    def values(self) -> dict:
        excused = self.excused_counts_against.data or ""
        return {
            "code": self.code.data,
            "title": self.title.data,
            "track_id": _number(self.track_id.data),
            "class_hours": self.class_hours.data or None,
            "mode": self.mode.data or None,
            "instructor_ids": [_number(value) for value in self.instructor_ids.data or []],
            "capacity": _number(self.capacity.data),
            "description": self.description.data or None,
            "min_attendance_percent": self.min_attendance_percent.data or None,
            "has_assessment": bool(self.has_assessment.data),
            "pass_score": self.pass_score.data or None,
            "excused_counts_against": EXCUSED_VALUES.get(excused, excused),
        }


class VenueForm(FieldErrors, FlaskForm):
    name = _name("场地名称", VENUE_NAME_MAX, description="例如：某某社会工作服务中心培训室；同一县内不能重名。")
    county = StringField(
        "所在县（区）", filters=[clean], validators=[Mandatory(), Length(max=30, message="最多 30 个字符。")],
        description="6 位县级代码（如 520204）或县名（如 水城区）。",
        render_kw={"list": "county-options", "autocomplete": "off"},
    )
    organisation = StringField(
        "承办机构", filters=[clean], validators=[Length(max=120, message="最多 120 个字符。")],
        description="可留空；填写时须为该县已登记的机构名称。",
        render_kw={"list": "organisation-options", "autocomplete": "off"},
    )
    address = StringField("地址", filters=[clean],
                          validators=[Length(max=ADDRESS_MAX, message=f"地址最多 {ADDRESS_MAX} 个字。")])
    capacity = StringField("可容纳人数", filters=[clean], render_kw=NUMBER, description="可留空。")

    FIELD_OF_ERROR = {"county_code": "county", "organisation_id": "organisation"}

    def values(self) -> dict:
        """The fields as :func:`~trainhub.courses.venues.create_venue` takes them, but for
        the county and the host organisation (typed as text: the view resolves them)."""
        return {"name": self.name.data, "address": self.address.data or None,
                "capacity": _number(self.capacity.data)}
