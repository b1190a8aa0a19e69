"""Places named in a roster: the county (by name, full name, short name or code, told apart
by province and prefecture), and the kind of an organisation."""

from __future__ import annotations

import re
import unicodedata

import sqlalchemy as sa

from trainhub.extensions import db
from trainhub.geo.models import County
from trainhub.orgs.models import OrgKind


def org_key(name: str) -> str:
    """An organisation name reduced to compare: half-width, no spaces."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name or ""))



KIND_WORDS = {
    "社工机构": OrgKind.AGENCY, "社会工作服务机构": OrgKind.AGENCY, "社会工作机构": OrgKind.AGENCY,
    "机构": OrgKind.AGENCY, "agency": OrgKind.AGENCY,
    "社工站": OrgKind.STATION, "乡镇社工站": OrgKind.STATION, "街道社工站": OrgKind.STATION,
    "乡镇(街道)社工站": OrgKind.STATION, "乡镇街道社工站": OrgKind.STATION, "工作站": OrgKind.STATION,
    "社会工作服务站": OrgKind.STATION, "station": OrgKind.STATION,
    "支援方": OrgKind.SUPPORTER, "支援方机构": OrgKind.SUPPORTER, "支援机构": OrgKind.SUPPORTER,
    "supporter": OrgKind.SUPPORTER,
}
_STATION_NAME = re.compile(r"社工站|工作站|服务站")


def parse_org_kind(value: str) -> OrgKind | None:
    """The organisation kind named in a cell; None when the cell is empty.

    Raises ValueError for a value that names no kind."""
    text = org_key(value).lower()
    if not text:
        return None
    try:
        return KIND_WORDS[text]
    except KeyError:
        raise ValueError(text) from None


def infer_org_kind(name: str) -> OrgKind:
    """社工站 / 工作站 / 服务站 in the name → a station; otherwise a social work agency."""
    return OrgKind.STATION if _STATION_NAME.search(name) else OrgKind.AGENCY


_PROVINCE_SUFFIX = re.compile(r"(省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区)$")
_PREFECTURE_SUFFIX = re.compile(r"(市|地区|盟|自治州)$")
_COUNTY_SUFFIX = re.compile(r"(自治县|自治旗|县|区|市|旗)$")


def _short(name: str, pattern: re.Pattern) -> str:
    short = pattern.sub("", name)
    return short if len(short) >= 2 else name


_PLACE_SUFFIX = re.compile(r"(省|市|州|地区|盟|自治区|自治州)$")


def _names_place(text: str, full: str, code: str | None = None) -> bool:
    """Whether ``text`` names the province or prefecture ``full``: in full, by its code, or
    shortened as people write it (``贵州`` for 贵州省, ``黔南州`` for 黔南布依族苗族自治州)."""
    if not text or text == full or (code is not None and text == code):
        return True
    stem = _PLACE_SUFFIX.sub("", text)
    return len(stem) >= 2 and full.startswith(stem)


class CountyIndex:
    """The county code list in memory, to resolve what people type in a county column."""

    def __init__(self):
        counties = list(db.session.scalars(sa.select(County)))
        self.by_code = {county.code: county for county in counties}
        self.current = [county for county in counties if county.is_current]
        self.by_name: dict[str, list[County]] = {}
        for county in self.current:
            self.by_name.setdefault(county.name, []).append(county)
        self._cache: dict[tuple[str, str, str], County | str] = {}

    def resolve(self, text: str, province: str = "", prefecture: str = "") -> County | str:
        """The county meant, or a Chinese message saying why none could be chosen."""
        key = (text, province, prefecture)
        if key not in self._cache:
            self._cache[key] = self._resolve(*key)
        return self._cache[key]

    def _resolve(self, text: str, province: str, prefecture: str) -> County | str:
        value = org_key(text)
        province = org_key(province)
        prefecture = org_key(prefecture)
        if re.fullmatch(r"\d{6}", value):
            county = self.by_code.get(value)
            if county is None:
                return f"县级代码 {value} 不在行政区划代码表中，请核对。"
            if not county.is_current:
                return (f"县级代码 {value}（{county.name}）已不在现行代码表中，"
                        "请填写现行的县级代码或县名。")
            if not self._agrees(county, province, prefecture):
                return (f"县级代码 {value} 是{county.province}{county.prefecture}{county.name}，"
                        "与所填的省份或地市不符。")
            return county
        if re.fullmatch(r"\d+", value):
            return "县级代码应为 6 位数字。"
        candidates = self.by_name.get(value) or self._by_full_name(value) or self._by_short_name(value)
        if not candidates:
            shown = text if len(text) <= 30 else text[:30] + "…"
            return f"未找到县（区）“{shown}”：请填写行政区划代码表中的县（区）名称或 6 位县级代码。"
        narrowed = [county for county in candidates if self._agrees(county, province, prefecture)]
        if len(narrowed) == 1:
            return narrowed[0]
        if not narrowed:
            return f"县（区）“{text}”与所填的省份或地市不符，请核对，或直接填写 6 位县级代码。"
        places = "、".join(f"{c.province}{c.prefecture}（{c.code}）" for c in narrowed[:6])
        return (f"有多个县（区）名为“{text}”：{places}。"
                "请在“省份”“地市”列注明，或直接填写 6 位县级代码。")

    @staticmethod
    def _agrees(county: County, province: str, prefecture: str) -> bool:
        return (_names_place(province, county.province, county.province_code)
                and _names_place(prefecture, county.prefecture))

    def _by_full_name(self, value: str) -> list[County]:
        """``贵州省毕节市威宁彝族回族苗族自治县``: the county named last, its places before it."""
        found = []
        for name, counties in self.by_name.items():
            if len(value) <= len(name) or not value.endswith(name):
                continue
            prefix = value[: -len(name)]
            for county in counties:
                rest = prefix
                for place in (county.province, _short(county.province, _PROVINCE_SUFFIX)):
                    if rest.startswith(place):
                        rest = rest[len(place):]
                        break
                for place in (county.prefecture, _short(county.prefecture, _PREFECTURE_SUFFIX)):
                    if rest.startswith(place):
                        rest = rest[len(place):]
                        break
                if not rest:
                    found.append(county)
        return found

    def _by_short_name(self, value: str) -> list[County]:
        """``威宁县`` for ``威宁彝族回族苗族自治县``: the same stem and the same kind of unit."""
        match = _COUNTY_SUFFIX.search(value)
        stem = value[: match.start()] if match else value
        if len(stem) < 2:
            return []
        suffix = match.group(0) if match else ""
        return [
            county for county in self.current
            if county.name.startswith(stem) and (not suffix or county.name.endswith(suffix))
        ]

