"""Filters of the timetable pages (GET: reading needs no CSRF token). A value that is not
one of the choices, an unreadable date or a range that ends before it starts is said under
its field and ignored: the page still lists, never a 500."""

from __future__ import annotations

import re
from datetime import date

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import Optional, ValidationError

from trainhub.courses.models import CourseMode
from trainhub.forms import LocalDateField, OneOfChoices, choices, chosen, clean
from trainhub.schedule.month import FIRST_YEAR, LAST_YEAR
from trainhub.schedule.queries import FilterChoices, SessionState, TimetableFilters

DATE_RANGE_ERROR = f"日期应在 {FIRST_YEAR} 年至 {LAST_YEAR} 年之间。"
PICK_FROM_LIST = "请从列表中选择{what}。"


def _select(label: str, empty: str, what: str) -> SelectField:
    return SelectField(label, choices=choices([("", empty)]), validate_choice=False,
                       validators=[Optional(), OneOfChoices(PICK_FROM_LIST.format(what=what))])


def _within_years(form, field) -> None:
    if field.data is not None and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
        raise ValidationError(DATE_RANGE_ERROR)


def _date(label: str) -> LocalDateField:
    return LocalDateField(label, validators=[Optional(), _within_years],
                          render_kw={"type": "date", "placeholder": "2023-03-01"})


class TimetableFilterForm(FlaskForm):
    """The filters above the timetable list."""

    class Meta:
        csrf = False

    phase = _select("阶段", "全部阶段", "阶段")
    track = _select("课程模块", "全部模块", "课程模块")
    course = _select("课程", "全部课程", "课程")
    instructor = _select("讲师", "全部讲师", "讲师")
    mode = SelectField("授课形式", choices=choices([("", "全部形式"), *CourseMode.choices()]),
                       validate_choice=False,
                       validators=[Optional(), OneOfChoices(PICK_FROM_LIST.format(what="授课形式"))])
    status = SelectField("状态", choices=choices([("", "全部状态"), *SessionState.choices()]),
                         validate_choice=False,
                         validators=[Optional(), OneOfChoices(PICK_FROM_LIST.format(what="状态"))])
    date_from = _date("开始日期")
    date_to = _date("结束日期")

    NAMES = ("phase", "track", "course", "instructor", "mode", "status", "date_from", "date_to")

    def set_choices(self, options: FilterChoices) -> None:
        self.phase.choices = choices([("", "全部阶段")] + [(p.id, p.name) for p in options.phases])
        self.track.choices = choices(
            [("", "全部模块")]
            + [(t.id, f"{p.name} · {t.name}") for p in options.phases for t in p.tracks]
        )
        self.course.choices = choices([("", "全部课程"), *options.courses])
        self.instructor.choices = choices([("", "全部讲师"), *options.instructors])

    def validate_date_to(self, field) -> None:
        start = self.date_from.data
        if field.data is not None and start is not None and not self.date_from.errors \
                and field.data < start:
            raise ValidationError("结束日期不能早于开始日期。")

    def to_filters(self) -> TimetableFilters:
        """The filters the form holds; a refused value filters nothing (its field says why)."""
        self.validate()

        def number(field) -> int | None:
            value = chosen(field)
            return int(value) if value else None

        mode, state = chosen(self.mode), chosen(self.status)
        return TimetableFilters(
            phase_id=number(self.phase),
            track_id=number(self.track),
            course_id=number(self.course),
            instructor_id=number(self.instructor),
            mode=CourseMode(mode) if mode else None,
            state=SessionState(state) if state else None,
            date_from=chosen(self.date_from),
            date_to=chosen(self.date_to),
        )

    def args(self) -> dict[str, str]:
        """The filters as given (an empty one too: a cleared start date means every session)
        or as defaulted, for the page links to keep."""
        values = {}
        for name in self.NAMES:
            field = self._fields[name]
            if field.raw_data:
                values[name] = field.raw_data[0]
            elif field.data:
                values[name] = field._value()
        return values

    @classmethod
    def asked(cls, args) -> bool:
        """Whether the query string ``args`` names any filter (an empty one included: a
        cleared start date asks for every session)."""
        return any(name in args for name in cls.NAMES)


MONTH_PATTERN = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")


class MonthForm(FlaskForm):
    """Which month the calendar shows: ``2023-05``; empty is the current month."""

    class Meta:
        csrf = False

    month = StringField("月份", filters=[clean], render_kw={"type": "month", "placeholder": "2023-05"})

    def chosen_month(self, default: date) -> date:
        """The month asked for (its first day), or ``default`` with the reason under the field."""
        text = self.month.data or ""
        if not text:
            return default
        found = MONTH_PATTERN.match(text)
        if found is None or not 1 <= int(found.group(2)) <= 12:
            self.month.errors = ["月份无效，请按 2023-05 的格式填写。已显示本月。"]
            return default
        year, month = int(found.group(1)), int(found.group(2))
        if not FIRST_YEAR <= year <= LAST_YEAR:
            self.month.errors = [f"月份应在 {FIRST_YEAR} 年至 {LAST_YEAR} 年之间。已显示本月。"]
            return default
        return date(year, month, 1)
