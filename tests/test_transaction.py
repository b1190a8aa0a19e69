"""One unit of work per request and per command (``trainhub.transaction``)."""

from __future__ import annotations

import click
import pytest
import sqlalchemy as sa
from flask import jsonify
from flask.cli import with_appcontext

from trainhub.accounts.models import Role
from trainhub.audit.models import AuditEntry
from trainhub.audit.operations import record
from trainhub.auth import roles_required
from trainhub.extensions import db
from trainhub.orgs import operations as org_operations
from trainhub.orgs.models import Organisation
from trainhub.transaction import after_commit, commit_once

PROBLEM = "application/problem+json"


def actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


@pytest.fixture
def probe_app(make_app):
    """An application with two probe routes that write an audit entry, then answer."""
    app = make_app()

    @app.route("/_probe/<int:status>", methods=["POST"])
    @roles_required(Role.OFFICE)
    def probe(status: int):
        record("probe.write", detail={"status": status})
        return jsonify(status=status), status

    @app.route("/_probe/raise", methods=["POST"])
    @roles_required(Role.OFFICE)
    def probe_raise():
        record("probe.write", detail={"status": "raise"})
        raise RuntimeError("boom")

    return app


def signed_in_client(app, make_user):
    user = make_user(Role.OFFICE)
    client = app.test_client()
    assert client.post("/login", data={"username": user.username,
                                       "password": "Xunlian-2023"}).status_code == 302
    return client


@pytest.mark.parametrize(("status", "kept"), [(200, True), (302, True), (400, False),
                                              (404, False), (409, False), (422, False)])
def test_a_request_commits_below_400_and_rolls_back_otherwise(probe_app, make_user, status, kept):
    client = signed_in_client(probe_app, make_user)
    response = client.post(f"/_probe/{status}")
    assert response.status_code == status
    assert ("probe.write" in actions(probe_app)) is kept


def test_an_exception_rolls_back(make_app, make_user):
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.route("/_probe/raise", methods=["POST"])
    @roles_required(Role.OFFICE)
    def probe_raise():
        record("probe.write")
        raise RuntimeError("boom")

    client = signed_in_client(app, make_user)
    response = client.post("/_probe/raise")
    assert response.status_code == 500
    assert "probe.write" not in actions(app)


# conflicts ---------------------------------------------------------------------------------------


@pytest.fixture
def racing(app, reference_data, monkeypatch):
    """An organisation exists, and the operation's own uniqueness check is skipped, as when a
    concurrent request registers the same name between the check and the write."""
    with app.app_context():
        org_operations.create_organisation(name="水城区阳光社工服务中心", kind="agency",
                                           county_code="520204")
        db.session.commit()
    monkeypatch.setattr(org_operations, "_check_unique", lambda *args, **kwargs: None)


def test_an_api_conflict_is_a_409_naming_the_field(app, client, racing, api_headers):
    response = client.post("/api/v1/organisations", headers=api_headers(Role.OFFICE), json={
        "name": "水城区阳光社工服务中心", "kind": "agency", "county_code": "520204",
    })
    assert response.status_code == 409
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["errors"] == {"name": ["同一县内已有同名机构（可能刚由他人登记）。"]}
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 1
        # the refused write left no audit entry behind
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "organisation.create")) == 1


def test_a_web_conflict_is_a_chinese_409_page(app, client, racing, login):
    login(Role.OFFICE)
    response = client.post("/organisations/new", data={
        "name": "水城区阳光社工服务中心", "kind": "agency", "county": "520204",
    })
    assert response.status_code == 409
    text = response.get_data(as_text=True)
    assert "同一县内已有同名机构" in text and "未保存任何更改" in text
    assert response.headers["X-Frame-Options"] == "DENY"  # the replaced answer keeps its headers
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 1


# writes that outlive the request -----------------------------------------------------------------


def test_a_refused_sign_in_is_audited_although_the_request_fails(app, client, make_user):
    make_user(Role.OFFICE, username="office1")
    response = client.post("/login", data={"username": "office1", "password": "Wrong-password-1"})
    assert response.status_code == 400
    assert "user.login_failed" in actions(app)


def test_a_tokens_last_use_is_kept_when_the_request_fails(app, client, api_headers):
    from trainhub.accounts.models import ApiToken

    headers = api_headers(Role.OFFICE)
    response = client.post("/api/v1/organisations", headers=headers, json={"name": ""})
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(sa.select(ApiToken.last_used_at)) is not None


# commands ----------------------------------------------------------------------------------------


def test_a_command_commits_once_when_it_succeeds(app, runner):
    shown = []

    @click.command("probe-ok")
    @with_appcontext
    def probe_ok():
        record("probe.command")
        after_commit(lambda: shown.append(actions(app)))

    result = runner.invoke(commit_once(probe_ok))
    assert result.exit_code == 0, result.output
    assert actions(app) == ["probe.command"]
    # what waited for the commit ran after it, seeing the committed row from elsewhere
    assert shown == [["probe.command"]]


def test_a_failing_command_writes_nothing_and_runs_nothing_after_commit(app, runner):
    shown = []

    @click.command("probe-fail")
    @with_appcontext
    def probe_fail():
        record("probe.command")
        after_commit(lambda: shown.append("ran"))
        raise click.ClickException("拒绝")

    result = runner.invoke(commit_once(probe_fail))
    assert result.exit_code == 1
    assert "拒绝" in result.output
    assert actions(app) == []
    assert shown == []
