"""Forms of the office's scheduling pages: one session (new, edit), a recurring series
(rule, preview, confirmation; edit and cancel the rest of it), cancelling and deleting.

The forms check shape (a date, a time such as 19:00, lengths, a choice from the list);
:mod:`trainhub.schedule.operations` and :mod:`trainhub.schedule.series` check meaning (the
phase window, the instructor teaches the course, clashes) with the same messages the API
gives, put under the fields by :class:`trainhub.forms.FieldErrors`.
"""

from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from trainhub.courses.models import Course, Venue
from trainhub.forms import (
    DateRequired,
    FieldErrors,
    LocalDateField,
    LocalTimeField,
    OneOfChoices,
    choices,
    clean,
)
from trainhub.localtime import WEEKDAYS
from trainhub.schedule.details import (
    MEETING_NUMBER_MAX,
    MEETING_URL_MAX,
    TITLE_MAX,
    VENUE_DETAIL_MAX,
)
from trainhub.schedule.operations import REASON_MAX
from trainhub.schedule.recurrence import MAX_OCCURRENCES

OVERRIDE_HELP = "仅在存在冲突时填写：说明为何仍要这样安排（例如两位讲师合上一次课）。理由会记入课次和操作日志。"


def _reason_field(label: str, description: str, *, required: bool = False):
    validators = [DataRequired(f"请填写{label}。")] if required else [Optional()]
    return StringField(label, filters=[clean], description=description,
                       validators=[*validators, Length(max=REASON_MAX, message=f"{label}最多 {REASON_MAX} 个字。")])


class _Details:
    """What every session of a form gets besides its times (instructor, venue, meeting)."""

    def set_choices(self, course: Course, venues: list[Venue]) -> None:
        self.instructor_id.choices = choices(
            [("", "课程的第一位讲师（默认）" if course.instructors else "暂不指定")]
            + [(user.id, user.display_name) for user in course.instructors])
        self.venue_id.choices = choices(
            [("", "不设场地（线上）")]
            + [(v.id, f"{v.name}（{v.county.province}{v.county.name}）{'（已归档）' if v.archived_at else ''}")
               for v in venues])

    def details(self) -> dict:
        """The details as the operations take them (ids as numbers, blanks as None)."""
        return {
            "title": self.title.data or None,
            "instructor_id": int(self.instructor_id.data) if self.instructor_id.data else None,
            "venue_id": int(self.venue_id.data) if self.venue_id.data else None,
            "venue_detail": self.venue_detail.data or None,
            "meeting_url": self.meeting_url.data or None,
            "meeting_number": self.meeting_number.data or None,
        }


def _detail_fields() -> tuple:
    """The detail fields, made anew for each form class where it places them (WTForms
    orders fields by when they were made): title, instructor, venue, venue detail, meeting
    link, meeting number."""
    return (
        StringField("本次课内容", filters=[clean],
                    validators=[Optional(), Length(max=TITLE_MAX, message=f"最多 {TITLE_MAX} 个字。")],
                    description="可留空，例如“社工机构战略规划”。"),
        SelectField("讲师", choices=choices([("", "课程的第一位讲师（默认）")]), validate_choice=False,
                    validators=[Optional(), OneOfChoices("请从列表中选择本课程的讲师。")]),
        SelectField("场地（线下课）", choices=choices([("", "不设场地（线上）")]), validate_choice=False,
                    validators=[Optional(), OneOfChoices("请从列表中选择场地。")],
                    description="线下或线上线下结合的课次选择实施点场地；线上课次留空。"),
        StringField("具体地点", filters=[clean],
                    validators=[Optional(), Length(max=VENUE_DETAIL_MAX, message=f"最多 {VENUE_DETAIL_MAX} 个字。")],
                    description="教室、楼层或路线，可留空。"),
        StringField("会议链接（线上课）", filters=[clean],
                    validators=[Optional(), Length(max=MEETING_URL_MAX, message=f"最多 {MEETING_URL_MAX} 个字符。")],
                    description="以 https:// 开头，例如腾讯会议的邀请链接。",
                    render_kw={"inputmode": "url", "autocomplete": "off"}),
        StringField("会议号", filters=[clean],
                    validators=[Optional(), Length(max=MEETING_NUMBER_MAX,
                                                   message=f"最多 {MEETING_NUMBER_MAX} 个字符。")],
                    description="例如 123 456 789。"),
    )


class SessionForm(_Details, FieldErrors, FlaskForm):
    """Schedule one session, or change one (``reason`` needed when it moves in time)."""

    day = LocalDateField("日期", validators=[DateRequired("请填写日期。")])
    starts_time = LocalTimeField("开始时间", validators=[DateRequired("请填写开始时间。")])
    ends_time = LocalTimeField("结束时间", validators=[DateRequired("请填写结束时间。")],
                               description="与开始时间在同一天。")
    title, instructor_id, venue_id, venue_detail, meeting_url, meeting_number = _detail_fields()
    reason = _reason_field("调课原因", "改动日期或时间时必填，例如“讲师出差，顺延一周”。")
    override_reason = _reason_field("覆盖冲突的理由", OVERRIDE_HELP)

    FIELD_OF_ERROR = {"starts_at": "day", "ends_at": "ends_time"}


class WeekdaysField(SelectMultipleField):
    """Ticked weekdays, 1 (Monday) … 7 (Sunday)."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, validate_choice=False,
                         choices=choices((n, WEEKDAYS[n - 1]) for n in range(1, 8)), **kwargs)

    def process_formdata(self, valuelist):
        try:
            self.data = sorted({int(value) for value in valuelist})
        except ValueError:
            self.data = []
            raise ValueError("星期应为 1（周一）到 7（周日）之间的数字。") from None

    def pre_validate(self, form):
        if any(not 1 <= day <= 7 for day in self.data or []):
            raise ValidationError("星期应为 1（周一）到 7（周日）之间的数字。")


class DatesField(SelectMultipleField):
    """Ticked dates (the holidays to keep), sent as ``2023-05-01``."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, validate_choice=False, **kwargs)

    def process_formdata(self, valuelist):
        try:
            self.data = sorted({date.fromisoformat(value.strip()) for value in valuelist})
        except ValueError:
            self.data = []
            raise ValueError("所选日期无效，请重新预览。") from None


class SeriesForm(_Details, FieldErrors, FlaskForm):
    """A recurrence rule and what its sessions get; previewed, then confirmed."""

    weekdays = WeekdaysField("每周")
    starts_time = LocalTimeField("开始时间", validators=[DateRequired("请填写开始时间。")])
    ends_time = LocalTimeField("结束时间", validators=[DateRequired("请填写结束时间。")])
    first_date = LocalDateField("首次日期", validators=[DateRequired("请填写首次日期。")],
                                description="从这一天起（含）按所选星期排课。")
    until_date = LocalDateField("结束日期", validators=[Optional()],
                                description="与“次数”二选一：到这一天为止（含）。")
    count = StringField("次数", filters=[clean], render_kw={"inputmode": "numeric"},
                        description=f"与“结束日期”二选一：共排多少次课（跳过的节假日不计），最多 {MAX_OCCURRENCES} 次。")
    skip_holidays = BooleanField("跳过法定节假日", default=True,
                                 description="节假日与调休安排以国务院办公厅的通知为准；预览会列出每个跳过的日期。")
    title, instructor_id, venue_id, venue_detail, meeting_url, meeting_number = _detail_fields()
    keep_holidays = DatesField("保留的节假日")
    override_reason = _reason_field("覆盖冲突的理由", OVERRIDE_HELP)
    #: What the preview shown was made from: a confirmation of anything else previews again.
    previewed = HiddenField()

    FIELD_OF_ERROR = {"occurrences": "count"}

    def validate_count(self, field) -> None:
        if field.data and not field.data.isdigit():
            raise ValidationError("次数应为正整数。")

    def count_value(self) -> int | None:
        return int(self.count.data) if self.count.data and self.count.data.isdigit() else None

    def fingerprint(self) -> str:
        """The rule, the details and the kept holidays as one text: what the preview showed."""
        parts = [",".join(map(str, self.weekdays.data or [])), str(self.starts_time.data),
                 str(self.ends_time.data), str(self.first_date.data), str(self.until_date.data),
                 str(self.count_value()), str(bool(self.skip_holidays.data)),
                 ",".join(day.isoformat() for day in self.keep_holidays.data or []),
                 *(str(value) for value in self.details().values())]
        return "|".join(parts)


class SeriesEditForm(_Details, FieldErrors, FlaskForm):
    """Change the rest of a series: its time, title, venue, meeting, instructor."""

    from_date = LocalDateField("从哪天起", validators=[DateRequired("请填写起始日期。")],
                               description="这一天及以后、尚未取消的课次按下面的内容修改；更早的课次不变。")
    starts_time = LocalTimeField("开始时间", validators=[DateRequired("请填写开始时间。")])
    ends_time = LocalTimeField("结束时间", validators=[DateRequired("请填写结束时间。")])
    title, instructor_id, venue_id, venue_detail, meeting_url, meeting_number = _detail_fields()
    reason = _reason_field("调课原因", "改动时间时必填。")
    override_reason = _reason_field("覆盖冲突的理由", OVERRIDE_HELP)


class CancelForm(FieldErrors, FlaskForm):
    """Cancel a session, or the rest of a series (``from_date``)."""

    from_date = LocalDateField("从哪天起", validators=[Optional()],
                               description="这一天及以后、尚未取消的课次都将取消。")
    reason = _reason_field("取消原因", "例如“讲师临时生病，另行安排补课”。学员和讲师会看到取消原因。",
                           required=True)


class DeleteForm(FieldErrors, FlaskForm):
    confirm = BooleanField("我确认删除此课次（删除后无法恢复）",
                           validators=[DataRequired("请勾选确认后再删除。")])
