"""The permission matrix: every URL rule and method × every role, against a table written by hand.

How to add a row: for a new route (or a new method on one), add a line to ``EXPECTED_TEXT`` —
the HTTP method(s), the rule exactly as ``app.url_map`` spells it, and one code per role
(office, coordinator, instructor, certifier, trainee, anonymous). Write what the product
intends, never what the decorator says: the table is what the decorators are checked
against. If the rule names a kind of object the matrix does not know yet (``<int:session_id>``),
teach ``tests/permission_world.py`` to create one inside and one outside the caller's reach.
If a request needs a body to get as far as looking up its object, add it to ``BODIES``.

Codes:
  yes   allowed; an object named in the URL is reachable wherever it lies
  area  allowed within the caller's area: the inside object is reachable, the outside one 404
  own   allowed for the caller's own object (or the course they teach): another's answers 404
  -     denied: 403 (web pages send an anonymous visitor to sign in; the API answers 401)

"Reachable" means any answer but 401, 403, 404 or a server error (an empty form may well be
400 or 422). Every role gets one application, one world of objects, one sign-in and one API
token for the whole URL map; the session cookie is put back before every request.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from permission_world import ANONYMOUS, PASSWORD, ROLES, build_world, kind_of

from trainhub.accounts.models import Role
from trainhub.auth import PUBLIC

CODES = {"yes", "area", "own", "-"}

EXPECTED_TEXT = """
# method(s)  rule                                                 office coord instr certif trainee anon
GET          /                                                    yes    yes   yes    yes    yes     -
GET          /healthz                                             yes    yes   yes    yes    yes     yes
GET,POST     /login                                               yes    yes   yes    yes    yes     yes
POST         /logout                                              yes    yes   yes    yes    yes     -
GET,POST     /activate/<token>                                    yes    yes   yes    yes    yes     yes
GET,POST     /account/password                                    yes    yes   yes    yes    yes     -
GET,POST     /account/tokens                                      yes    yes   yes    yes    yes     -
POST         /account/tokens/<int:token_id>/revoke                own    own   own    own    own     -
GET          /users                                               yes    -     -      -      -       -
GET,POST     /users/new                                           yes    -     -      -      -       -
POST         /users/<int:user_id>/enable                          yes    -     -      -      -       -
POST         /users/<int:user_id>/disable                         yes    -     -      -      -       -
POST         /users/<int:user_id>/reset-password                  yes    -     -      -      -       -
GET          /jobs                                                yes    own   own    own    own     -
GET          /jobs/<job_id>                                       yes    own   own    own    own     -
GET          /jobs/<job_id>/status.json                           yes    own   own    own    own     -
POST         /jobs/<job_id>/rerun                                 yes    own   own    own    own     -
POST         /jobs/demo                                           yes    -     -      -      -       -
GET          /counties                                            yes    area  -      -      -       -
GET          /counties/<code>                                     yes    area  -      -      -       -
POST         /counties/<code>/priority                            yes    -     -      -      -       -
GET          /organisations                                       yes    area  -      yes    -       -
GET          /organisations/export.xlsx                           yes    area  -      yes    -       -
GET          /organisations/<int:org_id>                          yes    area  -      yes    -       -
GET,POST     /organisations/new                                   yes    area  -      -      -       -
GET,POST     /organisations/<int:org_id>/edit                     yes    area  -      -      -       -
GET          /pairings                                            yes    area  -      -      -       -
GET          /pairings/export.xlsx                                yes    area  -      -      -       -
GET          /pairings/<int:pairing_id>                           yes    area  -      -      -       -
GET,POST     /pairings/new                                        yes    -     -      -      -       -
POST         /pairings/<int:pairing_id>/end                       yes    -     -      -      -       -
GET          /coverage                                            yes    area  -      -      -       -
GET          /coverage/export.xlsx                                yes    area  -      -      -       -
GET,POST     /learners                                            yes    area  -      -      -       -
GET,POST     /learners/new                                        yes    area  -      -      -       -
GET,POST     /learners/export                                     yes    area  -      -      -       -
POST         /learners/activation-links                           yes    area  -      -      -       -
GET          /learners/<int:learner_id>                           yes    area  -      -      -       -
GET,POST     /learners/<int:learner_id>/edit                      yes    area  -      -      -       -
POST         /learners/<int:learner_id>/activation-link           yes    area  -      -      -       -
POST         /learners/<int:learner_id>/temporary-password        yes    area  -      -      -       -
POST         /learners/<int:learner_id>/personal-data             yes    -     -      -      -       -
GET,POST     /learners/<int:learner_id>/id-number                 yes    -     -      -      -       -
GET          /me                                                  -      -     -      -      own     -
GET          /courses                                             yes    yes   own    yes    -       -
GET          /courses/<int:course_id>                             yes    yes   own    yes    -       -
GET          /courses/<int:course_id>/enrolments.xlsx             yes    yes   own    yes    -       -
GET,POST     /courses/<int:course_id>/enrol                       yes    yes   -      -      -       -
POST         /courses/<int:course_id>/enrol/selection             yes    yes   -      -      -       -
POST         /courses/<int:course_id>/enrol/organisation          yes    yes   -      -      -       -
POST         /courses/<int:course_id>/enrol/county                yes    yes   -      -      -       -
GET,POST     /enrolments/<int:enrolment_id>/withdraw              yes    area  -      -      -       -
GET          /courses/<int:course_id>/sessions                    yes    -     -      -      -       -
GET,POST     /courses/<int:course_id>/sessions/new                yes    -     -      -      -       -
GET,POST     /courses/<int:course_id>/series/new                  yes    -     -      -      -       -
GET,POST     /sessions/<int:session_id>/edit                      yes    -     -      -      -       -
GET,POST     /sessions/<int:session_id>/cancel                    yes    -     -      -      -       -
GET,POST     /sessions/<int:session_id>/delete                    yes    -     -      -      -       -
GET,POST     /series/<int:series_id>/edit                         yes    -     -      -      -       -
GET,POST     /series/<int:series_id>/cancel                       yes    -     -      -      -       -
GET,POST     /courses/new                                         yes    -     -      -      -       -
GET,POST     /courses/<int:course_id>/edit                        yes    -     -      -      -       -
POST         /courses/<int:course_id>/archive                     yes    -     -      -      -       -
POST         /courses/<int:course_id>/restore                     yes    -     -      -      -       -
GET          /programme                                           yes    yes   yes    yes    -       -
GET,POST     /programmes/new                                      yes    -     -      -      -       -
GET,POST     /programmes/<int:programme_id>/edit                  yes    -     -      -      -       -
POST         /programmes/<int:programme_id>/archive               yes    -     -      -      -       -
POST         /programmes/<int:programme_id>/restore               yes    -     -      -      -       -
GET,POST     /programmes/<int:programme_id>/phases/new            yes    -     -      -      -       -
GET          /phases/<int:phase_id>                               yes    yes   yes    yes    -       -
GET,POST     /phases/<int:phase_id>/edit                          yes    -     -      -      -       -
POST         /phases/<int:phase_id>/archive                       yes    -     -      -      -       -
POST         /phases/<int:phase_id>/restore                       yes    -     -      -      -       -
GET,POST     /phases/<int:phase_id>/tracks/new                    yes    -     -      -      -       -
GET,POST     /tracks/<int:track_id>/edit                          yes    -     -      -      -       -
POST         /tracks/<int:track_id>/archive                       yes    -     -      -      -       -
POST         /tracks/<int:track_id>/restore                       yes    -     -      -      -       -
GET          /venues                                              yes    area  -      -      -       -
GET          /venues/<int:venue_id>                               yes    area  -      -      -       -
GET,POST     /venues/new                                          yes    -     -      -      -       -
GET,POST     /venues/<int:venue_id>/edit                          yes    -     -      -      -       -
POST         /venues/<int:venue_id>/archive                       yes    -     -      -      -       -
POST         /venues/<int:venue_id>/restore                       yes    -     -      -      -       -
GET,POST     /imports/new                                         yes    area  -      -      -       -
GET          /imports/template.xlsx                               yes    yes   -      -      -       -
GET          /imports/<token>                                     own    own   -      -      -       -
POST         /imports/<token>/confirm                             own    own   -      -      -       -
GET          /imports/<token>/result                              own    own   -      -      -       -
GET          /imports/<token>/rejected.xlsx                       own    own   -      -      -       -
GET          /calendar                                            yes    yes   yes    yes    yes     -
POST         /calendar/renew                                      yes    yes   yes    yes    yes     -
POST         /calendar/revoke                                     yes    yes   yes    yes    yes     -
GET          /calendar/<token>.ics                                yes    yes   yes    yes    yes     yes
GET          /courses/<int:course_id>/calendar                    yes    -     -      -      -       -
POST         /courses/<int:course_id>/calendar/share              yes    -     -      -      -       -
POST         /courses/<int:course_id>/calendar/revoke             yes    -     -      -      -       -

GET          /timetable                                           yes    yes   yes    yes    yes     -
GET          /timetable/month                                     yes    yes   yes    yes    yes     -
GET          /phases/<int:phase_id>/overview                      yes    yes   yes    yes    yes     -
GET          /sessions/<int:session_id>                           yes    area  own    yes    own     -
GET,POST     /timetable/import                                    yes    -     -      -      -       -
GET          /timetable/import/template.xlsx                      yes    -     -      -      -       -
GET          /timetable/import/<token>                            own    -     -      -      -       -
POST         /timetable/import/<token>/confirm                    own    -     -      -      -       -
GET          /timetable/import/<token>/result                     own    -     -      -      -       -

GET          /api/v1/me                                           yes    yes   yes    yes    yes     -
GET          /api/v1/tokens                                       yes    yes   yes    yes    yes     -
DELETE       /api/v1/tokens/<int:token_id>                        own    own   own    own    own     -
GET          /api/v1/jobs                                         yes    own   own    own    own     -
GET          /api/v1/jobs/<job_id>                                yes    own   own    own    own     -
POST         /api/v1/jobs/<job_id>/rerun                          yes    own   own    own    own     -
GET          /api/v1/counties                                     yes    yes   yes    yes    yes     -
GET          /api/v1/counties/<code>                              yes    yes   yes    yes    yes     -
GET          /api/v1/organisations                                yes    area  -      yes    -       -
POST         /api/v1/organisations                                yes    area  -      -      -       -
GET          /api/v1/organisations/<int:org_id>                   yes    area  -      yes    -       -
PATCH        /api/v1/organisations/<int:org_id>                   yes    area  -      -      -       -
GET          /api/v1/pairings                                     yes    area  -      -      -       -
POST         /api/v1/pairings                                     yes    -     -      -      -       -
GET          /api/v1/pairings/<int:pairing_id>                    yes    area  -      -      -       -
PATCH        /api/v1/pairings/<int:pairing_id>                    yes    -     -      -      -       -
GET          /api/v1/coverage                                     yes    area  -      -      -       -
GET          /api/v1/learners                                     yes    area  -      -      -       -
POST         /api/v1/learners                                     yes    area  -      -      -       -
POST         /api/v1/learners/search                              yes    area  -      -      -       -
GET          /api/v1/learners/<int:learner_id>                    yes    area  -      -      -       -
PATCH        /api/v1/learners/<int:learner_id>                    yes    area  -      -      -       -
GET          /api/v1/learners/<int:learner_id>/personal-data      yes    -     -      -      -       -
PUT          /api/v1/learners/<int:learner_id>/id-number          yes    -     -      -      -       -
GET          /api/v1/me/learner                                   -      -     -      -      own     -
GET          /api/v1/courses                                      yes    yes   own    yes    -       -
GET          /api/v1/courses/<int:course_id>                      yes    yes   own    yes    -       -
GET          /api/v1/enrolments                                   yes    area  own    yes    -       -
POST         /api/v1/enrolments                                   yes    area  -      -      -       -
GET          /api/v1/enrolments/<int:enrolment_id>                yes    area  own    yes    -       -
POST         /api/v1/enrolments/<int:enrolment_id>/withdraw       yes    area  -      -      -       -
GET          /api/v1/me/enrolments                                -      -     -      -      own     -
GET          /api/v1/sessions                                     yes    area  own    yes    own     -
POST         /api/v1/sessions                                     yes    -     -      -      -       -
GET          /api/v1/sessions/<int:session_id>                    yes    area  own    yes    own     -
PATCH        /api/v1/sessions/<int:session_id>                    yes    -     -      -      -       -
DELETE       /api/v1/sessions/<int:session_id>                    yes    -     -      -      -       -
POST         /api/v1/sessions/<int:session_id>/cancel             yes    -     -      -      -       -
POST         /api/v1/sessions/preview                             yes    -     -      -      -       -
POST         /api/v1/sessions/clash-check                         yes    -     -      -      -       -
POST         /api/v1/series                                       yes    -     -      -      -       -
PATCH        /api/v1/series/<int:series_id>                       yes    -     -      -      -       -
POST         /api/v1/series/<int:series_id>/cancel                yes    -     -      -      -       -
GET          /api/v1/me/sessions                                  own    own   own    own    own     -
POST         /api/v1/courses                                      yes    -     -      -      -       -
PATCH        /api/v1/courses/<int:course_id>                      yes    -     -      -      -       -
POST         /api/v1/courses/<int:course_id>/archive              yes    -     -      -      -       -
POST         /api/v1/courses/<int:course_id>/restore              yes    -     -      -      -       -
GET          /api/v1/programmes                                   yes    yes   yes    yes    -       -
POST         /api/v1/programmes                                   yes    -     -      -      -       -
GET          /api/v1/programmes/<int:programme_id>                yes    yes   yes    yes    -       -
PATCH        /api/v1/programmes/<int:programme_id>                yes    -     -      -      -       -
POST         /api/v1/programmes/<int:programme_id>/archive        yes    -     -      -      -       -
POST         /api/v1/programmes/<int:programme_id>/restore        yes    -     -      -      -       -
GET          /api/v1/phases                                       yes    yes   yes    yes    -       -
POST         /api/v1/phases                                       yes    -     -      -      -       -
GET          /api/v1/phases/<int:phase_id>                        yes    yes   yes    yes    -       -
PATCH        /api/v1/phases/<int:phase_id>                        yes    -     -      -      -       -
POST         /api/v1/phases/<int:phase_id>/archive                yes    -     -      -      -       -
POST         /api/v1/phases/<int:phase_id>/restore                yes    -     -      -      -       -
POST         /api/v1/tracks                                       yes    -     -      -      -       -
PATCH        /api/v1/tracks/<int:track_id>                        yes    -     -      -      -       -
POST         /api/v1/tracks/<int:track_id>/archive                yes    -     -      -      -       -
POST         /api/v1/tracks/<int:track_id>/restore                yes    -     -      -      -       -
GET          /api/v1/venues                                       yes    area  -      -      -       -
POST         /api/v1/venues                                       yes    -     -      -      -       -
GET          /api/v1/venues/<int:venue_id>                        yes    area  -      -      -       -
PATCH        /api/v1/venues/<int:venue_id>                        yes    -     -      -      -       -
POST         /api/v1/venues/<int:venue_id>/archive                yes    -     -      -      -       -
POST         /api/v1/venues/<int:venue_id>/restore                yes    -     -      -      -       -
POST         /api/v1/imports/learners                             yes    area  -      -      -       -
GET          /api/v1/imports/<token>/rejected-rows                own    own   -      -      -       -
GET          /api/v1/me/calendar                                  yes    yes   yes    yes    yes     -
"""

#: Request bodies that get a request as far as looking up the object in its URL (API
#: writes otherwise get the empty JSON object, web forms an empty form).
BODIES = {
    ("PUT", "/api/v1/learners/<int:learner_id>/id-number"):
        lambda world: {"id_number": world.inside_id_number},
    ("POST", "/api/v1/enrolments/<int:enrolment_id>/withdraw"): lambda world: {"reason": "权限测试"},
}

#: Requests that end the caller's session when they succeed: sent after all the others.
SESSION_ENDING = {("POST", "/logout")}

EXCLUDED_ENDPOINTS = {"static", "bootstrap.static"}
EXCLUDED_PREFIXES = ("api-docs.",)
IGNORED_METHODS = {"HEAD", "OPTIONS"}
PROBLEM = "application/problem+json"


def parse_table(text: str) -> dict[tuple[str, str], dict[str, str]]:
    table: dict[tuple[str, str], dict[str, str]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        methods, rule, *codes = line.split()
        assert len(codes) == len(ROLES), f"table line {number}: {len(ROLES)} codes wanted: {line}"
        assert set(codes) <= CODES, f"table line {number}: unknown code in {codes}"
        for method in methods.split(","):
            assert (method, rule) not in table, f"table line {number}: {method} {rule} twice"
            table[(method, rule)] = dict(zip(ROLES, codes, strict=True))
    return table


EXPECTED = parse_table(EXPECTED_TEXT)


@pytest.fixture
def app_config(app_config):
    # the matrix sends many requests from one address; throttling is tested elsewhere
    return {**app_config, "RATELIMIT_ENABLED": False}


# what the code declares -----------------------------------------------------------------------


def checked_rules(app):
    return [
        rule for rule in app.url_map.iter_rules()
        if rule.endpoint not in EXCLUDED_ENDPOINTS and not rule.endpoint.startswith(EXCLUDED_PREFIXES)
    ]


def routes(app) -> list[tuple[str, object]]:
    """``(method, rule)`` for every method of every checked rule."""
    return [
        (method, rule)
        for rule in checked_rules(app)
        for method in sorted(set(rule.methods or ()) - IGNORED_METHODS)
    ]


def declared_roles(app, rule, method: str):
    """``allowed_roles`` of the function that answers ``method`` on ``rule`` (None if missing).

    Function views carry it themselves; class-based views (``MethodView``, as flask-smorest
    resources are often written) may declare it per HTTP method or for the whole class.
    """
    view = app.view_functions[rule.endpoint]
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        declared = getattr(getattr(view_class, method.lower(), None), "allowed_roles", None)
        if declared is not None:
            return declared
    return getattr(view, "allowed_roles", None)


def declared_set(declared) -> set[str]:
    if declared == PUBLIC:
        return set(ROLES)
    return {role.value for role in declared}


def allowed_set(row: dict[str, str]) -> set[str]:
    return {role for role, code in row.items() if code != "-"}


def test_every_rule_declares_who_may_use_it(app):
    missing, malformed = [], []
    for method, rule in routes(app):
        declared = declared_roles(app, rule, method)
        where = f"{method} {rule.rule} ({rule.endpoint})"
        if declared is None:
            missing.append(where)
        elif declared != PUBLIC and not (
            isinstance(declared, frozenset) and declared
            and all(isinstance(role, Role) for role in declared)
        ):
            malformed.append(f"{where}: {declared!r}")
    assert not missing, (
        "views without a declared permission (decorate them with roles_required(...), "
        "signed_in or public from trainhub.auth):\n  " + "\n  ".join(missing)
    )
    assert not malformed, "malformed allowed_roles:\n  " + "\n  ".join(malformed)


def test_declared_rules_match_the_table(app):
    """Every route is in the table, every row is a route, and the decorators grant exactly
    the roles the table allows."""
    problems = []
    seen = set()
    for method, rule in routes(app):
        key = (method, rule.rule)
        seen.add(key)
        if key not in EXPECTED:
            problems.append(f"{method} {rule.rule} ({rule.endpoint}) is not in the table: add a row")
            continue
        declared = declared_roles(app, rule, method)
        if declared is None:
            continue  # reported by test_every_rule_declares_who_may_use_it
        granted, intended = declared_set(declared), allowed_set(EXPECTED[key])
        if granted != intended:
            wrong = [f"{role} is let in" for role in sorted(granted - intended)]
            wrong += [f"{role} is kept out" for role in sorted(intended - granted)]
            problems.append(f"{method} {rule.rule} ({rule.endpoint}): {', '.join(wrong)}")
    problems += [f"{method} {rule}: row of a route that does not exist"
                 for method, rule in sorted(EXPECTED.keys() - seen)]
    assert not problems, "the permission table and the code disagree:\n  " + "\n  ".join(problems)


def test_the_table_covers_the_url_map(app):
    endpoints = {rule.endpoint for rule in checked_rules(app)}
    assert {"accounts.login", "accounts.users", "accounts_api.me"} <= endpoints
    assert not endpoints & EXCLUDED_ENDPOINTS
    assert len(EXPECTED) >= len(routes(app)) > 100
    assert set(ROLES) == {role.value for role in Role} | {ANONYMOUS}  # a new role needs a column


# what the application answers -----------------------------------------------------------------


def object_urls(rule, role: str, world) -> tuple[str, str | None]:
    """The rule's URL naming objects inside the caller's reach, and outside it (None when
    the rule names no object, or the kind has nothing outside)."""
    names = sorted(rule.arguments - set(rule.defaults or ()))
    if not names:
        return rule.build({}, append_unknown=False)[1], None
    kinds = {}
    for name in names:
        kind = kind_of(rule.rule, name)
        if kind is None:
            pytest.fail(f"{rule.rule}: the matrix has no objects for <{name}>; teach "
                        "tests/permission_world.py (ARGUMENT_KINDS and build_world)")
        kinds[name] = kind
    inside = rule.build({name: world.inside(role, kind) for name, kind in kinds.items()},
                        append_unknown=False)[1]
    outside_values = {name: world.outside(role, kind) for name, kind in kinds.items()}
    if any(value is None for value in outside_values.values()):
        return inside, None
    return inside, rule.build(outside_values, append_unknown=False)[1]


def denial(response, api: bool) -> str | None:
    """How ``response`` refuses the caller, or None when it does not."""
    if response.status_code in (401, 403):
        return str(response.status_code)
    if not api and response.status_code in (301, 302, 303, 307, 308):
        target = urlsplit(response.headers.get("Location", ""))
        if target.path == "/login" and "next" in parse_qs(target.query):
            return "redirect to sign-in"
    return None


def unreachable(response, api: bool) -> str | None:
    """Why ``response`` is not an answer from the view itself, or None."""
    how = denial(response, api)
    if how is not None:
        return f"denied ({how})"
    if response.status_code == 404:
        return "404"
    if response.status_code >= 500:
        return f"server error {response.status_code}"
    return None


def wrong_denial(response, role: str, api: bool) -> str | None:
    if api:
        status = 401 if role == ANONYMOUS else 403
        if response.status_code != status:
            return f"expected {status}, got {response.status_code}"
        if response.mimetype != PROBLEM:
            return f"expected a problem document, got {response.mimetype}"
        return None
    if role == ANONYMOUS:
        if denial(response, api) != "redirect to sign-in":
            return f"expected a redirect to the sign-in page, got {response.status_code}"
        return None
    if response.status_code != 403:
        return f"expected 403, got {response.status_code}"
    return None


def wrong_not_found(response, api: bool) -> str | None:
    if response.status_code != 404:
        return f"expected 404, got {response.status_code}"
    if api and response.mimetype != PROBLEM:
        return f"expected a problem document, got {response.mimetype}"
    return None


class Caller:
    """One role's client: a web session (put back before each request) and API headers."""

    def __init__(self, app, world, role: str):
        self.client = app.test_client()
        self.role = role
        self.world = world
        self.cookie = None
        self.headers = {}
        if role != ANONYMOUS:
            response = self.client.post("/login", data={"username": world.usernames[role],
                                                        "password": PASSWORD})
            assert response.status_code == 302, f"{role} could not sign in"
            self.cookie = self.client.get_cookie("session").value
            self.headers = {"Authorization": f"Bearer {world.secrets[role]}"}

    def send(self, method: str, rule, url: str):
        api = rule.rule.startswith("/api/")
        if self.cookie is not None:
            self.client.set_cookie("session", self.cookie)  # undo any sign-out
        body = BODIES.get((method, rule.rule), lambda world: {})(self.world)
        kwargs = {}
        if method in ("POST", "PUT", "PATCH"):
            kwargs = {"json": body} if api else {"data": body}
        return self.client.open(url, method=method, headers=self.headers if api else {}, **kwargs)


@pytest.mark.parametrize("role", ROLES)
def test_requests_follow_the_table(app, role):
    world = build_world(app)
    caller = Caller(app, world, role)
    problems = []
    cases = 0
    ordered = sorted(routes(app), key=lambda mr: (mr[0], mr[1].rule) in SESSION_ENDING)
    for method, rule in ordered:
        row = EXPECTED.get((method, rule.rule))
        if row is None:
            continue  # reported by test_declared_rules_match_the_table
        code, api = row[role], rule.rule.startswith("/api/")
        inside, outside = object_urls(rule, role, world)
        response = caller.send(method, rule, inside)
        cases += 1
        if code == "-":
            wrong = wrong_denial(response, role, api)
            if wrong is not None:
                problems.append(f"{method} {inside}: {role} should be denied; {wrong}")
            continue
        why = unreachable(response, api)
        if why is not None:
            problems.append(f"{method} {inside}: allowed for {role}, but {why}")
        if outside is None:
            if code != "yes" and rule.arguments - set(rule.defaults or ()):
                problems.append(f"{method} {rule.rule}: '{code}' needs an object outside the "
                                "caller's reach; the world has none")
            continue
        response = caller.send(method, rule, outside)
        cases += 1
        if code == "yes":
            why = unreachable(response, api)
            if why is not None:
                problems.append(f"{method} {outside} (outside): allowed for {role}, but {why}")
        else:
            wrong = wrong_not_found(response, api)
            if wrong is not None:
                problems.append(f"{method} {outside} (outside): '{code}' for {role}; {wrong}")
    assert cases > len(EXPECTED) / 2
    assert not problems, f"{len(problems)} of {cases} requests broke the table:\n  " + (
        "\n  ".join(problems)
    )
