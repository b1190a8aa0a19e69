"""One session at a time: the phase window in local dates, the details (instructor, venue,
meeting), rescheduling (SEQUENCE rises, audited with the reason), cancelling (attendance
kept) and deleting (never with attendance, never once started)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from schedule_times import local

from trainhub.accounts.models import Role, User
from trainhub.attendance.models import Attendance, AttendanceStatus, LeaveRequest
from trainhub.audit.models import AuditEntry
from trainhub.courses.models import Course, SessionStatus, TrainingSession, Venue
from trainhub.db import utcnow
from trainhub.extensions import db
from trainhub.schedule.operations import (
    ScheduleError,
    cancel_session,
    create_session,
    delete_session,
    update_session,
)


def new(course, day, start, end, **kwargs):
    return create_session(course, starts_at=local(day, start), ends_at=local(day, end),
                          actor=kwargs.pop("actor", None), **kwargs)


def audit(action: str, target_id) -> list[AuditEntry]:
    return list(db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == action, AuditEntry.target_id == str(target_id)).order_by(AuditEntry.id)))


# the phase window, in local dates ------------------------------------------------------------


@pytest.mark.parametrize(("day", "start", "end"), [
    ("2023-08-14", "22:00", "23:30"),   # the last day, late evening
    ("2023-02-15", "07:00", "08:30"),   # the first day, early: still 02-14 in UTC
])
def test_the_first_and_last_local_days_are_inside(app, plan, course_of, day, start, end):
    with app.app_context():
        session = new(course_of("a"), day, start, end)
        assert session.id


@pytest.mark.parametrize(("day", "start", "end", "named"), [
    ("2023-08-15", "07:00", "08:00", "2023-08-15"),   # 2023-08-14 23:00 in UTC: still outside
    ("2023-02-14", "20:00", "21:00", "2023-02-14"),
    ("2023-09-01", "09:00", "10:00", "2023-09-01"),
])
def test_sessions_outside_the_phase_are_refused_naming_the_date(app, plan, course_of, day, start, end, named):
    with app.app_context():
        with pytest.raises(ScheduleError) as refused:
            new(course_of("a"), day, start, end)
        assert refused.value.field == "starts_at"
        assert named in refused.value.message
        assert "第一阶段的时间范围（2023-02-15 至 2023-08-14）" in refused.value.message
        assert db.session.scalar(sa.select(sa.func.count()).select_from(TrainingSession)) == 0


def test_a_session_running_past_midnight_of_the_last_day_is_outside(app, plan, course_of):
    with app.app_context():
        with pytest.raises(ScheduleError) as refused:
            create_session(course_of("a"), starts_at=local("2023-08-14", "23:00"),
                           ends_at=local("2023-08-15", "00:30"), actor=None)
        assert "2023-08-15" in refused.value.message
        assert "2023-08-14、" not in refused.value.message


# details -------------------------------------------------------------------------------------


def test_the_course_first_instructor_is_the_default(app, plan, course_of):
    with app.app_context():
        listed_first = course_of("b").instructors[0].id  # as the course's page lists them
        assert new(course_of("b"), "2023-03-01", "09:00", "10:00").instructor_id == listed_first
        assert new(course_of("c"), "2023-03-01", "09:00", "10:00").instructor_id == plan.other_teacher
        assert new(course_of("d"), "2023-03-01", "09:00", "10:00").instructor_id is None
        other = ({plan.teacher, plan.other_teacher} - {listed_first}).pop()
        chosen = new(course_of("b"), "2023-03-02", "09:00", "10:00", instructor_id=other)
        assert chosen.instructor_id == other


@pytest.mark.parametrize(("kwargs", "field", "message"), [
    ({"instructor_id": "teacher"}, "instructor_id", "用户编号"),
    ({"instructor_id": 99999}, "instructor_id", "编号 99999 的用户不是课程“排课课程A”的讲师"),
    ({"venue_id": 99999}, "venue_id", "场地 99999 不存在"),
    ({"meeting_url": "meeting.tencent.com/abc"}, "meeting_url", "https://"),
    ({"meeting_url": "https://a b"}, "meeting_url", "不含空格"),
    ({"meeting_url": "https://x.cn/" + "a" * 500}, "meeting_url", "最多 500"),
    ({"meeting_number": "123#456"}, "meeting_number", "数字、字母、空格和连字符"),
    ({"meeting_number": "1" * 41}, "meeting_number", "最多 40"),
    ({"title": "题" * 201}, "title", "最多 200"),
    ({"venue_detail": "室" * 201}, "venue_detail", "最多 200"),
])
def test_bad_details_are_refused_naming_the_field(app, plan, course_of, kwargs, field, message):
    with app.app_context():
        with pytest.raises(ScheduleError) as refused:
            new(course_of("a"), "2023-03-01", "09:00", "10:00", **kwargs)
        assert message in refused.value.errors[field]


def test_an_instructor_who_does_not_teach_the_course_is_refused(app, plan, course_of):
    with app.app_context():
        with pytest.raises(ScheduleError) as refused:
            new(course_of("a"), "2023-03-01", "09:00", "10:00", instructor_id=plan.other_teacher)
        assert refused.value.errors["instructor_id"] == (
            "“李老师”不是课程“排课课程A”的讲师；本课程的讲师：王老师。")


@pytest.mark.parametrize(("start", "end", "message"), [
    ("10:00", "09:00", "结束时间应晚于开始时间"),
    ("10:00", "10:00", "结束时间应晚于开始时间"),
])
def test_impossible_times_are_refused(app, plan, course_of, start, end, message):
    with app.app_context():
        with pytest.raises(ScheduleError) as refused:
            new(course_of("a"), "2023-03-01", start, end)
        assert message in refused.value.errors["ends_at"]


def test_overlong_and_naive_times_are_refused(app, plan, course_of):
    with app.app_context():
        with pytest.raises(ScheduleError) as refused:
            create_session(course_of("a"), starts_at=local("2023-03-01", "08:00"),
                           ends_at=local("2023-03-01", "21:00"), actor=None)
        assert "最长 12 小时" in refused.value.errors["ends_at"]
        with pytest.raises(ScheduleError) as refused:
            create_session(course_of("a"), starts_at=datetime(2023, 3, 1, 8),
                           ends_at=datetime(2023, 3, 1, 9, tzinfo=UTC), actor=None)
        assert "starts_at" in refused.value.errors


def test_an_archived_venue_takes_no_new_session(app, plan, course_of):
    with app.app_context():
        kept = new(course_of("c"), "2023-03-01", "09:00", "10:00", venue_id=plan.venues["hall"])
        db.session.get(Venue, plan.venues["hall"]).archived_at = utcnow()
        with pytest.raises(ScheduleError) as refused:
            new(course_of("c"), "2023-03-02", "09:00", "10:00", venue_id=plan.venues["hall"])
        assert "已归档" in refused.value.errors["venue_id"]
        # a session already there keeps it when something else changes
        assert update_session(kept, {"title": "小组讨论"}, actor=None) == {"title": (None, "小组讨论")}


def test_an_archived_course_or_track_takes_no_new_session(app, plan, course_of):
    with app.app_context():
        course = course_of("a")
        course.archived_at = utcnow()
        with pytest.raises(ScheduleError) as refused:
            new(course, "2023-03-01", "09:00", "10:00")
        assert refused.value.errors["course_id"].endswith("已归档，不能再排课。")
        course.archived_at = None
        course.track.archived_at = utcnow()
        with pytest.raises(ScheduleError) as refused:
            new(course, "2023-03-01", "09:00", "10:00")
        assert "所属课程模块已归档，不能再排课。" in refused.value.errors["course_id"]
        assert db.session.scalar(sa.select(sa.func.count(TrainingSession.id))
                                 .where(TrainingSession.course_id == course.id)) == 0


def test_only_the_office_schedules(app, plan, course_of, make_user):
    instructor = make_user(Role.INSTRUCTOR)
    with app.app_context():
        with pytest.raises(ScheduleError) as refused:
            new(course_of("a"), "2023-03-01", "09:00", "10:00", actor=db.session.get(User, instructor.id))
        assert refused.value.field == "actor"


# rescheduling --------------------------------------------------------------------------------


def test_rescheduling_needs_a_reason_raises_the_sequence_and_is_audited(app, plan, course_of, office_actor):
    with app.app_context():
        session = new(course_of("a"), "2023-03-01", "19:00", "21:00", actor=office_actor())
        db.session.commit()
        created_update = session.updated_at
        moved = {"starts_at": local("2023-03-02", "19:00"), "ends_at": local("2023-03-02", "21:00")}
        with pytest.raises(ScheduleError) as refused:
            update_session(session, moved, actor=office_actor())
        assert refused.value.errors == {"reason": "请填写调课原因。"}
        db.session.rollback()

        changed = update_session(session, moved, reason="讲师出差，顺延一天", actor=office_actor())
        db.session.commit()
        assert set(changed) == {"starts_at", "ends_at"}
        assert session.sequence == 1
        assert session.updated_at > created_update
        (entry,) = audit("session.reschedule", session.id)
        assert entry.detail["reason"] == "讲师出差，顺延一天"
        assert entry.detail["before"]["starts_at"] == "2023-03-01T11:00:00+00:00"
        assert entry.detail["after"]["starts_at"] == "2023-03-02T11:00:00+00:00"
        assert entry.actor_id == plan.office

        update_session(session, {"meeting_url": "https://meeting.tencent.com/dm/abc",
                                 "meeting_number": "123 456 789"}, actor=office_actor())
        assert session.sequence == 2
        (entry,) = audit("session.update", session.id)
        assert entry.detail["fields"] == ["meeting_number", "meeting_url"]
        assert entry.detail["before"]["meeting_url"] is None
        assert update_session(session, {"meeting_number": "123 456 789"}, actor=office_actor()) == {}
        assert session.sequence == 2  # nothing changed, nothing raised


def test_rescheduling_outside_the_phase_or_into_a_clash_is_refused(app, plan, course_of, office_actor):
    with app.app_context():
        other = new(course_of("a"), "2023-03-03", "19:00", "21:00")
        session = new(course_of("b"), "2023-03-01", "19:00", "21:00", instructor_id=plan.teacher)
        with pytest.raises(ScheduleError) as refused:
            update_session(session, {"starts_at": local("2023-08-20", "19:00"),
                                     "ends_at": local("2023-08-20", "21:00")}, reason="顺延",
                           actor=office_actor())
        assert "2023-08-20" in refused.value.errors["starts_at"]
        onto = {"starts_at": other.starts_at, "ends_at": other.ends_at}
        with pytest.raises(ScheduleError) as refused:
            update_session(session, onto, reason="顺延", actor=office_actor())
        assert refused.value.status == 409
        update_session(session, onto, reason="顺延", override_reason="合班上课", actor=office_actor())
        assert session.clash_override == "合班上课"
        assert audit("session.reschedule", session.id)[0].detail["override_reason"] == "合班上课"


def test_changing_the_instructor_checks_the_course_and_clashes(app, plan, course_of, office_actor):
    with app.app_context():
        new(course_of("a"), "2023-03-01", "19:00", "21:00")
        session = new(course_of("b"), "2023-03-01", "19:00", "21:00", instructor_id=plan.other_teacher,
                      override_reason="共享学员，已知悉")
        with pytest.raises(ScheduleError) as refused:
            update_session(session, {"instructor_id": plan.teacher}, actor=office_actor())
        assert "讲师 王老师 同时有课次" in refused.value.message
        with pytest.raises(ScheduleError) as refused:
            update_session(session, {"instructor_id": plan.office}, actor=office_actor())
        assert "不是课程“排课课程B”的讲师" in refused.value.errors["instructor_id"]


def test_a_cancelled_session_cannot_be_changed(app, plan, course_of, office_actor):
    with app.app_context():
        session = new(course_of("a"), "2023-03-01", "19:00", "21:00")
        cancel_session(session, reason="停课", actor=office_actor())
        with pytest.raises(ScheduleError) as refused:
            update_session(session, {"title": "x"}, actor=office_actor())
        assert refused.value.field == "status"


# cancelling and deleting ---------------------------------------------------------------------


def mark(session_id: int, learner_id: int) -> None:
    db.session.add(Attendance(learner_id=learner_id, session_id=session_id, status=AttendanceStatus.PRESENT))
    db.session.flush()


def test_cancelling_keeps_the_session_and_its_attendance(app, plan, course_of, office_actor):
    with app.app_context():
        session = new(course_of("a"), "2023-03-01", "19:00", "21:00")
        mark(session.id, plan.learners[0])
        with pytest.raises(ScheduleError) as refused:
            cancel_session(session, reason="  ", actor=office_actor())
        assert refused.value.errors == {"reason": "请填写取消原因。"}
        with pytest.raises(ScheduleError) as refused:
            cancel_session(session, reason="因" * 301, actor=office_actor())
        assert "最多 300" in refused.value.errors["reason"]

        cancel_session(session, reason="讲师临时生病", actor=office_actor())
        db.session.commit()
        session = db.session.get(TrainingSession, session.id)
        assert session.status == SessionStatus.CANCELLED
        assert session.cancelled_at is not None
        assert session.cancel_reason == "讲师临时生病"
        assert session.sequence == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Attendance)) == 1
        (entry,) = audit("session.cancel", session.id)
        assert entry.detail["before"]["status"] == "scheduled"
        assert entry.detail["after"]["status"] == "cancelled"
        with pytest.raises(ScheduleError) as refused:
            cancel_session(session, reason="再取消", actor=office_actor())
        assert refused.value.field == "status"


def future(course_id: int, days: int = 7) -> TrainingSession:
    starts = utcnow().replace(microsecond=0) + timedelta(days=days)
    return create_session(db.session.get(Course, course_id), starts_at=starts,
                          ends_at=starts + timedelta(hours=2), actor=None)


def test_deleting_a_session_with_attendance_is_refused(app, plan, current_course, office_actor):
    with app.app_context():
        session = future(current_course)
        mark(session.id, plan.learners[0])
        db.session.add(LeaveRequest(learner_id=plan.learners[1], session_id=session.id, reason="家中有事"))
        db.session.flush()
        with pytest.raises(ScheduleError) as refused:
            delete_session(session, actor=office_actor())
        assert refused.value.message == ("该课次已有1 条考勤记录、1 条请假申请，不能删除；"
                                         "如不再上课，请取消该课次（记录会保留）。")
        assert db.session.get(TrainingSession, session.id) is not None


def test_deleting_a_past_session_is_refused(app, plan, course_of, office_actor):
    with app.app_context():
        session = new(course_of("a"), "2023-03-01", "19:00", "21:00")
        with pytest.raises(ScheduleError) as refused:
            delete_session(session, actor=office_actor())
        assert "已开始或已结束" in refused.value.message


def test_a_future_session_without_records_is_deleted_and_audited(app, plan, current_course, office_actor):
    with app.app_context():
        session = future(current_course)
        session_id = session.id
        delete_session(session, actor=office_actor())
        db.session.commit()
        assert db.session.get(TrainingSession, session_id) is None
        (entry,) = audit("session.delete", session_id)
        assert entry.detail["before"]["instructor_id"] == plan.teacher


def test_attendance_answers_the_session_signal_in_a_fresh_app(make_app):
    from trainhub.schedule.signals import session_figures

    make_app()
    assert any(getattr(receiver, "__module__", "") == "trainhub.attendance.queries"
               for receiver in session_figures.receivers_for(None))


# many at once (the schedule import) ----------------------------------------------------------


def _selects(app, work) -> int:
    statements = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        work()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
    return len(statements)


@pytest.mark.parametrize("size", [2, 40])
def test_many_sessions_are_checked_together_in_a_fixed_number_of_reads(app, plan, course_of, size):
    from datetime import date, timedelta

    from trainhub.schedule.operations import create_sessions

    with app.app_context():
        course = course_of("c")
        items = []
        for n in range(size):
            day = (date(2023, 3, 1) + timedelta(days=n)).isoformat()
            items.append((course, {"starts_at": local(day, "09:00"), "ends_at": local(day, "10:00"),
                                   "instructor_id": plan.other_teacher}))
        made: list = []
        reads = _selects(app, lambda: made.extend(create_sessions(items, actor=None)))
        assert len(made) == size and len(audit("session.create", made[-1].id)) == 1
        # the instructor and the venue are read once; the clash check's three queries
        assert reads <= 8


def test_many_sessions_clashing_among_themselves_need_a_reason(app, plan, course_of):
    from trainhub.schedule.operations import ClashRefused, create_sessions

    with app.app_context():
        course = course_of("c")
        items = [(course, {"starts_at": local("2023-03-01", start), "ends_at": local("2023-03-01", end),
                           "instructor_id": plan.other_teacher})
                 for start, end in (("09:00", "11:00"), ("10:00", "12:00"))]
        with pytest.raises(ClashRefused):
            create_sessions(items, actor=None)
        assert db.session.scalar(sa.select(sa.func.count(TrainingSession.id))) == 0
        first, second = create_sessions(items, override_reason="同一讲师连堂，已确认", actor=None)
        assert first.clash_override is None and second.clash_override == "同一讲师连堂，已确认"
        (entry,) = audit("session.create", second.id)
        assert entry.detail["override_reason"] == "同一讲师连堂，已确认" and entry.detail["clashes"]
