"""The office's schedule import pages: upload → preview → confirm → result, the template,
refusals that save nothing."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
import sqlalchemy as sa
from schedule_sheets import LINK, csv_bytes, row, utc, xlsx

from trainhub.accounts.models import Role
from trainhub.audit.models import AuditEntry
from trainhub.courses.models import TrainingSession
from trainhub.extensions import db


@pytest.fixture
def office(login, plan):
    return login(Role.OFFICE)


def _upload(client, data: bytes, filename: str = "课表.xlsx", **fields):
    form = {"file": (io.BytesIO(data), filename), **fields}
    return client.post("/timetable/import", data=form, content_type="multipart/form-data",
                       follow_redirects=True)


def _token(page: str) -> str:
    return re.search(r'action="/timetable/import/([\w-]+)/confirm"', page).group(1)


def _sessions(app) -> list[tuple]:
    with app.app_context():
        return db.session.execute(sa.select(TrainingSession.course_id, TrainingSession.starts_at,
                                            TrainingSession.clash_override)
                                  .order_by(TrainingSession.starts_at)).all()


def test_the_upload_page_offers_the_template(client, office):
    page = client.get("/timetable/import").get_data(as_text=True)
    assert "从文件导入课次" in page and 'href="/timetable/import/template.xlsx"' in page
    assert "允许在法定节假日排课" in page and "覆盖时间冲突的理由" in page and "会议链接" in page
    assert 'href="/timetable/import"' in page  # in the office's navigation

    response = client.get("/timetable/import/template.xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames == ["课次", "填写说明"]
    sheet = workbook["课次"]
    assert [cell.value for cell in sheet[1]] == ["课程编号", "日期", "开始时间", "结束时间", "地点", "会议链接",
                                                 "会议号", "讲师", "标题"]
    assert sheet["A2"].value == "P1-ORG-01" and sheet["F2"].value.startswith("https://")

    # the template sent back untouched: its example row is recognised, nothing to import
    response = _upload(client, response.data, "课次导入模板.xlsx")
    assert response.status_code == 422 and "只有导入模板的示例行" in response.get_data(as_text=True)


def test_upload_preview_confirm_and_result(app, client, office):
    response = _upload(client, xlsx([row("S-A", instructor="teacher-a", title="第 1 讲"), row("S-A", "2023-03-08"),
                                     row("S-C", "2023-03-09", "09:00", "12:00", venue="水城区社工站培训室", link="")]))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "课次导入预览：课表.xlsx" in page and "全部 3 行检查无误" in page
    assert "S-A 排课课程A：2 个课次" in page and "S-C 排课课程C：1 个课次" in page
    assert page.count(">将创建<") == 3 and "（课程的第一位讲师）" in page and "水城区社工站培训室" in page
    assert _sessions(app) == []  # a preview saves nothing

    token = _token(page)
    response = client.post(f"/timetable/import/{token}/confirm", data={})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/timetable/import/{token}/result")
    assert len(_sessions(app)) == 3
    result = client.get(f"/timetable/import/{token}/result").get_data(as_text=True)
    assert 'data-count="sessions">3<' in result and "S-A 排课课程A" in result
    with app.app_context():
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "schedule.import"))
        assert entry.actor_id == office.id and entry.detail["via"] == "web" and entry.detail["sessions"] == 3

    # confirming again imports nothing twice; the preview now shows the result
    response = client.post(f"/timetable/import/{token}/confirm", data={})
    assert response.status_code == 302 and response.headers["Location"].endswith("/result")
    assert client.get(f"/timetable/import/{token}").status_code == 302
    assert len(_sessions(app)) == 3


def test_a_file_with_bad_rows_is_previewed_and_its_confirmation_saves_nothing(app, client, office,
                                                                               database_rows):
    response = _upload(client, csv_bytes([row("S-A"), row("S-X", "2023-03-02"), row("S-A", "2023-03-03", "19:00", "18:00")],
                                         encoding="gbk"), "课表.csv")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "CSV 编码：gbk" in page
    assert "有 2 行有问题（共 2 处）" in page
    assert "【课程编号】课程编号“S-X”不存在" in page and "【结束时间】结束时间应晚于开始时间。" in page
    assert page.count(">将创建<") == 1

    before = database_rows()
    response = client.post(f"/timetable/import/{_token(page)}/confirm", data={})
    assert response.status_code == 422
    assert "文件中有 2 行有问题" in response.get_data(as_text=True) and "未保存任何课次" in response.get_data(as_text=True)
    assert database_rows() == before


def test_a_holiday_row_passes_once_holidays_are_allowed_on_the_preview(app, client, office):
    page = _upload(client, xlsx([row("S-A", "2023-06-23"), row("S-A", "2023-06-26")])).get_data(as_text=True)
    assert "【日期】2023-06-23 端午：法定节假日默认不排课" in page
    token = _token(page)

    response = client.post(f"/timetable/import/{token}/confirm", data={"allow_holidays": "y", "recheck": "1"})
    assert response.status_code == 303 and _sessions(app) == []  # checked again, nothing saved
    page = client.get(f"/timetable/import/{token}").get_data(as_text=True)
    assert "全部 2 行检查无误" in page and "2023-06-23 端午（已允许在节假日排课）" in page
    assert re.search(r'<input checked[^>]*name="allow_holidays"', page)  # the choice kept

    response = client.post(f"/timetable/import/{token}/confirm", data={"allow_holidays": "y"})
    assert response.status_code == 302 and len(_sessions(app)) == 2


def test_a_clash_is_refused_until_a_reason_is_given(app, client, office):
    page = _upload(client, xlsx([row("S-A", instructor="teacher-a"),
                                 row("S-B", "2023-03-01", "20:00", "22:00", instructor="teacher-a")])).get_data(as_text=True)
    assert "【讲师】" in page and "（文件第 2 行）" in page and "有 2 名共同报名的学员" in page
    token = _token(page)
    assert client.post(f"/timetable/import/{token}/confirm", data={}).status_code == 422
    assert _sessions(app) == []

    too_long = client.post(f"/timetable/import/{token}/confirm", data={"override_reason": "很" * 301})
    assert too_long.status_code == 422 and "覆盖冲突的理由最多 300 个字" in too_long.get_data(as_text=True)
    assert _sessions(app) == []

    response = client.post(f"/timetable/import/{token}/confirm", data={"override_reason": "两班合上"})
    assert response.status_code == 302
    assert [override for _, _, override in _sessions(app)] == [None, "两班合上"]
    result = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "其中 1 个课次存在时间冲突，已按理由“两班合上”照常排课" in result


def test_a_clash_scheduled_between_preview_and_confirmation_is_found_on_confirming(app, client, office, plan):
    """The confirmation checks the file again against the timetable as it is then."""
    from trainhub.courses.models import Course
    from trainhub.schedule.operations import create_session

    page = _upload(client, xlsx([row("S-A", instructor="teacher-a")])).get_data(as_text=True)
    assert "全部 1 行检查无误" in page
    with app.app_context():
        create_session(db.session.get(Course, plan.courses["b"]), starts_at=utc("2023-03-01", "20:00"),
                       ends_at=utc("2023-03-01", "22:00"), meeting_url=LINK, instructor_id=plan.teacher,
                       actor=None)
        db.session.commit()
    response = client.post(f"/timetable/import/{_token(page)}/confirm", data={})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "【讲师】" in text and "讲师 王老师 同时有课次“S-B 排课课程B”" in text and "未保存任何课次" in text
    assert len(_sessions(app)) == 1


@pytest.mark.parametrize(("data", "filename", "said"), [
    ("课程编号,日期\nS-A,2023-03-01\n".encode(), "课表.csv", "缺少必需的列"),
    (b"PK\x03\x04 not really", "课表.xlsx", "Excel"),
    (b"", "课表.csv", "文件是空的"),
])
def test_a_file_that_cannot_be_imported_is_refused_on_the_form(app, client, office, data, filename, said):
    response = _upload(client, data, filename)
    assert response.status_code == 422 and said in response.get_data(as_text=True)
    assert "上传并预览" in response.get_data(as_text=True)


def test_the_upload_belongs_to_its_office_user_and_to_this_import(app, client, office, login, make_user):
    from trainhub import uploads

    page = _upload(client, xlsx([row("S-A")])).get_data(as_text=True)
    token = _token(page)
    assert client.get(f"/imports/{token}").status_code == 404  # not a learner import
    with app.app_context():
        roster = uploads.save_upload(office.id, "名单.csv", "姓名\n张三\n".encode(), {}, kind=uploads.LEARNERS)
    assert client.get(f"/timetable/import/{roster.token}").status_code == 404

    other = make_user(Role.OFFICE)
    client.post("/logout")
    client.post("/login", data={"username": other.username, "password": "Xunlian-2023"})
    assert client.get(f"/timetable/import/{token}").status_code == 404
    assert client.post(f"/timetable/import/{token}/confirm", data={}).status_code == 404
    assert _sessions(app) == []


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.INSTRUCTOR, Role.TRAINEE, Role.CERTIFIER])
def test_only_the_office_imports_a_schedule(client, login, plan, role):
    login(role)
    assert client.get("/timetable/import").status_code == 403
    response = client.post("/timetable/import", data={"file": (io.BytesIO(xlsx([row()])), "课表.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 403
