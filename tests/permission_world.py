"""The objects the permission matrix (``test_permissions.py``) puts in its URLs.

For every kind of object a URL can name there is one inside the caller's reach and, where
the kind has such a thing, one outside it:

| kind          | inside                                       | outside                              |
| ------------- | -------------------------------------------- | ------------------------------------ |
| county        | 520204 水城区 (贵州, in scope "52")           | 621126 岷县 (甘肃)                    |
| organisation  | an agency in 520204                          | an agency in 621126                  |
| learner       | a learner of the agency in 520204            | a learner of the agency in 621126    |
| pairing       | supporter → the agency in 520204             | supporter → the agency in 621126     |
| course        | a course the matrix instructor teaches       | a course taught by nobody            |
| enrolment     | the inside learner in the inside course      | the outside learner, outside course  |
| session       | a 2023 session of the inside course          | a 2023 session of the outside course |
| series        | a series of the inside course                | a series of the outside course       |
| api_token     | a spare token of the caller                  | a token of another trainee           |
| job           | a job the caller started                     | a job another trainee started        |
| import_upload | an import of the caller (with rejected rows) | an import of another trainee         |
| user          | a staff account to administer                | —                                    |
| activation    | a usable activation link                     | —                                    |

Every role has its user ("matrix-office", ...): the coordinator's scope is "52"; the trainee
is the account of the inside learner (so ``/me`` shows their own record); "another
trainee" is the outside learner's account, which has not been activated.

To let the matrix test a new kind of URL argument (``<int:session_id>``, say): add the
argument to ``ARGUMENT_KINDS``, create an inside and an outside object in
:func:`build_world` and put their URL values in ``World.inside`` / ``World.outside``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from trainhub.accounts.models import Role, User
from trainhub.extensions import db

ANONYMOUS = "anonymous"
#: The columns of the permission table, in its order (written out: reordering the Role enum
#: must not shift the columns).
ROLES = ("office", "coordinator", "instructor", "certifier", "trainee", ANONYMOUS)
PASSWORD = "Quanxian-2023"
COORDINATOR_SCOPE = "52"

#: URL argument name -> kind of object; ``(first path segment, name)`` where a name means
#: different things under different paths.
ARGUMENT_KINDS = {
    "code": "county",
    "org_id": "organisation",
    "learner_id": "learner",
    "pairing_id": "pairing",
    "course_id": "course",
    "enrolment_id": "enrolment",
    "session_id": "session",
    "series_id": "series",
    "token_id": "api_token",
    "job_id": "job",
    "user_id": "user",
    ("imports", "token"): "import_upload",
    ("activate", "token"): "activation",
}

#: Kinds that belong to one user: "inside" is the caller's own.
PERSONAL_KINDS = ("api_token", "job", "import_upload")

COUNTIES = (
    ("520204", "水城区", "六盘水市", "贵州省"),
    ("621126", "岷县", "定西市", "甘肃省"),
    ("110101", "东城区", "北京市", "北京市"),
)


def kind_of(rule: str, argument: str) -> str | None:
    segment = rule.split("/api/v1/", 1)[-1].lstrip("/").split("/", 1)[0]
    return ARGUMENT_KINDS.get((segment, argument)) or ARGUMENT_KINDS.get(argument)


def id_number(division: str, birth: str, sequence: str) -> str:
    from trainhub.learners.idcard import check_character

    first17 = f"{division}{birth}{sequence}"
    return first17 + check_character(first17)


@dataclass
class World:
    """URL values of the objects, and what each role signs in with."""

    shared: dict[str, tuple[object, object | None]] = field(default_factory=dict)
    #: kind -> user name -> the value of that user's own object
    personal: dict[str, dict[str, object]] = field(default_factory=dict)
    usernames: dict[str, str] = field(default_factory=dict)
    #: role -> the bearer secret of its API token
    secrets: dict[str, str] = field(default_factory=dict)
    #: the inside learner's ID number (a body that reaches the ID-number correction)
    inside_id_number: str = ""
    other_username: str = ""

    def inside(self, role: str, kind: str):
        if kind in PERSONAL_KINDS:
            owner = self.usernames.get(role, self.other_username)
            return self.personal[kind][owner]
        return self.shared[kind][0]

    def outside(self, role: str, kind: str):
        if kind in PERSONAL_KINDS:
            return self.personal[kind][self.other_username]
        return self.shared[kind][1]


def _add_counties() -> None:
    from trainhub.geo.models import County

    for code, name, prefecture, province in COUNTIES:
        db.session.add(County(code=code, name=name, prefecture=prefecture, province=province,
                              province_code=code[:2], list_version="NBS-2023",
                              is_priority=code != "110101"))
    db.session.flush()


def _add_learner(organisation, name: str, number: str, phone: str):
    from trainhub.learners.operations import create_learner
    from trainhub.learners.validation import check_learner_fields

    fields, errors = check_learner_fields({"name": name, "id_number": number, "phone": phone})
    assert not errors, errors
    return create_learner(fields, organisation, actor=None)


def _add_courses(instructor: User):
    from trainhub.courses.models import Course, CourseMode, Phase, Programme, Track

    programme = Programme(name="牵手计划系列培训", starts_on=date(2023, 1, 1), ends_on=date(2025, 12, 31))
    phase = Phase(programme=programme, number=1, name="第一阶段", starts_on=date(2023, 2, 15),
                  ends_on=date(2023, 8, 14))
    track = Track(phase=phase, name="社工机构管理运营")
    inside = Course(track=track, code="PERM-01", title="权限测试：任教课程", class_hours=Decimal(8),
                    mode=CourseMode.ONLINE)
    inside.instructors.append(instructor)
    outside = Course(track=track, code="PERM-02", title="权限测试：其他课程", class_hours=Decimal(8),
                     mode=CourseMode.ONLINE)
    db.session.add_all([programme, phase, track, inside, outside])
    db.session.flush()
    return inside, outside


def _add_sessions(inside, outside, instructor: User):
    """A session alone and a series of one session in each course (held in 2023: a
    request to delete one is refused, so the matrix changes nothing it later needs). The
    inside ones are held at a venue in the coordinator's area, which keeps them in reach
    after the matrix withdraws the inside learner."""
    from datetime import UTC, datetime, time

    from trainhub.courses.models import SessionSeries, TrainingSession, Venue

    venue = Venue(name="水城区权限测试培训室", county_code="520204")
    made = {}
    for key, course, teacher, place in (("in", inside, instructor, venue), ("out", outside, None, None)):
        series = SessionSeries(course=course, weekdays="3", starts_time=time(19), ends_time=time(21),
                               first_date=date(2023, 3, 8), occurrences=1)
        alone = TrainingSession(course=course, instructor=teacher, venue=place,
                                starts_at=datetime(2023, 3, 1, 11, tzinfo=UTC),
                                ends_at=datetime(2023, 3, 1, 13, tzinfo=UTC))
        repeated = TrainingSession(course=course, series=series, instructor=teacher, venue=place,
                                   starts_at=datetime(2023, 3, 8, 11, tzinfo=UTC),
                                   ends_at=datetime(2023, 3, 8, 13, tzinfo=UTC))
        db.session.add_all([series, alone, repeated])
        made[key] = (alone, series)
    db.session.flush()
    return made


def _add_personal_objects(world: World, user: User) -> None:
    from trainhub.accounts.operations import create_token
    from trainhub.imports import storage
    from trainhub.jobs.models import Job

    token, _ = create_token(user, "权限测试备用令牌")
    job = Job(kind="demo.count", title="演示任务：按县统计学员人数", params={}, created_by_id=user.id)
    db.session.add(job)
    db.session.flush()
    counts = {"rows": 2, "new": 1, "updated": 0, "unchanged": 0, "rejected": 1, "organisations": 0}
    upload = storage.keep_result(
        user.id, "名单.xlsx",
        {"counts": counts, "valid_only": True, "course": None, "enrolment": None, "organisations": []},
        b"rejected rows",
    )
    world.personal.setdefault("api_token", {})[user.username] = token.id
    world.personal.setdefault("job", {})[user.username] = job.id
    world.personal.setdefault("import_upload", {})[user.username] = upload.token


def build_world(app) -> World:
    """Create every object of the table above (committed) and return their URL values."""
    from trainhub.accounts.operations import create_token, create_user
    from trainhub.courses.models import Enrolment, EnrolmentStatus
    from trainhub.learners.trainee_accounts import issue_activation_links
    from trainhub.orgs.operations import create_organisation
    from trainhub.orgs.pairings import create_pairing

    world = World()
    with app.app_context():
        _add_counties()
        org_in = create_organisation(name="水城区权限测试社会工作服务中心", kind="agency",
                                     county_code="520204")
        org_out = create_organisation(name="岷县权限测试社会工作服务中心", kind="agency",
                                      county_code="621126")
        supporter = create_organisation(name="东城区权限测试社会工作协会", kind="supporter",
                                        county_code="110101")
        pairing_in = create_pairing(supporter_id=supporter.id, recipient_id=org_in.id,
                                    started_on=date(2023, 3, 1))
        pairing_out = create_pairing(supporter_id=supporter.id, recipient_id=org_out.id,
                                     started_on=date(2023, 3, 1))
        world.inside_id_number = id_number("520204", "19900307", "123")
        learner_in = _add_learner(org_in, "权限甲", world.inside_id_number, "13812345678")
        learner_out = _add_learner(org_out, "权限乙", id_number("621126", "19880512", "024"),
                                   "13987654321")

        users = {}
        for role in Role:
            if role == Role.TRAINEE:
                user = learner_in.user
                user.set_password(PASSWORD)
                user.must_change_password = False
            else:
                user = create_user(f"matrix-{role.value}", role, password=PASSWORD,
                                   display_name=f"权限测试{role.label}",
                                   scope_code=COORDINATOR_SCOPE if role == Role.COORDINATOR else None)
            users[role.value] = user
            world.usernames[role.value] = user.username
            _, world.secrets[role.value] = create_token(user, "权限测试")
        other = learner_out.user
        world.other_username = other.username
        for user in [*users.values(), other]:
            _add_personal_objects(world, user)

        course_in, course_out = _add_courses(users[Role.INSTRUCTOR.value])
        enrolment_in = Enrolment(learner=learner_in, course=course_in, status=EnrolmentStatus.ENROLLED)
        enrolment_out = Enrolment(learner=learner_out, course=course_out,
                                  status=EnrolmentStatus.ENROLLED)
        db.session.add_all([enrolment_in, enrolment_out])
        administered = create_user("matrix-administered", Role.INSTRUCTOR, password=PASSWORD)
        db.session.flush()
        sessions = _add_sessions(course_in, course_out, users[Role.INSTRUCTOR.value])
        (link,), _ = issue_activation_links([learner_out], actor=None)

        world.shared = {
            "county": ("520204", "621126"),
            "organisation": (org_in.id, org_out.id),
            "learner": (learner_in.id, learner_out.id),
            "pairing": (pairing_in.id, pairing_out.id),
            "course": (course_in.id, course_out.id),
            "enrolment": (enrolment_in.id, enrolment_out.id),
            "session": (sessions["in"][0].id, sessions["out"][0].id),
            "series": (sessions["in"][1].id, sessions["out"][1].id),
            "user": (administered.id, None),
            "activation": (link.token, None),
        }
        db.session.commit()
    return world
