"""The office's scheduling pages: a course's timetable, one session (new, edit, cancel,
delete), a series (rule → preview → confirmation; edit and cancel the rest), and the wrong
things people type."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from schedule_times import SHANGHAI, local

from trainhub.accounts.models import Role
from trainhub.attendance.models import Attendance, AttendanceStatus
from trainhub.courses.models import SessionSeries, SessionStatus, TrainingSession
from trainhub.extensions import db
from trainhub.schedule.operations import create_session
from trainhub.schedule.recurrence import Rule
from trainhub.schedule.series import create_series

SERIES_FORM = {"weekdays": ["3"], "starts_time": "19:00", "ends_time": "21:00",
               "first_date": "2023-03-01", "count": "12", "skip_holidays": "y",
               "meeting_url": "https://meeting.tencent.com/dm/abc", "meeting_number": "123 456 789"}


@pytest.fixture
def office(login, plan):
    return login(Role.OFFICE)


def sessions(app) -> list[TrainingSession]:
    with app.app_context():
        found = list(db.session.scalars(sa.select(TrainingSession).order_by(TrainingSession.starts_at)))
        for session in found:
            db.session.expunge(session)
        return found


def text(response) -> str:
    return response.get_data(as_text=True)


def test_the_course_page_links_to_the_timetable_for_the_office(app, client, plan, office):
    page = text(client.get(f"/courses/{plan.courses['a']}"))
    assert f'href="/courses/{plan.courses["a"]}/sessions"' in page
    page = text(client.get(f"/courses/{plan.courses['a']}/sessions"))
    assert "尚未排课" in page and "按规则批量排课" in page


def test_only_the_office_manages_sessions(app, client, plan, login):
    login(Role.COORDINATOR)
    assert client.get(f"/courses/{plan.courses['a']}/sessions").status_code == 403
    assert client.post(f"/courses/{plan.courses['a']}/sessions/new", data={}).status_code == 403
    page = text(client.get(f"/courses/{plan.courses['a']}"))
    assert "名额" in page and "课次管理" not in page


def test_an_unknown_course_is_not_found(client, plan, office):
    assert client.get("/courses/9999/sessions").status_code == 404
    assert client.get("/courses/9999/series/new").status_code == 404


# one session ---------------------------------------------------------------------------------


def test_adding_one_session(app, client, plan, office):
    response = client.post(f"/courses/{plan.courses['c']}/sessions/new", data={
        "day": "2023-05-06", "starts_time": "09:00", "ends_time": "11:30", "title": "实地督导",
        "venue_id": str(plan.venues["hall"]), "venue_detail": "二楼"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/courses/{plan.courses['c']}/sessions")
    (session,) = sessions(app)
    assert session.starts_at == local("2023-05-06", "09:00")
    assert (session.title, session.venue_id, session.venue_detail, session.instructor_id) == (
        "实地督导", plan.venues["hall"], "二楼", plan.other_teacher)
    page = text(client.get(response.headers["Location"]))
    assert "2023-05-06 是调休上班日（劳动节调休）" in page  # the flash names the make-up day
    assert "水城区社工站培训室，二楼" in page


@pytest.mark.parametrize(("data", "field_message"), [
    ({"day": ""}, "请填写日期"),
    ({"day": "2023-02-30"}, "日期无效"),
    ({"starts_time": "25:00"}, "开始时间“25:00”不存在"),
    ({"ends_time": "七点"}, "无法识别"),
    ({"ends_time": "08:00"}, "结束时间应晚于开始时间"),
    ({"day": "2023-08-15"}, "以下日期不在第一阶段的时间范围（2023-02-15 至 2023-08-14）内：2023-08-15"),
    ({"instructor_id": "999"}, "请从列表中选择本课程的讲师"),
    ({"venue_id": "abc"}, "请从列表中选择场地"),
    ({"meeting_url": "www.example.com"}, "会议链接应以 https:// 或 http:// 开头"),
    ({"meeting_number": "12#3"}, "会议号只能包含"),
    ({"title": "题" * 201}, "最多 200 个字"),
])
def test_bad_input_for_one_session_is_refused_and_nothing_saved(app, client, plan, office, data, field_message):
    form = {"day": "2023-03-06", "starts_time": "09:00", "ends_time": "11:00", **data}
    response = client.post(f"/courses/{plan.courses['a']}/sessions/new", data=form)
    assert response.status_code in (400, 422)
    assert field_message in text(response)
    assert sessions(app) == []


def test_a_clash_is_shown_and_saved_only_with_a_reason(app, client, plan, office):
    with app.app_context():
        create_session(db.session.get(__import__("trainhub.courses.models", fromlist=["Course"]).Course,
                                      plan.courses["a"]),
                       starts_at=local("2023-03-06", "09:00"), ends_at=local("2023-03-06", "11:00"), actor=None)
        db.session.commit()
    form = {"day": "2023-03-06", "starts_time": "10:00", "ends_time": "12:00",
            "instructor_id": str(plan.teacher)}
    response = client.post(f"/courses/{plan.courses['b']}/sessions/new", data=form)
    assert response.status_code == 409
    page = text(response)
    assert "讲师冲突" in page and "学员冲突" in page and "两门课程有 2 名共同报名的学员" in page
    assert 'name="override_reason"' in page
    assert len(sessions(app)) == 1
    response = client.post(f"/courses/{plan.courses['b']}/sessions/new",
                           data={**form, "override_reason": "合班授课"})
    assert response.status_code == 302
    assert [s.clash_override for s in sessions(app)] == [None, "合班授课"]


def test_editing_a_session_reschedules_it_with_a_reason(app, client, plan, office):
    with app.app_context():
        from trainhub.courses.models import Course

        session = create_session(db.session.get(Course, plan.courses["a"]), starts_at=local("2023-03-06", "09:00"),
                                 ends_at=local("2023-03-06", "11:00"), actor=None)
        db.session.commit()
        session_id = session.id
    page = text(client.get(f"/sessions/{session_id}/edit"))
    assert 'value="2023-03-06"' in page and 'value="09:00"' in page
    moved = {"day": "2023-03-07", "starts_time": "09:00", "ends_time": "11:00",
             "instructor_id": str(plan.teacher)}
    response = client.post(f"/sessions/{session_id}/edit", data=moved)
    assert response.status_code == 422
    assert "请填写调课原因" in text(response)
    response = client.post(f"/sessions/{session_id}/edit", data={**moved, "reason": "讲师出差"})
    assert response.status_code == 302
    (session,) = sessions(app)
    assert session.starts_at == local("2023-03-07", "09:00") and session.sequence == 1


def test_cancelling_a_session_keeps_it_listed(app, client, plan, office):
    with app.app_context():
        from trainhub.courses.models import Course

        session = create_session(db.session.get(Course, plan.courses["a"]), starts_at=local("2023-03-06", "09:00"),
                                 ends_at=local("2023-03-06", "11:00"), actor=None)
        db.session.add(Attendance(learner_id=plan.learners[0], session_id=session.id,
                                  status=AttendanceStatus.PRESENT))
        db.session.commit()
        session_id = session.id
    response = client.post(f"/sessions/{session_id}/cancel", data={"reason": ""})
    assert response.status_code == 422 and "请填写取消原因" in text(response)
    response = client.post(f"/sessions/{session_id}/cancel", data={"reason": "讲师生病"})
    assert response.status_code == 302
    (session,) = sessions(app)
    assert session.status == SessionStatus.CANCELLED
    page = text(client.get(f"/courses/{plan.courses['a']}/sessions"))
    assert "已取消" in page and "讲师生病" in page
    # held in 2023: no delete offered (once started, a session is never deleted)
    row = page[page.index(f'id="session-{session_id}"'):]
    assert f"/sessions/{session_id}/delete" not in row[:row.index("</tr>")]
    # with attendance, deleting is refused and the attendance stays
    response = client.post(f"/sessions/{session_id}/delete", data={"confirm": "y"})
    assert response.status_code == 422
    assert "该课次已有1 条考勤记录" in text(response)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Attendance)) == 1
    assert len(sessions(app)) == 1


def test_deleting_a_future_session_needs_the_box_ticked(app, client, plan, office, current_course):
    from datetime import timedelta

    from trainhub.localtime import local_today

    with app.app_context():
        day = (local_today() + timedelta(days=10)).isoformat()
    response = client.post(f"/courses/{current_course}/sessions/new",
                           data={"day": day, "starts_time": "09:00", "ends_time": "10:00"})
    assert response.status_code == 302
    (session,) = sessions(app)
    page = text(client.get(f"/courses/{current_course}/sessions"))
    row = page[page.index(f'id="session-{session.id}"'):]
    assert f"/sessions/{session.id}/delete" in row[:row.index("</tr>")]
    response = client.post(f"/sessions/{session.id}/delete", data={})
    assert response.status_code == 422 and "请勾选确认后再删除" in text(response)
    response = client.post(f"/sessions/{session.id}/delete", data={"confirm": "y"})
    assert response.status_code == 302
    assert sessions(app) == []


# a series ------------------------------------------------------------------------------------


def test_a_series_is_previewed_then_confirmed(app, client, plan, office, database_rows):
    url = f"/courses/{plan.courses['a']}/series/new"
    assert "预览" in text(client.get(url))
    before = database_rows()
    response = client.post(url, data={**SERIES_FORM, "preview": "1"})
    assert response.status_code == 200
    page = text(response)
    assert "预览：将添加 12 次课" in page
    assert "跳过 2023-04-05（周三）清明" in page and "跳过 2023-05-03（周三）劳动节" in page
    assert "2023-05-31（周三）" in page
    assert database_rows() == before  # nothing saved by the preview

    previewed = page.split('name="previewed" type="hidden" value="')[1].split('"')[0]
    response = client.post(url, data={**SERIES_FORM, "previewed": previewed, "confirm": "1"})
    assert response.status_code == 302
    found = sessions(app)
    assert len(found) == 12
    days = [s.starts_at.astimezone(SHANGHAI).date() for s in found]
    assert date(2023, 4, 5) not in days and days[-1] == date(2023, 5, 31)
    page = text(client.get(response.headers["Location"]))
    assert "跳过节假日：2023-04-05 清明、2023-05-03 劳动节" in page
    assert "每周三 19:00–21:00，自 2023-03-01 起共 12 次" in page


def test_ticking_a_holiday_previews_again_before_saving(app, client, plan, office):
    url = f"/courses/{plan.courses['a']}/series/new"
    page = text(client.post(url, data={**SERIES_FORM, "preview": "1"}))
    previewed = page.split('name="previewed" type="hidden" value="')[1].split('"')[0]
    ticked = {**SERIES_FORM, "previewed": previewed, "keep_holidays": ["2023-05-03"], "confirm": "1"}
    response = client.post(url, data=ticked)
    assert response.status_code == 200  # shown again, with the holiday kept
    page = text(response)
    assert "已按新的内容重新预览" in page and "保留 2023-05-03（周三）劳动节" in page
    assert sessions(app) == []
    previewed = page.split('name="previewed" type="hidden" value="')[1].split('"')[0]
    response = client.post(url, data={**ticked, "previewed": previewed})
    assert response.status_code == 302
    days = [s.starts_at.astimezone(SHANGHAI).date() for s in sessions(app)]
    assert date(2023, 5, 3) in days and len(days) == 12


def test_a_series_outside_the_phase_cannot_be_confirmed(app, client, plan, office):
    url = f"/courses/{plan.courses['a']}/series/new"
    form = {**SERIES_FORM, "first_date": "2023-07-19", "preview": "1"}
    page = text(client.post(url, data=form))
    assert "以下日期不在第一阶段的时间范围" in page and "2023-08-16" in page
    assert "确认保存" not in page
    response = client.post(url, data={**form, "confirm": "1"})
    assert sessions(app) == []
    assert response.status_code in (200, 422)


def test_series_clashes_need_a_reason(app, client, plan, office):
    with app.app_context():
        from trainhub.courses.models import Course

        create_series(db.session.get(Course, plan.courses["a"]),
                      Rule(weekdays=(3,), starts_time=local("2023-03-01", "19:00").astimezone(SHANGHAI).time(),
                           ends_time=local("2023-03-01", "21:00").astimezone(SHANGHAI).time(),
                           first_date=date(2023, 3, 1), count=2), actor=None)
        db.session.commit()
    url = f"/courses/{plan.courses['b']}/series/new"
    form = {**SERIES_FORM, "count": "2", "instructor_id": str(plan.other_teacher)}
    page = text(client.post(url, data={**form, "preview": "1"}))
    assert "以下课次存在时间冲突（2 处）" in page and 'name="override_reason"' in page
    previewed = page.split('name="previewed" type="hidden" value="')[1].split('"')[0]
    response = client.post(url, data={**form, "previewed": previewed, "confirm": "1"})
    assert response.status_code == 409
    assert len(sessions(app)) == 2
    response = client.post(url, data={**form, "previewed": previewed, "confirm": "1",
                                      "override_reason": "学员可看回放"})
    assert response.status_code == 302
    assert [s.clash_override for s in sessions(app)].count("学员可看回放") == 2


@pytest.mark.parametrize(("data", "message"), [
    ({"weekdays": []}, "请至少选择一个星期几"),
    ({"weekdays": ["9"]}, "1（周一）到 7（周日）"),
    ({"weekdays": ["x"]}, "1（周一）到 7（周日）"),
    ({"starts_time": "19:60"}, "不存在"),
    ({"ends_time": "18:00"}, "应晚于开始时间"),
    ({"first_date": ""}, "请填写首次日期"),
    ({"count": ""}, "请填写结束日期或次数"),
    ({"count": "0"}, "次数应为正整数"),
    ({"count": "-1"}, "次数应为正整数"),
    ({"count": "9999"}, "次数最多 300 次"),
    ({"until_date": "2023-06-30"}, "结束日期和次数只能填写一项"),
    ({"count": "", "until_date": "2023-02-01"}, "不能早于首次日期"),
    ({"instructor_id": str(10**6)}, "请从列表中选择本课程的讲师"),
    ({"meeting_url": "javascript:alert(1)"}, "会议链接应以 https://"),
    ({"keep_holidays": ["not-a-date"]}, "所选日期无效"),
])
def test_bad_rules_are_refused_naming_the_field(app, client, plan, office, data, message):
    response = client.post(f"/courses/{plan.courses['a']}/series/new",
                           data={**SERIES_FORM, **data, "preview": "1"})
    assert response.status_code in (400, 422)
    assert message in text(response)
    assert "预览：将添加" not in text(response)
    assert sessions(app) == []


def test_changing_and_cancelling_the_rest_of_a_series(app, client, plan, office):
    with app.app_context():
        from trainhub.courses.models import Course

        rule = Rule(weekdays=(3,), starts_time=local("2023-03-01", "19:00").astimezone(SHANGHAI).time(),
                    ends_time=local("2023-03-01", "21:00").astimezone(SHANGHAI).time(),
                    first_date=date(2023, 3, 1), count=12)
        series_id = create_series(db.session.get(Course, plan.courses["a"]), rule, actor=None).id
        db.session.commit()
    page = text(client.get(f"/courses/{plan.courses['a']}/sessions"))
    assert "每周三 19:00–21:00，自 2023-03-01 起共 12 次" in page
    page = text(client.get(f"/series/{series_id}/edit"))
    assert 'value="19:00"' in page
    form = {"from_date": "2023-05-01", "starts_time": "18:30", "ends_time": "20:30",
            "instructor_id": str(plan.teacher)}
    response = client.post(f"/series/{series_id}/edit", data=form)
    assert response.status_code == 422 and "请填写调课原因" in text(response)
    response = client.post(f"/series/{series_id}/edit", data={**form, "reason": "作息调整"})
    assert response.status_code == 302
    moved = [s for s in sessions(app) if s.sequence == 1]
    assert len(moved) == 4
    assert {s.starts_at.astimezone(SHANGHAI).strftime("%H:%M") for s in moved} == {"18:30"}

    response = client.post(f"/series/{series_id}/cancel", data={"from_date": "2023-05-20", "reason": ""})
    assert response.status_code == 422 and "请填写取消原因" in text(response)
    response = client.post(f"/series/{series_id}/cancel", data={"from_date": "2023-05-20", "reason": "提前结课"})
    assert response.status_code == 302
    assert [s.status for s in sessions(app)].count(SessionStatus.CANCELLED) == 2
    with app.app_context():
        assert db.session.get(SessionSeries, series_id).starts_time.strftime("%H:%M") == "18:30"


def test_an_unknown_session_or_series_is_not_found(client, plan, office):
    for url in ("/sessions/999/edit", "/sessions/999/cancel", "/sessions/999/delete",
                "/series/999/edit", "/series/999/cancel"):
        assert client.get(url).status_code == 404, url


@pytest.fixture
def a_series(app, plan) -> int:
    with app.app_context():
        from trainhub.courses.models import Course

        rule = Rule(weekdays=(3,), starts_time=local("2023-03-01", "19:00").astimezone(SHANGHAI).time(),
                    ends_time=local("2023-03-01", "21:00").astimezone(SHANGHAI).time(),
                    first_date=date(2023, 3, 1), count=4)
        series_id = create_series(db.session.get(Course, plan.courses["a"]), rule, actor=None).id
        db.session.commit()
        return series_id


@pytest.mark.parametrize(("data", "message"), [
    ({"from_date": ""}, "请填写起始日期"),
    ({"from_date": "2023-13-01"}, "日期无效"),
    ({"from_date": "2023-06-01"}, "2023-06-01 及以后没有可修改的课次"),
    ({"starts_time": "24:00"}, "不存在"),
    ({"ends_time": "18:00", "reason": "调整"}, "应晚于开始时间"),
    ({"starts_time": "19:30", "ends_time": "21:30", "reason": ""}, "请填写调课原因"),
    ({"starts_time": "10:00", "ends_time": "11:00", "from_date": "2023-03-01", "reason": "r" * 301}, "最多 300 个字"),
    ({"meeting_url": "ftp://x"}, "会议链接应以 https://"),
    ({"venue_id": "99999"}, "请从列表中选择场地"),
])
def test_bad_series_changes_are_refused(app, client, plan, office, a_series, data, message):
    form = {"from_date": "2023-03-01", "starts_time": "19:00", "ends_time": "21:00", **data}
    response = client.post(f"/series/{a_series}/edit", data=form)
    assert response.status_code in (400, 422)
    assert message in text(response)
    assert {s.sequence for s in sessions(app)} == {0}


@pytest.mark.parametrize(("data", "message"), [
    ({"reason": ""}, "请填写取消原因"),
    ({"reason": "因" * 301}, "最多 300 个字"),
    ({"reason": "停课", "from_date": "2023-02-30"}, "日期无效"),
    ({"reason": "停课", "from_date": "2023-07-01"}, "没有未取消的课次"),
])
def test_bad_series_cancellations_are_refused(app, client, plan, office, a_series, data, message):
    response = client.post(f"/series/{a_series}/cancel", data=data)
    assert response.status_code == 422
    assert message in text(response)
    assert {s.status for s in sessions(app)} == {SessionStatus.SCHEDULED}


@pytest.mark.parametrize(("data", "message"), [
    ({"starts_time": ""}, "请填写开始时间"),
    ({"day": "03/07/2023"}, "日期无效"),
    ({"ends_time": "8:60"}, "不存在"),
    ({"day": "2023-02-01", "reason": "提前"}, "以下日期不在第一阶段的时间范围"),
    ({"instructor_id": "abc"}, "请从列表中选择本课程的讲师"),
    ({"meeting_number": "#1"}, "会议号只能包含"),
    ({"reason": "r" * 301, "day": "2023-03-07"}, "最多 300 个字"),
])
def test_bad_session_changes_are_refused(app, client, plan, office, a_series, data, message):
    session = sessions(app)[0]
    form = {"day": "2023-03-01", "starts_time": "19:00", "ends_time": "21:00", **data}
    response = client.post(f"/sessions/{session.id}/edit", data=form)
    assert response.status_code in (400, 422)
    assert message in text(response)
    assert {s.sequence for s in sessions(app)} == {0}


def test_a_cancel_reason_too_long_is_refused(app, client, plan, office, a_series):
    session = sessions(app)[0]
    response = client.post(f"/sessions/{session.id}/cancel", data={"reason": "因" * 301})
    assert response.status_code == 422 and "最多 300 个字" in text(response)
    assert sessions(app)[0].status == SessionStatus.SCHEDULED
