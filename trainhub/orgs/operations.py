"""Writes on organisations. Each function validates, flushes and audits; the caller commits.

A refused change raises :class:`OrgError` (or :class:`OrgConflict` for a clash with an
existing organisation) naming the field at fault, with a Chinese message; nothing is
written then.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import sqlalchemy as sa

from trainhub.audit.operations import record
from trainhub.auth import Actor, Role, area_clause, in_area
from trainhub.extensions import db
from trainhub.geo.models import County
from trainhub.orgs.models import Organisation, OrgKind, Pairing
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

    With ``actor`` (a coordinator registering through the web), the county must lie in
    their area.
    """
    values = _clean({
        "name": name, "kind": kind, "county_code": county_code, "credit_code": credit_code,
        "address": address, "contact_name": contact_name, "contact_phone": contact_phone,
    })
    _check_actor_area(actor, values["county_code"])
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


def update_organisation(org: Organisation, changes: dict, *, actor: Actor | None = None) -> dict:
    """Change the given fields of ``org``; returns ``{field: (old, new)}`` of real changes.

    The same checks as on creation apply to every field given; a county no longer
    current is refused only when it is being set, not when it is kept. With ``actor``,
    a new county must lie in their area. Who does not see the contact phone in full (anyone
    but the office: it is often the contact's own mobile) cannot clear it either: a blank
    contact phone from them keeps it.
    """
    if "county_code" in changes and changes["county_code"] == org.county_code:
        changes = {key: value for key, value in changes.items() if key != "county_code"}
    if (actor is not None and actor.role != Role.OFFICE and "contact_phone" in changes
            and not (changes["contact_phone"] or "").strip()):
        changes = {key: value for key, value in changes.items() if key != "contact_phone"}
    values = _clean(changes)
    if "county_code" in values:
        _check_actor_area(actor, values["county_code"])
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


# pairings (牵手结对) ----------------------------------------------------------------------------

#: The 十四五 plan that created the 牵手计划 runs from 2021: an earlier start is a typing slip.
EARLIEST_PAIRING_START = date(2021, 1, 1)
#: A pairing may be registered ahead of its start, but not by more than this.
MAX_START_AHEAD = timedelta(days=180)
#: An end date (e.g. the term of the agreement) further ahead than this is a typing slip.
MAX_END_AHEAD = timedelta(days=5 * 366)
PAIRING_NOTE_LIMIT = 500
PAIRING_EDITABLE_FIELDS = ("ended_on", "note")


def _today(today: date | None) -> date:
    from trainhub.orgs.queries import local_today

    return today or local_today()


def _party(value, field: str, role: str) -> Organisation:
    if value is None or value == "":
        raise OrgError(field, f"请选择{role}。")
    if isinstance(value, bool) or not isinstance(value, int):
        raise OrgError(field, f"{role}应为机构编号（整数）。")
    org = db.session.get(Organisation, value)
    if org is None:
        raise OrgError(field, f"机构 {value} 不存在。")
    return org


def _check_supporter(value) -> Organisation:
    org = _party(value, "supporter_id", "支援方机构")
    if org.kind != OrgKind.SUPPORTER:
        raise OrgError(
            "supporter_id",
            f"“{org.name}”的类型是{org.kind.label}，不是支援方机构；请先将其类型改为支援方机构，"
            "或选择其他支援方。",
        )
    return org


def _check_recipient(value) -> Organisation:
    org = _party(value, "recipient_id", "受援方机构")
    if org.kind == OrgKind.SUPPORTER:
        raise OrgError(
            "recipient_id", f"“{org.name}”是支援方机构；受援方应为社工机构或乡镇（街道）社工站。"
        )
    if not org.county.is_priority:
        raise OrgError(
            "recipient_id",
            f"“{org.name}”所在的{org.county.province}{org.county.name}（{org.county_code}）"
            "未标记为国家乡村振兴重点帮扶县；受援方须位于重点帮扶县。",
        )
    return org


def _check_started_on(value, today: date) -> date:
    if value is None:
        raise OrgError("started_on", "请填写开始日期。")
    if not isinstance(value, date):
        raise OrgError("started_on", "开始日期应为日期，格式如 2023-03-01。")
    if value < EARLIEST_PAIRING_START:
        raise OrgError(
            "started_on",
            f"开始日期 {value.isoformat()} 早于“十四五”牵手计划的起始（{EARLIEST_PAIRING_START.isoformat()}），"
            "请检查年份。",
        )
    if value > today + MAX_START_AHEAD:
        raise OrgError(
            "started_on",
            f"开始日期 {value.isoformat()} 距今超过 {MAX_START_AHEAD.days} 天，请检查年份；"
            "结对可在开始前登记，但不宜过早。",
        )
    return value


def _check_ended_on(value, started_on: date, today: date) -> date | None:
    if value is None:
        return None
    if not isinstance(value, date):
        raise OrgError("ended_on", "结束日期应为日期，格式如 2023-12-31。")
    if value < started_on:
        raise OrgError(
            "ended_on",
            f"结束日期 {value.isoformat()} 早于开始日期 {started_on.isoformat()}。",
        )
    if value > today + MAX_END_AHEAD:
        raise OrgError("ended_on", f"结束日期 {value.isoformat()} 距今超过五年，请检查年份。")
    return value


def _check_note(value) -> str | None:
    note = _optional_text(value, "note")
    if note is not None and len(note) > PAIRING_NOTE_LIMIT:
        raise OrgError("note", f"备注不能超过 {PAIRING_NOTE_LIMIT} 个字符（当前 {len(note)} 个）。")
    return note


def _check_no_overlap(supporter: Organisation, recipient: Organisation, started_on: date,
                      ended_on: date | None, exclude_id: int | None) -> None:
    """The same two organisations may be paired again only after the earlier pairing ended.

    A pairing covers the days from ``started_on`` up to, not including, ``ended_on``.
    """
    stmt = sa.select(Pairing).where(
        Pairing.supporter_id == supporter.id,
        Pairing.recipient_id == recipient.id,
        sa.or_(
            Pairing.started_on == started_on,
            sa.and_(
                sa.or_(Pairing.ended_on.is_(None), Pairing.ended_on > started_on),
                sa.true() if ended_on is None else Pairing.started_on < ended_on,
            ),
        ),
    ).order_by(Pairing.started_on)
    if exclude_id is not None:
        stmt = stmt.where(Pairing.id != exclude_id)
    other = db.session.scalars(stmt).first()
    if other is not None:
        period = f"自 {other.started_on.isoformat()} 起" + (
            f"至 {other.ended_on.isoformat()}" if other.ended_on else "，尚未结束"
        )
        raise OrgConflict(
            "recipient_id",
            f"“{supporter.name}”与“{recipient.name}”已有时间重叠的结对（{period}）；"
            "请先结束原结对，或调整日期。",
        )


def _pairing_detail(pairing: Pairing) -> dict:
    return {
        "supporter_id": pairing.supporter_id,
        "supporter": pairing.supporter.name,
        "recipient_id": pairing.recipient_id,
        "recipient": pairing.recipient.name,
        "recipient_county_code": pairing.recipient.county_code,
        "started_on": pairing.started_on.isoformat(),
        "ended_on": pairing.ended_on.isoformat() if pairing.ended_on else None,
    }


def create_pairing(
    *,
    supporter_id: int,
    recipient_id: int,
    started_on: date,
    ended_on: date | None = None,
    note: str | None = None,
    today: date | None = None,
) -> Pairing:
    """Pair a supporting organisation with a recipient organisation (牵手结对).

    The supporter must be of kind supporter; the recipient an agency or a station in a
    county flagged as a priority county; the parties differ; the start lies between
    2021-01-01 and 180 days from today; the end, when given, is not before the start;
    and the same two are not already paired for an overlapping period (409).
    """
    today = _today(today)
    if (
        isinstance(supporter_id, int) and not isinstance(supporter_id, bool)
        and supporter_id == recipient_id
    ):
        raise OrgError("recipient_id", "支援方与受援方不能是同一机构。")
    supporter = _check_supporter(supporter_id)
    recipient = _check_recipient(recipient_id)
    started_on = _check_started_on(started_on, today)
    ended_on = _check_ended_on(ended_on, started_on, today)
    note = _check_note(note)
    _check_no_overlap(supporter, recipient, started_on, ended_on, None)
    pairing = Pairing(supporter=supporter, recipient=recipient, started_on=started_on,
                      ended_on=ended_on, note=note)
    db.session.add(pairing)
    db.session.flush()
    record("pairing.create", target_type="pairing", target_id=pairing.id,
           detail=_pairing_detail(pairing))
    return pairing


def update_pairing(pairing: Pairing, changes: dict, *, today: date | None = None,
                   action: str = "pairing.update") -> dict:
    """Change the end date and/or the note of ``pairing``; returns ``{field: (old, new)}``.

    ``ended_on`` None reopens a pairing (refused when it would overlap another one of the
    same two organisations). Parties and start date do not change: end the pairing and
    register a new one instead.
    """
    unknown = sorted(set(changes) - set(PAIRING_EDITABLE_FIELDS))
    if unknown:
        raise OrgError(unknown[0], f"只能修改结束日期（ended_on）和备注（note），不能修改：{'、'.join(unknown)}。")
    today = _today(today)
    values: dict = {}
    if "ended_on" in changes:
        values["ended_on"] = _check_ended_on(changes["ended_on"], pairing.started_on, today)
    if "note" in changes:
        values["note"] = _check_note(changes["note"])
    changed = {
        field: (getattr(pairing, field), value)
        for field, value in values.items()
        if getattr(pairing, field) != value
    }
    if not changed:
        return {}
    if "ended_on" in changed:
        _check_no_overlap(pairing.supporter, pairing.recipient, pairing.started_on,
                          values["ended_on"], pairing.id)
    for field, (_, value) in changed.items():
        setattr(pairing, field, value)
    db.session.flush()
    record(
        action,
        target_type="pairing",
        target_id=pairing.id,
        detail={
            "changes": {
                field: [old.isoformat() if isinstance(old, date) else old,
                        new.isoformat() if isinstance(new, date) else new]
                for field, (old, new) in changed.items()
            }
        },
    )
    return changed


def end_pairing(pairing: Pairing, ended_on: date | None, *, note: str | None = None,
                today: date | None = None) -> dict:
    """End a pairing on ``ended_on`` (the first day it no longer runs); refused when it has
    already ended. A non-empty ``note`` replaces the pairing's note."""
    today = _today(today)
    if ended_on is None:
        raise OrgError("ended_on", "请填写结束日期。")
    if pairing.ended_on is not None and pairing.ended_on <= today:
        raise OrgError("ended_on", f"该结对已于 {pairing.ended_on.isoformat()} 结束。")
    changes: dict = {"ended_on": ended_on}
    if note is not None and note.strip():
        changes["note"] = note
    return update_pairing(pairing, changes, today=today, action="pairing.end")
