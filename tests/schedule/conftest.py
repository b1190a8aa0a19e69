"""A small world to schedule in: phase 1 (2023-02-15 .. 2023-08-14), three courses, two
instructors, learners enrolled in two courses at once, and on-site venues."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from trainhub.accounts.models import Role
from trainhub.extensions import db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(day: str, clock: str) -> datetime:
    """A local (Asia/Shanghai) time as the UTC instant the database keeps."""
    return datetime.combine(date.fromisoformat(day), time.fromisoformat(clock),
                            tzinfo=SHANGHAI).astimezone(UTC)


@dataclass
class Plan:
    office: int = 0
    teacher: int = 0
    other_teacher: int = 0
    #: course ids: "a" and "b" share two enrolled learners; "c" shares none; "d" has no instructor
    courses: dict[str, int] = field(default_factory=dict)
    venues: dict[str, int] = field(default_factory=dict)
    learners: list[int] = field(default_factory=list)
    phase: int = 0


@pytest.fixture
def plan(app, make_user) -> Plan:
    from trainhub.accounts.models import User
    from trainhub.courses.models import Course, CourseMode, Enrolment, EnrolmentStatus, Venue
    from trainhub.courses.operations import ensure_initial_programme
    from trainhub.geo.models import County
    from trainhub.learners import idcard
    from trainhub.learners.models import Gender
    from trainhub.learners.operations import create_learner
    from trainhub.learners.validation import check_learner_fields
    from trainhub.orgs.models import Organisation, OrgKind

    result = Plan()
    result.office = make_user(Role.OFFICE, username="office-s", display_name="项目办").id
    result.teacher = make_user(Role.INSTRUCTOR, username="teacher-a", display_name="王老师").id
    result.other_teacher = make_user(Role.INSTRUCTOR, username="teacher-b", display_name="李老师").id
    rng = random.Random(7)  # noqa: S311 - synthetic, reproducible test data
    with app.app_context():
        db.session.add(County(code="520204", name="水城区", prefecture="六盘水市", province="贵州省",
                              province_code="52", is_priority=True, list_version="test"))
        db.session.flush()
        org = Organisation(name="水城区社会工作服务中心", kind=OrgKind.AGENCY, county_code="520204")
        db.session.add(org)
        db.session.flush()
        setup = ensure_initial_programme()
        result.phase = setup.phase.id
        teacher, other = db.session.get(User, result.teacher), db.session.get(User, result.other_teacher)
        courses = {}
        for key, instructors, mode in (("a", [teacher], CourseMode.ONLINE),
                                       ("b", [other, teacher], CourseMode.ONLINE),
                                       ("c", [other], CourseMode.ONSITE),
                                       ("d", [], CourseMode.BLENDED)):
            course = Course(track_id=setup.tracks[0].id, code=f"S-{key.upper()}", title=f"排课课程{key.upper()}",
                            class_hours=Decimal("12"), mode=mode)
            course.instructors = instructors
            db.session.add(course)
            courses[key] = course
        db.session.flush()
        result.courses = {key: course.id for key, course in courses.items()}
        for key, name in (("hall", "水城区社工站培训室"), ("room", "六盘水市会议室")):
            venue = Venue(name=name, county_code="520204", organisation_id=org.id)
            db.session.add(venue)
            db.session.flush()
            result.venues[key] = venue.id
        for number, name in enumerate(["张一", "李二", "王三"]):
            id_number = idcard.generate(rng, "520204", date(1990, 1, 1 + number), Gender.FEMALE)
            fields, errors = check_learner_fields(
                {"name": name, "id_number": id_number, "phone": f"1390000{number:04d}"})
            assert not errors, errors
            learner = create_learner(fields, org, actor=None)
            result.learners.append(learner.id)
        # learners 0 and 1 in both a and b; learner 2 in a only; a waitlisted one in c
        for learner in result.learners[:2]:
            for key in ("a", "b"):
                db.session.add(Enrolment(learner_id=learner, course_id=courses[key].id))
        db.session.add(Enrolment(learner_id=result.learners[2], course_id=courses["a"].id))
        db.session.add(Enrolment(learner_id=result.learners[2], course_id=courses["c"].id,
                                 status=EnrolmentStatus.WAITLISTED, waitlist_position=1))
        db.session.add(Enrolment(learner_id=result.learners[0], course_id=courses["c"].id,
                                 status=EnrolmentStatus.WITHDRAWN))
        db.session.commit()
    return result


@pytest.fixture
def office_actor(app, plan):
    """The office user, loaded in the current app context (call inside one)."""
    from trainhub.accounts.models import User

    return lambda: db.session.get(User, plan.office)


@pytest.fixture
def course_of(plan):
    from trainhub.courses.models import Course

    return lambda key: db.session.get(Course, plan.courses[key])


@pytest.fixture
def current_course(app, plan) -> int:
    """A course of a phase running around today (so that sessions can lie ahead), taught
    by 王老师; its id."""
    from trainhub.accounts.models import User
    from trainhub.courses.models import Course, CourseMode, Phase, Track
    from trainhub.localtime import local_today

    with app.app_context():
        today = local_today()
        phase1 = db.session.get(Phase, plan.phase)
        phase = Phase(programme_id=phase1.programme_id, number=2, name="第二阶段",
                      starts_on=today - timedelta(days=60), ends_on=today + timedelta(days=120))
        track = Track(phase=phase, name="当前模块")
        course = Course(track=track, code="S-NOW", title="当前课程", class_hours=Decimal("8"),
                        mode=CourseMode.ONLINE)
        course.instructors = [db.session.get(User, plan.teacher)]
        db.session.add_all([phase, track, course])
        phase1.programme.ends_on = max(phase1.programme.ends_on, phase.ends_on)
        db.session.commit()
        return course.id
