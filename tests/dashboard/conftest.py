"""Fixtures of the dashboard tests: a small programme with known figures, page helpers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from html.parser import HTMLParser

import pytest

from trainhub.extensions import db

PASSWORD = "Xunlian-2023"  # conftest.DEFAULT_PASSWORD

VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
             "track", "wbr"}


class _TextById(HTMLParser):
    """Collects the text inside the element with a given id."""

    def __init__(self, element_id: str):
        super().__init__()
        self.element_id = element_id
        self.depth = 0
        self.found = False
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if self.depth:
            if tag not in VOID_TAGS:
                self.depth += 1
        elif dict(attrs).get("id") == self.element_id:
            self.found = True
            if tag not in VOID_TAGS:
                self.depth = 1

    def handle_endtag(self, tag):
        if self.depth and tag not in VOID_TAGS:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.parts.append(data)


def text_of(page: str, element_id: str) -> str:
    """Whitespace-normalised text of the element ``#element_id``; fails when it is missing."""
    parser = _TextById(element_id)
    parser.feed(page)
    assert parser.found, f"no element #{element_id} on the page"
    return re.sub(r"\s+", " ", " ".join(parser.parts)).strip()


@pytest.fixture
def page_text():
    return text_of


@pytest.fixture
def sign_in(client):
    def do(username: str, password: str = PASSWORD):
        response = client.post("/login", data={"username": username, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)

    return do


@dataclass
class World:
    """Ids of what :func:`world` created, for the tests to refer to."""

    learners: dict[str, int] = field(default_factory=dict)
    courses: dict[str, int] = field(default_factory=dict)
    teachers: dict[str, int] = field(default_factory=dict)


@pytest.fixture
def world(app, make_user):
    """A programme with known figures (see the table in tests/dashboard/test_dashboard_views.py).

    Counties: 贵州 522626 (priority, organisations A and B), 522627 (priority, nothing),
    522628 (not priority, organisation C); 甘肃 621126 (priority, organisation D), 620102
    (organisation E, a supporter). Learners: L1, L2 (A, B: 522626), L3 (C), L4, L5 (D).
    Courses X (L1, L2, L4 enrolled; L3 withdrew), Y (L4, L5), Z (nobody), W (L5, finished).
    """
    from trainhub.accounts.models import User
    from trainhub.attendance.models import Attendance, AttendanceStatus
    from trainhub.certificates.models import (
        Certificate,
        CertificateKind,
        CertificateStatus,
        CertificateTemplate,
    )
    from trainhub.courses.models import (
        Course,
        CourseMode,
        Enrolment,
        EnrolmentStatus,
        Phase,
        Programme,
        SessionStatus,
        Track,
        TrainingSession,
    )
    from trainhub.db import utcnow
    from trainhub.geo.models import County
    from trainhub.learners.models import Gender, Learner
    from trainhub.orgs.models import Organisation, OrgKind

    result = World()
    now = utcnow()
    teacher1 = make_user("instructor", username="teacher1", display_name="张老师")
    teacher2 = make_user("instructor", username="teacher2", display_name="李老师")
    with app.app_context():
        cipher = app.extensions["trainhub_pii"]
        db.session.add_all([
            County(code="522626", name="岑巩县", prefecture="黔东南苗族侗族自治州", province="贵州省",
                   province_code="52", list_version="NBS-2023", is_priority=True),
            County(code="522627", name="天柱县", prefecture="黔东南苗族侗族自治州", province="贵州省",
                   province_code="52", list_version="NBS-2023", is_priority=True),
            County(code="522628", name="锦屏县", prefecture="黔东南苗族侗族自治州", province="贵州省",
                   province_code="52", list_version="NBS-2023"),
            County(code="621126", name="岷县", prefecture="定西市", province="甘肃省",
                   province_code="62", list_version="NBS-2023", is_priority=True),
            County(code="620102", name="城关区", prefecture="兰州市", province="甘肃省",
                   province_code="62", list_version="NBS-2023"),
        ])
        orgs = {
            "A": Organisation(name="岑巩县阳光社会工作服务中心", kind=OrgKind.AGENCY, county_code="522626"),
            "B": Organisation(name="岑巩县思旸镇社工站", kind=OrgKind.STATION, county_code="522626"),
            "C": Organisation(name="锦屏县三江镇社工站", kind=OrgKind.STATION, county_code="522628"),
            "D": Organisation(name="岷县同心社会工作服务中心", kind=OrgKind.AGENCY, county_code="621126"),
            "E": Organisation(name="兰州市社会工作协会", kind=OrgKind.SUPPORTER, county_code="620102"),
        }
        db.session.add_all(orgs.values())
        db.session.flush()

        learners = {}
        for number, (key, org) in enumerate(
            [("L1", "A"), ("L2", "B"), ("L3", "C"), ("L4", "D"), ("L5", "D")], start=1
        ):
            learner = Learner(name=f"学员{key}", gender=Gender.FEMALE, birth_date=date(1990, 1, number),
                              organisation_id=orgs[org].id)
            learner.set_id_number(f"52262619900101{number:03d}X", cipher)
            learners[key] = learner
        db.session.add_all(learners.values())

        programme = Programme(name="牵手计划系列培训", starts_on=date(2023, 1, 1), ends_on=date(2025, 12, 31))
        phase = Phase(programme=programme, number=1, name="第一阶段", starts_on=date(2023, 2, 15),
                      ends_on=date(2023, 8, 14))
        track = Track(phase=phase, name="社工机构管理运营")
        db.session.add_all([programme, phase, track])

        t1 = db.session.get(User, teacher1.id)
        t2 = db.session.get(User, teacher2.id)

        def course(code, title):
            return Course(track=track, code=code, title=title, class_hours=Decimal("8.0"),
                          mode=CourseMode.ONLINE)

        courses = {
            "X": course("X-01", "社工机构战略管理"),
            "Y": course("Y-01", "项目设计与评估"),
            "Z": course("Z-01", "社工站建设实务"),
            "W": course("W-01", "财务管理基础"),
        }
        courses["X"].instructors.append(t1)
        courses["Y"].instructors.append(t1)
        # a session's instructor teaches its course: the guest is listed for Y (and teaches
        # only the session assigned to them), teacher1 for Z
        courses["Y"].instructors.append(t2)
        courses["Z"].instructors.append(t1)
        db.session.add_all(courses.values())

        def session(key, title, days, status=SessionStatus.SCHEDULED, instructor_id=None):
            starts = now + timedelta(days=days)
            return TrainingSession(course=courses[key], title=title, starts_at=starts,
                                   ends_at=starts + timedelta(hours=2), status=status,
                                   cancelled_at=now if status == SessionStatus.CANCELLED else None,
                                   instructor_id=instructor_id,
                                   meeting_url="https://meeting.example.cn/j/123" if days > 0 else None)

        sessions = {
            "X1": session("X", "X第一讲", -20),
            "X2": session("X", "X第二讲", -10),
            "Xc": session("X", "X取消的一讲", -5, status=SessionStatus.CANCELLED),
            "X3": session("X", "X第三讲", 5),
            "Y1": session("Y", "Y第一讲", -3, instructor_id=teacher1.id),
            "Y2": session("Y", "Y第二讲", 3, instructor_id=teacher1.id),
            "Y3": session("Y", "Y第三讲（客座）", 7, instructor_id=teacher2.id),
            "Z1": session("Z", "Z第一讲", 2, instructor_id=teacher1.id),
            "W1": session("W", "W唯一一讲", -30),
        }
        db.session.add_all(sessions.values())
        db.session.flush()

        for learner, key, status in [
            ("L1", "X", EnrolmentStatus.ENROLLED), ("L2", "X", EnrolmentStatus.ENROLLED),
            ("L3", "X", EnrolmentStatus.WITHDRAWN), ("L4", "X", EnrolmentStatus.ENROLLED),
            ("L4", "Y", EnrolmentStatus.ENROLLED), ("L5", "Y", EnrolmentStatus.ENROLLED),
            ("L5", "W", EnrolmentStatus.ENROLLED),
        ]:
            db.session.add(Enrolment(learner=learners[learner], course=courses[key], status=status,
                                     enrolled_at=now - timedelta(days=60)))

        for learner, key, status in [
            ("L1", "X1", AttendanceStatus.PRESENT), ("L1", "X2", AttendanceStatus.LATE),
            ("L2", "X1", AttendanceStatus.EXCUSED), ("L2", "X2", AttendanceStatus.ABSENT),
            ("L4", "X1", AttendanceStatus.PRESENT), ("L4", "Y1", AttendanceStatus.LEFT_EARLY),
        ]:
            db.session.add(Attendance(learner=learners[learner], session=sessions[key], status=status))

        template = CertificateTemplate(name="结业证书模板", kind=CertificateKind.COMPLETION)
        db.session.add(template)
        db.session.flush()

        def certificate(sequence, learner, key, **kwargs):
            return Certificate(
                serial=f"QS-JY-2023-{sequence:06d}", kind=CertificateKind.COMPLETION,
                year=2023, sequence=sequence, verification_code=f"code{sequence:04d}",
                learner=learners[learner], course=courses[key], template=template,
                snapshot={"name": learner}, **kwargs,
            )

        revoked = certificate(2, "L4", "Y", status=CertificateStatus.REVOKED, revoked_at=now,
                              revoke_reason="姓名有误")
        db.session.add_all([
            certificate(1, "L1", "X"),
            revoked,
            certificate(4, "L5", "W", issued_at=now - timedelta(days=400)),
        ])
        db.session.flush()
        db.session.add(certificate(3, "L4", "Y", replaces_id=revoked.id))
        db.session.commit()

        result.learners = {key: learner.id for key, learner in learners.items()}
        result.courses = {key: c.id for key, c in courses.items()}
        result.teachers = {"teacher1": teacher1.id, "teacher2": teacher2.id}
    return result
