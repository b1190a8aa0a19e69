"""Courses as the office designs them: the course form (every field and its refusals),
instructors, capacity against enrolments, archiving and what it takes out of lists."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from catalogue_world import add_session, audit_actions, row, upcoming

from trainhub.courses import course_edits, phases
from trainhub.courses.catalogue import CatalogueError
from trainhub.courses.models import Course, CourseMode, Enrolment, EnrolmentStatus, Phase, Track
from trainhub.courses.operations import EnrolmentError, enrol
from trainhub.extensions import db
from trainhub.imports.queries import course_choices
from trainhub.learners.models import Learner


def _text(response) -> str:
    return response.get_data(as_text=True)


def _form(world, **changes) -> dict:
    """A whole, valid course form (as the browser sends it), with ``changes``."""
    data = {"code": "p2-org-01", "title": "社会工作服务机构战略规划与法人治理", "track_id": str(world.tracks[0]),
            "class_hours": "7.5", "mode": "blended", "capacity": "", "description": "机构使命与发展战略。",
            "min_attendance_percent": "85", "pass_score": "", "excused_counts_against": ""}
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def _enrol(app, world, course_id, *indexes):
    with app.app_context():
        course = db.session.get(Course, course_id)
        for index in indexes:
            enrol(db.session.get(Learner, world.learners[index]), course)
        db.session.commit()


def _states(app, course_id):
    with app.app_context():
        return sorted((e.status.value, e.waitlist_position) for e in db.session.scalars(
            sa.select(Enrolment).where(Enrolment.course_id == course_id)))


# creating ------------------------------------------------------------------------------------


def test_office_creates_a_course_with_every_field(app, client, login, world, make_user):
    teachers = [make_user("instructor", display_name=name) for name in ("王老师", "李老师")]
    login("office")
    page = _text(client.get(f"/courses/new?track={world.tracks[1]}"))
    assert f'<option selected value="{world.tracks[1]}">' in page or f'value="{world.tracks[1]}" selected' in page
    assert "王老师" in page and "李老师" in page
    data = _form(world, has_assessment="y", pass_score="60", excused_counts_against="false")
    response = client.post("/courses/new", data={**data, "instructor_ids": [str(t.id) for t in teachers]})
    assert response.status_code == 302
    with app.app_context():
        course = db.session.scalar(sa.select(Course))
        assert response.headers["Location"].endswith(f"/courses/{course.id}")
        assert (course.code, course.class_hours, course.mode) == ("P2-ORG-01", Decimal("7.5"), CourseMode.BLENDED)
        assert (course.completion_min_rate, course.has_assessment, course.pass_score) == (
            Decimal("0.850"), True, Decimal("60.0"))
        assert course.capacity is None and course.excused_counts_against is False
        assert sorted(user.display_name for user in course.instructors) == ["李老师", "王老师"]
        course_id = course.id
    (entry,) = audit_actions(app, "course.create")
    assert entry[1] == str(course_id)
    assert entry[2]["code"] == "P2-ORG-01" and entry[2]["completion_min_rate"] == "0.85"
    assert sorted(entry[2]["instructor_ids"]) == sorted(t.id for t in teachers)
    page = _text(client.get(f"/courses/{course_id}"))
    assert "出勤率不低于 85%，且考核合格（60 分及以上）" in page and "不计入出勤率" in page


def test_a_full_width_code_is_normalised(app, world):
    with app.app_context():
        course = course_edits.create_course(actor=None, code=" ｐ２－ｓｔｎ－０１ ", title="社工站", class_hours=6,
                                            track_id=world.tracks[1], mode="线上")
        assert (course.code, course.mode, course.completion_min_rate) == ("P2-STN-01", CourseMode.ONLINE,
                                                                           Decimal("0.8"))


@pytest.mark.parametrize(("changes", "field_message"), [
    ({"class_hours": "0"}, "学时应大于 0，且不超过 9999.9（当前 0）。"),
    ({"class_hours": "1.25"}, "学时最多保留一位小数。"),
    ({"class_hours": "十二"}, "学时应为数字，如 12 或 12.5。"),
    ({"min_attendance_percent": "120"}, "最低出勤率（%）应不小于 0，且不超过 100（当前 120）。"),
    ({"min_attendance_percent": ""}, "请填写结业所需的最低出勤率（0–100）。"),
    ({"has_assessment": "y", "pass_score": ""}, "需要考核的课程请填写及格分数（0–100）。"),
    ({"has_assessment": "y", "pass_score": "101"}, "及格分数应不小于 0，且不超过 100（当前 101）。"),
    ({"capacity": "0"}, "容量应在 1–100000 之间。"),
    ({"capacity": "三十"}, "容量应为整数。"),
    ({"code": "P2 ORG 01"}, "课程编号只能由字母、数字和 - _ . 组成"),
    ({"code": ""}, "请填写课程编号。"),
    ({"title": ""}, "请填写课程名称。"),
    ({"track_id": ""}, "请选择课程模块。"),
    ({"mode": None}, "请选择授课形式。"),
    ({"mode": "hybrid"}, "授课形式应为以下之一：online（线上）、onsite（线下）、blended（线上线下结合）。"),
    ({"instructor_ids": "abc"}, "讲师编号应为整数。"),
    ({"instructor_ids": "999999"}, "用户 999999 不存在。"),
])
def test_course_form_refuses_bad_input(client, login, world, database_rows, changes, field_message):
    login("office")
    before = database_rows()
    response = client.post("/courses/new", data=_form(world, **changes))
    assert response.status_code == 422
    assert field_message in _text(response)
    assert database_rows() == before


def test_every_mistake_is_shown_at_once(client, login, world):
    login("office")
    response = client.post("/courses/new", data=_form(world, code="", class_hours="0", min_attendance_percent="120"))
    page = _text(response)
    assert "请填写课程编号。" in page and "学时应大于 0" in page and "最低出勤率（%）应不小于 0" in page


def test_a_non_instructor_cannot_teach(client, login, world, make_user):
    certifier = make_user("certifier", display_name="认证中心小张")
    login("office")
    response = client.post("/courses/new", data={**_form(world), "instructor_ids": [str(certifier.id)]})
    assert response.status_code == 422
    assert "“认证中心小张”不是讲师账号，不能任课。" in _text(response)


def test_a_duplicate_code_is_a_conflict_even_of_an_archived_course(app, client, login, world, make_course):
    course_id = make_course(code="P2-ORG-01", title="旧课程")
    with app.app_context():
        course_edits.archive_course(db.session.get(Course, course_id), actor=None)
        db.session.commit()
    login("office")
    response = client.post("/courses/new", data=_form(world, code="p2-org-01"))
    assert response.status_code == 409
    assert "课程编号 P2-ORG-01 已被课程“旧课程”使用（该课程已归档，编号仍被占用）。" in _text(response)


def test_the_code_constraint_names_the_field_when_a_race_is_lost(app, world):
    """Two requests checking the same new code at once: the database refuses the second,
    and the central conflict answer names the field with the constraint's message."""
    from sqlalchemy.exc import IntegrityError

    from trainhub.transaction import conflict_of

    with app.app_context():
        for title in ("先到", "后到"):
            db.session.add(Course(track_id=world.tracks[0], code="P2-ORG-01", title=title,
                                  class_hours=Decimal(6), mode=CourseMode.ONLINE))
        with pytest.raises(IntegrityError) as error:
            db.session.flush()
        db.session.rollback()
        assert conflict_of(error.value) == ("code", "该课程编号已被另一门课程使用（可能刚由他人创建）。")


def test_no_course_in_an_archived_track(app, client, login, world):
    with app.app_context():
        phases.archive_track(db.session.get(Track, world.tracks[1]), actor=None)
        db.session.commit()
    login("office")
    response = client.post("/courses/new", data=_form(world, track_id=str(world.tracks[1])))
    assert response.status_code == 422
    assert "课程模块“乡镇（街道）社工站建设”已归档，请选择在用的课程模块。" in _text(response)


# editing -------------------------------------------------------------------------------------


def test_office_edits_a_course_and_the_audit_keeps_old_and_new(app, client, login, world, make_course, make_user):
    teacher = make_user("instructor", display_name="王老师")
    course_id = make_course(capacity=30, title="旧标题", instructors=[teacher])
    login("office")
    form = _text(client.get(f"/courses/{course_id}/edit"))
    assert 'value="旧标题"' in form and 'value="80"' in form and "checked" in form
    data = _form(world, code="P1-T01", title="新标题", class_hours="6", capacity="40", min_attendance_percent="80",
                 mode="online", description="")
    response = client.post(f"/courses/{course_id}/edit", data={**data, "instructor_ids": [str(teacher.id)]})
    assert response.status_code == 302
    (entry,) = audit_actions(app, "course.update")
    assert entry[2]["changes"] == {"title": ["旧标题", "新标题"], "capacity": [30, 40]}
    response = client.post(f"/courses/{course_id}/edit", data={**data, "instructor_ids": [str(teacher.id)]},
                           follow_redirects=True)
    assert "没有需要保存的修改。" in _text(response)
    assert len(audit_actions(app, "course.update")) == 1


def test_capacity_below_the_enrolled_count_is_refused_naming_it(app, client, login, world, make_course):
    course_id = make_course(capacity=5)
    _enrol(app, world, course_id, 0, 1, 2)
    login("office")
    data = _form(world, code="P1-T01", capacity="2", min_attendance_percent="80", mode="online")
    response = client.post(f"/courses/{course_id}/edit", data=data)
    assert response.status_code == 422
    assert "本课程已有 3 名学员报名，容量不能低于 3。" in _text(response)
    assert row(app, Course, course_id).capacity == 5


def test_a_raised_capacity_moves_the_waiting_list_up_at_once(app, world, make_course):
    course_id = make_course(capacity=1)
    _enrol(app, world, course_id, 0, 1, 2)
    assert _states(app, course_id) == [("enrolled", None), ("waitlisted", 1), ("waitlisted", 2)]
    with app.app_context():
        changed = course_edits.update_course(db.session.get(Course, course_id), {"capacity": 2}, actor=None)
        db.session.commit()
    assert changed == {"capacity": (1, 2)}
    assert _states(app, course_id) == [("enrolled", None), ("enrolled", None), ("waitlisted", 1)]
    assert len(audit_actions(app, "enrolment.promote")) == 1


def test_removing_an_instructor_with_sessions_is_refused_naming_how_many(app, client, login, world,
                                                                          make_course, make_user):
    busy, free = make_user("instructor", display_name="王老师"), make_user("instructor", display_name="李老师")
    course_id = make_course(instructors=[busy, free])
    add_session(app, course_id, datetime(2023, 3, 1, 19, 0), instructor_id=busy.id)
    add_session(app, course_id, datetime(2023, 3, 8, 19, 0), instructor_id=busy.id, cancelled=True)
    login("office")
    data = _form(world, code="P1-T01", min_attendance_percent="80", mode="online")
    response = client.post(f"/courses/{course_id}/edit", data={**data, "instructor_ids": [str(free.id)]})
    assert response.status_code == 422
    assert "“王老师”仍担任本课程的 2 个课次（含已取消的课次），请先为这些课次更换讲师，再移出该讲师。" in _text(response)
    with app.app_context():
        assert sorted(u.id for u in db.session.get(Course, course_id).instructors) == sorted([busy.id, free.id])
    # the one without sessions goes
    response = client.post(f"/courses/{course_id}/edit", data={**data, "instructor_ids": [str(busy.id)]})
    assert response.status_code == 302
    (entry,) = audit_actions(app, "course.update")
    assert entry[2]["changes"]["instructor_ids"] == [sorted([busy.id, free.id]), [busy.id]]


def test_moving_a_course_to_another_phase_keeps_its_sessions_inside(app, world, make_course):
    course_id = make_course()
    add_session(app, course_id, datetime(2023, 3, 1, 19, 0))
    with app.app_context():
        phase_one = db.session.scalar(sa.select(Phase).where(Phase.number == 1))
        phase_two = phases.create_phase(phase_one.programme, actor=None, name="第二阶段",
                                        starts_on=date(2024, 3, 1), ends_on=date(2024, 8, 31))
        track = phases.create_track(phase_two, actor=None, name="新模块")
        with pytest.raises(CatalogueError) as refused:
            course_edits.update_course(db.session.get(Course, course_id), {"track_id": track.id}, actor=None)
        assert refused.value.errors == {"track_id": "移到第二阶段的课程模块后，本课程有 1 个已排期的课次早于开始日期 "
                                                    "2024-03-01（2023-03-01），请先调整或取消这些课次。"}
        # a track of the same phase is fine
        course_edits.update_course(db.session.get(Course, course_id), {"track_id": world.tracks[1]}, actor=None)


def test_pass_score_goes_with_the_assessment(app, world, make_course):
    course_id = make_course()
    with app.app_context():
        course = db.session.get(Course, course_id)
        course_edits.update_course(course, {"has_assessment": True, "pass_score": 60}, actor=None)
        assert course.pass_score == Decimal(60)
        course_edits.update_course(course, {"has_assessment": False}, actor=None)
        assert course.pass_score is None
        course_edits.update_course(course, {"title": "只改标题"}, actor=None)  # no rule re-checked


# archiving -----------------------------------------------------------------------------------


def test_archived_course_leaves_lists_and_enrolment_but_keeps_its_page(app, client, login, world, make_course):
    course_id = make_course(title="机构治理与内部管理", code="P1-GOV-01")
    make_course(title="社工站服务设计")
    login("office")
    response = client.post(f"/courses/{course_id}/archive", follow_redirects=True)
    assert "已归档课程“机构治理与内部管理”。" in _text(response)
    assert row(app, Course, course_id).archived_at is not None
    assert [a for a, *_ in audit_actions(app, "course.")] == ["course.archive"]
    listing = _text(client.get("/courses"))
    assert "机构治理与内部管理" not in listing and "社工站服务设计" in listing
    archived = _text(client.get("/courses?archived=y"))
    assert "机构治理与内部管理" in archived and "已归档" in archived
    page = _text(client.get(f"/courses/{course_id}"))
    assert "本课程已归档" in page and "恢复" in page
    with app.app_context():
        assert "P1-GOV-01" not in dict(course_choices())
        with pytest.raises(EnrolmentError) as refused:
            enrol(db.session.get(Learner, world.learners[0]), db.session.get(Course, course_id))
        assert refused.value.errors == {"course_id": "课程“机构治理与内部管理”已归档，不能再报名。"}
    response = client.post(f"/courses/{course_id}/enrol/selection", data={"learner_ids": [str(world.learners[0])]},
                           follow_redirects=True)
    assert "不能再报名" in _text(response)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Enrolment.id))) == 0
    assert client.post(f"/courses/{course_id}/restore").status_code == 302
    assert "机构治理与内部管理" in _text(client.get("/courses"))


def test_a_course_with_sessions_to_come_cannot_be_archived(app, client, login, world, make_course):
    course_id = make_course()
    add_session(app, course_id, upcoming(2))
    add_session(app, course_id, upcoming(9))
    add_session(app, course_id, upcoming(16), cancelled=True)
    add_session(app, course_id, datetime(2023, 3, 1, 19, 0))  # held long ago
    login("office")
    response = client.post(f"/courses/{course_id}/archive")
    assert response.status_code == 409
    assert "本课程还有 2 个尚未结束的已排期课次，不能归档。请先取消这些课次" in _text(response)
    assert row(app, Course, course_id).archived_at is None


def test_an_enrolled_learner_stays_enrolled_in_an_archived_course(app, world, make_course):
    course_id = make_course()
    _enrol(app, world, course_id, 0)
    with app.app_context():
        course_edits.archive_course(db.session.get(Course, course_id), actor=None)
        db.session.commit()
    assert _states(app, course_id) == [(EnrolmentStatus.ENROLLED.value, None)]


def test_instructors_and_coordinators_cannot_edit(client, login, world, make_course, make_user):
    teacher = make_user("instructor")
    course_id = make_course(instructors=[teacher])
    login("coordinator")
    assert client.get(f"/courses/{course_id}/edit").status_code == 403
    assert "编辑课程" not in _text(client.get(f"/courses/{course_id}"))
