"""Writes on organisations. Each function validates, flushes and audits; the unit of work
commits.

A refused change raises :class:`OrgError` (or :class:`OrgConflict` for a clash with an
existing organisation) naming every field at fault at once (``errors``), each with a
Chinese message; nothing is written then. Pairings are in :mod:`trainhub.orgs.pairings`.
"""

from __future__ import annotations

import re

import sqlalchemy as sa

from trainhub.audit.operations import record
from trainhub.auth import Actor, Role, area_clause, in_area
from trainhub.extensions import db
from trainhub.geo.models import County
from trainhub.orgs.models import Organisation, OrgKind
from trainhub.pii import mask_phone
from trainhub.refusals import Refusal
from trainhub.text import clean_line

#: Characters of a unified social credit code (GB 32100-2015): digits and capitals without I O Z S V.
CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
#: Weight of each of the first 17 characters: 3^(i-1) mod 31.
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
EDITABLE_FIELDS = (
    "name", "kind", "county_code", "credit_code", "address", "contact_name", "contact_phone",
)
#: Fields a new organisation must have, and what is said when one is missing.
REQUIRED = {"name": "请填写机构名称。", "kind": "请选择机构类型。",
            "county_code": "请填写所在县（6 位县级代码或县名）。"}
#: Lengths a name may have: the shortest real organisation name is a few characters.
NAME_LENGTH = (2, 120)
CONTACT_NAME_LENGTH = (2, 50)
ADDRESS_MAX = 200
_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９－（）＋", "0123456789-()+")
_MOBILE = re.compile(r"1[3-9]\d{9}")
#: A landline with its area code (010, 02X: three digits; others four), an optional extension.
_LANDLINE = re.compile(r"\(?(0\d{2,3})\)?-?(\d{7,8})(?:(?:-|转|#|ext\.?)(\d{1,6}))?", re.IGNORECASE)


class OrgError(Refusal):
    """A refused organisation or pairing change."""


class OrgConflict(OrgError):
    """The change would clash with another organisation or pairing (HTTP 409)."""

    status = 409


class FieldProblems(dict):
    """Refusals gathered field by field, so that every mistake is reported at once."""

    def check(self, field: str, func, *args):
        """``func(*args)``, or None with its refusal noted under ``field``."""
        try:
            return func(*args)
        except OrgError as error:
            self.update({key: msg for key, msg in error.errors.items() if key not in self})
            return None

    def raise_if_any(self, kind: type[OrgError] = OrgError) -> None:
        if self:
            raise kind(errors=self)


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


def text_value(value, field: str) -> str:
    """Text as sent, cleaned by the one rule of :mod:`trainhub.text`."""
    if not isinstance(value, str):
        raise OrgError(field, "应为文本。")
    return clean_line(value)


def optional_text(value, field: str) -> str | None:
    if value is None:
        return None
    return text_value(value, field) or None


def _check_length(text: str, field: str, label: str, bounds: tuple[int, int]) -> str:
    low, high = bounds
    if not low <= len(text) <= high:
        raise OrgError(field, f"{label}应为 {low}–{high} 个字符（当前 {len(text)} 个）。")
    return text


def _check_name(value) -> str:
    name = text_value(value, "name")
    if not name:
        raise OrgError("name", "请填写机构名称。")
    return _check_length(name, "name", "机构名称", NAME_LENGTH)


def _check_kind(value) -> OrgKind:
    try:
        return OrgKind(value)
    except ValueError:
        choices = "、".join(f"{kind.value}（{kind.label}）" for kind in OrgKind)
        raise OrgError("kind", f"机构类型应为以下之一：{choices}。") from None


def _check_county(value) -> str:
    code = text_value(value, "county_code")
    if not re.fullmatch(r"\d{6}", code):
        raise OrgError("county_code", "县级代码应为 6 位数字。")
    county = db.session.get(County, code)
    if county is None:
        raise OrgError("county_code", f"县级代码 {code} 不在行政区划代码表中。")
    if not county.is_current:
        raise OrgError("county_code", f"县级代码 {code} 已不在现行代码表中，请使用现行代码。")
    return code


def _check_credit_code(value) -> str | None:
    code = optional_text(value, "credit_code")
    if code is None:
        return None
    code = code.upper()
    problem = credit_code_problem(code)
    if problem:
        raise OrgError("credit_code", problem)
    return code


def normalise_contact_phone(value) -> str | None:
    """A contact phone as ``13812345678`` (mobile) or ``0858-8221234[-12]`` (landline with
    its area code and an optional extension); anything else is refused."""
    text = optional_text(value, "contact_phone")
    if text is None:
        return None
    compact = re.sub(r"\s", "", text.translate(_FULL_WIDTH_DIGITS))
    compact = re.sub(r"^(\+86|0086)-?", "", compact)
    digits = compact.replace("-", "")
    if _MOBILE.fullmatch(digits):
        return digits
    match = _LANDLINE.fullmatch(compact)
    if match:
        area, local, extension = match.groups()
        short_area = area[:2] in ("01", "02")
        if (len(area) == 3) == short_area:
            return f"{area}-{local}" + (f"-{extension}" if extension else "")
    raise OrgError("contact_phone", "联系电话应为 11 位手机号码，或带区号的固定电话"
                                    "（如 0858-8221234，可加分机号 0858-8221234-12）。")


def _check_contact_name(value) -> str | None:
    name = optional_text(value, "contact_name")
    return None if name is None else _check_length(name, "contact_name", "联系人", CONTACT_NAME_LENGTH)


def _check_address(value) -> str | None:
    address = optional_text(value, "address")
    if address is not None and len(address) > ADDRESS_MAX:
        raise OrgError("address", f"地址不能超过 {ADDRESS_MAX} 个字符（当前 {len(address)} 个）。")
    return address


_CHECKS = {
    "name": _check_name,
    "kind": _check_kind,
    "county_code": _check_county,
    "credit_code": _check_credit_code,
    "address": _check_address,
    "contact_name": _check_contact_name,
    "contact_phone": normalise_contact_phone,
}


def _clean(values: dict, problems: FieldProblems) -> dict:
    """Validated, normalised values of the fields present in ``values``; each refusal is
    noted in ``problems`` (its field left out of the result)."""
    unknown = sorted(set(values) - set(EDITABLE_FIELDS))
    for field in unknown:
        problems[field] = f"未知字段：{'、'.join(unknown)}。"
    cleaned: dict = {}
    for field in EDITABLE_FIELDS:
        if field in values:
            value = problems.check(field, _CHECKS[field], values[field])
            if field not in problems:
                cleaned[field] = value
    return cleaned


def _check_unique(county_code: str, name: str, credit_code: str | None, exclude_id: int | None) -> None:
    """Names are unique within a county, credit codes everywhere (both checked at once)."""
    conflicts = {}
    same_name = sa.select(Organisation.id).where(
        Organisation.county_code == county_code, Organisation.name == name
    )
    if exclude_id is not None:
        same_name = same_name.where(Organisation.id != exclude_id)
    if db.session.scalar(same_name) is not None:
        conflicts["name"] = f"县级代码 {county_code} 下已有名为“{name}”的机构。"
    if credit_code:
        same_code = sa.select(Organisation).where(Organisation.credit_code == credit_code)
        if exclude_id is not None:
            same_code = same_code.where(Organisation.id != exclude_id)
        other = db.session.scalar(same_code)
        if other is not None:
            conflicts["credit_code"] = f"统一社会信用代码 {credit_code} 已登记给机构“{other.name}”。"
    if conflicts:
        raise OrgConflict(errors=conflicts)


def _audit_value(field: str, value):
    if value is None:
        return None
    if field == "contact_phone":  # a contact's mobile number is personal data
        return mask_phone(value)
    return value.value if isinstance(value, OrgKind) else value


def _check_actor_area(actor: Actor | None, county_code: str) -> None:
    """A coordinator registers and moves organisations only into counties of their area."""
    if actor is not None and not in_area(actor, county_code):
        raise OrgError(
            "county_code",
            f"县级代码 {county_code} 不在您的负责区域（{actor.scope_code}）内，不能在该县登记机构。",
        )


def county_code_from_input(value, actor: Actor | None = None) -> str:
    """The 6-digit county code a person typed as a code or as a county name (``水城区``).

    Names are looked up among current counties (within ``actor``'s area when given); an
    ambiguous name (``朝阳区``) is refused listing the candidates' codes.
    """
    text = re.sub(r"\s+", "", value if isinstance(value, str) else "")
    if not text:
        raise OrgError("county_code", "请填写所在县（6 位县级代码或县名）。")
    if text.isdigit():
        return text
    stmt = (
        sa.select(County)
        .where(County.is_current.is_(True))
        .order_by(County.code)
        .limit(6)
    )
    if actor is not None:
        stmt = stmt.where(area_clause(actor, County.code))
    matches = list(db.session.scalars(stmt.where(County.name == text)))
    if not matches:
        matches = list(db.session.scalars(stmt.where(County.name.startswith(text, autoescape=True))))
    if len(matches) == 1:
        return matches[0].code
    where = "您负责的区域内" if actor is not None and actor.scope_code else "现行代码表中"
    if not matches:
        raise OrgError("county_code", f"{where}找不到县（区）“{text[:20]}”，请填写 6 位县级代码。")
    listed = "、".join(f"{c.code} {c.province}{c.name}" for c in matches[:5])
    raise OrgError("county_code", f"有多个县（区）与“{text[:20]}”相符：{listed}，请填写 6 位县级代码。")


def _checked(values: dict, *, actor: Actor | None, org: Organisation | None) -> dict:
    """``values`` validated all at once: fields, the actor's area, then uniqueness."""
    problems = FieldProblems()
    if org is None:  # what a new organisation cannot do without
        for field, message in REQUIRED.items():
            if values.get(field) in (None, ""):
                problems[field] = message
    cleaned = _clean({k: v for k, v in values.items() if k not in problems}, problems)
    if "county_code" in cleaned:
        problems.check("county_code", _check_actor_area, actor, cleaned["county_code"])
    problems.raise_if_any()
    current = {} if org is None else {f: getattr(org, f) for f in ("county_code", "name", "credit_code")}
    new = {**current, **{f: cleaned[f] for f in ("county_code", "name", "credit_code") if f in cleaned}}
    if "county_code" in new and "name" in new and (
        org is None or cleaned.keys() & {"county_code", "name", "credit_code"}
    ):
        problems.check("name", _check_unique, new["county_code"], new["name"],
                       new.get("credit_code"), org.id if org is not None else None)
    problems.raise_if_any(OrgConflict)
    return cleaned


def check_organisation(values: dict, *, actor: Actor | None = None,
                       org: Organisation | None = None) -> dict:
    """Validate ``values`` as :func:`create_organisation` (or, with ``org``,
    :func:`update_organisation`) would, without writing; returns the clean values or raises
    :class:`OrgError` naming every field at fault. Lets a form show every mistake at once."""
    if org is not None and values.get("county_code") == org.county_code:
        values = {key: value for key, value in values.items() if key != "county_code"}
    return _checked(values, actor=actor, org=org)


def create_organisation(
    *,
    name: str,
    kind: OrgKind | str,
    county_code: str,
    credit_code: str | None = None,
    address: str | None = None,
    contact_name: str | None = None,
    contact_phone: str | None = None,
    actor: Actor | None = None,
) -> Organisation:
    """Register an organisation in a current county; names are unique within a county.

    With ``actor`` (the acting user, from the web or the API), the county must lie in their
    area; without one the operator (command line, the office's import) acts.
    """
    values = check_organisation({
        "name": name, "kind": kind, "county_code": county_code, "credit_code": credit_code,
        "address": address, "contact_name": contact_name, "contact_phone": contact_phone,
    }, actor=actor)
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


def update_organisation(org: Organisation, changes: dict, *, actor: Actor | None = None) -> dict:
    """Change the given fields of ``org``; returns ``{field: (old, new)}`` of real changes.

    The same checks as on creation apply to every field given; a county no longer
    current is refused only when it is being set, not when it is kept. With ``actor``,
    a new county must lie in their area. Who does not see the contact phone in full (anyone
    but the office: it is often the contact's own mobile) cannot clear it either: a blank
    contact phone from them keeps it.
    """
    if (actor is not None and actor.role != Role.OFFICE and "contact_phone" in changes
            and not (changes["contact_phone"] or "").strip()):
        changes = {key: value for key, value in changes.items() if key != "contact_phone"}
    values = check_organisation(changes, actor=actor, org=org)
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


