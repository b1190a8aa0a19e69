"""The permission matrix: every URL rule × every role, generated from ``app.url_map``.

(a) Every view declares who may use it (``allowed_roles`` from ``roles_required``,
    ``signed_in`` or ``public`` in :mod:`trainhub.auth`): a new route without a declared
    rule fails here.
(b) For each rule, method and role, a request is denied exactly when the role is not
    allowed: web pages answer 403 (or send an anonymous visitor to the sign-in page),
    the API answers a 401/403 problem document. An allowed request is never answered
    401/403 (it may well be 404 or 422: URL arguments are dummies and bodies are empty).

Each role gets one application, one user and one sign-in (or one API token) for the
whole URL map; the session cookie is put back before every request, so that a matrix
request such as ``POST /logout`` cannot change what the next one sees.
"""

from __future__ import annotations

import itertools
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from werkzeug.routing import AnyConverter, FloatConverter, IntegerConverter, UUIDConverter

from trainhub.accounts.models import Role, User
from trainhub.auth import PUBLIC
from trainhub.extensions import db

ANONYMOUS = "anonymous"
ROLES = [*(role.value for role in Role), ANONYMOUS]
EXCLUDED_ENDPOINTS = {"static", "bootstrap.static"}
EXCLUDED_PREFIXES = ("api-docs.",)
IGNORED_METHODS = {"HEAD", "OPTIONS"}
PASSWORD = "Quanxian-2023"
PROBLEM = "application/problem+json"

#: Dummy URL argument values, tried in this order until the built URL routes back to the rule.
DUMMY_UUID = uuid.UUID("00000000-0000-4000-8000-000000000000")
FALLBACK_VALUES = ("000000", str(DUMMY_UUID), 999999, "x")


@pytest.fixture
def app_config(app_config):
    # the matrix sends many requests from one address; throttling is tested elsewhere
    return {**app_config, "RATELIMIT_ENABLED": False}


# the matrix -----------------------------------------------------------------------------------


def checked_rules(app):
    return [
        rule for rule in app.url_map.iter_rules()
        if rule.endpoint not in EXCLUDED_ENDPOINTS and not rule.endpoint.startswith(EXCLUDED_PREFIXES)
    ]


def methods_of(rule) -> list[str]:
    return sorted(set(rule.methods or ()) - IGNORED_METHODS)


def declared_roles(app, rule, method: str):
    """``allowed_roles`` of the function that answers ``method`` on ``rule`` (None if missing).

    Function views carry it themselves; class-based views (``MethodView``, as flask-smorest
    resources are often written) may declare it per HTTP method or for the whole class.
    """
    view = app.view_functions[rule.endpoint]
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        handler = getattr(view_class, method.lower(), None)
        declared = getattr(handler, "allowed_roles", None)
        if declared is not None:
            return declared
    return getattr(view, "allowed_roles", None)


def _candidates(converter) -> list:
    if isinstance(converter, IntegerConverter):
        return [999999]
    if isinstance(converter, FloatConverter):
        return [999999.0]
    if isinstance(converter, UUIDConverter):
        return [DUMMY_UUID]
    if isinstance(converter, AnyConverter):
        return list(converter.items)
    return list(FALLBACK_VALUES)


def dummy_url(app, rule, method: str) -> str:
    """A URL of ``rule`` with dummy arguments that routes back to the rule itself."""
    adapter = app.url_map.bind("localhost")
    names = sorted(rule.arguments - set(rule.defaults or ()))
    options = [_candidates(rule._converters[name]) for name in names]
    for values in itertools.product(*options):
        built = rule.build(dict(zip(names, values, strict=True)), append_unknown=False)
        if built is None:
            continue
        path = built[1]
        try:
            matched_rule, _ = adapter.match(path, method=method, return_rule=True)
        except Exception:  # noqa: S112 - a candidate that does not route is simply skipped
            continue
        if matched_rule is rule:
            return path
    pytest.fail(f"cannot build a URL for {rule.rule} ({rule.endpoint}): teach dummy_url "
                "a value for its converters")


def is_allowed(declared, role: str) -> bool:
    if declared == PUBLIC:
        return True
    return role != ANONYMOUS and Role(role) in declared


def denial(response, role: str, api: bool) -> str | None:
    """How ``response`` denies access, or None when it does not."""
    if response.status_code in (401, 403):
        return str(response.status_code)
    if not api and response.status_code in (301, 302, 303, 307, 308):
        target = urlsplit(response.headers.get("Location", ""))
        if target.path == "/login" and "next" in parse_qs(target.query):
            return "redirect to sign-in"
    return None


def expected_denial(response, role: str, api: bool) -> str | None:
    """What is wrong with ``response`` as the denial the rules call for, or None."""
    if api:
        status = 401 if role == ANONYMOUS else 403
        if response.status_code != status:
            return f"expected {status}, got {response.status_code}"
        if response.mimetype != PROBLEM:
            return f"expected a problem document, got {response.mimetype}"
        return None
    if role == ANONYMOUS:
        if denial(response, role, api) != "redirect to sign-in":
            return f"expected a redirect to the sign-in page, got {response.status_code}"
        return None
    if response.status_code != 403:
        return f"expected 403, got {response.status_code}"
    return None


def make_matrix_user(app, role: str):
    """A signed-in web client and API headers for ``role`` (nothing for anonymous)."""
    client = app.test_client()
    if role == ANONYMOUS:
        return client, None, {}
    from trainhub.accounts.operations import create_token

    with app.app_context():
        # built directly: the coordinator's scope needs no county table for this test
        user = User(username=f"matrix-{role}", display_name=f"权限测试 {role}", role=Role(role),
                    scope_code="52" if role == Role.COORDINATOR.value else None)
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.flush()
        _, secret = create_token(user, "matrix")
        db.session.commit()
    return client, sign_in_matrix_user(client, role), {"Authorization": f"Bearer {secret}"}


def sign_in_matrix_user(client, role: str) -> str:
    """Sign the matrix user of ``role`` in; returns the session cookie's value."""
    response = client.post("/login", data={"username": f"matrix-{role}", "password": PASSWORD})
    assert response.status_code == 302, f"{role} could not sign in"
    session_cookie = client.get_cookie("session")
    assert session_cookie is not None
    return session_cookie.value


def test_every_rule_declares_who_may_use_it(app):
    missing, malformed = [], []
    for rule in checked_rules(app):
        for method in methods_of(rule):
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


def test_the_matrix_covers_the_url_map(app):
    endpoints = {rule.endpoint for rule in checked_rules(app)}
    assert {"accounts.login", "accounts.users", "accounts_api.me"} <= endpoints
    assert not endpoints & EXCLUDED_ENDPOINTS


@pytest.mark.parametrize("role", ROLES)
def test_each_rule_denies_exactly_the_roles_it_does_not_allow(app, role):
    client, session_cookie, api_headers = make_matrix_user(app, role)
    problems = []
    cases = 0
    for rule in checked_rules(app):
        api = rule.rule.startswith("/api/")
        for method in methods_of(rule):
            declared = declared_roles(app, rule, method)
            if declared is None:
                continue  # reported by test_every_rule_declares_who_may_use_it
            url = dummy_url(app, rule, method)
            if session_cookie is not None:
                client.set_cookie("session", session_cookie)  # undo any sign-out
            response = client.open(url, method=method, headers=api_headers if api else {})
            if rule.endpoint == "accounts.logout" and session_cookie is not None:
                session_cookie = sign_in_matrix_user(client, role)  # signing out ended it
            cases += 1
            where = f"{method} {url} ({rule.endpoint})"
            if is_allowed(declared, role):
                how = denial(response, role, api)
                if how is not None:
                    problems.append(f"{where}: allowed for {role} but denied ({how})")
            else:
                wrong = expected_denial(response, role, api)
                if wrong is not None:
                    problems.append(f"{where}: not allowed for {role}; {wrong}")
    assert cases > 0
    assert not problems, f"{len(problems)} of {cases} requests broke the rules:\n  " + (
        "\n  ".join(problems)
    )
