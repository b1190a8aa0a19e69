"""The roster's columns: what each holds and the headers that name it (recognised as
:mod:`trainhub.sheet_columns` does for every import), and the template's example row."""

from __future__ import annotations

from datetime import date

from trainhub.imports.errors import ImportRefused
from trainhub.learners import idcard
from trainhub.learners.models import Gender
from trainhub.learners.validation import normalize_phone
from trainhub.orgs.models import OrgKind
from trainhub.sheet_columns import Column, ColumnMap, SheetColumns
from trainhub.spreadsheets import SpreadsheetError

COLUMNS = SheetColumns((
    Column("name", "姓名", ("姓名", "学员姓名", "name", "full_name"), True,
           "2–50 个汉字或字母；少数民族姓名可用“·”分隔。"),
    Column("id_number", "身份证号码",
           ("身份证号", "身份证号码", "证件号码", "公民身份号码", "身份证", "居民身份证号码",
            "id_number", "idnumber", "id_no", "id_card"), True,
           "18 位公民身份号码，最后一位可以是 X。请把该列设为“文本”格式，否则 Excel 会把号码存成"
           "数字（如 5.2E+17）并丢失末几位。按身份证号码识别学员：已登记的学员会被更新，不会重复登记。"),
    Column("phone", "手机号码",
           ("手机", "手机号", "手机号码", "联系电话", "电话", "移动电话", "联系方式",
            "phone", "mobile", "mobile_phone"), True,
           "11 位中国大陆手机号码，可带 +86。"),
    Column("gender", "性别", ("性别", "gender", "sex"), False,
           "男或女；可留空（以身份证号码为准，填写时须与之一致）。"),
    Column("birth_date", "出生日期", ("出生日期", "出生年月日", "birth_date", "birthday", "date_of_birth"),
           False, "如 1990-03-07；可留空（以身份证号码为准，填写时须与之一致）。"),
    Column("organisation", "工作单位",
           ("工作单位", "所在机构", "机构名称", "单位", "单位名称", "机构", "所在单位", "服务机构",
            "organisation", "organization", "org", "employer"), True,
           "机构或社工站的全称。在所在县（区）内按名称查找；找不到时导入会新建该机构。"),
    Column("county", "所在县（区）",
           ("所在县", "区县", "县（区）", "所在县（区）", "所在区县", "县区", "县", "县（市、区）",
            "县级代码", "区县代码", "county", "county_code"), True,
           "县（区）名称（如 威宁彝族回族苗族自治县）或 6 位县级行政区划代码（如 520526）。"
           "县名重复时请同时填写省份和地市，或直接填写代码。"),
    Column("province", "省份", ("省份", "省", "所在省份", "省（区、市）", "province"), False,
           "可选：用于区分同名的县（区）。"),
    Column("prefecture", "地市", ("地市", "市（州）", "市州", "所在地市", "地级市", "prefecture", "city"),
           False, "可选：用于区分同名的县（区）。"),
    Column("org_kind", "机构类型", ("机构类型", "单位类型", "org_kind", "organisation_kind", "kind"), False,
           "可选：社工机构、乡镇（街道）社工站或支援方机构；只在新建机构时使用。"
           "留空时按名称判断（含“社工站”“工作站”“服务站”的为社工站）。"),
    Column("position", "职务", ("职务", "岗位", "职务/岗位", "职务（岗位）", "职位", "position", "job_title"),
           False, "可选，最多 50 个字。已登记的学员留空表示不修改。"),
    Column("qualification", "职业资格",
           ("职业资格", "持证情况", "职业资格证书", "社会工作者职业资格", "资格证书", "qualification"), False,
           "可选：助理社会工作师、社会工作师、高级社会工作师或无。已登记的学员留空表示不修改。"),
    Column("joined_on", "入职日期", ("入职日期", "入职时间", "joined_on", "date_joined"), False,
           "可选，如 2021-07-01。已登记的学员留空表示不修改。"),
))
COLUMNS_BY_KEY = COLUMNS.by_key
#: Fields whose blank cell leaves an existing learner's value as it is.
KEEP_WHEN_BLANK = ("position", "qualification", "joined_on")


def map_columns(headers: list[str]) -> ColumnMap:
    """Recognise the roster's columns; refuses a file that lacks required ones or repeats one."""
    try:
        return COLUMNS.map(headers)
    except SpreadsheetError as exc:
        raise ImportRefused(exc.message) from None


def looks_like_header(texts: list[str]) -> bool:
    """A row naming at least two of the roster's columns (not a title row above it)."""
    return COLUMNS.looks_like_header(texts)


# the template's example row ------------------------------------------------------------------

#: A synthetic, valid ID number for the template's example row (not a real person's).
EXAMPLE_ID_FIRST17 = "52052619900307001"
EXAMPLE_NAME = "张晓明"
EXAMPLE_PHONE = "13800138000"


def example_id_number() -> str:
    return EXAMPLE_ID_FIRST17 + idcard.check_character(EXAMPLE_ID_FIRST17)


def template_example() -> dict[str, str]:
    """The template's example row, by column key."""
    parsed = idcard.parse(example_id_number())
    return {
        "name": EXAMPLE_NAME, "id_number": parsed.number, "phone": EXAMPLE_PHONE,
        "gender": Gender.MALE.label if parsed.gender == Gender.MALE else Gender.FEMALE.label,
        "birth_date": parsed.birth_date.isoformat(),
        "organisation": "威宁县阳光社会工作服务中心", "county": "威宁彝族回族苗族自治县",
        "province": "贵州省", "prefecture": "毕节市", "org_kind": OrgKind.AGENCY.label,
        "position": "项目社工", "qualification": "助理社会工作师",
        "joined_on": date(2021, 7, 1).isoformat(),
    }


def is_template_example(raw: dict[str, str]) -> bool:
    """Whether a row (texts by column key) is the template's example left in: its name, its
    synthetic ID number and its phone number all as the template has them."""
    return ((raw.get("name") or "").strip() == EXAMPLE_NAME
            and idcard.normalize(raw.get("id_number")) == example_id_number()
            and normalize_phone(raw.get("phone")) == EXAMPLE_PHONE)
