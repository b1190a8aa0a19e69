"""The timetable's reads cost a constant number of queries: every page and the API answer
with as many SQL statements for 10 sessions as for 200 (no query per session, course,
venue or instructor)."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from timetable_world import at, build_timetable, fixed_now

from trainhub.accounts.models import Role, User
from trainhub.courses.models import Course, CourseMode, Enrolment, Track, TrainingSession, Venue
from trainhub.extensions import db
from trainhub.learners.models import Learner

PASSWORD = "Xunlian-2023"  # conftest.DEFAULT_PASSWORD
NOW = at(date(2023, 5, 10), "12:00")
PER_COURSE = 10


def add_sessions(app, count: int, start: int) -> None:
    """``count`` more sessions in May 2023, ten a course, each course with an instructor of
    its own, on site (a venue of its own) or online in turn; the 贵州 learner enrolled in all."""
    with app.app_context():
        track = db.session.scalar(sa.select(Track).order_by(Track.id))
        learner = db.session.scalar(sa.select(Learner).where(Learner.name == "学员gz"))
        for number in range(start, start + count // PER_COURSE):
            teacher = User(username=f"extra-teacher-{number}", display_name=f"讲师{number}",
                           role=Role.INSTRUCTOR)
            course = Course(track=track, code=f"EXTRA-{number:03d}", title=f"加开课程 {number}",
                            class_hours=Decimal("4.0"), mode=CourseMode.BLENDED)
            course.instructors.append(teacher)
            venue = Venue(name=f"实施点 {number}", county_code="520204")
            db.session.add_all([teacher, course, venue, Enrolment(learner=learner, course=course)])
            for index in range(PER_COURSE):
                day = date(2023, 5, 1) + timedelta(days=(number + index) % 31)
                db.session.add(TrainingSession(
                    course=course, instructor=teacher, starts_at=at(day, "14:00"), ends_at=at(day, "16:00"),
                    venue=venue if index % 2 else None,
                    meeting_url=None if index % 2 else "https://meeting.example.cn/j/1",
                ))
        db.session.commit()


@contextmanager
def statements(app):
    """Counts the SQL statements run meanwhile, leaving out the writes that depend on the
    clock: the sign-in session's ``last_seen_at`` and the API token's ``last_used_at``, each
    written at most once a minute."""
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if "user_session" not in statement and not statement.startswith("UPDATE api_token"):
            seen.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


@pytest.mark.parametrize("who", ["office", "trainee-gz", "coordinator"])
def test_the_same_number_of_queries_for_10_and_200_sessions(app, client, login, make_user, monkeypatch, who):
    fixed_now(monkeypatch, NOW)
    tt = build_timetable(app, make_user)
    if who == "office":
        login("office")
    elif who == "coordinator":
        login("coordinator", scope_code="52")
    else:
        assert client.post("/login", data={"username": who, "password": PASSWORD}).status_code == 302
    paths = ["/timetable?date_from=", "/timetable/month?month=2023-05", f"/phases/{tt.phase}/overview",
             "/", f"/sessions/{tt.sessions['org2-0506']}"]

    def measure() -> dict[str, int]:
        counts = {}
        for path in paths:
            with statements(app) as seen:
                assert client.get(path).status_code == 200, path
            counts[path] = len(seen)
        return counts

    add_sessions(app, 10, start=1)
    few = measure()
    add_sessions(app, 190, start=2)
    many = measure()
    assert many == few
    with app.app_context():
        total = db.session.scalar(sa.select(sa.func.count(TrainingSession.id)))
    assert total == 18 + 200


def test_the_api_answers_200_sessions_in_as_many_queries_as_10(app, client, make_user, api_headers, monkeypatch):
    fixed_now(monkeypatch, NOW)
    build_timetable(app, make_user)
    headers = api_headers("office")

    def measure() -> int:
        with statements(app) as seen:
            response = client.get("/api/v1/me/sessions?per_page=500", headers=headers)
            assert response.status_code == 200
        return len(seen), response.get_json()["total"]

    add_sessions(app, 10, start=1)
    few, total_few = measure()
    add_sessions(app, 190, start=2)
    many, total_many = measure()
    assert (total_few, total_many) == (28, 218)
    assert many == few
