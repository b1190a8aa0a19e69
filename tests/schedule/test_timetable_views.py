"""The timetable pages: the filtered list (scope of every role, filters, bad input), a
session's page (who reads it, who is shown the meeting link, cancellation, series, history),
the month calendar and a phase's overview."""

from __future__ import annotations

import re
from datetime import date

import pytest
from timetable_world import MEETING_NUMBER, MEETING_URL, at, build_timetable, fixed_now

from trainhub.accounts.models import Role
from trainhub.audit.models import AuditEntry
from trainhub.extensions import db

PASSWORD = "Xunlian-2023"  # conftest.DEFAULT_PASSWORD
NOW = at(date(2023, 5, 10), "12:00")
EVERYTHING = "/timetable?date_from="


@pytest.fixture
def tt(app, make_user, monkeypatch):
    fixed_now(monkeypatch, NOW)
    return build_timetable(app, make_user)


@pytest.fixture
def sign_in(client):
    def do(username: str):
        response = client.post("/login", data={"username": username, "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)

    return do


def listed(page: str) -> set[int]:
    """Ids of the sessions a timetable page lists."""
    return {int(found) for found in re.findall(r'<tr id="session-(\d+)"', page)}


def ids(tt, *prefixes: str) -> set[int]:
    return {sid for key, sid in tt.sessions.items() if key.startswith(prefixes)}


def as_role(login, sign_in, who: str):
    """Sign in as one of the world's users (a user name) or a new user of a role."""
    if who in ("office", "certifier"):
        login(who)
    elif who.startswith("coordinator-"):
        login(Role.COORDINATOR, scope_code=who.removeprefix("coordinator-"))
    else:
        sign_in(who)


# scope -------------------------------------------------------------------------------------------

SCOPE = [
    ("office", ("org1", "org2", "sta")),
    ("certifier", ("org1", "org2", "sta")),
    # learners of the area enrolled (ORG-01, ORG-02), and ORG-02's venue lies in 水城区
    ("coordinator-52", ("org1", "org2")),
    ("coordinator-621126", ("sta",)),
    # listed for ORG-01 and STA-01: every session of them, the guest's included
    ("teacher-zhang", ("org1", "sta")),
    ("teacher-li", ("org2",)),
    ("teacher-wang", ("sta",)),
    ("trainee-gz", ("org1", "org2")),
    ("trainee-gs", ("sta",)),
]


@pytest.mark.parametrize(("who", "readable"), SCOPE)
def test_each_role_lists_the_sessions_it_may_read(client, login, sign_in, tt, who, readable):
    as_role(login, sign_in, who)
    response = client.get(EVERYTHING)
    assert response.status_code == 200
    assert listed(response.get_data(as_text=True)) == ids(tt, *readable)


@pytest.mark.parametrize(("who", "readable"), SCOPE)
def test_a_session_outside_the_readers_reach_is_not_found(client, login, sign_in, tt, who, readable):
    as_role(login, sign_in, who)
    for key, session_id in tt.sessions.items():
        status = client.get(f"/sessions/{session_id}").status_code
        assert status == (200 if key.startswith(readable) else 404), (who, key)
    assert client.get("/sessions/999999").status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, tt):
    for path in ("/timetable", "/timetable/month", f"/phases/{tt.phase}/overview",
                 f"/sessions/{tt.sessions['org2-0506']}"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("role", ["office", "coordinator", "instructor", "certifier", "trainee"])
def test_every_role_has_the_timetable_in_its_menu(client, login, tt, role):
    login(role)
    page = client.get("/").get_data(as_text=True)
    assert '<a class="nav-link" href="/timetable"' in page and ">课表</a>" in page
    assert '<a class="nav-link" href="/timetable/month"' in page and ">日历</a>" in page


# filters -----------------------------------------------------------------------------------------


def test_without_filters_the_list_starts_today(client, login, tt):
    login("office")
    page = client.get("/timetable").get_data(as_text=True)
    # from 2023-05-10 (local): ORG-01 05-10 … 05-31, ORG-02 05-11 and the cancelled 05-12,
    # STA-01 05-12, 05-20, 06-21
    expected = {tt.sessions[k] for k in ("org1-2023-05-10", "org1-2023-05-17", "org1-2023-05-24",
                                         "org1-2023-05-31", "org2-0511", "org2-cancelled",
                                         "sta-0512", "sta-0520", "sta-0621")}
    assert listed(page) == expected
    assert 'value="2023-05-10"' in page
    assert "今天起共 9 个课次" in page and "显示全部课次（含已结束的）" in page
    assert len(listed(client.get(EVERYTHING).get_data(as_text=True))) == 18


def test_filters_by_track_course_instructor_and_mode(client, login, tt):
    login("office")

    def get(**args) -> set[int]:
        query = "&".join(f"{key}={value}" for key, value in args.items())
        response = client.get(f"/timetable?date_from=&{query}")
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert "invalid-feedback" not in page, query
        return listed(page)

    assert get(track=tt.tracks["station"]) == ids(tt, "sta")
    assert get(phase=tt.phase) == ids(tt, "org1", "org2", "sta")
    assert get(course=tt.courses["ORG-02"]) == ids(tt, "org2")
    assert get(mode="onsite") == ids(tt, "org2")
    assert get(mode="online") == ids(tt, "org1")
    # an instructor's sessions: assigned to them, or unassigned in a course they teach
    zhang = tt.users["teacher-zhang"]
    assert get(instructor=zhang) == ids(tt, "org1") | {tt.sessions["sta-0520"], tt.sessions["sta-0621"]}
    # the guest is listed for STA-01 too: its unassigned sessions are theirs as well
    assert get(instructor=tt.users["teacher-wang"]) == ids(tt, "sta")
    assert get(course=tt.courses["STA-01"], instructor=zhang) == {tt.sessions["sta-0520"],
                                                                   tt.sessions["sta-0621"]}
    assert get(instructor=tt.users["teacher-li"], mode="online") == set()


def test_dates_are_local_days(client, login, tt):
    """STA-01 on 2023-05-20 starts at 07:30 in Shanghai, 23:30 the day before in UTC."""
    login("office")
    page = client.get("/timetable?date_from=2023-05-20&date_to=2023-05-20").get_data(as_text=True)
    assert listed(page) == {tt.sessions["sta-0520"]}
    page = client.get("/timetable?date_from=2023-05-19&date_to=2023-05-19").get_data(as_text=True)
    assert listed(page) == set()
    assert "没有符合条件的课次。" in page
    page = client.get("/timetable?date_from=2023-05-11&date_to=2023-05-12").get_data(as_text=True)
    assert listed(page) == {tt.sessions[k] for k in ("org2-0511", "org2-cancelled", "sta-0512")}


def test_filters_by_status_at_the_moment(client, login, tt, monkeypatch):
    fixed_now(monkeypatch, at(date(2023, 5, 10), "19:30"))
    login("office")

    def get(status: str) -> set[int]:
        return listed(client.get(f"/timetable?date_from=&status={status}").get_data(as_text=True))

    assert get("in_progress") == {tt.sessions["org1-2023-05-10"]}
    assert get("cancelled") == {tt.sessions["org1-2023-03-15"], tt.sessions["org2-cancelled"]}
    scheduled = get("scheduled")
    assert scheduled == {tt.sessions[k] for k in ("org1-2023-05-17", "org1-2023-05-24",
                                                  "org1-2023-05-31", "org2-0511", "sta-0512",
                                                  "sta-0520", "sta-0621")}
    ended = get("ended")
    assert len(ended) == 18 - 2 - 1 - len(scheduled)
    assert tt.sessions["org2-0506"] in ended


def test_a_cancelled_session_is_listed_as_cancelled(client, login, tt):
    login("office")
    page = client.get("/timetable?date_from=2023-05-12&date_to=2023-05-12").get_data(as_text=True)
    row = re.search(rf'<tr id="session-{tt.sessions["org2-cancelled"]}".*?</tr>', page, re.S).group(0)
    assert "session-cancelled" in row and "已取消" in row and "场地维修" in row


@pytest.mark.parametrize(("query", "field", "message"), [
    ("course=999999", "course", "请从列表中选择课程。"),
    ("track=abc", "track", "请从列表中选择课程模块。"),
    ("instructor=1%27", "instructor", "请从列表中选择讲师。"),
    ("mode=video", "mode", "请从列表中选择授课形式。"),
    ("status=maybe", "status", "请从列表中选择状态。"),
    ("date_from=2023-02-30", "date_from", "日期无效，请按 2023-03-01 的格式填写。"),
    ("date_from=9999-12-31", "date_from", "日期应在 2000 年至 2099 年之间。"),
    ("date_from=2023-06-01&date_to=2023-05-01", "date_to", "结束日期不能早于开始日期。"),
    ("page=99999999999999999999", None, None),
])
def test_bad_filters_are_said_under_their_field_and_ignored(client, login, tt, query, field, message):
    login("office")
    response = client.get(f"/timetable?{query}" if "date_from" in query else f"/timetable?date_from=&{query}")
    assert response.status_code in (200, 400)
    page = response.get_data(as_text=True)
    if field is None:  # a page number too large for the database
        assert response.status_code == 400 and "超出允许范围" in page
        return
    assert response.status_code == 200
    assert re.search(rf'id="{field}"[^>]*class="[^"]*is-invalid', page) or \
        re.search(rf'class="[^"]*is-invalid[^"]*"[^>]*id="{field}"', page)
    assert message in page
    if field != "date_to":
        assert len(listed(page)) == 18  # the bad filter filters nothing


def test_pages_keep_the_filters(client, login, tt, monkeypatch):
    monkeypatch.setattr("trainhub.schedule.timetable_views.PER_PAGE", 5)
    login("office")
    page = client.get(f"/timetable?date_from=&course={tt.courses['ORG-01']}").get_data(as_text=True)
    assert "共 12 个课次，第 1 / 3 页" in page
    assert f"/timetable?course={tt.courses['ORG-01']}&amp;date_from=&amp;page=2" in page
    page2 = client.get(f"/timetable?date_from=&course={tt.courses['ORG-01']}&page=3").get_data(as_text=True)
    assert len(listed(page2)) == 2


# a session's page --------------------------------------------------------------------------------


def test_a_session_page_shows_what_and_where(client, sign_in, tt):
    sign_in("trainee-gz")
    page = client.get(f"/sessions/{tt.sessions['org2-0506']}").get_data(as_text=True)
    assert "项目设计与评估 · 需求调研" in page
    assert "2023-05-06（周六）09:30–12:00" in page
    assert "水城区实施点，二楼培训室" in page and "水城区双水街道 1 号" in page
    assert "贵州省六盘水市水城区" in page
    assert "李老师" in page and "社工机构管理运营" in page and "第一阶段" in page
    assert "已结束" in page
    assert "变更记录" not in page  # the office's only


def test_the_meeting_link_is_shown_to_those_who_attend_or_teach(client, login, sign_in, tt):
    online = f"/sessions/{tt.sessions['org1-2023-05-17']}"
    sign_in("trainee-gz")
    page = client.get(online).get_data(as_text=True)
    assert f'href="{MEETING_URL}"' in page and "进入线上会议" in page and MEETING_NUMBER in page
    client.post("/logout")
    sign_in("teacher-zhang")
    assert f'href="{MEETING_URL}"' in client.get(online).get_data(as_text=True)
    # a session of a course zhang teaches, assigned to the guest: readable, not theirs to join
    guest = client.get(f"/sessions/{tt.sessions['sta-0512']}")
    assert guest.status_code == 200 and "客座王老师" in guest.get_data(as_text=True)
    client.post("/logout")
    login("certifier")
    page = client.get(online).get_data(as_text=True)
    assert "线上会议" in page and MEETING_URL not in page and MEETING_NUMBER not in page


def test_a_cancelled_session_says_when_and_why(client, sign_in, tt):
    sign_in("trainee-gz")
    page = client.get(f"/sessions/{tt.sessions['org1-2023-03-15']}").get_data(as_text=True)
    assert "本课次已取消" in page and "取消于 2023-03-10 10:00" in page
    assert "取消原因：讲师临时出差" in page
    assert "原定时间：2023-03-15（周三）19:00–21:00" in page
    assert MEETING_URL not in page  # nothing to join


def test_a_session_of_a_series_states_its_rule(client, sign_in, tt):
    sign_in("trainee-gz")
    page = client.get(f"/sessions/{tt.sessions['org1-2023-03-01']}").get_data(as_text=True)
    assert "重复规则" in page and "每周三 19:00–21:00，自 2023-03-01 起，共 12 次，遇法定节假日不排课" in page
    assert "重复规则" not in client.get(f"/sessions/{tt.sessions['org2-0506']}").get_data(as_text=True)


def test_the_office_sees_the_change_history(app, client, login, tt):
    office = login("office", display_name="王项目办")
    session_id = tt.sessions["org2-cancelled"]
    with app.app_context():
        db.session.add_all([
            AuditEntry(action="session.create", target_type="session", target_id=str(session_id),
                       actor_id=office.id, at=at(date(2023, 3, 1), "09:00")),
            AuditEntry(action="session.cancel", target_type="session", target_id=str(session_id),
                       actor_id=office.id, at=at(date(2023, 5, 8), "09:00"), detail={"reason": "场地维修"}),
            AuditEntry(action="session.cancel", target_type="session", target_id="999",
                       at=at(date(2023, 5, 8), "09:00"), detail={"reason": "别的课次"}),
        ])
        db.session.commit()
    page = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    history = page[page.index("变更记录"):]
    assert re.findall(r'<td class="list-title">([^<]+)</td>', history) == ["2023-03-01 09:00", "2023-05-08 09:00"]
    assert "排课" in history and "取消" in history and "王项目办" in history and "场地维修" in history
    assert "别的课次" not in history
    page = client.get(f"/sessions/{tt.sessions['org2-0506']}").get_data(as_text=True)
    assert "暂无变更记录。" in page


def test_a_session_changed_by_the_office_shows_the_change_and_its_actions(client, login, sign_in, tt):
    """Through the real pages: the office cancels a session, and its page then holds the
    cancellation in the history with the reason; the actions are the office's only."""
    login("office", display_name="王项目办")
    session_id = tt.sessions["org2-0511"]
    page = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    actions = page[page.index('id="session-actions"'):]
    for action in (f"/sessions/{session_id}/edit", f"/sessions/{session_id}/cancel",
                   f"/sessions/{session_id}/delete"):
        assert action in actions
    response = client.post(f"/sessions/{session_id}/cancel", data={"reason": "场地检修，另行安排"})
    assert response.status_code == 302
    page = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    assert "本课次已取消" in page and "取消原因：场地检修，另行安排" in page
    history = page[page.index("变更记录"):]
    assert "取消" in history and "王项目办" in history and "场地检修，另行安排" in history
    assert f"/sessions/{session_id}/cancel" not in page  # cancelled: nothing more to cancel
    client.post("/logout")
    sign_in("trainee-gz")
    page = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    assert "本课次已取消" in page and 'id="session-actions"' not in page and "变更记录" not in page


# the month calendar ------------------------------------------------------------------------------


def test_the_month_calendar_names_holidays_and_make_up_days(client, sign_in, tt):
    sign_in("trainee-gz")
    page = client.get("/timetable/month?month=2023-05").get_data(as_text=True)
    assert "2023 年 5 月" in page
    assert "劳动节：2023-04-29 至 2023-05-03 放假（5 天）" in page
    assert "2023-05-06（周六）调休上班（劳动节）" in page
    grid = page[page.index('id="month-grid"'):page.index('id="month-agenda"')]
    day1 = grid[grid.index('id="day-2023-05-01"'):grid.index('id="day-2023-05-02"')]
    assert "is-holiday" in grid[grid.rindex("<div", 0, grid.index('id="day-2023-05-01"')):][:200]
    assert "休 · 劳动节" in day1
    day6 = grid[grid.index('id="day-2023-05-06"'):grid.index('id="day-2023-05-07"')]
    assert "班 · 调休" in day6 and "项目设计与评估" in day6
    day12 = grid[grid.index('id="day-2023-05-12"'):grid.index('id="day-2023-05-13"')]
    assert "is-cancelled" in day12 and "（已取消）" in day12
    assert "社工站建设实务" not in page  # not the trainee's course
    agenda = page[page.index('id="month-agenda"'):]
    assert "5 月 1 日 周一" in agenda and "5 月 10 日 周三 · 今天" in agenda
    assert "本月共 7 个课次（其中已取消 1 个）" in page
    assert 'href="/timetable/month?month=2023-04"' in page and 'href="/timetable/month?month=2023-06"' in page


def test_the_month_calendar_opens_on_the_current_month(client, sign_in, tt):
    sign_in("trainee-gz")
    page = client.get("/timetable/month").get_data(as_text=True)
    assert "2023 年 5 月" in page


@pytest.mark.parametrize(("month", "message"), [
    ("2023-13", "月份无效，请按 2023-05 的格式填写。已显示本月。"),
    ("五月", "月份无效，请按 2023-05 的格式填写。已显示本月。"),
    ("9999-12", "月份应在 2000 年至 2099 年之间。已显示本月。"),
])
def test_a_bad_month_is_said_and_the_current_month_shown(client, sign_in, tt, month, message):
    sign_in("trainee-gz")
    response = client.get(f"/timetable/month?month={month}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in page and "2023 年 5 月" in page


def test_a_month_beyond_the_holiday_data_says_so(client, sign_in, tt):
    sign_in("trainee-gz")
    page = client.get("/timetable/month?month=2099-12").get_data(as_text=True)
    assert "2099 年的节假日安排尚未公布，本月未标注节假日。" in page
    assert "下个月" not in page and "上个月" in page


# the overview ------------------------------------------------------------------------------------


def test_the_overview_page_shades_holiday_weeks_and_links_each_weeks_sessions(client, login, tt):
    login("office")
    page = client.get(f"/phases/{tt.phase}/overview").get_data(as_text=True)
    assert "第一阶段总览" in page and "2023-02-15 至 2023-08-14 · 27 周 · 3 门课程 · 16 个课次（另有已取消 2 个）" in page
    assert "劳动节：2023-04-29 至 2023-05-03 放假，2023-04-23（周日）、2023-05-06（周六）调休上班" in page
    assert "清明：2023-04-05 放假" in page and "端午：2023-06-22 至 2023-06-24 放假" in page
    row = page[page.index(f'id="overview-course-{tt.courses["ORG-02"]}"'):]
    row = row[:row.index("</ol>")]
    assert (f'href="/timetable?course={tt.courses["ORG-02"]}&amp;date_from=2023-05-01&amp;'
            'date_to=2023-05-07"') in row
    assert "×1" in row  # the cancelled session of the week of 05-08
    # the header names the holiday of each shaded week
    assert 'class="overview-cell is-holiday" title="第 12 周：2023-05-01 至 2023-05-07；劳动节（04-29–05-03）"' in page
    assert page.count('class="overview-cell is-holiday"') == 4 * 4  # head + three courses
    assert 'is-current' in page  # the week of 2023-05-08 holds "now"


def test_an_unknown_phase_is_not_found(client, login, tt):
    login("office")
    assert client.get("/phases/999999/overview").status_code == 404


def test_a_trainee_sees_only_their_courses_in_the_overview(client, sign_in, tt):
    sign_in("trainee-gs")
    page = client.get(f"/phases/{tt.phase}/overview").get_data(as_text=True)
    assert "社工站建设实务" in page and "社工机构战略管理" not in page
