"""Calendar feeds read back with ``icalendar``: whose sessions they hold, what an event says,
UIDs that stay and SEQUENCEs that rise, cancelled sessions kept, the time zone, ETag and
304, addresses that hold nothing (404, all alike), a course's shared feed, and a constant
number of queries however many sessions."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
import sqlalchemy as sa
from feed_world import OWN, X1_STARTS, feed_of_fixture, feed_world_fixture  # noqa: F401 (fixtures)
from icalendar import Calendar

from trainhub.courses.models import (
    CalendarFeed,
    Enrolment,
    EnrolmentStatus,
    SessionStatus,
    TrainingSession,
)
from trainhub.db import utcnow
from trainhub.extensions import db

HOST = "px.example.org"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "PUBLIC_URL": f"https://{HOST}"}


def fetch(client, path: str, **headers):
    return client.get(path, headers=headers)


def parse(response) -> Calendar:
    assert response.status_code == 200, response.get_data(as_text=True)
    return Calendar.from_ical(response.data)


def events_by_uid(calendar: Calendar) -> dict[str, object]:
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def uid(world, key: str) -> str:
    return f"session-{world.sessions[key]}@{HOST}"


# whose sessions ---------------------------------------------------------------------------------


@pytest.mark.parametrize("who", sorted(OWN))
def test_a_feed_holds_exactly_the_users_own_sessions(client, feed_world, feed_of, who):
    calendar = parse(fetch(client, feed_of(who)))
    assert set(events_by_uid(calendar)) == {uid(feed_world, key) for key in OWN[who]}


def test_a_trainee_who_withdraws_loses_the_course_and_the_etag_changes(app, client, feed_world, feed_of):
    path = feed_of("LA")
    first = fetch(client, path)
    assert len(parse(first).walk("VEVENT")) == 2
    with app.app_context():
        enrolment = db.session.scalar(sa.select(Enrolment).where(
            Enrolment.course_id == feed_world.courses["X"], Enrolment.status == EnrolmentStatus.ENROLLED))
        enrolment.status = EnrolmentStatus.WITHDRAWN
        enrolment.withdrawn_at = utcnow()
        db.session.commit()
    second = fetch(client, path, **{"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200
    assert parse(second).walk("VEVENT") == []
    assert second.headers["ETag"] != first.headers["ETag"]


# what an event says ------------------------------------------------------------------------------


def test_the_calendar_names_its_owner_and_carries_the_time_zone(client, feed_of):
    response = fetch(client, feed_of("LA"))
    assert response.mimetype == "text/calendar"
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = parse(response)
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"]).startswith("-//")
    assert str(calendar["CALSCALE"]) == "GREGORIAN"
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(calendar["X-WR-CALNAME"]) == "牵手计划课表 · 张三"
    assert str(calendar["X-WR-TIMEZONE"]) == "Asia/Shanghai"
    (zone,) = calendar.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Asia/Shanghai"
    (standard,) = zone.walk("STANDARD")
    assert standard["TZOFFSETTO"].td == timedelta(hours=8)


def test_an_online_session_in_local_time_with_its_meeting(client, feed_world, feed_of):
    response = fetch(client, feed_of("LA"))
    text = response.get_data(as_text=True)
    # 11:00 UTC is 19:00 in Shanghai, and the document says so with the zone's name
    assert "DTSTART;TZID=Asia/Shanghai:20230301T190000" in text
    assert "DTEND;TZID=Asia/Shanghai:20230301T210000" in text
    event = events_by_uid(parse(response))[uid(feed_world, "X1")]
    assert event["DTSTART"].dt == X1_STARTS
    assert str(event["DTSTART"].dt.tzinfo) == "Asia/Shanghai"
    assert str(event["SUMMARY"]) == "社工机构战略管理：第一讲 战略规划"
    description = str(event["DESCRIPTION"])
    for part in ["课程：社工机构战略管理（FEED-X）", "课程模块：社工机构管理运营（第一阶段）", "讲师：张老师",
                 "会议链接：https://meeting.example.cn/j/1001", "会议号：123 456 789"]:
        assert part in description
    assert str(event["LOCATION"]) == "线上会议"
    assert str(event["URL"]) == "https://meeting.example.cn/j/1001"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event["SEQUENCE"] == 0
    assert event["DTSTAMP"].dt == event["LAST-MODIFIED"].dt


def test_an_on_site_session_names_its_venue(client, feed_world, feed_of):
    event = events_by_uid(parse(fetch(client, feed_of("LB"))))[uid(feed_world, "Y1")]
    assert str(event["LOCATION"]) == "水城区社工站培训室，二楼会议室（水城区人民路 1 号）"
    assert "讲师：李老师" in str(event["DESCRIPTION"])
    # no meeting link: the event leads to the session's page
    assert str(event["URL"]) == f"https://px.example.org/sessions/{feed_world.sessions['Y1']}"


def test_an_unassigned_session_names_the_courses_instructors(client, feed_world, feed_of):
    event = events_by_uid(parse(fetch(client, feed_of("teacher1"))))[uid(feed_world, "Z1")]
    assert str(event["SUMMARY"]) == "项目设计与评估"
    assert "讲师：张老师" in str(event["DESCRIPTION"])
    assert "会议号：987 654 321" in str(event["DESCRIPTION"])
    assert str(event["LOCATION"]) == "线上会议"


def test_a_cancelled_session_stays_in_the_feed_as_cancelled(client, feed_world, feed_of):
    event = events_by_uid(parse(fetch(client, feed_of("LA"))))[uid(feed_world, "X2")]
    assert str(event["STATUS"]) == "CANCELLED"
    assert str(event["SUMMARY"]).startswith("【已取消】")
    assert "本次课已取消：讲师临时出差" in str(event["DESCRIPTION"])


def test_cancelling_a_session_keeps_its_uid_and_raises_its_sequence(app, client, feed_world, feed_of):
    path = feed_of("LA")
    before = events_by_uid(parse(fetch(client, path)))[uid(feed_world, "X1")]
    with app.app_context():
        session = db.session.get(TrainingSession, feed_world.sessions["X1"])
        session.status = SessionStatus.CANCELLED
        session.cancelled_at = utcnow()
        session.sequence += 1
        db.session.commit()
    after = events_by_uid(parse(fetch(client, path)))[uid(feed_world, "X1")]
    assert (str(before["STATUS"]), str(after["STATUS"])) == ("CONFIRMED", "CANCELLED")
    assert after["SEQUENCE"] == before["SEQUENCE"] + 1


# stable UIDs, rising SEQUENCE, ETag ---------------------------------------------------------------


def test_uids_stay_and_the_sequence_rises_when_a_session_moves(app, client, feed_world, feed_of):
    path = feed_of("teacher1")
    first, second = parse(fetch(client, path)), parse(fetch(client, path))
    assert list(events_by_uid(first)) == list(events_by_uid(second))
    assert fetch(client, path).data == fetch(client, path).data  # nothing changes between fetches

    with app.app_context():  # rescheduled an hour later, as the reschedule operation does
        session = db.session.get(TrainingSession, feed_world.sessions["X1"])
        session.starts_at += timedelta(hours=1)
        session.ends_at += timedelta(hours=1)
        session.sequence += 1
        db.session.commit()
    third = parse(fetch(client, path))
    assert set(events_by_uid(third)) == set(events_by_uid(first))
    moved = events_by_uid(third)[uid(feed_world, "X1")]
    assert moved["SEQUENCE"] == events_by_uid(first)[uid(feed_world, "X1")]["SEQUENCE"] + 1 == 1
    assert moved["DTSTART"].dt == X1_STARTS + timedelta(hours=1)
    assert moved["LAST-MODIFIED"].dt >= events_by_uid(first)[uid(feed_world, "X1")]["LAST-MODIFIED"].dt
    for key in OWN["teacher1"] - {"X1"}:  # the others did not change
        assert events_by_uid(third)[uid(feed_world, key)]["SEQUENCE"] == 0


def test_etag_answers_not_modified_until_something_changes(app, client, feed_world, feed_of):
    path = feed_of("LA")
    first = fetch(client, path)
    etag = first.headers["ETag"]
    assert etag.startswith('W/"')
    assert first.headers["Cache-Control"] == "private"

    again = fetch(client, path, **{"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    assert fetch(client, path, **{"If-None-Match": '"something-else"'}).status_code == 200

    with app.app_context():
        session = db.session.get(TrainingSession, feed_world.sessions["X1"])
        session.meeting_url = "https://meeting.example.cn/j/1009"
        session.sequence += 1
        db.session.commit()
    changed = fetch(client, path, **{"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert "https://meeting.example.cn/j/1009" in changed.get_data(as_text=True)


def test_renaming_a_course_changes_the_etag(app, client, feed_world, feed_of):
    from trainhub.courses.models import Course

    path = feed_of("LA")
    etag = fetch(client, path).headers["ETag"]
    with app.app_context():
        db.session.get(Course, feed_world.courses["X"]).title = "社工机构战略管理（修订）"
        db.session.commit()
    response = fetch(client, path, **{"If-None-Match": etag})
    assert response.status_code == 200
    assert "社工机构战略管理（修订）" in response.get_data(as_text=True)


def test_last_fetch_is_written_at_most_every_few_minutes(app, client, feed_world, feed_of):
    path = feed_of("LA")

    def last_fetched():
        with app.app_context():
            return db.session.scalar(sa.select(CalendarFeed.last_fetched_at)
                                     .where(CalendarFeed.user_id == feed_world.users["LA"],
                                            CalendarFeed.revoked_at.is_(None)))

    assert last_fetched() is None
    fetch(client, path)
    first = last_fetched()
    assert first is not None
    etag = fetch(client, path).headers["ETag"]
    assert fetch(client, path, **{"If-None-Match": etag}).status_code == 304
    assert last_fetched() == first  # a minute later: not written again
    with app.app_context():
        db.session.execute(sa.update(CalendarFeed).where(CalendarFeed.user_id == feed_world.users["LA"])
                           .values(last_fetched_at=first - timedelta(minutes=6)))
        db.session.commit()
    fetch(client, path, **{"If-None-Match": etag})
    assert last_fetched() > first


# addresses that hold nothing ----------------------------------------------------------------------


def test_wrong_malformed_revoked_and_replaced_addresses_answer_the_same_404(app, client, feed_world,
                                                                             feed_of, database_rows):
    from trainhub.accounts.models import User
    from trainhub.schedule import feeds

    revoked = feed_of("LA")
    with app.test_request_context():
        feeds.revoke_user_feed(user=db.session.get(User, feed_world.users["LA"]), actor=None)
        db.session.commit()
    replaced = feed_of("LB")
    with app.test_request_context():
        feeds.issue_user_feed(user=db.session.get(User, feed_world.users["LB"]), actor=None)
        db.session.commit()
    disabled = feed_of("teacher2")
    with app.app_context():
        db.session.get(User, feed_world.users["teacher2"]).is_enabled = False
        db.session.commit()

    paths = {
        "unknown": f"/calendar/{secrets.token_urlsafe(32)}.ics",
        "malformed": "/calendar/abc.ics",
        "too long": f"/calendar/{'A' * 400}.ics",
        "odd characters": "/calendar/%27%3B--%20drop.ics",
        "revoked": revoked,
        "replaced": replaced,
        "disabled account": disabled,
    }
    before = database_rows()
    answers = {name: fetch(client, path) for name, path in paths.items()}
    bodies = {response.data for response in answers.values()}
    assert {response.status_code for response in answers.values()} == {404}
    assert len(bodies) == 1, "every address without a feed must answer word for word the same"
    assert "未找到该日历订阅" in next(iter(bodies)).decode()
    assert {response.mimetype for response in answers.values()} == {"text/plain"}
    assert all("ETag" not in response.headers for response in answers.values())
    assert database_rows() == before  # a miss writes nothing


def test_a_renewed_feed_answers_at_the_new_address(app, client, feed_world, feed_of):
    old = feed_of("LA")
    with app.test_request_context():
        from trainhub.accounts.models import User
        from trainhub.schedule import feeds

        feeds.issue_user_feed(user=db.session.get(User, feed_world.users["LA"]), actor=None)
        db.session.commit()
    new = feed_of("LA")
    assert new != old
    assert fetch(client, old).status_code == 404
    assert set(events_by_uid(parse(fetch(client, new)))) == {uid(feed_world, key) for key in OWN["LA"]}


# a course's feed ----------------------------------------------------------------------------------


def test_the_office_shares_a_course_feed_with_its_cancelled_sessions(app, client, feed_world):
    from trainhub.accounts.models import User
    from trainhub.courses.models import Course
    from trainhub.schedule import feeds

    with app.test_request_context():
        office = db.session.get(User, feed_world.users["office"])
        feed = feeds.share_course_feed(course=db.session.get(Course, feed_world.courses["X"]), actor=office)
        path = f"/calendar/{feeds.feed_secret(feed)}.ics"
        db.session.commit()
    calendar = parse(fetch(client, path))
    assert str(calendar["X-WR-CALNAME"]) == "牵手计划课表 · 社工机构战略管理"
    events = events_by_uid(calendar)
    assert set(events) == {uid(feed_world, "X1"), uid(feed_world, "X2")}
    assert str(events[uid(feed_world, "X2")]["STATUS"]) == "CANCELLED"


def test_only_the_office_shares_a_course_feed(app, feed_world):
    from trainhub.accounts.models import User
    from trainhub.courses.models import Course
    from trainhub.schedule import feeds

    with app.test_request_context():
        teacher = db.session.get(User, feed_world.users["teacher1"])
        course = db.session.get(Course, feed_world.courses["X"])
        with pytest.raises(feeds.FeedError, match="只有项目办"):
            feeds.share_course_feed(course=course, actor=teacher)
        with pytest.raises(feeds.FeedError, match="只能管理自己的"):
            feeds.issue_user_feed(user=db.session.get(User, feed_world.users["LA"]), actor=teacher)
        assert db.session.scalar(sa.select(sa.func.count(CalendarFeed.id))) == 0


# cost --------------------------------------------------------------------------------------------


def _add_sessions(app, world, count: int) -> None:
    """``count`` more sessions in new courses (five each, taught by both teachers), half of
    them at new venues in 520204, some cancelled: the feeds of the office, the coordinator
    of "52" and teacher1 grow, and so do the courses, venues and instructors they name."""
    from trainhub.accounts.models import User
    from trainhub.courses.models import Course, CourseMode, Venue

    with app.app_context():
        track_id = db.session.get(Course, world.courses["X"]).track_id
        teachers = [db.session.get(User, world.users[key]) for key in ("teacher1", "teacher2")]
        course = venue = None
        for number in range(count):
            if number % 5 == 0:
                course = Course(track_id=track_id, code=f"FEED-N{number:03d}", title=f"新课程{number}",
                                class_hours=8, mode=CourseMode.BLENDED, instructors=teachers)
                venue = Venue(name=f"培训室{number}", county_code="520204", address=f"人民路 {number} 号")
                db.session.add_all([course, venue])
            starts = X1_STARTS + timedelta(days=10 + number)
            cancelled = number % 7 == 0
            db.session.add(TrainingSession(
                course=course, starts_at=starts, ends_at=starts + timedelta(hours=2),
                venue=venue if number % 2 else None,
                meeting_url=None if number % 2 else f"https://meeting.example.cn/j/{number}",
                instructor_id=world.users["teacher1"] if number % 3 else None,
                status=SessionStatus.CANCELLED if cancelled else SessionStatus.SCHEDULED,
                cancelled_at=utcnow() if cancelled else None, title=f"第{number}讲"))
        db.session.commit()


def _statements(app, client, path: str, **headers) -> tuple[int, object]:
    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        response = fetch(client, path, **headers)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    return len(seen), response


@pytest.mark.parametrize("who", ["office", "coordinator", "teacher1"])
def test_a_feed_costs_the_same_queries_for_5_and_100_sessions(app, client, feed_world, feed_of, who):
    path = feed_of(who)
    fetch(client, path)  # the first fetch also records it
    small, response = _statements(app, client, path)
    size = len(parse(response).walk("VEVENT"))
    _add_sessions(app, feed_world, 95)
    large, response = _statements(app, client, path)
    assert len(parse(response).walk("VEVENT")) >= size + 40  # at least 40 of the 95 are theirs
    assert large == small, f"{small} statements with {size} sessions, {large} with 95 more"
    not_modified, response = _statements(app, client, path, **{"If-None-Match": response.headers["ETag"]})
    assert response.status_code == 304
    assert not_modified < large  # no sessions loaded to say "not modified"
