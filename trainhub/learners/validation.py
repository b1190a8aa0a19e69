"""Validation of a learner's fields, shared by the web form, the API and the bulk import.

Each ``parse_*`` function takes what a person typed and returns the normalised value or
raises :class:`FieldError` with a Chinese message. Messages never repeat an ID or phone
number: they end up in previews, logs and rejected-row sheets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from trainhub.learners import idcard
from trainhub.learners.models import Gender, Qualification
from trainhub.pii import MOBILE_SHAPE, normalize_phone
from trainhub.refusals import Refusal
from trainhub.text import clean_line

#: Plausible ages of a working social worker (birth dates outside are typing errors).
MIN_AGE = 16
MAX_AGE = 80


class FieldError(Refusal):
    """A learner field that is not acceptable."""


_FULL_WIDTH = str.maketrans("０１２３４５６７８９－　（）", "0123456789- ()")
_NAME = re.compile(r"^[\u3400-\u9fffA-Za-z·•.\- ]{2,50}$")

GENDER_WORDS = {
    "男": Gender.MALE, "男性": Gender.MALE, "m": Gender.MALE, "male": Gender.MALE,
    "女": Gender.FEMALE, "女性": Gender.FEMALE, "f": Gender.FEMALE, "female": Gender.FEMALE,
}

QUALIFICATION_WORDS = {
    "": Qualification.NONE, "无": Qualification.NONE, "暂无": Qualification.NONE,
    "没有": Qualification.NONE, "-": Qualification.NONE, "/": Qualification.NONE,
    "none": Qualification.NONE, "未取得": Qualification.NONE,
    "助理社会工作师": Qualification.ASSISTANT, "助理社工师": Qualification.ASSISTANT,
    "初级": Qualification.ASSISTANT, "初级社会工作师": Qualification.ASSISTANT,
    "assistant": Qualification.ASSISTANT,
    "社会工作师": Qualification.SOCIAL_WORKER, "社工师": Qualification.SOCIAL_WORKER,
    "中级": Qualification.SOCIAL_WORKER, "中级社会工作师": Qualification.SOCIAL_WORKER,
    "social_worker": Qualification.SOCIAL_WORKER,
    "高级社会工作师": Qualification.SENIOR, "高级社工师": Qualification.SENIOR,
    "高级": Qualification.SENIOR, "senior": Qualification.SENIOR,
}


def parse_name(value: str | None) -> str:
    name = clean_line(value)
    if not name:
        raise FieldError("name", "请填写姓名。")
    if not _NAME.fullmatch(name):
        raise FieldError("name", "姓名应为 2–50 个汉字或字母（少数民族姓名可用“·”分隔）。")
    return name


def parse_id_number(value: str | None, *, today: date | None = None) -> idcard.IdNumber:
    """A valid ID number of a person of working age (:data:`MIN_AGE`–:data:`MAX_AGE`)."""
    try:
        parsed = idcard.parse(value, today=today)
    except idcard.IdNumberError as exc:
        raise FieldError("id_number", exc.message) from None
    now = today or date.today()
    born = parsed.birth_date
    age = now.year - born.year - ((now.month, now.day) < (born.month, born.day))
    if not MIN_AGE <= age <= MAX_AGE:
        raise FieldError("id_number",
                         f"身份证号码中的出生日期不合理：学员年龄应在 {MIN_AGE}–{MAX_AGE} 岁之间。")
    return parsed


def parse_phone(value: str | None, *, required: bool = True) -> str | None:
    phone = normalize_phone(value)
    if not phone:
        if required:
            raise FieldError("phone", "请填写手机号码。")
        return None
    if not MOBILE_SHAPE.fullmatch(phone):
        raise FieldError("phone", "手机号码应为 11 位数字、以 13–19 开头的中国大陆手机号。")
    return phone


def parse_gender(value: str | None) -> Gender | None:
    text = (value or "").strip().lower()
    if not text:
        return None
    try:
        return GENDER_WORDS[text]
    except KeyError:
        raise FieldError("gender", "性别应填写“男”或“女”。") from None


def parse_qualification(value: str | None) -> Qualification:
    text = re.sub(r"\s+", "", (value or "")).lower()
    try:
        return QUALIFICATION_WORDS[text]
    except KeyError:
        raise FieldError(
            "qualification", "职业资格应为：助理社会工作师、社会工作师、高级社会工作师或无。"
        ) from None


def parse_date(value: str | date | None, field: str, label: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    text = value.strip().translate(_FULL_WIDTH)
    text = re.sub(r"[年月/.]", "-", text).rstrip("日").split(" ")[0]
    match = re.fullmatch(r"(\d{4})-?(\d{1,2})-?(\d{1,2})", text)
    if match:
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            pass
    raise FieldError(field, f"{label}不是有效日期，请按 2023-03-01 的格式填写。")


@dataclass
class LearnerFields:
    """A learner's personal fields after validation (the organisation is resolved apart)."""

    name: str
    id_number: str
    gender: Gender
    birth_date: date
    phone: str | None
    position: str | None
    qualification: Qualification
    joined_on: date | None


def check_learner_fields(raw: dict, *, phone_required: bool = True, today: date | None = None
                         ) -> tuple[LearnerFields | None, dict[str, str]]:
    """Validate the personal fields of one learner.

    ``raw`` holds text as typed under the keys ``name``, ``id_number``, ``phone``, ``gender``,
    ``birth_date``, ``position``, ``qualification``, ``joined_on``. Gender and birth date, when
    given, must agree with the ID number (which is the source of truth for both).
    Returns the clean fields, or None and a Chinese message per field.
    """
    errors: dict[str, str] = {}
    values: dict = {}

    def attempt(key, func, *args, **kwargs):
        try:
            values[key] = func(*args, **kwargs)
        except FieldError as exc:
            errors[exc.field] = exc.message

    attempt("name", parse_name, raw.get("name"))
    attempt("id", parse_id_number, raw.get("id_number"), today=today)
    attempt("phone", parse_phone, raw.get("phone"), required=phone_required)
    attempt("gender", parse_gender, raw.get("gender"))
    attempt("birth_date", parse_date, raw.get("birth_date"), "birth_date", "出生日期")
    attempt("qualification", parse_qualification, raw.get("qualification"))
    attempt("joined_on", parse_date, raw.get("joined_on"), "joined_on", "入职日期")
    position = clean_line(raw.get("position")) or None
    if position and len(position) > 50:
        errors["position"] = "职务不能超过 50 个字。"

    parsed: idcard.IdNumber | None = values.get("id")
    if parsed is not None:
        if values.get("gender") and values["gender"] != parsed.gender:
            errors["gender"] = f"性别与身份证号码不一致：身份证号码显示为“{parsed.gender.label}”。"
        if values.get("birth_date") and values["birth_date"] != parsed.birth_date:
            errors["birth_date"] = "出生日期与身份证号码中的出生日期不一致。"
        joined = values.get("joined_on")
        if joined and (joined < parsed.birth_date or joined > (today or date.today())):
            errors["joined_on"] = "入职日期应在出生日期之后、且不晚于今天。"
    if errors:
        return None, errors
    return (
        LearnerFields(
            name=values["name"],
            id_number=parsed.number,
            gender=parsed.gender,
            birth_date=parsed.birth_date,
            phone=values["phone"],
            position=position,
            qualification=values["qualification"],
            joined_on=values.get("joined_on"),
        ),
        {},
    )
