"""Error pages in Chinese with the right status; problem documents under ``/api/``."""

from __future__ import annotations

import logging
import re

import pytest
import sqlalchemy as sa
from flask import Blueprint, abort

from trainhub.accounts.models import Role
from trainhub.auth import public
from trainhub.extensions import db

PROBLEM = "application/problem+json"


def add_test_routes(app) -> None:
    """A blueprint that fails on purpose; registered before the app's first request."""
    bp = Blueprint("failing", __name__)

    @bp.route("/test-only/abort/<int:status>", methods=["GET", "POST"])
    @bp.route("/api/v1/test-only/abort/<int:status>", endpoint="api_abort_with")
    @public
    def abort_with(status: int):
        abort(status)

    @bp.route("/test-only/crash")
    @bp.route("/api/v1/test-only/crash", endpoint="api_crash")
    @public
    def crash():
        from trainhub.geo.models import County

        # a write half done when the error strikes must not survive the request
        db.session.add(County(code="999999", name="不应保存", prefecture="-", province="-",
                              province_code="99", list_version="test"))
        db.session.flush()
        raise RuntimeError("boom")

    app.register_blueprint(bp)

    @app.after_request
    def commit_after_request(response):
        # something later in the request commits: only a rollback keeps the half write out
        db.session.commit()
        return response


@pytest.fixture
def failing_app(app):
    add_test_routes(app)
    return app


@pytest.fixture
def failing_client(failing_app):
    return failing_app.test_client()


def assert_chinese_page(response, status: int, title: str) -> str:
    assert response.status_code == status
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert '<html lang="zh-CN">' in page
    assert f"<title>{title} · 牵手计划培训管理</title>" in page
    assert f'<p class="display-4 text-muted mb-2">{status}</p>' in page
    assert "返回首页" in page
    return page


@pytest.mark.parametrize(
    ("status", "title", "message"),
    [
        (400, "请求无效", "提交的内容无法处理"),
        (403, "无权访问", "您的账号没有访问此页面的权限"),
        (404, "页面不存在", "您访问的页面不存在"),
        (405, "请求方式不支持", "此页面不支持该请求方式"),
        (413, "提交的内容过大", "超过了允许的大小（10 MB）"),
        (429, "操作过于频繁", "请稍后再试"),
    ],
)
def test_aborts_render_chinese_pages(failing_client, status, title, message):
    page = assert_chinese_page(failing_client.get(f"/test-only/abort/{status}"), status, title)
    assert message in page


def test_unknown_page_is_404_in_chinese(client):
    page = assert_chinese_page(client.get("/no-such-page"), 404, "页面不存在")
    assert "请检查网址" in page


def test_wrong_role_is_403_in_chinese(client, login):
    login(Role.TRAINEE)
    page = assert_chinese_page(client.get("/users"), 403, "无权访问")
    assert "请联系项目办" in page


def test_wrong_method_is_405_with_allow_header(client):
    response = client.post("/healthz")
    assert_chinese_page(response, 405, "请求方式不支持")
    assert "GET" in response.headers["Allow"]


def test_too_large_body_is_413(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = client.post("/login", data={"username": "x" * 2048, "password": "y"})
    page = assert_chinese_page(response, 413, "提交的内容过大")
    assert "（1 KB）" in page


def test_too_large_body_is_refused_even_where_the_body_is_not_read(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = client.post("/logout", data=b"x" * 4096, content_type="application/octet-stream")
    assert_chinese_page(response, 413, "提交的内容过大")


def test_too_large_api_body_is_a_problem(app, client, api_headers):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = client.post("/api/v1/organisations", headers=api_headers(Role.OFFICE),
                           data="{" + '"name": "' + "机" * 2000 + '"}', content_type="application/json")
    assert response.status_code == 413
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["status"] == 413 and "超过了允许的大小" in body["detail"]


def test_unexpected_error_logs_rolls_back_and_shows_a_reference(failing_app, failing_client, caplog):
    failing_app.config["PROPAGATE_EXCEPTIONS"] = False
    with caplog.at_level(logging.ERROR, logger="trainhub.errors"):
        response = failing_client.get("/test-only/crash")
    page = assert_chinese_page(response, 500, "服务器内部错误")
    assert "已记录" in page
    reference = re.search(r"错误编号：<code>([0-9a-f]{8})</code>", page).group(1)
    records = [r for r in caplog.records if r.name == "trainhub.errors"]
    assert len(records) == 1
    assert reference in records[0].getMessage() and "/test-only/crash" in records[0].getMessage()
    assert records[0].exc_info and isinstance(records[0].exc_info[1], RuntimeError)
    with failing_app.app_context():
        from trainhub.geo.models import County

        assert db.session.scalar(sa.select(sa.func.count()).select_from(County)) == 0


def test_unexpected_api_error_is_a_problem(failing_app, failing_client):
    failing_app.config["PROPAGATE_EXCEPTIONS"] = False
    response = failing_client.get("/api/v1/test-only/crash")
    assert response.status_code == 500
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["title"] == "服务器内部错误" and re.fullmatch(r"[0-9a-f]{8}", body["reference"])


def test_abort_500_renders_the_500_page(failing_client):
    assert_chinese_page(failing_client.get("/test-only/abort/500"), 500, "服务器内部错误")


def test_errors_propagate_in_tests_unless_configured_otherwise(failing_client):
    with pytest.raises(RuntimeError, match="boom"):
        failing_client.get("/test-only/crash")


def test_broken_error_page_falls_back_to_plain_chinese(failing_app, failing_client, monkeypatch):
    from trainhub import errors

    def broken(*args, **kwargs):
        raise RuntimeError("template broken")

    failing_app.config["PROPAGATE_EXCEPTIONS"] = False
    monkeypatch.setattr(errors, "render_template", broken)
    response = failing_client.get("/test-only/crash")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "服务器内部错误" in page and "错误编号" in page


@pytest.mark.parametrize("status", [400, 403, 404, 405, 413, 429])
def test_api_errors_are_problem_documents(failing_client, status):
    response = failing_client.get(f"/api/v1/test-only/abort/{status}")
    assert response.status_code == status
    assert response.mimetype == PROBLEM
    assert response.get_json()["status"] == status
    assert "<html" not in response.get_data(as_text=True)


def test_unknown_api_path_is_a_problem(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.mimetype == PROBLEM
    assert response.get_json()["title"] == "资源不存在"


def test_api_wrong_method_is_a_problem_with_allow(client):
    response = client.delete("/api/v1/counties")
    assert response.status_code == 405
    assert response.mimetype == PROBLEM
    assert "GET" in response.headers["Allow"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/learners/search", '{"q": "\\ud800"}'),
        ("/api/v1/organisations", '{"name": "\\udfff机构", "kind": "agency", "county_code": "520204"}'),
        ("/api/v1/organisations", '{"\\ud83d": "x"}'),
    ],
)
def test_a_lone_surrogate_in_json_is_refused_at_once(app, client, api_headers, path, body):
    """Half a UTF-16 pair cannot be stored or shown: a clear 400, nothing written, no 500."""
    from trainhub.audit.models import AuditEntry

    response = client.post(path, data=body, content_type="application/json",
                           headers=api_headers("office"))
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert "代理项" in response.get_json()["detail"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id)).where(
            AuditEntry.action.startswith("organisation"))) == 0
