"""Enrol and withdraw: capacity, the waiting list, idempotence, re-enrolment, audit."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from trainhub.audit.models import AuditEntry
from trainhub.courses.models import Course, Enrolment, EnrolmentStatus
from trainhub.courses.operations import EnrolmentError, enrol, enrol_many, withdraw
from trainhub.extensions import db
from trainhub.learners.models import Learner

ENROLLED, WAITLISTED, WITHDRAWN = (EnrolmentStatus.ENROLLED, EnrolmentStatus.WAITLISTED,
                                   EnrolmentStatus.WITHDRAWN)


def _learners(world, *indexes):
    return [db.session.get(Learner, world.learners[i]) for i in indexes]


def _states(course_id):
    """``{learner_id: (status, waitlist_position)}`` of the course, from the database."""
    db.session.expire_all()
    return {
        e.learner_id: (e.status, e.waitlist_position)
        for e in db.session.scalars(sa.select(Enrolment).where(Enrolment.course_id == course_id))
    }


def _actions():
    return [e.action for e in db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id))
            if e.action.startswith("enrolment.")]


def test_enrol_fills_places_then_the_waiting_list_in_order(app, world, make_course):
    course_id = make_course(capacity=2)
    with app.app_context():
        course = db.session.get(Course, course_id)
        results = [enrol(learner, course) for learner in _learners(world, 0, 1, 2, 3)]
        db.session.commit()
        assert [e.status for e in results] == [ENROLLED, ENROLLED, WAITLISTED, WAITLISTED]
        assert [e.waitlist_position for e in results] == [None, None, 1, 2]
        assert _actions() == ["enrolment.enrol"] * 4


def test_full_course_without_waiting_list_is_refused_in_chinese(app, world, make_course):
    course_id = make_course(capacity=1)
    with app.app_context():
        course = db.session.get(Course, course_id)
        first, second = _learners(world, 0, 1)
        enrol(first, course, waitlist=False)
        with pytest.raises(EnrolmentError) as info:
            enrol(second, course, waitlist=False)
        assert info.value.field == "course_id"
        assert info.value.message == "课程已满（容量 1 人）"
        db.session.commit()
        assert _states(course_id) == {world.learners[0]: (ENROLLED, None)}


def test_unlimited_course_never_waitlists(app, world, make_course):
    course_id = make_course(capacity=None)
    with app.app_context():
        course = db.session.get(Course, course_id)
        summary = enrol_many(_learners(world, *range(7)), course, waitlist=False)
        db.session.commit()
        assert len(summary.enrolled) == 7 and not summary.refused
        assert set(_states(course_id).values()) == {(ENROLLED, None)}


def test_enrol_is_idempotent(app, world, make_course):
    course_id = make_course(capacity=1)
    with app.app_context():
        course = db.session.get(Course, course_id)
        first, second = _learners(world, 0, 1)
        enrolled = enrol(first, course)
        waiting = enrol(second, course)
        db.session.commit()
        again = enrol(first, course, waitlist=False)
        waiting_again = enrol(second, course)
        db.session.commit()
        assert again.id == enrolled.id and again.status == ENROLLED
        assert waiting_again.id == waiting.id and waiting_again.waitlist_position == 1
        assert db.session.scalar(sa.select(sa.func.count(Enrolment.id))) == 2
        assert _actions() == ["enrolment.enrol"] * 2  # the repeats changed and audited nothing


def test_withdraw_promotes_the_first_on_the_waiting_list(app, world, make_course):
    course_id = make_course(capacity=2)
    with app.app_context():
        course = db.session.get(Course, course_id)
        a, _, c, _, _ = (enrol(learner, course) for learner in _learners(world, 0, 1, 2, 3, 4))
        db.session.commit()
        promoted = withdraw(a, "工作调动")
        db.session.commit()
        assert promoted.id == c.id
        states = _states(course_id)
        assert states[world.learners[0]] == (WITHDRAWN, None)
        assert states[world.learners[2]] == (ENROLLED, None)
        # the rest of the waiting list moves up, still in order
        assert states[world.learners[3]] == (WAITLISTED, 1)
        assert states[world.learners[4]] == (WAITLISTED, 2)
        gone = db.session.get(Enrolment, a.id)
        assert gone.withdraw_reason == "工作调动" and gone.withdrawn_at is not None
        assert _actions()[-2:] == ["enrolment.withdraw", "enrolment.promote"]


def test_leaving_the_waiting_list_closes_the_gap_and_promotes_nobody(app, world, make_course):
    course_id = make_course(capacity=1)
    with app.app_context():
        course = db.session.get(Course, course_id)
        _, first_waiting, _ = (enrol(learner, course) for learner in _learners(world, 0, 1, 2))
        db.session.commit()
        assert withdraw(first_waiting, "时间冲突") is None
        db.session.commit()
        states = _states(course_id)
        assert states[world.learners[0]] == (ENROLLED, None)
        assert states[world.learners[1]] == (WITHDRAWN, None)
        assert states[world.learners[2]] == (WAITLISTED, 1)


def test_withdraw_from_a_course_without_waiting_list_returns_none(app, world, make_course):
    course_id = make_course(capacity=3)
    with app.app_context():
        enrolment = enrol(_learners(world, 0)[0], db.session.get(Course, course_id))
        db.session.commit()
        assert withdraw(enrolment, "本人申请") is None
        db.session.commit()
        assert _states(course_id)[world.learners[0]] == (WITHDRAWN, None)


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_withdraw_without_reason_is_refused(app, world, make_course, reason):
    course_id = make_course(capacity=1)
    with app.app_context():
        course = db.session.get(Course, course_id)
        enrolment = enrol(_learners(world, 0)[0], course)
        enrol(_learners(world, 1)[0], course)
        db.session.commit()
        with pytest.raises(EnrolmentError) as info:
            withdraw(enrolment, reason)
        assert info.value.field == "reason"
        assert info.value.message == "请填写退课原因。"
        db.session.rollback()
        states = _states(course_id)
        assert states[world.learners[0]] == (ENROLLED, None)
        assert states[world.learners[1]] == (WAITLISTED, 1)


def test_withdraw_twice_and_overlong_reason_are_refused(app, world, make_course):
    course_id = make_course()
    with app.app_context():
        enrolment = enrol(_learners(world, 0)[0], db.session.get(Course, course_id))
        with pytest.raises(EnrolmentError) as info:
            withdraw(enrolment, "因" * 301)
        assert info.value.field == "reason" and "300" in info.value.message
        withdraw(enrolment, "本人申请")
        with pytest.raises(EnrolmentError) as info:
            withdraw(enrolment, "再次退课")
        assert info.value.field == "status"


def test_withdrawn_learner_is_enrolled_again_on_the_same_row(app, world, make_course):
    course_id = make_course(capacity=1)
    with app.app_context():
        course = db.session.get(Course, course_id)
        first, second = _learners(world, 0, 1)
        enrolment = enrol(first, course)
        db.session.commit()
        withdraw(enrolment, "时间冲突")
        db.session.commit()
        again = enrol(first, course)
        db.session.commit()
        assert again.id == enrolment.id
        assert again.status == ENROLLED
        assert again.withdrawn_at is None and again.withdraw_reason is None
        # the course is full again: the next one waits
        assert enrol(second, course).status == WAITLISTED


def test_withdrawn_learner_rejoins_at_the_end_of_a_full_course(app, world, make_course):
    course_id = make_course(capacity=1)
    with app.app_context():
        course = db.session.get(Course, course_id)
        first, second, third = _learners(world, 0, 1, 2)
        enrolment = enrol(first, course)
        enrol(second, course)
        enrol(third, course)
        db.session.commit()
        withdraw(enrolment, "时间冲突")  # second moves up, third is first in line
        db.session.commit()
        again = enrol(first, course)
        db.session.commit()
        assert (again.status, again.waitlist_position) == (WAITLISTED, 2)


def test_raised_capacity_goes_to_the_waiting_list_before_newcomers(app, world, make_course):
    course_id = make_course(capacity=1)
    with app.app_context():
        course = db.session.get(Course, course_id)
        enrol_many(_learners(world, 0, 1, 2), course)
        course.capacity = 3
        db.session.commit()
        newcomer = enrol(_learners(world, 3)[0], course)
        db.session.commit()
        states = _states(course_id)
        assert states[world.learners[1]] == (ENROLLED, None)
        assert states[world.learners[2]] == (ENROLLED, None)
        assert (newcomer.status, newcomer.waitlist_position) == (WAITLISTED, 1)


def test_enrol_many_counts_each_outcome(app, world, make_course):
    course_id = make_course(capacity=3)
    with app.app_context():
        course = db.session.get(Course, course_id)
        enrol(_learners(world, 0)[0], course)
        db.session.commit()
        learners = _learners(world, 0, 1, 2, 3, 4)
        summary = enrol_many(learners + learners[:1], course, waitlist=False)
        db.session.commit()
        assert [len(summary.enrolled), len(summary.waitlisted), len(summary.already),
                len(summary.refused)] == [2, 0, 1, 2]
        assert [learner.id for learner in summary.refused] == world.learners[3:5]
        assert summary.message() == ("新报名 2 人，进入候补 0 人，原已报名或候补 1 人，"
                                     "因课程已满未报名 2 人。")
        batch = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "enrolment.enrol_many"))
        assert (batch.target_type, batch.target_id) == ("course", str(course_id))
        assert batch.detail == {"enrolled": world.learners[1:3], "waitlisted": [], "re_enrolled": [],
                                "refused": world.learners[3:5], "already": 1}
        with_list = enrol_many(learners, course)
        db.session.commit()
        assert [e.waitlist_position for e in with_list.waitlisted] == [1, 2]
        assert len(with_list.already) == 3


def test_two_enrolments_at_once_cannot_overfill_a_course(app, world, make_course):
    """A second request for the last place waits for the first one's transaction: one gets
    the place, the other the waiting list, whatever the timing."""
    import threading

    course_id = make_course(capacity=1)
    outcome = {}

    def second_request():
        with app.app_context():
            learner = db.session.get(Learner, world.learners[1])
            enrolment = enrol(learner, db.session.get(Course, course_id))
            outcome["status"] = enrolment.status
            db.session.commit()

    with app.app_context():
        first = enrol(db.session.get(Learner, world.learners[0]), db.session.get(Course, course_id))
        assert first.status == ENROLLED
        thread = threading.Thread(target=second_request)
        thread.start()
        thread.join(timeout=0.5)
        blocked = thread.is_alive()  # waiting for the first transaction's lock
        db.session.commit()
    thread.join()
    assert blocked
    assert outcome["status"] == WAITLISTED
    with app.app_context():
        assert sorted(s for s, _ in _states(course_id).values()) == [ENROLLED, WAITLISTED]
