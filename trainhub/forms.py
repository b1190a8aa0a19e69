"""What every feature's WTForms forms share: the text-cleaning filters, choices, Chinese
validators and putting an operation's refusal under its field.

Forms check shape (required, lengths, a choice from the list); operations check meaning
with the same Chinese messages for every entry point. Every message here is Chinese:
choices are checked by :class:`OneOfChoices` rather than WTForms' English built-ins.
"""

from __future__ import annotations

from wtforms import DateField, SelectChoice, SelectField, StringField
from wtforms.validators import Optional, StopValidation, ValidationError

from trainhub.auth import Actor, outside_area
from trainhub.localtime import parse_clock
from trainhub.text import clean_line, clean_text


def clean(value):
    """Filter of one-line text fields: :func:`trainhub.text.clean_line` (None stays None)."""
    return clean_line(value) if isinstance(value, str) else value


def clean_multiline(value):
    """Filter of text areas: :func:`trainhub.text.clean_text` (None stays None)."""
    return clean_text(value) if isinstance(value, str) else value


def choices(pairs) -> list[SelectChoice]:
    """``SelectChoice`` items of ``(value, label)`` pairs; values become text."""
    return [SelectChoice(str(value), label) for value, label in pairs]


class OneOfChoices:
    """The value, when given, must be one of the field's non-empty choices."""

    def __init__(self, message: str):
        self.message = message

    def __call__(self, form, field):
        if field.data and field.data not in {c.value for c in field.choices if c.value}:
            raise ValidationError(self.message)


def chosen(field):
    """A filter field's value, or None when it is empty or refused (it then filters nothing)."""
    return field.data if field.data and not field.errors else None


PROVINCE_CHOICE_ERROR = "请从列表中选择省份。"


def province_filter(label: str = "省份") -> SelectField:
    """A province filter: all provinces, or one of the reader's (set by
    :meth:`ProvinceChoices.set_province_choices`)."""
    return SelectField(label, choices=choices([("", "全部省份")]), validate_choice=False,
                       validators=[Optional(), OneOfChoices(PROVINCE_CHOICE_ERROR)])


class ProvinceChoices:
    """Mix into a filter form with a :func:`province_filter` named ``province``."""

    def set_province_choices(self, provinces: list[tuple[str, str]]) -> None:
        """``provinces``: ``(code, name)`` pairs, e.g. :func:`trainhub.geo.queries.provinces`."""
        self.province.choices = choices([("", "全部省份"), *provinces])


class Mandatory:
    """Marks a field required (the asterisk) whose emptiness the operation refuses in words
    of its own (``请选择支援方机构。``), so that every refusal is reported at once."""

    field_flags = {"required": True}

    def __call__(self, form, field):
        pass


class DateRequired:
    """Like ``DataRequired``, but an unreadable date keeps its own message ("日期无效")
    instead of being told it is missing."""

    field_flags = {"required": True}

    def __init__(self, message: str):
        self.message = message

    def __call__(self, form, field):
        if field.process_errors:
            raise StopValidation()
        if field.data is None:
            raise StopValidation(self.message)


class LocalDateField(DateField):
    """A date typed or picked as ``2023-03-01``; an unreadable one is refused in Chinese."""

    def process_formdata(self, valuelist):
        if not valuelist or not "".join(valuelist).strip():
            self.data = None
            return
        try:
            super().process_formdata([value.strip() for value in valuelist])
        except ValueError:
            self.data = None
            raise ValueError("日期无效，请按 2023-03-01 的格式填写。") from None


class LocalTimeField(StringField):
    """A wall-clock time typed or picked as ``19:00`` (an ``<input type="time">``); an
    unreadable or impossible one (``25:00``) is refused in Chinese. ``data`` is a
    :class:`datetime.time` or None when blank."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {"type": "time"})
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        text = "".join(valuelist).strip() if valuelist else ""
        self.raw_text = text
        self.data = None
        if text:
            try:
                self.data = parse_clock(text, str(self.label.text))
            except ValueError as error:
                raise ValueError(str(error)) from None

    def _value(self):
        if self.data is not None and not isinstance(self.data, str):
            return self.data.strftime("%H:%M")
        return getattr(self, "raw_text", "") or (self.data or "")


class FieldErrors:
    """Put refusals of an operation under the fields they name (mix into a form).

    ``FIELD_OF_ERROR`` maps an operation's field names to the form's where they differ;
    a refusal of no visible field goes to the form's own errors.
    """

    FIELD_OF_ERROR: dict[str, str] = {}

    def add_error(self, field_name: str, message: str) -> None:
        name = self.FIELD_OF_ERROR.get(field_name, field_name)
        field = self._fields.get(name)
        if field is None or field.type in ("CSRFTokenField", "HiddenField"):
            self.form_errors.append(message)
        elif message not in field.errors:
            field.errors = [*field.errors, message]

    def has_error(self, field_name: str) -> bool:
        """Whether the field an operation calls ``field_name`` already shows an error."""
        field = self._fields.get(self.FIELD_OF_ERROR.get(field_name, field_name))
        return bool(field is not None and field.errors)

    def add_errors(self, errors: dict[str, str]) -> None:
        for field_name, message in errors.items():
            self.add_error(field_name, message)


def mark_outside_area(form, actor: Actor, names=("province", "county")) -> bool:
    """Say so under each area filter of ``form`` (a province or county code) that lies
    outside a coordinator's area, instead of a generic refusal; True when any did. The
    filter is ignored either way: the list shows the coordinator's own area."""
    found = False
    for name in names:
        field = form._fields.get(name)
        value = (field.data or "").strip() if field is not None and isinstance(field.data, str) else ""
        message = outside_area(actor, value) if value.isdigit() else None
        if message:
            field.errors = [message + "已忽略该筛选条件。"]
            found = True
    return found
