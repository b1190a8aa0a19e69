"""JSON API of learners: the register within the caller's area (masked ID and phone
numbers), registering and changing learners, the full personal data for the office
(audited), and a trainee's own record.

A full ID or phone number never goes into an address: ``GET /learners`` refuses one in
``q``, and ``POST /learners/search`` takes the same filters in its body.
"""

from __future__ import annotations

from flask import url_for
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from trainhub.accounts.models import Role
from trainhub.api import Int, PageArgs, api_user, json_body, page_schema, paginate, problem
from trainhub.auth import roles_required
from trainhub.extensions import db
from trainhub.geo.queries import resolve_province
from trainhub.learners import idcard, operations, queries
from trainhub.learners.models import Gender, Learner, Qualification
from trainhub.learners.operations import LearnerError
from trainhub.learners.queries import AccountStatus, LearnerFilters, account_status
from trainhub.learners.validation import check_learner_fields
from trainhub.pii import cipher

blp = Blueprint(
    "learners_api", __name__, url_prefix="/api/v1",
    description="学员：名册（身份证号码和手机号码脱敏）、登记与修改、项目办查看完整信息（记入审计日志）、"
                "学员本人的信息。实施点联络员只能看到其负责区域内机构的学员。",
)

AREA_STAFF = (Role.OFFICE, Role.COORDINATOR)

TEXT_ERRORS = {"required": "必须填写此字段。", "null": "此字段不能为 null。", "invalid": "应为字符串。"}
INT_ERRORS = {"required": "必须填写此字段。", "null": "此字段不能为 null。", "invalid": "应为整数。"}
QUALIFICATION_HELP = "职业资格：" + "、".join(f"{q.value}（{q.label}）" for q in Qualification) + \
    "；也接受中文名称"
GENDER_HELP = "性别：male / female（或“男”“女”）；选填，填写时须与身份证号码一致"
STATUS_HELP = "账号状态：" + "、".join(f"{s.value}（{s.label}）" for s in AccountStatus)


# schemas ---------------------------------------------------------------------------------------


class LearnerSchema(Schema):
    """A learner as lists and ordinary reads show them: ID and phone numbers masked."""

    class Meta:
        ordered = True

    id = Int(required=True)
    name = fields.String(required=True, metadata={"description": "姓名"})
    gender = fields.Enum(Gender, by_value=True, required=True, metadata={"description": "male / female"})
    gender_label = fields.Function(lambda learner: learner.gender.label, required=True,
                                   metadata={"type": "string", "description": "性别（中文）"})
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


class _WithPersonalData:
    """A learner seen with the decrypted ID and phone numbers (for the schemas above)."""

    def __init__(self, learner: Learner):
        self._learner = learner
        self.id_number = learner.id_number(cipher())
        self.phone = learner.phone(cipher())

    def __getattr__(self, name):
        return getattr(self._learner, name)


def _filter_fields() -> dict:
    return {
        "q": fields.String(validate=validate.Length(max=50, error="最多 {max} 个字符。"),
                           error_messages=TEXT_ERRORS,
                           metadata={"description": "姓名（包含）或学员用户名；完整的身份证号码或手机号码只能用 "
                                                    "POST /api/v1/learners/search 查找"}),
        "organisation": Int(error_messages=INT_ERRORS, metadata={"description": "机构 id"}),
        "county": fields.String(validate=validate.Regexp(r"^\d{6}$", error="县级代码应为 6 位数字。"),
                                error_messages=TEXT_ERRORS, metadata={"description": "机构所在县的 6 位代码"}),
        "province": fields.String(validate=validate.Length(max=32, error="最多 {max} 个字符。"),
                                  error_messages=TEXT_ERRORS, metadata={"description": "省份名称或 2 位省级代码"}),
        "qualification": fields.String(
            validate=validate.OneOf([q.value for q in Qualification],
                                    error="职业资格应为：" + "、".join(q.value for q in Qualification) + "。"),
            error_messages=TEXT_ERRORS, metadata={"description": QUALIFICATION_HELP}),
        "activated": fields.Boolean(error_messages={"invalid": "应为 true 或 false。"},
                                    metadata={"description": "true：学员已设置自己的密码；false：尚未激活"}),
    }


LearnerArgs = PageArgs.from_dict(_filter_fields(), name="LearnerArgs")


class _InputBase(Schema):
    error_messages = {"unknown": "未知字段。", "type": "请求体应为 JSON 对象。"}

    class Meta:
        ordered = True


class _SearchBase(PageArgs):
    error_messages = {"unknown": "未知字段。", "type": "请求体应为 JSON 对象。"}

    class Meta:
        ordered = True


LearnerSearchSchema = _SearchBase.from_dict(
    {**_filter_fields(),
     "q": fields.String(validate=validate.Length(max=50, error="最多 {max} 个字符。"),
                        error_messages=TEXT_ERRORS,
                        metadata={"description": "完整的身份证号码、完整的手机号码、学员用户名，或姓名（包含）"}),
     "page": Int(load_default=1, strict=True,
                            validate=validate.Range(min=1, error="页码必须是不小于 1 的整数。"),
                            error_messages=INT_ERRORS),
     "per_page": Int(load_default=None, strict=True,
                                validate=validate.Range(min=1, max=500, error="每页条数必须在 1 到 500 之间。"),
                                error_messages=INT_ERRORS)},
    name="LearnerSearch",
)


def _text(description: str, *, allow_none: bool = True) -> fields.String:
    return fields.String(allow_none=allow_none, error_messages=TEXT_ERRORS,
                         metadata={"description": description})


def _input_fields(*, creating: bool) -> dict:
    """Input fields. Their types are checked here; their meaning by
    :func:`~trainhub.learners.validation.check_learner_fields`, with the same Chinese messages
    as the web form and the bulk import."""
    return {
        "name": _text("姓名（2–50 个汉字或字母）", allow_none=False),
        "id_number": _text("18 位身份证号码（最后一位可为 X）" if creating
                           else "身份证号码：只能与当前号码相同（更正请用 PUT …/id-number）", allow_none=False),
        "gender": _text(GENDER_HELP),
        "birth_date": _text("出生日期 YYYY-MM-DD；选填，填写时须与身份证号码一致"),
        "phone": _text("11 位中国大陆手机号码", allow_none=False),
        "organisation_id": Int(strict=True, error_messages=INT_ERRORS,
                                          metadata={"description": "所在机构的 id（须在调用者的负责区域内）"}),
        "position": _text("职务/岗位（最多 50 字）；null 表示清空"),
        "qualification": _text(QUALIFICATION_HELP),
        "joined_on": _text("入职日期 YYYY-MM-DD", allow_none=creating),
    }


LearnerCreateSchema = _InputBase.from_dict(_input_fields(creating=True), name="LearnerCreate")
LearnerUpdateSchema = _InputBase.from_dict(_input_fields(creating=False), name="LearnerUpdate")


class IdNumberCorrectionSchema(_InputBase):
    id_number = fields.String(required=True, error_messages=TEXT_ERRORS,
                              metadata={"description": "正确的 18 位身份证号码"})


# helpers ---------------------------------------------------------------------------------------


def _invalid(errors: dict[str, str]):
    return problem(422, "以下字段的值不符合要求：" + "、".join(sorted(errors)),
                   errors={field: [message] for field, message in errors.items()})


def _filters(args: dict, *, allow_personal: bool):
    """LearnerFilters from validated arguments, or a 422 problem."""
    province_code = None
    if args.get("province"):
        province_code = resolve_province(args["province"])
        if province_code is None:
            return None, _invalid({"province": f"未知的省份：{args['province']}（请填写省份名称或 2 位省级代码）。"})
    if not allow_personal and queries.is_personal_search(args.get("q")):
        return None, _invalid({"q": "身份证号码和手机号码不能放在网址中：请用 POST /api/v1/learners/search "
                                    "在请求体中提交。"})
    return LearnerFilters(
        organisation_id=args.get("organisation"),
        county_code=args.get("county"),
        province_code=province_code,
        qualification=Qualification(args["qualification"]) if args.get("qualification") else None,
        activated=args.get("activated"),
        q=args.get("q"),
    ), None


def _learner_or_404(learner_id: int):
    learner = queries.get_learner(api_user(), learner_id)
    if learner is None:
        return None, problem(404, f"学员 {learner_id} 不存在，或不在您的负责区域内。")
    return learner, None


def _organisation(data: dict, errors: dict, default=None):
    if "organisation_id" not in data or data["organisation_id"] is None:
        if default is None:
            errors["organisation_id"] = "请填写所在机构（organisation_id）。"
        return default
    organisation = queries.organisation_in_area(api_user(), data["organisation_id"])
    if organisation is None:
        errors["organisation_id"] = "所选机构不存在，或不在您的负责区域内。"
    return organisation


# the register ----------------------------------------------------------------------------------


@blp.route("/learners")
@roles_required(*AREA_STAFF)
@blp.arguments(LearnerArgs, location="query")
@blp.response(200, LearnerPageSchema)
@blp.alt_response(422, description="筛选参数有误（含：在 q 中提交了完整的身份证号码或手机号码）")
def list_learners(args):
    """Learners in the caller's area (masked)

    Filters: ``organisation`` (id), ``county`` (6-digit code of the organisation's county),
    ``province`` (name or 2-digit code), ``qualification``, ``activated`` and ``q`` (part of
    the name, or a trainee user name). ID and phone numbers are masked.
    """
    filters, refused = _filters(args, allow_personal=False)
    if refused is not None:
        return refused
    return paginate(db, queries.learner_list_stmt(api_user(), filters), args)


@blp.route("/learners/search", methods=["POST"])
@roles_required(*AREA_STAFF)
@json_body
@blp.arguments(LearnerSearchSchema)
@blp.response(200, LearnerPageSchema)
@blp.alt_response(415, description="请求体不是 JSON")
def search_learners(args):
    """Find learners by a full ID or phone number (in the body, not the address)

    The same filters as ``GET /learners`` in a JSON body; ``q`` may also be a full ID
    number or a full mobile number, matched exactly through a keyed hash.
    """
    filters, refused = _filters(args, allow_personal=True)
    if refused is not None:
        return refused
    return paginate(db, queries.learner_list_stmt(api_user(), filters), args)


@blp.route("/learners/<int:learner_id>")
@roles_required(*AREA_STAFF)
@blp.response(200, LearnerSchema)
@blp.alt_response(404, description="学员不存在，或不在调用者的负责区域内")
def get_learner(learner_id: int):
    """One learner (masked)"""
    learner, missing = _learner_or_404(learner_id)
    return missing if missing is not None else learner


@blp.route("/learners/<int:learner_id>/personal-data")
@roles_required(Role.OFFICE)
@blp.response(200, PersonalDataSchema)
@blp.alt_response(404, description="学员不存在")
def get_personal_data(learner_id: int):
    """The full ID and phone numbers of a learner (office; audited)

    Every call is recorded in the audit log as ``learner.view_personal_data`` (without the
    values).
    """
    learner, missing = _learner_or_404(learner_id)
    if missing is not None:
        return missing
    operations.record_personal_data_view(learner, via="api")
    return _WithPersonalData(learner)


# writes ----------------------------------------------------------------------------------------


@blp.route("/learners", methods=["POST"])
@roles_required(*AREA_STAFF)
@json_body
@blp.arguments(LearnerCreateSchema)
@blp.response(201, LearnerSchema)
@blp.alt_response(409, description="该身份证号码已登记为学员；errors 指出 id_number")
@blp.alt_response(415, description="请求体不是 JSON")
def create_learner(data):
    """Register a learner and their trainee account

    Gender and birth date follow the ID number (when given, they must agree with it); the
    organisation must lie in the caller's area. The trainee account is created without a
    password: give a temporary password or an activation link on the learner's page.
    """
    fields_, errors = check_learner_fields({key: data.get(key) for key in (
        "name", "id_number", "phone", "gender", "birth_date", "position", "qualification",
        "joined_on",
    )})
    organisation = _organisation(data, errors)
    if errors:
        return _invalid(errors)
    try:
        learner = operations.create_learner(fields_, organisation)
    except LearnerError as error:
        return problem(409, error.message, errors={error.field: [error.message]})
    learner_id = learner.id
    return queries.get_learner(api_user(), learner_id), {
        "Location": url_for("learners_api.get_learner", learner_id=learner_id)
    }


@blp.route("/learners/<int:learner_id>", methods=["PATCH"])
@roles_required(*AREA_STAFF)
@json_body
@blp.arguments(LearnerUpdateSchema)
@blp.response(200, LearnerSchema)
@blp.alt_response(404, description="学员不存在，或不在调用者的负责区域内")
@blp.alt_response(415, description="请求体不是 JSON")
def update_learner(data, learner_id: int):
    """Change some fields of a learner

    Only the fields given change. The ID number cannot change here (the office corrects it
    with ``PUT /learners/{id}/id-number``); a new organisation must lie in the caller's area.
    """
    learner, missing = _learner_or_404(learner_id)
    if missing is not None:
        return missing
    current_id = learner.id_number(cipher())
    if "id_number" in data and idcard.normalize(data["id_number"]) != current_id:
        return _invalid({"id_number": "身份证号码不能在此修改；号码登记错误时，请项目办用 "
                                      "PUT /api/v1/learners/{id}/id-number 更正。"})
    current_phone = learner.phone(cipher())
    raw = {
        "name": data.get("name", learner.name),
        "id_number": current_id,
        "phone": data.get("phone", current_phone),
        "gender": data.get("gender"),
        "birth_date": data.get("birth_date"),
        "position": data.get("position", learner.position),
        "qualification": data.get("qualification", learner.qualification.value),
        "joined_on": data.get("joined_on", learner.joined_on),
    }
    fields_, errors = check_learner_fields(
        raw, phone_required="phone" in data or current_phone is not None
    )
    organisation = _organisation(data, errors, default=learner.organisation)
    if errors:
        return _invalid(errors)
    operations.update_learner(learner, fields_, organisation)
    return queries.get_learner(api_user(), learner_id)


@blp.route("/learners/<int:learner_id>/id-number", methods=["PUT"])
@roles_required(Role.OFFICE)
@json_body
@blp.arguments(IdNumberCorrectionSchema)
@blp.response(200, LearnerSchema)
@blp.alt_response(404, description="学员不存在")
@blp.alt_response(409, description="该号码已登记为另一名学员")
@blp.alt_response(415, description="请求体不是 JSON")
def correct_id_number(data, learner_id: int):
    """Correct a mistyped ID number (office)

    Gender and birth date follow the new number; the change is audited.
    """
    learner, missing = _learner_or_404(learner_id)
    if missing is not None:
        return missing
    fields_, errors = check_learner_fields({
        "name": learner.name,
        "id_number": data["id_number"],
        "phone": learner.phone(cipher()),
        "position": learner.position,
        "qualification": learner.qualification.value,
        "joined_on": learner.joined_on,
    }, phone_required=False)
    if errors:
        return _invalid(errors)
    if fields_.id_number == learner.id_number(cipher()):
        return _invalid({"id_number": "新号码与当前登记的号码相同，无需更正。"})
    try:
        operations.correct_id_number(learner, fields_)
    except LearnerError as error:
        return problem(409, error.message, errors={error.field: [error.message]})
    return queries.get_learner(api_user(), learner_id)


# the trainee's own record ----------------------------------------------------------------------


@blp.route("/me/learner")
@roles_required(Role.TRAINEE)
@blp.response(200, OwnLearnerSchema)
@blp.alt_response(404, description="账号尚未关联学员档案")
def my_learner():
    """The signed-in trainee's own record, with their full ID and phone numbers"""
    learner = queries.learner_of_user(api_user())
    if learner is None:
        return problem(404, "您的账号尚未关联学员档案，请联系项目办。")
    return _WithPersonalData(learner)
