"""Clashes: the same instructor, shared enrolled learners, the same venue — against the
timetable and among the proposals — in a constant number of queries; refused unless
overridden with a reason, which is kept."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from conftest import local

from trainhub.audit.models import AuditEntry
from trainhub.courses.models import SessionStatus, TrainingSession
from trainhub.extensions import db
from trainhub.schedule.clashes import ClashKind, Proposal, find_clashes
from trainhub.schedule.operations import ClashRefused, cancel_session, create_session


def add(course, day, start, end, *, actor=None, **kwargs) -> TrainingSession:
    return create_session(course, starts_at=local(day, start), ends_at=local(day, end),
                          actor=actor, override_reason=kwargs.pop("override_reason", "测试"), **kwargs)


def proposal(course_id, day, start, end, **kwargs) -> Proposal:
    return Proposal(course_id=course_id, starts_at=local(day, start), ends_at=local(day, end), **kwargs)


def test_the_same_instructor_twice_at_once(app, plan, course_of):
    with app.app_context():
        existing = add(course_of("a"), "2023-03-06", "09:00", "11:00")  # 王老师, the first of A
        clashes = find_clashes([proposal(plan.courses["b"], "2023-03-06", "10:30", "12:00",
                                         instructor_id=plan.teacher)])
        kinds = {c.kind for c in clashes}
        assert ClashKind.INSTRUCTOR in kinds
        clash = next(c for c in clashes if c.kind == ClashKind.INSTRUCTOR)
        assert clash.session_id == existing.id
        assert "讲师 王老师 同时有课次“S-A 排课课程A”" in clash.message
        assert "2023-03-06（周一）09:00–11:00" in clash.message


def test_back_to_back_is_no_clash(app, plan, course_of):
    with app.app_context():
        add(course_of("a"), "2023-03-06", "09:00", "11:00")
        assert find_clashes([proposal(plan.courses["b"], "2023-03-06", "11:00", "12:00",
                                      instructor_id=plan.teacher)]) == []
        assert find_clashes([proposal(plan.courses["b"], "2023-03-06", "07:00", "09:00",
                                      instructor_id=plan.teacher)]) == []


def test_courses_sharing_enrolled_learners_say_how_many(app, plan, course_of):
    with app.app_context():
        add(course_of("a"), "2023-03-06", "09:00", "11:00")
        clashes = find_clashes([proposal(plan.courses["b"], "2023-03-06", "10:00", "12:00",
                                         instructor_id=plan.other_teacher)])
        assert [c.kind for c in clashes] == [ClashKind.LEARNERS]
        assert clashes[0].learners == 2  # learner 2 is in A only
        assert "两门课程有 2 名共同报名的学员" in clashes[0].message


def test_waitlisted_and_withdrawn_learners_do_not_collide(app, plan, course_of):
    with app.app_context():
        add(course_of("a"), "2023-03-06", "09:00", "11:00")
        # C has learner 2 waitlisted and learner 0 withdrawn, both enrolled in A
        assert find_clashes([proposal(plan.courses["c"], "2023-03-06", "10:00", "12:00",
                                      instructor_id=plan.other_teacher)]) == []


def test_the_same_venue_twice_at_once(app, plan, course_of):
    with app.app_context():
        add(course_of("c"), "2023-03-07", "09:00", "12:00", venue_id=plan.venues["hall"])
        clashes = find_clashes([proposal(plan.courses["d"], "2023-03-07", "11:00", "13:00",
                                         venue_id=plan.venues["hall"])])
        assert [c.kind for c in clashes] == [ClashKind.VENUE]
        assert "场地“水城区社工站培训室”同时安排了课次“S-C 排课课程C”" in clashes[0].message
        assert find_clashes([proposal(plan.courses["d"], "2023-03-07", "11:00", "13:00",
                                      venue_id=plan.venues["room"])]) == []


def test_cancelled_sessions_and_the_changed_session_clash_with_nothing(app, plan, course_of, office_actor):
    with app.app_context():
        session = add(course_of("a"), "2023-03-06", "09:00", "11:00")
        moved = proposal(plan.courses["a"], "2023-03-06", "10:00", "12:00",
                         instructor_id=plan.teacher, session_id=session.id)
        assert find_clashes([moved]) == []  # compared in its new form only
        other = proposal(plan.courses["b"], "2023-03-06", "10:00", "12:00", instructor_id=plan.teacher)
        assert find_clashes([other])
        cancel_session(session, reason="讲师生病", actor=office_actor())
        assert find_clashes([other]) == []


def test_proposals_clash_among_themselves(app, plan):
    with app.app_context():
        proposals = [
            proposal(plan.courses["a"], "2023-03-08", "19:00", "21:00", instructor_id=plan.teacher),
            proposal(plan.courses["b"], "2023-03-08", "20:00", "22:00", instructor_id=plan.teacher,
                     venue_id=plan.venues["hall"]),
            proposal(plan.courses["d"], "2023-03-08", "21:30", "22:30", venue_id=plan.venues["hall"]),
        ]
        clashes = find_clashes(proposals)
        found = sorted((c.index, c.other_index, c.kind.value) for c in clashes)
        assert found == [(1, 0, "instructor"), (1, 0, "learners"), (2, 1, "venue")]
        assert all(c.session_id is None for c in clashes)
        assert "本次提交的另一课次（S-A 排课课程A" in clashes[0].message


@pytest.mark.parametrize("size", [1, 100])
def test_the_check_costs_the_same_queries_however_many_proposals(app, plan, course_of, size):
    with app.app_context():
        # a busy timetable: every course twice a day for a month
        for offset in range(30):
            day = (local("2023-03-01", "00:00") + timedelta(days=offset, hours=8)).date().isoformat()
            add(course_of("a"), day, "09:00", "10:00")
            add(course_of("b"), day, "14:00", "15:00")
            add(course_of("c"), day, "09:00", "10:00", venue_id=plan.venues["hall"])
        db.session.commit()
        proposals = [
            proposal(plan.courses[("a", "b", "c", "d")[n % 4]],
                     (local("2023-03-01", "00:00") + timedelta(days=n % 30, hours=8)).date().isoformat(),
                     "09:30", "14:30", instructor_id=[plan.teacher, plan.other_teacher, plan.other_teacher, None][n % 4],
                     venue_id=plan.venues["hall"] if n % 2 else None)
            for n in range(size)
        ]
        statements = []

        def listener(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        engine = db.engine
        sa.event.listen(engine, "before_cursor_execute", listener)
        try:
            clashes = find_clashes(proposals)
        finally:
            sa.event.remove(engine, "before_cursor_execute", listener)
        assert clashes  # the timetable is busy: the check had work to do
        assert len(statements) == 3, statements
        if size == 100:
            kinds = {c.kind for c in clashes}
            assert kinds == {ClashKind.INSTRUCTOR, ClashKind.LEARNERS, ClashKind.VENUE}


def test_a_clash_is_refused_without_a_reason_and_kept_with_one(app, plan, course_of, office_actor):
    with app.app_context():
        add(course_of("a"), "2023-03-06", "09:00", "11:00")
        course = course_of("b")
        with pytest.raises(ClashRefused) as refused:
            create_session(course, starts_at=local("2023-03-06", "10:00"),
                           ends_at=local("2023-03-06", "12:00"), instructor_id=plan.teacher,
                           actor=office_actor())
        assert refused.value.status == 409
        assert refused.value.field == "override_reason"
        assert {c.kind for c in refused.value.clashes} == {ClashKind.INSTRUCTOR, ClashKind.LEARNERS}
        assert db.session.scalar(sa.select(sa.func.count()).select_from(TrainingSession)) == 1

        session = create_session(course, starts_at=local("2023-03-06", "10:00"),
                                 ends_at=local("2023-03-06", "12:00"), instructor_id=plan.teacher,
                                 override_reason="两位讲师合上一次课", actor=office_actor())
        assert session.clash_override == "两位讲师合上一次课"
        assert session.status == SessionStatus.SCHEDULED
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "session.create",
                                                              AuditEntry.target_id == str(session.id)))
        assert entry.detail["override_reason"] == "两位讲师合上一次课"
        assert any("2 名共同报名的学员" in message for message in entry.detail["clashes"])


def test_a_session_without_clashes_keeps_no_override(app, plan, course_of, office_actor):
    with app.app_context():
        session = create_session(course_of("a"), starts_at=local("2023-03-06", "10:00"),
                                 ends_at=local("2023-03-06", "12:00"), override_reason="多余的理由",
                                 actor=office_actor())
        assert session.clash_override is None
