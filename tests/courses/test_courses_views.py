"""Course pages: list, detail, enrolling (one, a selection, an organisation, a county),
withdrawing, the export, and the learner page's enrolment table."""

from __future__ import annotations

import io
import re

import sqlalchemy as sa
from openpyxl import load_workbook

from trainhub.courses.models import Course, Enrolment, EnrolmentStatus
from trainhub.courses.operations import enrol
from trainhub.extensions import db
from trainhub.learners.models import Learner

ENROLLED, WAITLISTED, WITHDRAWN = (EnrolmentStatus.ENROLLED, EnrolmentStatus.WAITLISTED,
                                   EnrolmentStatus.WITHDRAWN)


def _enrol(app, world, course_id, *indexes):
    with app.app_context():
        course = db.session.get(Course, course_id)
        ids = [enrol(db.session.get(Learner, world.learners[i]), course).id for i in indexes]
        db.session.commit()
    return ids


def _states(app, course_id):
    with app.app_context():
        return {
            e.learner_id: (e.status, e.waitlist_position)
            for e in db.session.scalars(sa.select(Enrolment).where(Enrolment.course_id == course_id))
        }


def _flashes(client) -> list[str]:
    """The flash messages waiting for the next page (taken, as that page would)."""
    with client.session_transaction() as session:
        return [message for _, message in session.pop("_flashes", [])]


# reading -------------------------------------------------------------------------------------


def test_course_list_shows_places_by_phase_and_track(app, client, login, world, make_course):
    small = make_course(capacity=2, title="机构治理与内部管理")
    make_course(capacity=None, title="社工站服务设计", track=1)
    _enrol(app, world, small, 0, 1, 2)
    login("office")
    response = client.get("/courses")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "第一阶段" in page and "社工机构管理运营" in page and "乡镇（街道）社工站建设" in page
    row = page.split("机构治理与内部管理")[1].split("</tr>")[0]
    assert "已满" in row
    cells = [c.split(">")[-1] for c in row.split("</td>")[:-1]]
    assert cells[1:] == ["6", "线上", "2", "2", "1", "0"]  # hours, mode, capacity, enrolled, waiting, free
    assert "不限" in page.split("社工站服务设计")[1].split("</tr>")[0]


def test_course_list_filters_and_bad_filters(client, login, world, make_course):
    make_course(title="机构治理")
    make_course(title="社工站服务设计", track=1)
    login("office")
    page = client.get(f"/courses?track={world.tracks[1]}").get_data(as_text=True)
    assert "社工站服务设计" in page and "机构治理" not in page
    page = client.get("/courses?q=治理").get_data(as_text=True)
    assert "共 1 门课程" in page
    response = client.get("/courses?phase=abc&track=999")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "请从列表中选择阶段。" in page and "共 2 门课程" in page


def test_coordinator_sees_area_counts(app, client, login, world, make_course):
    course_id = make_course(capacity=10)
    _enrol(app, world, course_id, 0, 5)  # 六枝 (52) and 冕宁 (51)
    login("coordinator", scope_code="51")
    page = client.get("/courses").get_data(as_text=True)
    header = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<th[^>]*>(.*?)</th>", page)]
    row = next(row for row in re.findall(r"<tr>(.*?)</tr>", page, flags=re.S)
               if f'href="/courses/{course_id}"' in row)
    cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)]
    counts = dict(zip(header, cells, strict=True))
    assert (counts["容量"], counts["已报名"], counts["本区域"]) == ("10", "2", "1")
    detail = client.get(f"/courses/{course_id}").get_data(as_text=True)
    assert "已报名 2 / 10" in detail and "其中您负责区域内已报名 1 人" in detail
    assert world.names[world.learners[5]] in detail
    assert world.names[world.learners[0]] not in detail


def test_instructor_sees_only_their_courses(app, client, login, make_user, world, make_course):
    teacher = make_user("instructor")
    mine = make_course(title="我的课程", instructors=[teacher])
    other = make_course(title="别人的课程")
    client.post("/login", data={"username": teacher.username, "password": "Xunlian-2023"})
    page = client.get("/courses").get_data(as_text=True)
    assert "我的课程" in page and "别人的课程" not in page
    assert '<a class="nav-link active" href="/courses"' in page  # the navigation leads here
    assert client.get(f"/courses/{mine}").status_code == 200
    assert client.get(f"/courses/{other}").status_code == 404
    assert client.get(f"/courses/{other}/enrolments.xlsx").status_code == 404
    assert f'/courses/{mine}/enrol"' not in client.get(f"/courses/{mine}").get_data(as_text=True)
    assert client.get(f"/courses/{mine}/enrol").status_code == 403


def test_trainee_cannot_open_course_pages(client, login, world, make_course):
    course_id = make_course()
    login("trainee")
    assert client.get("/courses").status_code == 403
    assert client.get(f"/courses/{course_id}").status_code == 403


def test_detail_masks_personal_data_and_lists_the_waiting_list_in_order(app, client, login, world,
                                                                        make_course):
    course_id = make_course(capacity=1)
    _enrol(app, world, course_id, 0, 3, 1)
    login("office")
    response = client.get(f"/courses/{course_id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for learner_id in world.learners[:2]:
        assert world.id_numbers[learner_id] not in page
        assert world.phones[learner_id] not in page
    assert world.id_numbers[world.learners[0]][:4] + "*" * 10 in page
    assert "138****0000" in page
    waiting = page.split("候补名单（2）")[1]
    assert waiting.index(world.names[world.learners[3]]) < waiting.index(world.names[world.learners[1]])
    assert client.get("/courses/999999").status_code == 404


# enrolling -----------------------------------------------------------------------------------


def test_search_by_full_id_number_and_enrol_one_learner(app, client, login, world, make_course):
    course_id = make_course(capacity=5)
    learner_id = world.learners[2]
    login("office")
    number = world.id_numbers[learner_id]
    page = client.post(f"/courses/{course_id}/enrol", data={"q": number.lower()}).get_data(as_text=True)
    results = page.split('learner-results"')[1]
    assert world.names[learner_id] in results
    assert number not in results and number[:4] + "*" * 10 + number[-4:] in results
    # the one learner found is ticked already
    assert f'value="{learner_id}" id="learner-{learner_id}"\n                   checked' in results
    response = client.post(f"/courses/{course_id}/enrol/selection",
                           data={"learner_ids": [str(learner_id)], "waitlist": "y"})
    assert response.status_code == 302
    assert _flashes(client) == [f"已为 {world.names[learner_id]} 报名课程“测试课程1”。"]
    assert _states(app, course_id) == {learner_id: (ENROLLED, None)}


def test_search_by_phone_and_by_name(client, login, world, make_course):
    course_id = make_course()
    login("office")
    target = world.learners[4]
    page = client.post(f"/courses/{course_id}/enrol",
                       data={"q": "138 0000 0004"}).get_data(as_text=True)
    assert "找到 1 名学员" in page and world.names[target] in page
    page = client.post(f"/courses/{course_id}/enrol", data={"q": "水城区"}).get_data(as_text=True)
    assert "找到 2 名学员" in page and "为该机构全部学员报名" in page
    page = client.post(f"/courses/{course_id}/enrol",
                       data={"q": "110101199001011237"}).get_data(as_text=True)
    assert "没有找到使用该身份证号码的学员" in page


def test_enrol_a_selection_with_a_full_course(app, client, login, world, make_course):
    course_id = make_course(capacity=2)
    login("office")
    chosen = [str(i) for i in world.learners[:4]]
    response = client.post(f"/courses/{course_id}/enrol/selection", data={"learner_ids": chosen})
    assert response.status_code == 302
    assert _flashes(client) == ["所选 4 名学员：新报名 2 人，进入候补 0 人，原已报名或候补 0 人，"
                                "因课程已满未报名 2 人。课程已满（容量 2 人），未选择进入候补名单。"]
    client.post(f"/courses/{course_id}/enrol/selection", data={"learner_ids": chosen, "waitlist": "y"})
    assert _flashes(client) == ["所选 4 名学员：新报名 0 人，进入候补 2 人，原已报名或候补 2 人。"]
    states = _states(app, course_id)
    assert [states[i] for i in world.learners[:4]] == [
        (ENROLLED, None), (ENROLLED, None), (WAITLISTED, 1), (WAITLISTED, 2)]


def test_enrol_selection_bad_input(app, client, login, world, make_course):
    course_id = make_course()
    login("office")
    response = client.post(f"/courses/{course_id}/enrol/selection", data={"waitlist": "y"})
    assert response.status_code == 422
    assert "请至少勾选一名学员。" in response.get_data(as_text=True)
    response = client.post(f"/courses/{course_id}/enrol/selection", data={"learner_ids": ["abc"]})
    assert response.status_code == 422
    assert "所选学员无效" in response.get_data(as_text=True)
    response = client.post(f"/courses/{course_id}/enrol/selection",
                           data={"learner_ids": [str(world.learners[0]), "999999"]})
    assert response.status_code == 422
    assert "未作任何报名" in response.get_data(as_text=True)
    assert client.post("/courses/999999/enrol/selection",
                       data={"learner_ids": [str(world.learners[0])]}).status_code == 404
    assert _states(app, course_id) == {}


def test_coordinator_cannot_enrol_a_learner_outside_their_area(app, client, login, world, make_course):
    course_id = make_course()
    login("coordinator", scope_code="52")
    sichuan = world.learners[5]
    page = client.post(f"/courses/{course_id}/enrol",
                       data={"q": world.id_numbers[sichuan]}).get_data(as_text=True)
    assert "没有找到使用该身份证号码的学员（或该学员不在您的负责区域内）" in page
    response = client.post(f"/courses/{course_id}/enrol/selection",
                           data={"learner_ids": [str(world.learners[0]), str(sichuan)]})
    assert response.status_code == 422
    assert _states(app, course_id) == {}
    response = client.post(f"/courses/{course_id}/enrol/organisation",
                           data={"organisation_id": str(world.orgs[2])})
    assert response.status_code == 404
    response = client.post(f"/courses/{course_id}/enrol/county", data={"county": "513433"})
    assert response.status_code == 422
    assert "请从列表中选择县区" in response.get_data(as_text=True)
    assert _states(app, course_id) == {}


def test_enrol_by_organisation(app, client, login, world, make_course):
    course_id = make_course(capacity=10)
    _enrol(app, world, course_id, 0)
    login("coordinator", scope_code="520203")
    response = client.post(f"/courses/{course_id}/enrol/organisation",
                           data={"organisation_id": str(world.orgs[0]), "waitlist": "y"})
    assert response.status_code == 302
    assert _flashes(client) == ["机构“六枝特区社会工作服务中心”的 3 名学员：新报名 2 人，进入候补 0 人，"
                                "原已报名或候补 1 人。"]
    assert set(_states(app, course_id)) == set(world.in_org(0))
    response = client.post(f"/courses/{course_id}/enrol/organisation", data={"organisation_id": "x"})
    assert response.status_code == 422
    assert "所选机构无效" in response.get_data(as_text=True)
    response = client.post(f"/courses/{course_id}/enrol/organisation", data={})
    assert response.status_code == 422
    assert "请选择机构。" in response.get_data(as_text=True)


def test_enrol_by_county_within_the_area(app, client, login, world, make_course):
    course_id = make_course(capacity=None)
    login("coordinator", scope_code="52")
    page = client.get(f"/courses/{course_id}/enrol").get_data(as_text=True)
    assert "水城区（520204，2 名学员）" in page and "冕宁县" not in page
    response = client.post(f"/courses/{course_id}/enrol/county", data={"county": "520204", "waitlist": "y"})
    assert response.status_code == 302
    assert _flashes(client) == ["贵州省水城区的 2 名学员：新报名 2 人，进入候补 0 人，原已报名或候补 0 人。"]
    assert set(_states(app, course_id)) == set(world.in_org(1))
    response = client.post(f"/courses/{course_id}/enrol/county", data={"county": ""})
    assert response.status_code == 422
    assert "请选择县区。" in response.get_data(as_text=True)


def test_office_enrols_a_whole_county_of_another_province(app, client, login, world, make_course):
    course_id = make_course(capacity=1)
    login("office")
    response = client.post(f"/courses/{course_id}/enrol/county", data={"county": "513433", "waitlist": "y"})
    assert response.status_code == 302
    assert _flashes(client) == ["四川省冕宁县的 2 名学员：新报名 1 人，进入候补 1 人，原已报名或候补 0 人。"]


# withdrawing ---------------------------------------------------------------------------------


def test_withdraw_with_a_reason_promotes_the_waiting_list(app, client, login, world, make_course):
    course_id = make_course(capacity=1)
    first, _ = _enrol(app, world, course_id, 0, 1)
    login("office")
    form = client.get(f"/enrolments/{first}/withdraw?next=/courses/{course_id}")
    assert form.status_code == 200 and "退课原因" in form.get_data(as_text=True)
    response = client.post(f"/enrolments/{first}/withdraw", data={"reason": "  ", "next": "/courses"})
    assert response.status_code == 422
    assert "请填写退课原因。" in response.get_data(as_text=True)
    assert _states(app, course_id)[world.learners[0]] == (ENROLLED, None)

    response = client.post(f"/enrolments/{first}/withdraw",
                           data={"reason": "工作调动", "next": "https://evil.example/"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/courses/{course_id}"
    assert _flashes(client) == [f"{world.names[world.learners[0]]} 已退出课程“测试课程1”。"
                                f"候补名单上的 {world.names[world.learners[1]]} 已自动补入。"]
    states = _states(app, course_id)
    assert states == {world.learners[0]: (WITHDRAWN, None), world.learners[1]: (ENROLLED, None)}
    again = client.post(f"/enrolments/{first}/withdraw", data={"reason": "再次"})
    assert again.status_code == 302 and "无需重复退课" in _flashes(client)[0]


def test_coordinator_cannot_withdraw_outside_their_area(app, client, login, world, make_course):
    course_id = make_course()
    (sichuan,) = _enrol(app, world, course_id, 5)
    login("coordinator", scope_code="52")
    assert client.get(f"/enrolments/{sichuan}/withdraw").status_code == 404
    assert client.post(f"/enrolments/{sichuan}/withdraw", data={"reason": "x"}).status_code == 404
    assert _states(app, course_id)[world.learners[5]] == (ENROLLED, None)


# export --------------------------------------------------------------------------------------


def test_export_cells_are_masked_and_scoped(app, client, login, world, make_course):
    course_id = make_course(capacity=1)
    _enrol(app, world, course_id, 0, 5)
    with app.app_context():
        learner = db.session.get(Learner, world.learners[0])
        learner.position = "=HYPERLINK(\"x\")"
        db.session.commit()
    login("office")
    response = client.get(f"/courses/{course_id}/enrolments.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data))["报名名单"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][:5] == ["序号", "姓名", "性别", "身份证号码（脱敏）", "手机号码（脱敏）"]
    first = dict(zip(rows[0], rows[1], strict=True))
    number = world.id_numbers[world.learners[0]]
    assert first["姓名"] == "张三"
    assert first["身份证号码（脱敏）"] == number[:4] + "*" * 10 + number[-4:]
    assert first["手机号码（脱敏）"] == "138****0000"
    assert first["报名状态"] == "已报名" and first["候补顺位"] is None
    assert first["职务"] == "'=HYPERLINK(\"x\")"  # inert text, not a formula
    second = dict(zip(rows[0], rows[2], strict=True))
    assert second["报名状态"] == "候补" and second["候补顺位"] == 1
    flat = repr(rows)
    for learner_id in world.learners:
        assert world.id_numbers[learner_id] not in flat and world.phones[learner_id] not in flat

    client.post("/logout")
    login("coordinator", scope_code="52")
    sheet = load_workbook(io.BytesIO(client.get(f"/courses/{course_id}/enrolments.xlsx").data)).active
    assert [row[1].value for row in sheet.iter_rows(min_row=2)] == ["张三"]


# the learner page's table --------------------------------------------------------------------


def _render_partial(app, user_id, learner_id):
    from flask import render_template
    from flask_login import login_user

    from trainhub.accounts.models import User
    from trainhub.courses.queries import enrolments_of_learner

    with app.test_request_context(f"/learners/{learner_id}"):
        login_user(db.session.get(User, user_id))
        return render_template("courses/_learner_enrolments.html",
                               enrolments=enrolments_of_learner(learner_id))


def test_learner_enrolment_partial(app, make_user, world, make_course):
    full = make_course(capacity=1, title="已满的课程")
    other = make_course(title="另一门课程", track=1)
    _enrol(app, world, full, 1, 0)
    (withdrawn,) = _enrol(app, world, other, 0)
    with app.app_context():
        from trainhub.courses.operations import withdraw

        withdraw(db.session.get(Enrolment, withdrawn), "时间冲突")
        db.session.commit()
    office, trainee = make_user("office"), make_user("trainee")

    html = _render_partial(app, office.id, world.learners[0])
    assert "已满的课程" in html and "候补（第 1 位）" in html
    assert "另一门课程" in html and "已退课" in html and "时间冲突" in html
    assert "乡镇（街道）社工站建设" in html
    assert html.count(">退课</a>") == 1  # only the active enrolment can be withdrawn
    assert f"next=/learners/{world.learners[0]}" in html.replace("%2F", "/")

    html = _render_partial(app, trainee.id, world.learners[0])
    assert "已满的课程" in html and ">退课</a>" not in html and "href=\"/courses/" not in html

    html = _render_partial(app, office.id, world.learners[6])
    assert "尚未报名任何课程。" in html


def test_learner_pages_show_the_enrolments_section(app, client, login, world, make_course):
    """The courses feature contributes the enrolments to the learner's page and the
    trainee's own page (``learner_page_sections``); the learners feature knows nothing of
    courses."""
    course = make_course(title="结对督导实务")
    _enrol(app, world, course, 0)
    learner_id = world.learners[0]
    login("office")
    page = client.get(f"/learners/{learner_id}").get_data(as_text=True)
    section = page.split('id="enrolments"')[1].split("</section>")[0]
    assert "报名课程" in section and "结对督导实务" in section and "已报名" in section
    page = client.get(f"/learners/{world.learners[1]}").get_data(as_text=True)
    assert "尚未报名任何课程。" in page.split('id="enrolments"')[1]

    client.post("/logout")
    trainee = login("trainee")
    with app.app_context():
        db.session.get(Learner, learner_id).user_id = trainee.id
        db.session.commit()
    page = client.get("/me").get_data(as_text=True)
    section = page.split('id="enrolments"')[1].split("</section>")[0]
    assert "结对督导实务" in section and ">退课</a>" not in section
