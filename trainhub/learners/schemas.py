"""Marshmallow schemas of the learners API (also its OpenAPI description).

The schemas check types; :mod:`trainhub.learners.operations` checks meaning, with the same
Chinese messages as the web form and the bulk import.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from trainhub.api import Bool, InputSchema, Int, PageArgs, Text, page_schema
from trainhub.geo.schemas import Province, county_code
from trainhub.learners.models import Gender, Learner, Qualification
from trainhub.learners.operations import PersonalData
from trainhub.learners.queries import AccountStatus, account_status

QUALIFICATION_HELP = "职业资格：" + "、".join(f"{q.value}（{q.label}）" for q in Qualification) + \
    "；也接受中文名称"
GENDER_HELP = "性别：male / female（或“男”“女”）；选填，填写时须与身份证号码一致"
STATUS_HELP = "账号状态：" + "、".join(f"{s.value}（{s.label}）" for s in AccountStatus)


# answers ---------------------------------------------------------------------------------------


class LearnerSchema(Schema):
    """A learner as lists and ordinary reads show them: ID and phone numbers masked, the
    birth year only."""

    class Meta:
        ordered = True

    id = Int(required=True)
    name = fields.String(required=True, metadata={"description": "姓名"})
    gender = fields.Enum(Gender, by_value=True, required=True, metadata={"description": "male / female"})
    gender_label = fields.Function(lambda learner: learner.gender.label, required=True,
                                   metadata={"type": "string", "description": "性别（中文）"})
    birth_year = Int(required=True, metadata={"description": "出生年份（完整的出生日期只在完整信息中提供）"})
    id_number_masked = fields.String(required=True,
                                     metadata={"description": "脱敏的身份证号码，例如 6201**********123X"})
    phone_masked = fields.String(required=True, allow_none=True,
                                 metadata={"description": "脱敏的手机号码，例如 138****5678；未登记为 null"})
    organisation_id = Int(required=True)
    organisation_name = fields.String(attribute="organisation.name", required=True)
    county_code = fields.String(attribute="organisation.county_code", required=True,
                                metadata={"description": "机构所在县的 6 位代码"})
    county_name = fields.String(attribute="organisation.county.name", required=True)
    province = fields.String(attribute="organisation.county.province", required=True)
    position = fields.String(required=True, allow_none=True, metadata={"description": "职务/岗位"})
    qualification = fields.Enum(Qualification, by_value=True, required=True,
                                metadata={"description": QUALIFICATION_HELP})
    qualification_label = fields.Function(lambda learner: learner.qualification.label, required=True,
                                          metadata={"type": "string"})
    joined_on = fields.Date(required=True, allow_none=True, metadata={"description": "入职日期"})
    username = fields.Function(lambda learner: learner.user.username if learner.user else None,
                               required=True, allow_none=True,
                               metadata={"type": "string", "description": "学员账号的用户名"})
    account_status = fields.Function(lambda learner: account_status(learner).value, required=True,
                                     metadata={"type": "string", "description": STATUS_HELP})
    created_at = fields.AwareDateTime(required=True)
    updated_at = fields.AwareDateTime(required=True)


LearnerPageSchema = page_schema(LearnerSchema, "LearnerPage")


class PersonalDataSchema(Schema):
    """The full ID and phone numbers of a learner (office; every read is audited)."""

    class Meta:
        ordered = True

    id = Int(required=True)
    name = fields.String(required=True)
    id_number = fields.String(required=True, metadata={"description": "完整的身份证号码"})
    phone = fields.String(required=True, allow_none=True, metadata={"description": "完整的手机号码"})
    gender = fields.Enum(Gender, by_value=True, required=True)
    birth_date = fields.Date(required=True)


class OwnLearnerSchema(LearnerSchema):
    """A trainee's own record, with their full ID and phone numbers."""

    id_number = fields.String(required=True, metadata={"description": "完整的身份证号码"})
    phone = fields.String(required=True, allow_none=True, metadata={"description": "完整的手机号码"})
    birth_date = fields.Date(required=True)


class WithPersonalData:
    """A learner together with their decrypted personal data, for the schemas above."""

    def __init__(self, learner: Learner, data: PersonalData):
        self._learner = learner
        self.id_number = data.id_number
        self.phone = data.phone
        self.birth_date = data.birth_date

    def __getattr__(self, name):
        return getattr(self._learner, name)


# arguments -------------------------------------------------------------------------------------


def _filter_fields() -> dict:
    return {
        "q": Text(validate=validate.Length(max=50, error="最多 {max} 个字符。"),
                  metadata={"description": "姓名（包含）或学员用户名；完整的身份证号码或手机号码只能用 "
                                           "POST /api/v1/learners/search 查找"}),
        "organisation": Int(metadata={"description": "机构 id"}),
        "county": county_code("机构所在县的 6 位代码"),
        "province": Province(metadata={"description": "省份名称或 2 位省级代码"}),
        "qualification": Text(
            validate=validate.OneOf([q.value for q in Qualification],
                                    error="职业资格应为：" + "、".join(q.value for q in Qualification) + "。"),
            metadata={"description": QUALIFICATION_HELP}),
        "activated": Bool(metadata={"description": "true：学员已设置自己的密码；false：尚未激活"}),
    }


LearnerArgs = PageArgs.from_dict(_filter_fields(), name="LearnerArgs")


class _SearchBase(InputSchema, PageArgs):
    """A request body (unknown fields refused) with the page arguments."""


LearnerSearchSchema = _SearchBase.from_dict(
    {**_filter_fields(),
     "q": Text(validate=validate.Length(max=50, error="最多 {max} 个字符。"),
               metadata={"description": "完整的身份证号码、完整的手机号码、学员用户名，或姓名（包含）"}),
     "page": Int(load_default=1, strict=True,
                 validate=validate.Range(min=1, error="页码必须是不小于 1 的整数。")),
     "per_page": Int(load_default=None, strict=True,
                     validate=validate.Range(min=1, max=500, error="每页条数必须在 1 到 500 之间。"))},
    name="LearnerSearch",
)


def _text(description: str, *, allow_none: bool = True) -> Text:
    return Text(allow_none=allow_none, metadata={"description": description})


def _input_fields(*, creating: bool) -> dict:
    """Input fields (their names are the keyword arguments of
    :func:`~trainhub.learners.operations.register_learner` and
    :func:`~trainhub.learners.operations.update_learner`)."""
    return {
        "name": _text("姓名（2–50 个汉字或字母）", allow_none=False),
        "id_number": _text("18 位身份证号码（最后一位可为 X）" if creating
                           else "身份证号码：只能与当前号码相同（更正请用 PUT …/id-number）", allow_none=False),
        "gender": _text(GENDER_HELP),
        "birth_date": _text("出生日期 YYYY-MM-DD；选填，填写时须与身份证号码一致"),
        "phone": _text("11 位中国大陆手机号码" if creating
                       else "11 位中国大陆手机号码；省略或留空则不修改", allow_none=False),
        "organisation_id": Int(strict=True,
                               metadata={"description": "所在机构的 id（须在调用者的负责区域内）"}),
        "position": _text("职务/岗位（最多 50 字）；null 表示清空"),
        "qualification": _text(QUALIFICATION_HELP),
        "joined_on": _text("入职日期 YYYY-MM-DD", allow_none=creating),
    }


LearnerCreateSchema = InputSchema.from_dict(_input_fields(creating=True), name="LearnerCreate")
LearnerUpdateSchema = InputSchema.from_dict(_input_fields(creating=False), name="LearnerUpdate")


class IdNumberCorrectionSchema(InputSchema):
    id_number = Text(required=True, metadata={"description": "正确的 18 位身份证号码"})
