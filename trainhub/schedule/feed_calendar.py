"""What a calendar feed holds, and the iCalendar document (RFC 5545) it is sent as.

A user's feed holds exactly :func:`trainhub.schedule.scope.own_sessions` of the user (a
trainee's enrolled courses, an instructor's sessions, a coordinator's area, every session
for the office and the Certification Centre); a course's feed holds the course's sessions.
Cancelled sessions stay in both, as ``STATUS:CANCELLED``, so that subscribed calendars
strike them out rather than silently losing them.

Reading a feed (once found) costs a constant number of queries, however many sessions it holds: one
for its version (:func:`feed_version`, enough to answer ``304 Not Modified``), one for
the sessions with their course, track, phase, venue and instructor (joined), one for the
instructors of their courses.

:func:`render_calendar` is a pure renderer: plain :class:`FeedEvent` values in, bytes out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from icalendar import Calendar, Event, Timezone, vDuration
from sqlalchemy.orm import joinedload

from trainhub.courses.models import CalendarFeed, Course, SessionStatus, Track, TrainingSession
from trainhub.extensions import db
from trainhub.schedule.scope import own_sessions

PRODID = "-//China Social Work Federation//trainhub//ZH"
#: Raised whenever the rendering changes, so that every feed's ETag changes with it.
RENDER_VERSION = "1"
#: How often calendars are asked to fetch the feed again (RFC 7986 and Outlook's name).
REFRESH_INTERVAL = timedelta(hours=1)
#: Start of the VTIMEZONE's rules: before any session of the programme.
ZONE_RULES_FROM = date(2000, 1, 1)
CALENDAR_TITLE = "牵手计划课表"
ONLINE = "线上会议"
CANCELLED_MARK = "【已取消】"


@dataclass(frozen=True)
class FeedEvent:
    """One session as a calendar shows it (plain values: no database object)."""

    uid: str
    sequence: int
    starts_at: datetime
    ends_at: datetime
    summary: str
    description: str
    location: str | None
    url: str | None
    cancelled: bool
    created_at: datetime
    updated_at: datetime


# the feed's sessions ------------------------------------------------------------------------------


def feed_condition(feed: CalendarFeed) -> sa.ColumnElement[bool]:
    """The sessions ``feed`` holds (cancelled ones included)."""
    if feed.course_id is not None:
        return TrainingSession.course_id == feed.course_id
    return own_sessions(feed.user)


def calendar_name(feed: CalendarFeed) -> str:
    """``牵手计划课表 · 张三`` (a user's feed) or ``牵手计划课表 · <course title>``."""
    owner = feed.course.title if feed.course is not None else feed.user.display_name
    return f"{CALENDAR_TITLE} · {owner}"


def feed_version(feed: CalendarFeed, *, render_key: str) -> str:
    """A short fingerprint of what ``feed`` would hold now, from one aggregate query: how
    many sessions and which (sum of ids), the latest change of a session and of a course
    among them, and the calendar's name; ``render_key`` adds what else shapes the document
    (host, zone). It changes whenever a session is added, removed, changed (every change
    touches ``updated_at``) or leaves the feed, and when a course is edited. A venue or an
    instructor renamed alone shows at the next change of their sessions: the ETag is weak.
    """
    count, id_sum, session_changed, course_changed = db.session.execute(
        sa.select(
            sa.func.count(TrainingSession.id),
            sa.func.coalesce(sa.func.sum(TrainingSession.id), 0),
            sa.func.max(TrainingSession.updated_at),
            sa.func.max(Course.updated_at),
        )
        .select_from(TrainingSession)
        .join(Course, Course.id == TrainingSession.course_id)
        .where(feed_condition(feed))
    ).one()
    parts = [RENDER_VERSION, render_key, str(feed.id), calendar_name(feed), str(count), str(id_sum),
             str(session_changed), str(course_changed)]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def feed_sessions(feed: CalendarFeed) -> list[TrainingSession]:
    """The feed's sessions in time order, with everything an event shows loaded."""
    return list(db.session.scalars(
        sa.select(TrainingSession)
        .where(feed_condition(feed))
        .options(
            joinedload(TrainingSession.course).joinedload(Course.track).joinedload(Track.phase),
            joinedload(TrainingSession.course).selectinload(Course.instructors),
            joinedload(TrainingSession.venue),
            joinedload(TrainingSession.instructor),
        )
        .order_by(TrainingSession.starts_at, TrainingSession.id)
    ).unique())


# events -------------------------------------------------------------------------------------------


def _instructors(session: TrainingSession) -> str:
    if session.instructor is not None:
        return session.instructor.display_name
    return "、".join(user.display_name for user in session.course.instructors)


def _location(session: TrainingSession) -> str | None:
    if session.place:
        address = session.venue.address if session.venue is not None else None
        return f"{session.place}（{address}）" if address else session.place
    if session.meeting_url or session.meeting_number:
        return ONLINE
    return None


def _description(session: TrainingSession) -> str:
    course = session.course
    lines = [
        f"课程：{course.title}（{course.code}）",
        f"课程模块：{course.track.name}（{course.track.phase.name}）",
    ]
    if instructors := _instructors(session):
        lines.append(f"讲师：{instructors}")
    if session.place:
        lines.append(f"地点：{_location(session)}")
    if session.meeting_url:
        lines.append(f"会议链接：{session.meeting_url}")
    if session.meeting_number:
        lines.append(f"会议号：{session.meeting_number}")
    if session.status == SessionStatus.CANCELLED:
        reason = f"：{session.cancel_reason}" if session.cancel_reason else ""
        lines.insert(0, f"本次课已取消{reason}")
    return "\n".join(lines)


def session_event(session: TrainingSession, *, host: str,
                  page_url: Callable[[TrainingSession], str | None]) -> FeedEvent:
    """The calendar event of ``session``. Its UID (``session-<id>@<host>``) never changes,
    so that calendars update the event they have rather than adding another."""
    cancelled = session.status == SessionStatus.CANCELLED
    title = session.course.title + (f"：{session.title}" if session.title else "")
    return FeedEvent(
        uid=f"session-{session.id}@{host}",
        sequence=session.sequence,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        summary=(CANCELLED_MARK if cancelled else "") + title,
        description=_description(session),
        location=_location(session),
        url=session.meeting_url or page_url(session),
        cancelled=cancelled,
        created_at=session.created_at,
        updated_at=session.updated_at,
    )


# the document ---------------------------------------------------------------------------------


def render_calendar(*, name: str, zone: ZoneInfo, events: list[FeedEvent]) -> bytes:
    """The iCalendar document of ``events``, times given in ``zone`` (with its VTIMEZONE)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", zone.key)
    calendar.add("refresh-interval", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH_INTERVAL))
    calendar.add_component(Timezone.from_tzinfo(zone, tzid=zone.key, first_date=ZONE_RULES_FROM))
    for item in events:
        event = Event()
        event.add("uid", item.uid)
        event.add("sequence", item.sequence)
        event.add("dtstamp", item.updated_at)
        event.add("created", item.created_at)
        event.add("last-modified", item.updated_at)
        event.add("dtstart", item.starts_at.astimezone(zone))
        event.add("dtend", item.ends_at.astimezone(zone))
        event.add("summary", item.summary)
        event.add("description", item.description)
        if item.location:
            event.add("location", item.location)
        if item.url:
            event.add("url", item.url)
        event.add("status", "CANCELLED" if item.cancelled else "CONFIRMED")
        event.add("transp", "TRANSPARENT" if item.cancelled else "OPAQUE")
        calendar.add_component(event)
    return calendar.to_ical()
