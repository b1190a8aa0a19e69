"""Writes on pairings (牵手结对): a supporting organisation paired with a recipient in a
priority county. Each function validates every input at once, flushes and audits; a refusal
raises :class:`~trainhub.orgs.operations.OrgError` naming every field at fault (or
:class:`~trainhub.orgs.operations.OrgConflict` for an overlapping pairing), and nothing is
written then.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from trainhub.audit.operations import record
from trainhub.extensions import db
from trainhub.localtime import local_today
from trainhub.orgs.models import Organisation, OrgKind, Pairing
from trainhub.orgs.operations import FieldProblems, OrgConflict, OrgError
from trainhub.text import clean_text

#: The 十四五 plan that created the 牵手计划 runs from 2021: an earlier start is a typing slip.
EARLIEST_PAIRING_START = date(2021, 1, 1)
#: A pairing may be registered ahead of its start, but not by more than this.
MAX_START_AHEAD = timedelta(days=180)
#: An end date (e.g. the term of the agreement) further ahead than this is a typing slip.
MAX_END_AHEAD = timedelta(days=5 * 366)
PAIRING_NOTE_LIMIT = 500
PAIRING_EDITABLE_FIELDS = ("ended_on", "note")


def _today(today: date | None) -> date:
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
    if value is not None and not isinstance(value, str):
        raise OrgError("note", "应为文本。")
    note = clean_text(value) or None
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


def check_pairing(
    *,
    supporter_id: int,
    recipient_id: int,
    started_on: date,
    ended_on: date | None = None,
    note: str | None = None,
    today: date | None = None,
) -> dict:
    """Validate a new pairing as :func:`create_pairing` does, without writing; returns the
    clean values or raises :class:`OrgError` naming every field at fault.

    The supporter must be of kind supporter; the recipient an agency or a station in a
    county flagged as a priority county; the parties differ; the start lies between
    2021-01-01 and 180 days from today; the end, when given, is not before the start;
    and the same two are not already paired for an overlapping period (409).
    """
    today = _today(today)
    problems = FieldProblems()
    if (
        isinstance(supporter_id, int) and not isinstance(supporter_id, bool)
        and supporter_id == recipient_id
    ):
        problems["recipient_id"] = "支援方与受援方不能是同一机构。"
    supporter = problems.check("supporter_id", _check_supporter, supporter_id)
    recipient = problems.check("recipient_id", _check_recipient, recipient_id)
    started_on = problems.check("started_on", _check_started_on, started_on, today)
    if started_on is not None:
        ended_on = problems.check("ended_on", _check_ended_on, ended_on, started_on, today)
    note = problems.check("note", _check_note, note)
    problems.raise_if_any()
    _check_no_overlap(supporter, recipient, started_on, ended_on, None)
    return {"supporter": supporter, "recipient": recipient, "started_on": started_on,
            "ended_on": ended_on, "note": note}


def create_pairing(**values) -> Pairing:
    """Pair a supporting organisation with a recipient organisation (牵手结对), after the
    checks of :func:`check_pairing` (same keyword arguments)."""
    pairing = Pairing(**check_pairing(**values))
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
    problems = FieldProblems()
    values: dict = {}
    if "ended_on" in changes:
        values["ended_on"] = problems.check("ended_on", _check_ended_on, changes["ended_on"],
                                            pairing.started_on, today)
    if "note" in changes:
        values["note"] = problems.check("note", _check_note, changes["note"])
    problems.raise_if_any()
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
