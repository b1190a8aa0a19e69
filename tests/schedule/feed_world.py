"""A small timetable for the calendar-feed tests, made directly with the models.

Counties 520204 水城区 (贵州, "52") and 621126 岷县 (甘肃, "62"); organisation A in 520204,
B in 621126; trainees LA (A) and LB (B); instructors 张老师 (teacher1) and 李老师
(teacher2); a coordinator of "52"; the office; a certifier. A venue in 520204.

| course | instructors        | enrolled             | sessions                                          |
| ------ | ------------------ | -------------------- | ------------------------------------------------- |
| X      | teacher1           | LA (LB waitlisted)   | X1 online 2023-03-01 19:00–21:00; X2 cancelled     |
| Y      | teacher2, teacher1 | LB                   | Y1 at the venue (teacher2); Y2 online (teacher1)   |
| Z      | teacher1           | nobody               | Z1 unassigned                                     |

Whose sessions are whose (``trainhub.schedule.scope.own_sessions``): LA — X1, X2; LB — Y1,
Y2; teacher1 — X1, X2, Y2, Z1; teacher2 — Y1; the coordinator of "52" — X1, X2 (LA is of
their area) and Y1 (the venue is); the office and the certifier — all six.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from trainhub.extensions import db

PASSWORD = "Xunlian-2023"
#: 2023-03-01 19:00 in Asia/Shanghai.
X1_STARTS = datetime(2023, 3, 1, 11, 0, tzinfo=UTC)
FEED_URL = re.compile(r'value="(https?://[^"]+\.ics)"')


@dataclass
class FeedWorld:
    users: dict[str, int] = field(default_factory=dict)
    usernames: dict[str, str] = field(default_factory=dict)
    courses: dict[str, int] = field(default_factory=dict)
    sessions: dict[str, int] = field(default_factory=dict)


OWN = {
    "LA": {"X1", "X2"},
    "LB": {"Y1", "Y2"},
    "teacher1": {"X1", "X2", "Y2", "Z1"},
    "teacher2": {"Y1"},
    "coordinator": {"X1", "X2", "Y1"},
    "office": {"X1", "X2", "Y1", "Y2", "Z1"},
    "certifier": {"X1", "X2", "Y1", "Y2", "Z1"},
}


def build_feed_world(app) -> FeedWorld:
    from trainhub.accounts.models import Role, User
    from trainhub.accounts.operations import create_user
    from trainhub.courses.models import (
        Course,
        CourseMode,
        Enrolment,
        EnrolmentStatus,
        SessionStatus,
        TrainingSession,
        Venue,
    )
    from trainhub.courses.operations import ensure_initial_programme
    from trainhub.geo.models import County
    from trainhub.learners import idcard
    from trainhub.learners.models import Gender
    from trainhub.learners.operations import create_learner
    from trainhub.learners.validation import check_learner_fields
    from trainhub.orgs.models import Organisation, OrgKind

    world = FeedWorld()
    with app.app_context():
        db.session.add_all([
            County(code="520204", name="水城区", prefecture="六盘水市", province="贵州省",
                   province_code="52", list_version="test", is_priority=True),
            County(code="621126", name="岷县", prefecture="定西市", province="甘肃省",
                   province_code="62", list_version="test", is_priority=True),
        ])
        db.session.flush()
        org_a = Organisation(name="水城区米箩镇社工站", kind=OrgKind.STATION, county_code="520204")
        org_b = Organisation(name="岷县同心社会工作服务中心", kind=OrgKind.AGENCY, county_code="621126")
        db.session.add_all([org_a, org_b])
        db.session.flush()

        learners = {}
        rng = random.Random(7)  # noqa: S311 (synthetic, reproducible test data)
        for number, (key, org, county, name) in enumerate(
            [("LA", org_a, "520204", "张三"), ("LB", org_b, "621126", "李四")]
        ):
            id_number = idcard.generate(rng, county, date(1990, 3, 1 + number), Gender.FEMALE)
            fields, errors = check_learner_fields({"name": name, "id_number": id_number,
                                                   "phone": f"1380000{number:04d}"})
            assert not errors, errors
            learner = create_learner(fields, org, actor=None)
            learner.user.set_password(PASSWORD)
            learner.user.must_change_password = False
            learners[key] = learner
            world.users[key] = learner.user.id
            world.usernames[key] = learner.user.username

        staff = {}
        for key, role, display in [
            ("teacher1", Role.INSTRUCTOR, "张老师"), ("teacher2", Role.INSTRUCTOR, "李老师"),
            ("coordinator", Role.COORDINATOR, "贵州联络员"), ("office", Role.OFFICE, "项目办"),
            ("certifier", Role.CERTIFIER, "认证中心"),
        ]:
            user = create_user(f"feed-{key}", role, password=PASSWORD, display_name=display,
                               scope_code="52" if role == Role.COORDINATOR else None)
            staff[key] = user
            world.users[key] = user.id
            world.usernames[key] = user.username

        setup = ensure_initial_programme()
        track = setup.tracks[0]
        venue = Venue(name="水城区社工站培训室", county_code="520204", address="水城区人民路 1 号")

        def course(code: str, title: str, *teachers: User) -> Course:
            item = Course(track=track, code=code, title=title, class_hours=Decimal(8),
                          mode=CourseMode.BLENDED)
            item.instructors = list(teachers)
            return item

        courses = {
            "X": course("FEED-X", "社工机构战略管理", staff["teacher1"]),
            "Y": course("FEED-Y", "社工站建设实务", staff["teacher2"], staff["teacher1"]),
            "Z": course("FEED-Z", "项目设计与评估", staff["teacher1"]),
        }
        db.session.add_all([venue, *courses.values()])
        db.session.flush()

        def session(key: str, days: int, **values) -> TrainingSession:
            starts = X1_STARTS + timedelta(days=days)
            return TrainingSession(course=courses[key], starts_at=starts,
                                   ends_at=starts + timedelta(hours=2), **values)

        sessions = {
            "X1": session("X", 0, title="第一讲 战略规划", meeting_url="https://meeting.example.cn/j/1001",
                          meeting_number="123 456 789", instructor_id=staff["teacher1"].id),
            "X2": session("X", 7, title="第二讲", meeting_url="https://meeting.example.cn/j/1002",
                          status=SessionStatus.CANCELLED, cancelled_at=X1_STARTS,
                          cancel_reason="讲师临时出差"),
            "Y1": session("Y", 1, title="现场教学", venue=venue, venue_detail="二楼会议室",
                          instructor_id=staff["teacher2"].id),
            "Y2": session("Y", 8, meeting_url="https://meeting.example.cn/j/2002",
                          instructor_id=staff["teacher1"].id),
            "Z1": session("Z", 2, meeting_number="987 654 321"),
        }
        db.session.add_all(sessions.values())
        db.session.add_all([
            Enrolment(learner=learners["LA"], course=courses["X"], status=EnrolmentStatus.ENROLLED),
            Enrolment(learner=learners["LB"], course=courses["X"], status=EnrolmentStatus.WAITLISTED,
                      waitlist_position=1),
            Enrolment(learner=learners["LB"], course=courses["Y"], status=EnrolmentStatus.ENROLLED),
        ])
        db.session.commit()
        world.courses = {key: item.id for key, item in courses.items()}
        world.sessions = {key: item.id for key, item in sessions.items()}
    return world


# fixtures: test modules import them (``from feed_world import feed_world_fixture``); their
# names are the ones given here
@pytest.fixture(name="feed_world")
def feed_world_fixture(app) -> FeedWorld:
    return build_feed_world(app)


@pytest.fixture(name="feed_of")
def feed_of_fixture(app, feed_world):
    """``feed_of("LA")``: the path of that user's feed (issued when they have none)."""
    from urllib.parse import urlsplit

    from trainhub.accounts.models import User
    from trainhub.schedule import feeds

    def path(key: str) -> str:
        with app.test_request_context():
            user = db.session.get(User, feed_world.users[key])
            _, secret = feeds.user_feed(user=user, actor=user)
            url = feeds.feed_url(secret)
            db.session.commit()
        return urlsplit(url).path

    return path


@pytest.fixture(name="sign_in")
def sign_in_fixture(client, feed_world):
    def do(key: str):
        client.post("/logout")
        response = client.post("/login", data={"username": feed_world.usernames[key], "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)

    return do
