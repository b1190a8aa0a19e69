"""Resident ID numbers (GB 11643-1999): check character, validation, synthetic numbers."""

import random
from datetime import date

import pytest

from trainhub.learners import idcard
from trainhub.learners.models import Gender

#: The standard's own example (GB 11643-1999, annex): weighted sum 167, 167 mod 11 = 2 -> X.
STANDARD_EXAMPLE = "11010519491231002X"
#: Numbers widely used as test data, checked by hand with the weights 7 9 10 5 8 4 2 1 6 3 ...
KNOWN_VALID = ["110101199003074477", "110101199003072316", STANDARD_EXAMPLE]


@pytest.mark.parametrize("number", KNOWN_VALID)
def test_known_valid_numbers_pass(number):
    parsed = idcard.parse(number)
    assert parsed.number == number
    assert idcard.is_valid(number)


def test_check_character_of_the_standard_example():
    assert idcard.check_character(STANDARD_EXAMPLE[:17]) == "X"


def test_birth_date_and_gender_come_from_the_number():
    parsed = idcard.parse(STANDARD_EXAMPLE)
    assert parsed.birth_date == date(1949, 12, 31)
    assert parsed.gender == Gender.FEMALE  # 17th digit 2 is even
    assert parsed.province_code == "11"
    assert parsed.division_code == "110105"
    assert idcard.parse("110101199003074477").gender == Gender.MALE  # 7 is odd


@pytest.mark.parametrize("typed", ["11010519491231002x", " 110105 19491231 002X ", "１１０１０５１９４９１２３１００２Ｘ"])
def test_lower_case_x_spaces_and_full_width_are_normalised(typed):
    assert idcard.parse(typed).number == STANDARD_EXAMPLE


def test_wrong_check_digit_is_refused_with_a_chinese_reason():
    with pytest.raises(idcard.IdNumberError) as info:
        idcard.parse("110101199003074478")
    assert "校验位" in info.value.message
    assert "110101199003074478" not in info.value.message  # personal data stays out of messages
    assert not idcard.is_valid("110101199003074478")


def test_x_is_only_a_check_character():
    with pytest.raises(idcard.IdNumberError) as info:
        idcard.parse("1101011990030X4477")
    assert "18 位" in info.value.message
    # a number whose check character is a digit must not end in X
    assert not idcard.is_valid("11010119900307447X")


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("", "请填写"),
        ("11010519491231002", "18 位"),
        ("110105194912310021234", "18 位"),
        ("110105491231002", "15 位"),
        ("99010519491231002X", "省级"),
        ("110105194902300021", "出生日期"),
        ("110105209912310028", "出生日期"),
    ],
)
def test_malformed_numbers_are_refused(number, reason):
    with pytest.raises(idcard.IdNumberError) as info:
        idcard.parse(number)
    assert reason in info.value.message


def test_generated_numbers_are_valid_and_carry_what_was_asked():
    rng = random.Random(7)  # noqa: S311 (seeded on purpose: reproducible test data)
    for _ in range(500):
        born = date(rng.randint(1965, 2002), rng.randint(1, 12), rng.randint(1, 28))
        gender = rng.choice(list(Gender))
        number = idcard.generate(rng, "520526", born, gender)
        parsed = idcard.parse(number)
        assert parsed.division_code == "520526"
        assert parsed.birth_date == born
        assert parsed.gender == gender


def test_generator_produces_x_check_characters_too():
    rng = random.Random(1)  # noqa: S311 (seeded on purpose)
    numbers = [idcard.generate(rng, "513431", date(1990, 1, 1), Gender.FEMALE) for _ in range(300)]
    assert any(number.endswith("X") for number in numbers)
    assert all(idcard.is_valid(number) for number in numbers)


def test_generator_is_reproducible():
    seeded = [random.Random(3) for _ in range(3)]  # noqa: S311 (seeded on purpose)
    first = [idcard.generate(rng, "640324", date(1985, 5, 5), Gender.MALE) for rng in seeded]
    assert len(set(first)) == 1
