"""Series from a recurrence rule: the preview writes nothing; creating saves the rule and its
sessions; the phase window, clashes and their override; changing and cancelling the rest of
a series."""

from __future__ import annotations

from datetime import date, time

import pytest
import sqlalchemy as sa
from conftest import SHANGHAI, local

from trainhub.attendance.models import Attendance, AttendanceStatus
from trainhub.audit.models import AuditEntry
from trainhub.courses.models import SessionSeries, SessionStatus, TrainingSession
from trainhub.extensions import db
from trainhub.schedule.clashes import ClashKind
from trainhub.schedule.operations import ClashRefused, ScheduleError, create_session
from trainhub.schedule.recurrence import Rule
from trainhub.schedule.series import cancel_series, create_series, preview_series, update_series

WEDNESDAYS = Rule(weekdays=(3,), starts_time=time(19), ends_time=time(21),
                  first_date=date(2023, 3, 1), count=12)


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def local_days(sessions) -> list[str]:
    return [s.starts_at.astimezone(SHANGHAI).date().isoformat() for s in sessions]


def test_the_preview_lists_everything_and_writes_nothing(app, plan, course_of, database_rows):
    with app.app_context():
        before = database_rows()
        preview = preview_series(course_of("a"), WEDNESDAYS, meeting_url="https://meeting.tencent.com/dm/x")
        assert len(preview.proposals) == 12
        assert [str(s) for s in preview.skipped] == ["2023-04-05 清明", "2023-05-03 劳动节"]
        assert preview.window is None and preview.clashes == [] and preview.can_save
        assert preview.details["instructor_id"] == plan.teacher
        assert preview.proposals[0].starts_at == local("2023-03-01", "19:00")
        db.session.rollback()
    assert database_rows() == before


def test_creating_saves_the_rule_and_its_sessions(app, plan, course_of, office_actor):
    with app.app_context():
        series = create_series(course_of("a"), WEDNESDAYS, title="组织管理", meeting_url="https://m.cn/1",
                               meeting_number="123 456 789", actor=office_actor())
        db.session.commit()
        series = db.session.get(SessionSeries, series.id)
        assert (series.weekdays, series.occurrences, series.until_date) == ("3", 12, None)
        assert series.created_by_id == plan.office
        assert local_days(series.sessions)[4:6] == ["2023-03-29", "2023-04-12"]
        assert {(s.title, s.meeting_number, s.instructor_id, s.sequence) for s in series.sessions} == {
            ("组织管理", "123 456 789", plan.teacher, 0)}
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "series.create"))
        assert entry.detail["skipped"] == ["2023-04-05 清明", "2023-05-03 劳动节"]
        assert entry.detail["rule"] == "每周三 19:00–21:00，自 2023-03-01 起共 12 次"
        assert len(entry.detail["session_ids"]) == 12


def test_a_kept_holiday_is_scheduled_and_remembered(app, plan, course_of):
    rule = Rule(weekdays=(3,), starts_time=time(19), ends_time=time(21), first_date=date(2023, 3, 1),
                count=12, keep_holidays=frozenset({date(2023, 5, 3), date(2023, 1, 1)}))
    with app.app_context():
        series = create_series(course_of("a"), rule, actor=None)
        assert "2023-05-03" in local_days(series.sessions)
        assert series.kept_holidays == "2023-05-03"  # a date the rule never reached is not kept
        assert Rule.from_series(series).keep_holidays == frozenset({date(2023, 5, 3)})


def test_a_rule_reaching_past_the_phase_is_refused_naming_the_dates(app, plan, course_of):
    late = Rule(weekdays=(1,), starts_time=time(9), ends_time=time(11), first_date=date(2023, 7, 31),
                until_date=date(2023, 8, 28))
    early = Rule(weekdays=(1,), starts_time=time(9), ends_time=time(11), first_date=date(2023, 2, 6),
                 count=3)
    with app.app_context():
        preview = preview_series(course_of("a"), late)
        assert preview.window.dates == [date(2023, 8, 21), date(2023, 8, 28)]
        assert not preview.can_save and preview.outside(3) and not preview.outside(0)
        with pytest.raises(ScheduleError) as refused:
            create_series(course_of("a"), late, actor=None)
        assert "2023-08-21、2023-08-28" in refused.value.errors["until_date"]
        with pytest.raises(ScheduleError) as refused:
            create_series(course_of("a"), early, actor=None)
        assert "2023-02-06、2023-02-13" in refused.value.errors["first_date"]
        assert count(TrainingSession) == 0 and count(SessionSeries) == 0


def test_bad_rules_and_details_are_refused_together(app, plan, course_of):
    bad = Rule(weekdays=(), starts_time=time(21), ends_time=time(19), first_date=date(2023, 3, 1), count=0)
    with app.app_context():
        with pytest.raises(ScheduleError) as refused:
            preview_series(course_of("a"), bad, meeting_url="ftp://x", instructor_id=plan.other_teacher)
        assert set(refused.value.errors) == {"weekdays", "ends_time", "count", "meeting_url", "instructor_id"}


def test_series_clashes_are_found_and_overridden(app, plan, course_of, office_actor):
    with app.app_context():
        create_series(course_of("a"), WEDNESDAYS, actor=None)
        other = Rule(weekdays=(3,), starts_time=time(20), ends_time=time(22), first_date=date(2023, 3, 1),
                     count=4)
        preview = preview_series(course_of("b"), other, instructor_id=plan.other_teacher)
        assert {c.kind for c in preview.clashes} == {ClashKind.LEARNERS}
        assert [len(preview.clashes_at(i)) for i in range(4)] == [1, 1, 1, 1]
        with pytest.raises(ClashRefused):
            create_series(course_of("b"), other, instructor_id=plan.other_teacher, actor=office_actor())
        series = create_series(course_of("b"), other, instructor_id=plan.other_teacher,
                               override_reason="共同学员已同意改看回放", actor=office_actor())
        assert {s.clash_override for s in series.sessions} == {"共同学员已同意改看回放"}
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "series.create",
                                                              AuditEntry.target_id == str(series.id)))
        assert entry.detail["override_reason"] == "共同学员已同意改看回放"
        assert len(entry.detail["clashes"]) == 4


def test_changing_the_rest_of_a_series(app, plan, course_of, office_actor):
    with app.app_context():
        series = create_series(course_of("b"), WEDNESDAYS, instructor_id=plan.other_teacher, actor=None)
        with pytest.raises(ScheduleError) as refused:
            update_series(series, {"starts_time": time(18), "ends_time": time(20)},
                          from_date=date(2023, 5, 1), actor=office_actor())
        assert refused.value.errors == {"reason": "请填写调课原因。"}
        changed = update_series(series, {"starts_time": time(18), "ends_time": time(20),
                                         "venue_detail": "线上"},
                                from_date=date(2023, 5, 1), reason="夏季作息调整", actor=office_actor())
        db.session.commit()
        assert local_days(changed) == ["2023-05-10", "2023-05-17", "2023-05-24", "2023-05-31"]
        series = db.session.get(SessionSeries, series.id)
        assert series.starts_time == time(18)
        for session in series.sessions:
            start = session.starts_at.astimezone(SHANGHAI)
            if start.date() >= date(2023, 5, 1):
                assert (start.time(), session.sequence, session.venue_detail) == (time(18), 1, "线上")
            else:
                assert (start.time(), session.sequence, session.venue_detail) == (time(19), 0, None)
        entries = list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "session.reschedule")))
        assert len(entries) == 4
        assert entries[0].detail["reason"] == "夏季作息调整"
        assert entries[0].detail["before"]["starts_at"].endswith("11:00:00+00:00")


@pytest.mark.parametrize(("changes", "field"), [
    ({"ends_time": time(18)}, "ends_time"),
    ({"instructor_id": 99999}, "instructor_id"),
    ({"meeting_url": "not a link"}, "meeting_url"),
])
def test_bad_series_changes_are_refused(app, plan, course_of, changes, field):
    with app.app_context():
        series = create_series(course_of("a"), WEDNESDAYS, actor=None)
        with pytest.raises(ScheduleError) as refused:
            update_series(series, changes, from_date=date(2023, 3, 1), reason="调整", actor=None)
        assert field in refused.value.errors


def test_changing_a_series_into_a_clash_needs_an_override(app, plan, course_of):
    with app.app_context():
        create_session(course_of("c"), starts_at=local("2023-05-10", "18:30"),
                       ends_at=local("2023-05-10", "19:30"), venue_id=plan.venues["hall"], actor=None)
        series = create_series(course_of("d"), WEDNESDAYS, venue_id=plan.venues["room"], actor=None)
        with pytest.raises(ClashRefused) as refused:
            update_series(series, {"venue_id": plan.venues["hall"]}, from_date=date(2023, 5, 1), actor=None)
        assert [c.kind for c in refused.value.clashes] == [ClashKind.VENUE]
        update_series(series, {"venue_id": plan.venues["hall"]}, from_date=date(2023, 5, 1),
                      override_reason="隔断分区使用", actor=None)
        assert {s.venue_id for s in series.sessions if s.clash_override} == {plan.venues["hall"]}


def test_a_date_after_the_series_is_refused(app, plan, course_of):
    with app.app_context():
        series = create_series(course_of("a"), WEDNESDAYS, actor=None)
        with pytest.raises(ScheduleError) as refused:
            update_series(series, {"title": "x"}, from_date=date(2023, 7, 1), actor=None)
        assert "2023-07-01 及以后没有可修改的课次" in refused.value.errors["from_date"]


def test_cancelling_the_rest_of_a_series_keeps_it_visible_with_attendance(app, plan, course_of, office_actor):
    with app.app_context():
        series = create_series(course_of("a"), WEDNESDAYS, actor=None)
        for session in series.sessions:
            db.session.add(Attendance(learner_id=plan.learners[0], session_id=session.id,
                                      status=AttendanceStatus.PRESENT))
        with pytest.raises(ScheduleError) as refused:
            cancel_series(series, from_date=date(2023, 5, 1), reason="", actor=office_actor())
        assert refused.value.errors == {"reason": "请填写取消原因。"}
        cancelled = cancel_series(series, from_date=date(2023, 5, 1), reason="课程调整", actor=office_actor())
        db.session.commit()
        assert len(cancelled) == 4
        series = db.session.get(SessionSeries, series.id)
        statuses = [s.status for s in series.sessions]
        assert statuses == [SessionStatus.SCHEDULED] * 8 + [SessionStatus.CANCELLED] * 4
        assert {s.cancel_reason for s in series.sessions if s.is_cancelled} == {"课程调整"}
        assert count(Attendance) == 12
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                                 .where(AuditEntry.action == "session.cancel")) == 4
        with pytest.raises(ScheduleError) as refused:
            cancel_series(series, from_date=date(2023, 5, 1), reason="再取消", actor=office_actor())
        assert "没有未取消的课次" in refused.value.errors["from_date"]
