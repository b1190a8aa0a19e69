"""Resident identity card numbers (公民身份号码, GB 11643-1999).

An 18-character number: a 6-digit administrative division code (where and when it was
issued), the birth date ``YYYYMMDD``, a 3-digit sequence whose last digit is odd for men and
even for women, and a check character computed with ISO 7064 MOD 11-2 (``X`` stands for 10).

The division code is checked only for a valid province prefix: an ID keeps the code of the
place and time where it was issued, and codes change (see ``shared/data/README.md``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from trainhub.learners.models import Gender
from trainhub.pii import ID_NUMBER_SHAPE, normalize_id_number

#: Weights of the first 17 digits, ``2**(17-i) mod 11`` (GB 11643-1999, 5.3 / ISO 7064).
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
#: Check character for each remainder of the weighted sum modulo 11.
CHECK_CHARACTERS = "10X98765432"

#: Province-level codes (GB/T 2260) that appear as the first two digits: the 31 mainland
#: provinces, and 81/82/83 used by residence permits of Hong Kong, Macao and Taiwan residents.
PROVINCE_CODES = frozenset({
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
    "65", "81", "82", "83",
})

EARLIEST_BIRTH_DATE = date(1900, 1, 1)



class IdNumberError(ValueError):
    """Why a number is not a valid resident ID number; ``message`` is Chinese.

    The message never repeats the number itself: it is personal data and error messages
    end up in logs.
    """

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class IdNumber:
    number: str
    birth_date: date
    gender: Gender

    @property
    def division_code(self) -> str:
        return self.number[:6]

    @property
    def province_code(self) -> str:
        return self.number[:2]


#: Strip spaces, turn full-width characters half-width and ``x`` into ``X`` (one definition,
#: in :mod:`trainhub.pii`, shared by every feature that reads ID numbers).
normalize = normalize_id_number


def check_character(first17: str) -> str:
    """The check character for the first 17 digits."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("the check character needs exactly 17 digits")
    total = sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARACTERS[total % 11]


def parse(value: str | None, *, today: date | None = None) -> IdNumber:
    """Validate and normalise ``value``; raises :class:`IdNumberError` with a Chinese reason."""
    number = normalize(value)
    if not number:
        raise IdNumberError("请填写身份证号码。")
    if len(number) == 15 and number.isdigit():
        raise IdNumberError("这是 15 位的旧身份证号码，请填写 18 位的公民身份号码。")
    if not ID_NUMBER_SHAPE.fullmatch(number):
        raise IdNumberError("身份证号码应为 18 位：前 17 位是数字，最后一位是数字或 X。")
    if number[:2] not in PROVINCE_CODES:
        raise IdNumberError("身份证号码的前两位不是有效的省级行政区划代码。")
    try:
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise IdNumberError("身份证号码中的出生日期（第 7–14 位）不是有效日期。") from None
    if birth < EARLIEST_BIRTH_DATE or birth > (today or date.today()):
        raise IdNumberError("身份证号码中的出生日期（第 7–14 位）不在合理范围内。")
    if check_character(number[:17]) != number[17]:
        raise IdNumberError("身份证号码校验位（最后一位）不正确，请核对后重新填写。")
    gender = Gender.MALE if int(number[16]) % 2 else Gender.FEMALE
    return IdNumber(number=number, birth_date=birth, gender=gender)


def is_valid(value: str | None) -> bool:
    try:
        parse(value)
    except IdNumberError:
        return False
    return True


def generate(rng: random.Random, division_code: str, birth_date: date, gender: Gender) -> str:
    """A synthetic, valid number for demo data and tests: random sequence, correct checksum.

    Valid by construction but random, so it may coincide with a real person's number: use it
    for synthetic data only, never to fill in a missing real one.
    """
    if len(division_code) != 6 or not division_code.isdigit():
        raise ValueError("division_code must be 6 digits")
    sequence = rng.randrange(0, 100)
    gender_digit = rng.choice((1, 3, 5, 7, 9) if gender == Gender.MALE else (0, 2, 4, 6, 8))
    first17 = f"{division_code}{birth_date:%Y%m%d}{sequence:02d}{gender_digit}"
    return first17 + check_character(first17)
