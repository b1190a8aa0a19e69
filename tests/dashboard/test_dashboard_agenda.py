"""Start pages open with the reader's own sessions of today and of this week (local days),
then the next ones: at a fixed moment, Wednesday 2023-05-10 (Asia/Shanghai), with the
timetable of ``tests/timetable_world.py``."""

from __future__ import annotations

import re
from datetime import date

import pytest
from timetable_world import MEETING_NUMBER, MEETING_URL, at, build_timetable, fixed_now

from trainhub.accounts.models import Role

NOON = at(date(2023, 5, 10), "12:00")


@pytest.fixture
def tt(app, make_user):
    return build_timetable(app, make_user)


@pytest.fixture
def home(client, login, sign_in, monkeypatch):
    """The start page of a world user (a user name) or of a new user of a role, at ``when``."""

    def get(who: str, when=NOON, **kwargs) -> str:
        fixed_now(monkeypatch, when, "trainhub.dashboard.views")
        if who in ("office", "coordinator"):
            login(who, **kwargs)
        else:
            sign_in(who)
        response = client.get("/")
        assert response.status_code == 200
        return response.get_data(as_text=True)

    return get


def section(page: str, section_id: str) -> str:
    start = page.index(f'id="{section_id}"')
    return page[start:page.index("</section>", start)]


def items(part: str) -> list[tuple[str, str]]:
    """(state, text) of each session listed in a part of a page."""
    found = []
    for state, body in re.findall(r'<li class="list-group-item" data-state="([a-z_]+)">(.*?)</li>', part, re.S):
        found.append((state, re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).strip()))
    return found


def titles(part: str) -> list[str]:
    """Course and session title of each session listed, in order."""
    return [re.sub(r"\s+", " ", title).strip()
            for title in re.findall(r'class="fw-semibold session-link" href="/sessions/\d+">(.*?)</a>', part, re.S)]


def test_a_trainee_sees_today_and_this_week_first_with_the_join_link(home, tt):
    page = home("trainee-gz")
    assert page.index('id="today-sessions"') < page.index('id="my-courses"')
    today = section(page, "today-sessions")
    assert "今天 · 5 月 10 日 周三" in today
    assert [state for state, _ in items(today)] == ["scheduled"]
    assert "社工机构战略管理" in today and "即将开始" in today
    assert "2023-05-10（周三）19:00–21:00" in today
    # the join link stands out (a full button) with the meeting number beside it
    assert re.search(rf'<a class="btn btn-success join-link" href="{re.escape(MEETING_URL)}"', today)
    assert MEETING_NUMBER in today

    week = section(page, "week-sessions")
    assert "至 5 月 14 日 周日" in week
    assert "5 月 11 日 周四" in week and "5 月 12 日 周五" in week
    assert [state for state, _ in items(week)] == ["scheduled", "cancelled"]
    cancelled = items(week)[1][1]
    assert "项目设计与评估 · 项目答辩" in cancelled and "已取消" in cancelled and "场地维修" in cancelled
    assert "地点：水城区实施点，二楼培训室" in week
    assert "社工站建设实务" not in page  # not their course

    later = section(page, "next-sessions")
    assert [text.split(" ")[0] for _, text in items(later)] == ["社工机构战略管理"] * 3
    assert "2023-05-17（周三）" in later and "2023-05-31（周三）" in later
    assert "btn-success" not in later and "btn-outline-success join-link" in later


def test_a_session_in_progress_is_highlighted_and_an_ended_one_has_no_link(home, tt):
    page = home("trainee-gz", when=at(date(2023, 5, 10), "19:30"))
    today = section(page, "today-sessions")
    assert [state for state, _ in items(today)] == ["in_progress"]
    assert "进行中" in today and "btn btn-success join-link" in today


def test_after_the_session_today_shows_it_ended_without_a_link(home, tt):
    page = home("trainee-gz", when=at(date(2023, 5, 10), "22:00"))
    today = section(page, "today-sessions")
    assert [state for state, _ in items(today)] == ["ended"]
    assert "已结束" in today and MEETING_URL not in today


def test_an_instructor_sees_the_sessions_they_teach(home, tt):
    page = home("teacher-zhang")
    assert [state for state, _ in items(section(page, "today-sessions"))] == ["scheduled"]
    # STA-01 on Friday is assigned to the guest instructor
    assert "本周其余几天没有课次。" in section(page, "week-sessions")
    later = section(page, "next-sessions")
    assert titles(later) == ["社工机构战略管理", "社工站建设实务 · 晨间实务", "社工机构战略管理",
                             "社工机构战略管理", "社工站建设实务 · 节前总结"]
    assert "进入线上会议" in later


def test_the_guest_instructor_sees_their_session_this_week(home, tt):
    page = home("teacher-wang")
    assert "今天没有课次。" in section(page, "today-sessions")
    assert titles(section(page, "week-sessions")) == ["社工站建设实务 · 客座专题"]


@pytest.mark.parametrize(("scope", "today", "week", "later"), [
    ("52", ["社工机构战略管理"], ["项目设计与评估 · 项目书写作", "项目设计与评估 · 项目答辩"], 3),
    ("621126", [], ["社工站建设实务 · 客座专题"], 2),
])
def test_a_coordinator_sees_the_sessions_of_their_areas_learners(home, tt, scope, today, week, later):
    page = home("coordinator", scope_code=scope)
    assert titles(section(page, "today-sessions")) == today
    assert titles(section(page, "week-sessions")) == week
    assert len(items(section(page, "next-sessions"))) == later


def test_the_office_sees_the_whole_programme_today_and_this_week(home, tt):
    page = home("office")
    assert titles(section(page, "today-sessions")) == ["社工机构战略管理"]
    assert titles(section(page, "week-sessions")) == [
        "项目设计与评估 · 项目书写作", "社工站建设实务 · 客座专题", "项目设计与评估 · 项目答辩"]
    assert len(items(section(page, "next-sessions"))) == 5
    # the office may join every meeting
    assert f'href="{MEETING_URL}"' in section(page, "today-sessions")


def test_an_office_week_beyond_the_limit_says_so(home, tt, monkeypatch):
    monkeypatch.setattr("trainhub.dashboard.queries.AGENDA_LIMIT", 2)
    page = home("office")
    week = section(page, "week-sessions")
    assert len(items(section(page, "today-sessions"))) + len(items(week)) == 2
    assert "本周课次较多" in week
    assert 'href="/timetable?date_from=2023-05-10&amp;date_to=2023-05-14"' in week


def test_the_certification_centre_keeps_its_certificate_page(client, login, tt):
    login(Role.CERTIFIER)
    page = client.get("/").get_data(as_text=True)
    assert "待审核学员" in page and 'id="today-sessions"' not in page
