"""The start page per role, with the figures of the ``world`` fixture, and ``/healthz``.

Expected figures of ``world`` (see tests/dashboard/conftest.py):

| figure                 | office | coordinator 52 (贵州) | coordinator 621126 (岷县) |
| ---------------------- | ------ | --------------------- | ------------------------- |
| learners               | 5      | 3                     | 2                         |
| organisations (A/S/Sp) | 2/2/1  | 1/2/0                 | 1/0/0                     |
| courses                | 4      | 1 (X)                 | 3 (X, Y, W)               |
| sessions held/upcoming | 4/4    | 2/1                   | 4/3                       |
| attendance records     | 6      | 4                     | 2                         |
| certificates valid/rev | 3/1    | 1/0                   | 2/1                       |
| priority flagged/orgs  | 3/2    | 2/1                   | 1/1                       |
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from html.parser import HTMLParser

import pytest

from trainhub.accounts.models import Role
from trainhub.extensions import db


def test_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_office_sees_programme_figures(client, login, world, page_text):
    login(Role.OFFICE, display_name="王项目办")
    response = client.get("/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "项目概况" in page and "王项目办" in page
    assert page_text(page, "stat-learners") == "学员 5"
    assert page_text(page, "stat-organisations") == "机构 5"
    assert page_text(page, "stat-courses") == "课程 4"
    assert page_text(page, "stat-sessions-held") == "已举行课次 4"
    assert page_text(page, "stat-sessions-upcoming") == "待举行课次 4 含进行中的课次"
    assert page_text(page, "stat-attendance") == "考勤记录 6"
    assert page_text(page, "stat-certificates") == "有效证书 3 另有已撤销 1 张"
    assert page_text(page, "organisations-by-kind") == (
        "机构类型 类型 数量 社工机构 2 乡镇（街道）社工站 2 支援方机构 1 合计 5"
    )
    coverage = page_text(page, "coverage")
    assert "已标记重点帮扶县 3 个（应为 160 个），其中 2 个已有机构，2 个已有学员。" in coverage
    assert "尚有 157 个重点帮扶县未标记" in coverage
    upcoming = page_text(page, "my-sessions")
    for title in ("X第三讲", "Y第二讲", "Y第三讲（客座）", "Z第一讲"):
        assert title in upcoming
    assert "X第一讲" not in upcoming and "X取消的一讲" not in upcoming


def test_figures_follow_the_database(client, login, world, page_text, app):
    """Counts are read at each request: a new learner shows at once."""
    from trainhub.learners.models import Gender, Learner

    login(Role.OFFICE)
    assert page_text(client.get("/").get_data(as_text=True), "stat-learners") == "学员 5"
    with app.app_context():
        learner = Learner(name="新学员", gender=Gender.MALE, birth_date=date(1995, 5, 5),
                          organisation_id=db.session.get(Learner, world.learners["L1"]).organisation_id)
        learner.set_id_number("522626199505050011", app.extensions["trainhub_pii"])
        db.session.add(learner)
        db.session.commit()
    assert page_text(client.get("/").get_data(as_text=True), "stat-learners") == "学员 6"


def test_province_coordinator_sees_only_their_area(client, login, world, page_text):
    login(Role.COORDINATOR, scope_code="52")
    page = client.get("/").get_data(as_text=True)
    assert "本区域概况：贵州省" in page
    assert page_text(page, "stat-learners") == "学员 3"
    assert page_text(page, "stat-organisations") == "机构 3"
    assert page_text(page, "stat-courses") == "课程 1 本区域学员报名的课程"
    assert page_text(page, "stat-sessions-held") == "已举行课次 2"
    assert page_text(page, "stat-sessions-upcoming") == "待举行课次 1 含进行中的课次"
    assert page_text(page, "stat-attendance") == "考勤记录 4"
    assert page_text(page, "stat-certificates") == "有效证书 1"
    assert page_text(page, "organisations-by-kind") == (
        "机构类型 类型 数量 社工机构 1 乡镇（街道）社工站 2 支援方机构 0 合计 3"
    )
    coverage = page_text(page, "coverage")
    assert coverage == "重点帮扶县覆盖 本区域已标记重点帮扶县 2 个，其中 1 个已有机构，1 个已有学员。 查看各县机构、结对与学员 →"
    assert "应为 160" not in page
    upcoming = page_text(page, "my-sessions")
    assert "X第三讲" in upcoming
    assert "Y第二讲" not in upcoming and "Z第一讲" not in upcoming
    # nothing of the other province leaks through names either
    assert "岷县" not in page and "甘肃" not in page


def test_county_coordinator_sees_only_their_county(client, login, world, page_text):
    login(Role.COORDINATOR, scope_code="621126")
    page = client.get("/").get_data(as_text=True)
    assert "本区域概况：甘肃省定西市岷县" in page
    assert page_text(page, "stat-learners") == "学员 2"
    assert page_text(page, "stat-organisations") == "机构 1"
    assert page_text(page, "stat-courses") == "课程 3 本区域学员报名的课程"
    assert page_text(page, "stat-sessions-held") == "已举行课次 4"
    assert page_text(page, "stat-sessions-upcoming") == "待举行课次 3 含进行中的课次"
    assert page_text(page, "stat-attendance") == "考勤记录 2"
    assert page_text(page, "stat-certificates") == "有效证书 2 另有已撤销 1 张"
    assert "本区域已标记重点帮扶县 1 个，其中 1 个已有机构，1 个已有学员。" in page_text(page, "coverage")
    upcoming = page_text(page, "my-sessions")
    assert "Y第二讲" in upcoming and "X第三讲" in upcoming and "Z第一讲" not in upcoming


def test_coordinator_of_an_area_without_data_sees_empty_states(client, login, world, page_text):
    login(Role.COORDINATOR, scope_code="620102")
    page = client.get("/").get_data(as_text=True)
    assert page_text(page, "stat-learners") == "学员 0"
    assert page_text(page, "stat-courses") == "课程 0 本区域学员报名的课程"
    assert "本区域暂无已标记的重点帮扶县。" in page_text(page, "coverage")
    assert "暂无课次安排" in page_text(page, "my-sessions")


def test_instructor_sees_their_own_sessions(client, sign_in, world, page_text):
    sign_in("teacher1")
    page = client.get("/").get_data(as_text=True)
    assert "我的授课" in page and "张老师" in page
    assert page_text(page, "stat-courses") == "我的课程 3"
    assert page_text(page, "stat-sessions-held") == "已举行课次 3"
    assert page_text(page, "stat-sessions-upcoming") == "待举行课次 3 含进行中的课次"
    upcoming = page_text(page, "my-sessions")
    for title in ("X第三讲", "Y第二讲", "Z第一讲"):
        assert title in upcoming
    # assigned to the guest instructor, although teacher1 teaches the course
    assert "Y第三讲（客座）" not in upcoming
    assert "进入线上会议" in upcoming


def test_guest_instructor_sees_the_session_assigned_to_them(client, sign_in, world, page_text):
    sign_in("teacher2")
    page = client.get("/").get_data(as_text=True)
    assert page_text(page, "stat-courses") == "我的课程 1"
    assert page_text(page, "stat-sessions-held") == "已举行课次 0"
    assert page_text(page, "my-sessions").count("Y第三讲（客座）") == 1


def test_instructor_without_sessions_sees_empty_state(client, login, page_text):
    login(Role.INSTRUCTOR)
    page = client.get("/").get_data(as_text=True)
    assert page_text(page, "stat-courses") == "我的课程 0"
    assert "暂无课次安排" in page_text(page, "my-sessions")


def test_certifier_sees_this_years_certificates_and_candidates(client, login, world, page_text):
    from trainhub.db import utcnow

    login(Role.CERTIFIER)
    page = client.get("/").get_data(as_text=True)
    year = (utcnow() + timedelta(hours=8)).year
    # certificate 4 was issued 400 days ago: not this year
    assert page_text(page, "stat-issued") == f"{year} 年颁发证书 3"
    assert page_text(page, "stat-revoked") == f"{year} 年撤销证书 1"
    assert page_text(page, "stat-valid") == "现有有效证书 3"
    assert page_text(page, "issued-by-kind").endswith("结业证书 3 学时证明 0")
    # L1, L2, L4, L5 enrolled (L3 withdrew); only course W has ended, with L5 in it
    assert page_text(page, "enrolled-learners") == "4 人"
    assert page_text(page, "finished-learners") == "1 人"
    assert "估算" in page and "逐人审核" in page


def _link_learner(app, learner_id: int, user_id: int) -> None:
    from trainhub.learners.models import Learner

    with app.app_context():
        db.session.get(Learner, learner_id).user_id = user_id
        db.session.commit()


def test_trainee_sees_their_courses_rates_and_sessions(client, login, world, page_text, app):
    user = login(Role.TRAINEE)
    _link_learner(app, world.learners["L4"], user.id)
    page = client.get("/").get_data(as_text=True)
    assert "学员L4 · 岷县同心社会工作服务中心" in page
    x_row = page_text(page, f"course-{world.courses['X']}")
    y_row = page_text(page, f"course-{world.courses['Y']}")
    # X: two sessions held (the cancelled one left out), present at one, no mark at the other;
    # 80 % of 3 needs all 3, one is missed already
    assert x_row == ("社工机构战略管理 已报名 社工机构管理运营 · 8 学时 出勤率 50.0% 结业要求不低于 80% "
                     "已举行 2 / 3 出勤 1 请假 0 即使剩余 1 个课次全部出勤，出勤率也无法达到 80%。")
    # Y: one held, left early (counts as attended); 80 % of 3 needs 3 attended, 2 more
    assert y_row == ("项目设计与评估 已报名 社工机构管理运营 · 8 学时 出勤率 100.0% 结业要求不低于 80% "
                     "已举行 1 / 3 出勤 1 请假 0 还需出勤 2 次（剩余 2 个课次）才能达到 80%。")
    upcoming = page_text(page, "my-sessions")
    for title in ("X第三讲", "Y第二讲", "Y第三讲（客座）"):
        assert title in upcoming
    assert "Z第一讲" not in upcoming  # not enrolled


def test_trainee_withdrawn_course_has_no_upcoming_sessions(client, login, world, page_text, app):
    user = login(Role.TRAINEE)
    _link_learner(app, world.learners["L3"], user.id)
    page = client.get("/").get_data(as_text=True)
    row = page_text(page, f"course-{world.courses['X']}")
    assert "已退课" in row and "已退出本课程。" in row
    assert "出勤率" not in row  # no rate or prospects for a course the learner left
    assert "暂无课次安排" in page_text(page, "my-sessions")


def test_late_enrolment_counts_only_later_sessions(client, login, world, page_text, app):
    """Enrolled in X after its two sessions were held: not 0 %, nothing counted yet."""
    from trainhub.courses.models import Enrolment
    from trainhub.db import utcnow

    user = login(Role.TRAINEE)
    _link_learner(app, world.learners["L5"], user.id)
    with app.app_context():
        db.session.add(Enrolment(learner_id=world.learners["L5"], course_id=world.courses["X"],
                                 enrolled_at=utcnow() - timedelta(days=1)))
        db.session.commit()
    row = page_text(client.get("/").get_data(as_text=True), f"course-{world.courses['X']}")
    assert "出勤率 — 结业要求不低于 80%" in row
    assert "已举行 0 / 1 出勤 0 请假 0" in row
    # the one session left must be attended (80 % of 1)
    assert "还需出勤 1 次（剩余 1 个课次）才能达到 80%。" in row
    assert "报名前已开始的 2 个课次不计入出勤率。" in row


@pytest.fixture
def rate_course(app, world):
    """Course R: five sessions held (present, late, left early, excused, absent) and one to come,
    for learner L1."""
    from trainhub.attendance.models import Attendance, AttendanceStatus
    from trainhub.courses.models import Course, CourseMode, Enrolment, Track, TrainingSession, Venue
    from trainhub.db import utcnow

    now = utcnow()
    statuses = [AttendanceStatus.PRESENT, AttendanceStatus.LATE, AttendanceStatus.LEFT_EARLY,
                AttendanceStatus.EXCUSED, AttendanceStatus.ABSENT]
    with app.app_context():
        track = db.session.scalars(db.select(Track)).first()
        course = Course(track=track, code="R-01", title="社区需求评估", class_hours=Decimal("12.5"),
                        mode=CourseMode.BLENDED)
        db.session.add(course)
        for day, status in enumerate(statuses, start=1):
            starts = now - timedelta(days=10 - day)
            session = TrainingSession(course=course, starts_at=starts, ends_at=starts + timedelta(hours=2))
            db.session.add(session)
            db.session.add(Attendance(learner_id=world.learners["L1"], session=session, status=status))
        starts = now + timedelta(days=1)
        venue = Venue(name="岑巩县社工站会议室", county_code="522626")
        db.session.add(TrainingSession(course=course, title="R结业讲", starts_at=starts,
                                       ends_at=starts + timedelta(hours=2), venue=venue))
        db.session.add(Enrolment(learner_id=world.learners["L1"], course=course,
                                 enrolled_at=now - timedelta(days=30)))
        db.session.commit()
        return course.id


def test_excused_sessions_are_left_out_by_default(client, login, world, rate_course, page_text, app):
    user = login(Role.TRAINEE)
    _link_learner(app, world.learners["L1"], user.id)
    page = client.get("/").get_data(as_text=True)
    row = page_text(page, f"course-{rate_course}")
    # 3 / (5 - 1); 80 % of the 5 counted sessions needs 4 attended: the last one
    assert row == ("社区需求评估 已报名 社工机构管理运营 · 12.5 学时 出勤率 75.0% 结业要求不低于 80% "
                   "已举行 5 / 6 出勤 3 请假 1 还需出勤 1 次（剩余 1 个课次）才能达到 80%。")
    assert "地点：岑巩县社工站会议室" in page_text(page, "my-sessions")


def test_excused_sessions_count_against_when_configured(client, login, world, rate_course,
                                                        page_text, app):
    app.config["EXCUSED_COUNTS_AGAINST"] = True
    user = login(Role.TRAINEE)
    _link_learner(app, world.learners["L1"], user.id)
    row = page_text(client.get("/").get_data(as_text=True), f"course-{rate_course}")
    # 3 / 5; 80 % of 6 needs 5 attended, only one session left
    assert row == ("社区需求评估 已报名 社工机构管理运营 · 12.5 学时 出勤率 60.0% 结业要求不低于 80% "
                   "已举行 5 / 6 出勤 3 请假 1 即使剩余 1 个课次全部出勤，出勤率也无法达到 80%。 "
                   "本课程请假计为缺勤。")


def test_course_rule_overrides_the_configured_one(client, login, world, rate_course, page_text, app):
    from trainhub.courses.models import Course

    with app.app_context():
        db.session.get(Course, rate_course).excused_counts_against = True
        db.session.get(Course, world.courses["X"]).excused_counts_against = False
        db.session.commit()
    app.config["EXCUSED_COUNTS_AGAINST"] = True
    user = login(Role.TRAINEE)
    _link_learner(app, world.learners["L2"], user.id)
    page = client.get("/").get_data(as_text=True)
    # L2 in X: excused at one of the two held sessions, absent at the other -> 0 / 1
    row = page_text(page, f"course-{world.courses['X']}")
    assert "出勤率 0.0%" in row and "已举行 2 / 3 出勤 0 请假 1" in row
    assert "本课程请假计为缺勤" not in row


def test_trainee_without_learner_record_is_told_so(client, login, page_text):
    login(Role.TRAINEE)
    response = client.get("/")
    assert response.status_code == 200
    assert "您的账号尚未关联学员档案" in response.get_data(as_text=True)


def test_trainee_without_enrolments_sees_empty_states(client, login, world, page_text, app):
    from trainhub.learners.models import Gender, Learner

    user = login(Role.TRAINEE)
    with app.app_context():
        learner = Learner(name="未报名学员", gender=Gender.MALE, birth_date=date(1990, 2, 2),
                          organisation_id=db.session.get(Learner, world.learners["L1"]).organisation_id,
                          user_id=user.id)
        learner.set_id_number("522626199002020015", app.extensions["trainhub_pii"])
        db.session.add(learner)
        db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert "您还没有报名任何课程。" in page_text(page, "my-courses")
    assert "暂无课次安排" in page_text(page, "my-sessions")


# assets and health -----------------------------------------------------------------------------


class _AssetUrls(HTMLParser):
    """Every URL the browser would fetch by itself: scripts, stylesheets, images, frames."""

    ATTRS = {"script": "src", "img": "src", "iframe": "src", "source": "src", "link": "href",
             "video": "src", "audio": "src", "embed": "src", "object": "data"}

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = self.ATTRS.get(tag)
        if name and attrs.get(name):
            self.urls.append(attrs[name])
        if attrs.get("style") and "url(" in attrs["style"]:
            self.urls.extend(re.findall(r"url\(['\"]?([^'\")]+)", attrs["style"]))


def asset_urls(page: str) -> list[str]:
    parser = _AssetUrls()
    parser.feed(page)
    return parser.urls


@pytest.mark.parametrize("role", list(Role))
def test_pages_load_assets_from_the_application_only(client, login, world, role, app):
    login(role, **({"scope_code": "52"} if role == Role.COORDINATOR else {}))
    for path in ("/", "/does-not-exist"):
        page = client.get(path).get_data(as_text=True)
        urls = asset_urls(page)
        assert any("bootstrap" in url and url.endswith(".css") for url in urls)
        assert any("bootstrap" in url and url.endswith(".js") for url in urls)
        outside = [u for u in urls if re.match(r"^(https?:)?//", u, re.IGNORECASE)]
        assert outside == []
        assert "cdn" not in page.lower()
        for url in urls:
            with client.get(url) as asset:  # static files are streamed: close them
                assert asset.status_code == 200, url


def test_sign_in_page_loads_assets_locally(client):
    page = client.get("/login").get_data(as_text=True)
    assert not [u for u in asset_urls(page) if re.match(r"^(https?:)?//", u)]
    assert "http://" not in page and "https://" not in page


def test_healthz_answers_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "redis": "not_configured"}


def test_healthz_answers_503_when_the_database_is_down(app_config, tmp_path):
    from trainhub import create_app

    config = dict(app_config, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'missing' / 'db.sqlite'}")
    app = create_app(config)
    try:
        response = app.test_client().get("/healthz")
        assert response.status_code == 503
        assert response.get_json() == {"status": "unavailable", "database": "unavailable",
                                       "redis": "not_configured"}
    finally:
        with app.app_context():
            db.engine.dispose()
