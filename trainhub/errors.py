"""Error responses: Chinese HTML pages for people, problem documents under ``/api/``.

Unexpected exceptions are logged once (with a short reference that the page shows, so a
user can quote it to the office), the database session is rolled back, and a 500 page is
answered. When exceptions propagate (debug mode, tests) they are re-raised untouched.
"""

from __future__ import annotations

import logging
import secrets

from flask import current_app, render_template, request
from markupsafe import escape
from sqlalchemy.exc import DataError, IntegrityError
from werkzeug.exceptions import HTTPException, InternalServerError, RequestEntityTooLarge

from trainhub.api import is_api_request, problem, problem_from_http_exception, refuse_malformed_json
from trainhub.security import loggable_path
from trainhub.transaction import conflict_response, rollback

log = logging.getLogger(__name__)

#: Chinese title and explanation of each error page.
ERROR_TEXTS = {
    400: ("请求无效", "提交的内容无法处理，请返回上一页检查后重试。"),
    401: ("需要登录", "请先登录后再访问此页面。"),
    403: ("无权访问", "您的账号没有访问此页面的权限。如有疑问，请联系项目办。"),
    404: ("页面不存在", "您访问的页面不存在或已被删除，请检查网址。"),
    405: ("请求方式不支持", "此页面不支持该请求方式，请从页面上的按钮或链接进入。"),
    409: ("与现有数据冲突", "保存时与其他人刚提交的数据冲突，未保存任何更改。请刷新后重试。"),
    413: ("提交的内容过大", "上传的文件或提交的内容超过了允许的大小（{limit}），请压缩或拆分后重试。"),
    429: ("操作过于频繁", "您的操作过于频繁，请稍后再试。"),
    500: ("服务器内部错误", "系统出现了意外错误，已记录。请稍后重试；如果问题持续，请联系项目办。"),
    503: ("服务暂不可用", "系统正在维护或暂时无法连接数据库，请稍后再试。"),
}

#: Shown when even the error page cannot be rendered (e.g. the database is down).
FALLBACK_500 = (
    '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    "<title>服务器内部错误 · 牵手计划培训管理</title></head><body>"
    "<h1>服务器内部错误</h1><p>系统出现了意外错误，已记录。请稍后重试；如果问题持续，请联系项目办。</p>"
    "{reference}<p><a href=\"/\">返回首页</a></p></body></html>"
)


def _size_text(limit: int | None) -> str:
    if not limit:
        return "系统上限"
    if limit >= 1024 * 1024:
        return f"{limit / (1024 * 1024):.4g} MB"
    if limit >= 1024:
        return f"{limit / 1024:.4g} KB"
    return f"{limit} 字节"


def _texts(status: int) -> tuple[str, str]:
    title, message = ERROR_TEXTS.get(status, (f"错误 {status}", "请求未能完成，请返回上一页重试。"))
    if status == 413:
        message = message.format(limit=_size_text(current_app.config.get("MAX_CONTENT_LENGTH")))
    return title, message


def _html(status: int, reference: str | None = None):
    title, message = _texts(status)
    body = render_template(
        "errors/error.html", status=status, title=title, message=message, reference=reference
    )
    return body, status


def handle_http_exception(error: HTTPException):
    """Every ``abort(…)`` and routing error: a Chinese page or a problem document."""
    status = error.code or 500
    if status >= 500:
        return handle_server_error(error)
    if is_api_request():
        response = problem_from_http_exception(error)
        if status == 413:
            response = problem(413, _texts(413)[1])
        return response
    headers = {}
    if status == 405 and getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(error.valid_methods)
    retry_after = getattr(error, "retry_after", None)
    if status == 429 and isinstance(retry_after, int):
        headers["Retry-After"] = str(retry_after)
    body, status = _html(status)
    return body, status, headers


def handle_server_error(error: Exception):
    """Log once with a reference, roll back the transaction, answer 500 (or the 5xx given)."""
    original = getattr(error, "original_exception", None) or error
    status = error.code if isinstance(error, HTTPException) and error.code else 500
    reference = secrets.token_hex(4)
    log.error(
        "error %s on %s %s: %s",
        reference, request.method, loggable_path(request.path), type(original).__name__,
        exc_info=original if not isinstance(original, HTTPException) else None,
    )
    rollback()
    if is_api_request():
        detail = "服务器内部错误，已记录。" if status == 500 else _texts(status)[1]
        return problem(status, detail, reference=reference)
    try:
        return _html(status, reference)
    except Exception:
        log.exception("the error page itself failed (reference %s)", reference)
        rollback()
        page = FALLBACK_500.format(reference=f"<p>错误编号：{escape(reference)}</p>")
        return page, 500, {"Content-Type": "text/html; charset=utf-8"}


def _propagates(app) -> bool:
    """Flask's own rule: ``PROPAGATE_EXCEPTIONS``, else on in testing and debug mode."""
    propagate = app.config.get("PROPAGATE_EXCEPTIONS")
    if propagate is None:
        return app.testing or app.debug
    return bool(propagate)


def handle_unexpected(error: Exception):
    """Any exception no other handler took. Re-raised where exceptions should propagate."""
    if isinstance(error, HTTPException):  # pragma: no cover - Flask routes these elsewhere
        return handle_http_exception(error)
    if _propagates(current_app):
        raise error
    return handle_server_error(error)


def handle_out_of_range(error: Exception):
    """A value the database cannot hold (a huge number, an over-long text typed into a URL
    or a form): bad input, 400.

    Inputs are bounded where they are parsed (``trainhub.api.Int``, the ``int`` URL
    converter); this is the net for any field that is not.
    """
    rollback()
    log.info("out-of-range value on %s %s: %s", request.method, loggable_path(request.path), type(error).__name__)
    if is_api_request():
        return problem(400, "请求中的数据超出允许范围（数值过大或文字过长）。")
    return render_template(
        "errors/error.html", status=400, title="数据超出范围",
        message="请求中的数据超出允许范围（数值过大或文字过长），请检查后重试。", reference=None,
    ), 400


def handle_conflict(error: IntegrityError):
    """A unique constraint refused a write inside the handler (a concurrent request won):
    409, with the constraint's own message (:mod:`trainhub.transaction`)."""
    rollback()
    return conflict_response(error)


def refuse_oversized_body():
    """Answer 413 from the declared length, before anything reads the body.

    Werkzeug enforces ``MAX_CONTENT_LENGTH`` only when the body is read (forms, files); a
    declared length beyond it is refused here for every route, so the limit holds even
    where a view never reads the upload.
    """
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit and request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge()


def register_error_handlers(app) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(InternalServerError, handle_server_error)
    app.register_error_handler(Exception, handle_unexpected)
    app.register_error_handler(OverflowError, handle_out_of_range)
    app.register_error_handler(DataError, handle_out_of_range)
    app.register_error_handler(IntegrityError, handle_conflict)
    app.before_request(refuse_oversized_body)
    app.before_request(refuse_malformed_json)
