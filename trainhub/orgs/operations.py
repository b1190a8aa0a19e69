"""Writes on organisations. Each function validates, flushes and audits; the caller commits.

A refused change raises :class:`OrgError` (or :class:`OrgConflict` for a clash with an
existing organisation) naming the field at fault, with a Chinese message; nothing is
written then.
"""

from __future__ import annotations

import re

import sqlalchemy as sa

from trainhub.audit.operations import record
from trainhub.extensions import db
from trainhub.geo.models import County
from trainhub.orgs.models import Organisation, OrgKind
from trainhub.pii import mask_phone

#: Characters of a unified social credit code (GB 32100-2015): digits and capitals without I O Z S V.
CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
#: Weight of each of the first 17 characters: 3^(i-1) mod 31.
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
PHONE_RE = re.compile(r"[0-9+\-() ]{5,20}")
EDITABLE_FIELDS = (
    "name", "kind", "county_code", "credit_code", "address", "contact_name", "contact_phone",
)
TEXT_LIMITS = {"address": (200, "地址"), "contact_name": (50, "联系人")}


class OrgError(ValueError):
    """A refused organisation change; ``field`` names the input, ``message`` is Chinese."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


class OrgConflict(OrgError):
    """The change would clash with another organisation (HTTP 409)."""


def credit_code_check_char(first17: str) -> str:
    """The 18th character of a unified social credit code (GB 32100-2015, section 5)."""
    total = sum(CREDIT_CODE_CHARS.index(c) * w for c, w in zip(first17, CREDIT_CODE_WEIGHTS, strict=True))
    return CREDIT_CODE_CHARS[(31 - total % 31) % 31]


def credit_code_problem(code: str) -> str | None:
    """Why ``code`` is not a valid unified social credit code (Chinese), or None."""
    if len(code) != 18:
        return f"统一社会信用代码应为 18 位，当前为 {len(code)} 位。"
    bad = sorted({c for c in code if c not in CREDIT_CODE_CHARS})
    if bad:
        return f"统一社会信用代码含有不允许的字符：{''.join(bad)}（不使用 I、O、Z、S、V）。"
    if not code[2:8].isdigit():
        return "统一社会信用代码第 3–8 位应为登记管理机关的行政区划代码（数字）。"
    if credit_code_check_char(code[:17]) != code[17]:
        return "统一社会信用代码的校验位不正确，请核对是否抄错。"
    return None


def _text(value, field: str) -> str:
    if not isinstance(value, str):
        raise OrgError(field, "应为文本。")
    return value.strip()


def _optional_text(value, field: str) -> str | None:
    if value is None:
        return None
    return _text(value, field) or None


def _check_name(value) -> str:
    name = re.sub(r"\s+", " ", _text(value, "name"))
    if not name:
        raise OrgError("name", "请填写机构名称。")
    if len(name) > 120:
        raise OrgError("name", f"机构名称不能超过 120 个字符（当前 {len(name)} 个）。")
    return name


def _check_kind(value) -> OrgKind:
    try:
        return OrgKind(value)
    except ValueError:
        choices = "、".join(f"{kind.value}（{kind.label}）" for kind in OrgKind)
        raise OrgError("kind", f"机构类型应为以下之一：{choices}。") from None


def _check_county(value) -> str:
    code = _text(value, "county_code")
    if not re.fullmatch(r"\d{6}", code):
        raise OrgError("county_code", "县级代码应为 6 位数字。")
    county = db.session.get(County, code)
    if county is None:
        raise OrgError("county_code", f"县级代码 {code} 不在行政区划代码表中。")
    if not county.is_current:
        raise OrgError("county_code", f"县级代码 {code} 已不在现行代码表中，请使用现行代码。")
    return code


def _check_credit_code(value) -> str | None:
    code = _optional_text(value, "credit_code")
    if code is None:
        return None
    code = code.upper()
    problem = credit_code_problem(code)
    if problem:
        raise OrgError("credit_code", problem)
    return code


def _check_phone(value) -> str | None:
    phone = _optional_text(value, "contact_phone")
    if phone is not None and not PHONE_RE.fullmatch(phone):
        raise OrgError("contact_phone", "联系电话应为 5–20 位数字，可含 - + ( ) 和空格。")
    return phone


def _clean(values: dict) -> dict:
    """Validated, normalised values of the fields present in ``values``."""
    unknown = sorted(set(values) - set(EDITABLE_FIELDS))
    if unknown:
        raise OrgError(unknown[0], f"未知字段：{'、'.join(unknown)}。")
    cleaned: dict = {}
    for field, value in values.items():
        if field == "name":
            cleaned[field] = _check_name(value)
        elif field == "kind":
            cleaned[field] = _check_kind(value)
        elif field == "county_code":
            cleaned[field] = _check_county(value)
        elif field == "credit_code":
            cleaned[field] = _check_credit_code(value)
        elif field == "contact_phone":
            cleaned[field] = _check_phone(value)
        else:
            limit, label = TEXT_LIMITS[field]
            text = _optional_text(value, field)
            if text is not None and len(text) > limit:
                raise OrgError(field, f"{label}不能超过 {limit} 个字符。")
            cleaned[field] = text
    return cleaned


def _check_unique(county_code: str, name: str, credit_code: str | None, exclude_id: int | None) -> None:
    same_name = sa.select(Organisation.id).where(
        Organisation.county_code == county_code, Organisation.name == name
    )
    if exclude_id is not None:
        same_name = same_name.where(Organisation.id != exclude_id)
    if db.session.scalar(same_name) is not None:
        raise OrgConflict("name", f"县级代码 {county_code} 下已有名为“{name}”的机构。")
    if credit_code:
        same_code = sa.select(Organisation).where(Organisation.credit_code == credit_code)
        if exclude_id is not None:
            same_code = same_code.where(Organisation.id != exclude_id)
        other = db.session.scalar(same_code)
        if other is not None:
            raise OrgConflict(
                "credit_code", f"统一社会信用代码 {credit_code} 已登记给机构“{other.name}”。"
            )


def _audit_value(field: str, value):
    if value is None:
        return None
    if field == "contact_phone":  # a contact's mobile number is personal data
        return mask_phone(value)
    return value.value if isinstance(value, OrgKind) else value


def create_organisation(
    *,
    name: str,
    kind: OrgKind | str,
    county_code: str,
    credit_code: str | None = None,
    address: str | None = None,
    contact_name: str | None = None,
    contact_phone: str | None = None,
) -> Organisation:
    """Register an organisation in a current county; names are unique within a county."""
    values = _clean({
        "name": name, "kind": kind, "county_code": county_code, "credit_code": credit_code,
        "address": address, "contact_name": contact_name, "contact_phone": contact_phone,
    })
    _check_unique(values["county_code"], values["name"], values["credit_code"], None)
    org = Organisation(**values)
    db.session.add(org)
    db.session.flush()
    record(
        "organisation.create",
        target_type="organisation",
        target_id=org.id,
        detail={"name": org.name, "kind": org.kind.value, "county_code": org.county_code},
    )
    return org


def update_organisation(org: Organisation, changes: dict) -> dict:
    """Change the given fields of ``org``; returns ``{field: (old, new)}`` of real changes.

    The same checks as on creation apply to every field given; a county no longer
    current is refused only when it is being set, not when it is kept.
    """
    if "county_code" in changes and changes["county_code"] == org.county_code:
        changes = {key: value for key, value in changes.items() if key != "county_code"}
    values = _clean(changes)
    new = {field: values.get(field, getattr(org, field)) for field in ("county_code", "name", "credit_code")}
    if values.keys() & {"county_code", "name", "credit_code"}:
        _check_unique(new["county_code"], new["name"], new["credit_code"], org.id)
    changed = {
        field: (getattr(org, field), value)
        for field, value in values.items()
        if getattr(org, field) != value
    }
    if not changed:
        return {}
    for field, (_, value) in changed.items():
        setattr(org, field, value)
    db.session.flush()
    record(
        "organisation.update",
        target_type="organisation",
        target_id=org.id,
        detail={
            "changes": {
                field: [_audit_value(field, old), _audit_value(field, value)]
                for field, (old, value) in changed.items()
            }
        },
    )
    return changed
