"""Synthetic Chinese names, phone numbers and organisation names for demo data.

Everything is drawn from a seeded ``random.Random`` passed in, so a seed always gives the
same data. None of it describes real people or organisations.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from trainhub.learners.models import Gender

#: Common surnames, roughly in order of frequency (weights fall off along the list).
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
    "龚邵万钱严覃武戴莫孔向汤"
)
_SURNAME_WEIGHTS = [1.0 / (1 + index / 8) for index in range(len(SURNAMES))]

GIVEN_MALE = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆旭宁龙林阳建国志文海东亮峰成永兵毅"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀玲桂英梅琳婷雪慧莉燕红萍倩颖洁佳丹蓉瑶璐晶欣悦露薇妍莹琴云凤兰"
GIVEN_EITHER = "晓春小思子佳雨若家天嘉一心文明"

#: Mobile number prefixes in use (China Mobile, Unicom, Telecom, Broadnet).
MOBILE_PREFIXES = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "147", "150", "151",
    "152", "153", "155", "156", "157", "158", "159", "166", "172", "173", "175", "176", "177",
    "178", "180", "181", "182", "183", "184", "185", "186", "187", "188", "189", "191", "193",
    "195", "196", "197", "198", "199",
)

TOWN_NAMES = (
    "城关", "新华", "龙场", "石门", "白云", "太平", "长安", "永安", "兴隆", "红岩", "清水", "河口",
    "平安", "双河", "三合", "大坪", "金星", "团结", "新民", "和平", "东风", "青山", "高坡", "马鞍",
    "花园", "桃源", "凤凰", "羊场", "柏杨", "安乐", "中和", "枫香", "麻柳", "大寨", "龙井", "响水",
    "田坝", "五里", "白沙", "黑石", "新场", "德胜", "育才", "观音", "黄泥", "沙坝", "茶园", "古城",
)
TOWN_SUFFIXES = (("镇", 6), ("乡", 3), ("街道", 1))

AGENCY_WORDS = (
    "阳光", "益民", "心连心", "同心", "爱心", "惠民", "和谐", "启明", "春晖", "明德", "乐群",
    "家园", "绿洲", "向日葵", "蒲公英", "暖阳", "助力", "善行", "仁和", "润心",
)
SUPPORTER_WORDS = ("恒爱", "启航", "众合", "善导", "和润", "仁爱", "同行", "立德", "明心", "博雅",
                   "睿智", "乐仁", "尚善", "益众", "汇爱", "馨和")


def person_name(rng: random.Random, gender: Gender) -> str:
    surname = rng.choices(SURNAMES, weights=_SURNAME_WEIGHTS)[0]
    pool = GIVEN_MALE if gender == Gender.MALE else GIVEN_FEMALE
    if rng.random() < 0.3:
        return surname + rng.choice(pool)
    first = rng.choice(GIVEN_EITHER + pool) if rng.random() < 0.4 else rng.choice(pool)
    second = rng.choice(pool)
    return surname + first + second


def mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def birth_date(rng: random.Random, first_year: int = 1965, last_year: int = 2002) -> date:
    """A birth date between the two years (inclusive), most around the early 1990s."""
    year = min(last_year, int(rng.triangular(first_year, last_year + 1, 1992)))
    start = date(year, 1, 1)
    return start + timedelta(days=rng.randrange((date(year + 1, 1, 1) - start).days))


def town_names(rng: random.Random, count: int) -> list[str]:
    """``count`` distinct township or street names, e.g. ``龙场镇``, ``城关街道``."""
    names = rng.sample(TOWN_NAMES, count)
    suffixes = [suffix for suffix, _ in TOWN_SUFFIXES]
    weights = [weight for _, weight in TOWN_SUFFIXES]
    return [name + rng.choices(suffixes, weights=weights)[0] for name in names]


def random_date(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randrange((last - first).days + 1))
