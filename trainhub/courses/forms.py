"""Forms of the course pages: filters, finding learners, enrolment (a selection, an
organisation, a county) and withdrawal. Every message is Chinese: choices are checked by
our own validators, not WTForms' English built-ins."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from trainhub.courses.operations import WITHDRAW_REASON_MAX
from trainhub.forms import OneOfChoices, choices, clean

WAITLIST_LABEL = "课程已满时进入候补名单"
ARCHIVED_LABEL = "显示已归档"


def archived_label(item) -> str:
    """A phase's or track's name for a choice, marked when it is archived."""
    return f"{item.name}（已归档）" if item.archived_at else item.name
WAITLIST_HELP = "不勾选时，课程已满则不予报名。"


class IdListField(SelectMultipleField):
    """Ticked checkboxes carrying record ids (whole numbers)."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, validate_choice=False, **kwargs)

    def process_formdata(self, valuelist):
        try:
            self.data = [int(value) for value in valuelist]
        except ValueError:
            self.data = []
            raise ValueError("所选学员无效，请重新查找后勾选。") from None


class IdField(HiddenField):
    """A hidden record id (a whole number)."""

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist and valuelist[0].strip():
            try:
                self.data = int(valuelist[0])
            except ValueError:
                raise ValueError("所选机构无效，请重新查找。") from None

    def _value(self):
        return "" if self.data is None else str(self.data)


class CourseFilterForm(FlaskForm):
    """Filters of the course list (GET, no CSRF token needed to read)."""

    class Meta:
        csrf = False

    phase = SelectField("阶段", choices=choices([("", "全部阶段")]), validate_choice=False,
                        validators=[Optional(), OneOfChoices("请从列表中选择阶段。")])
    track = SelectField("课程模块", choices=choices([("", "全部模块")]), validate_choice=False,
                        validators=[Optional(), OneOfChoices("请从列表中选择课程模块。")])
    q = StringField("课程名称或编号", filters=[clean],
                    validators=[Optional(), Length(max=50, message="最多 50 个字。")])
    archived = BooleanField(ARCHIVED_LABEL)

    def set_choices(self, phases) -> None:
        """Phases and tracks to filter by: those in use, or every one when the list shows
        archived courses too."""
        every = bool(self.archived.data)
        self.phase.choices = choices([("", "全部阶段")] + [(p.id, archived_label(p)) for p in phases])
        self.track.choices = choices(
            [("", "全部模块")] + [(t.id, f"{p.name} · {archived_label(t)}") for p in phases
                                  for t in p.tracks if every or not t.archived_at]
        )


class LearnerSearchForm(FlaskForm):
    """Find learners to enrol. Sent by POST: a whole ID or phone number must not end up in a
    URL (browser history, proxy and server logs)."""

    q = StringField(
        "查找学员", filters=[clean],
        validators=[Optional(), Length(max=50, message="最多 50 个字。")],
        description="输入姓名或所在机构名称的一部分，或完整的身份证号码、手机号码。",
        render_kw={"autocomplete": "off"},
    )


class _LateConfirmation:
    """The explicit confirmation an enrolment in a course under way or ended needs (the view
    asks for it only then: see :class:`trainhub.courses.queries.CourseTiming`)."""

    confirm_late = BooleanField("我已了解上述情况，仍要报名")


class EnrolSelectionForm(_LateConfirmation, FlaskForm):
    """Enrol the learners ticked in a search result (one or many)."""

    learner_ids = IdListField("学员")
    waitlist = BooleanField(WAITLIST_LABEL, default=True, description=WAITLIST_HELP)
    q = HiddenField()

    def validate_learner_ids(self, field):
        if not field.data and not field.errors:
            raise ValidationError("请至少勾选一名学员。")


class EnrolOrganisationForm(_LateConfirmation, FlaskForm):
    """Enrol every learner of one organisation."""

    organisation_id = IdField("机构")
    waitlist = BooleanField(WAITLIST_LABEL, default=True, description=WAITLIST_HELP)
    q = HiddenField()

    def validate_organisation_id(self, field):
        if field.data is None and not field.errors:
            raise ValidationError("请选择机构。")


class EnrolCountyForm(_LateConfirmation, FlaskForm):
    """Enrol every learner of one county (within the user's area)."""

    county = SelectField("县区", choices=choices([("", "请选择县区")]), validate_choice=False,
                         validators=[DataRequired("请选择县区。"),
                                     OneOfChoices("请从列表中选择县区（仅限您负责区域内有学员的县区）。")])
    waitlist = BooleanField(WAITLIST_LABEL, default=True, description=WAITLIST_HELP)

    def set_choices(self, counties) -> None:
        self.county.choices = choices([("", "请选择县区")] + [(c.code, c.label) for c in counties])


class WithdrawForm(FlaskForm):
    reason = TextAreaField(
        "退课原因", filters=[clean],
        validators=[DataRequired("请填写退课原因。"),
                    Length(max=WITHDRAW_REASON_MAX, message=f"退课原因最多 {WITHDRAW_REASON_MAX} 个字。")],
        description="例如：工作调动、时间冲突、本人申请。退课后，候补名单上的第一位学员将自动补入。",
        render_kw={"rows": 3},
    )
    next = HiddenField()
