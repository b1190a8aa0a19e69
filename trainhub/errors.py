"""Error responses: Chinese HTML pages for people, problem documents under ``/api/``."""

from __future__ import annotations

import logging

from flask import render_template
from werkzeug.exceptions import HTTPException, InternalServerError

from trainhub.api import is_api_request, problem, problem_from_http_exception
from trainhub.extensions import db

log = logging.getLogger(__name__)

#: Chinese title and explanation of each error page.
ERROR_TEXTS = {
    400: ("请求无效", "提交的内容无法处理，请返回上一页检查后重试。"),
    401: ("需要登录", "请先登录后再访问此页面。"),
    403: ("无权访问", "您的账号没有访问此页面的权限。如有疑问，请联系项目办。"),
    404: ("页面不存在", "您访问的页面不存在或已被删除，请检查网址。"),
    405: ("请求方式不支持", "此页面不支持该请求方式。"),
    413: ("文件过大", "上传的文件超过了允许的大小，请压缩或拆分后重试。"),
    429: ("操作过于频繁", "您的操作过于频繁，请稍后再试。"),
    500: ("服务器内部错误", "系统出现了意外错误，已记录。请稍后重试；如果问题持续，请联系项目办。"),
}


def _html(status: int):
    title, message = ERROR_TEXTS.get(status, (f"错误 {status}", "请求未能完成。"))
    return render_template("errors/error.html", status=status, title=title, message=message), status


def handle_http_exception(error: HTTPException):
    if is_api_request():
        return problem_from_http_exception(error)
    status = error.code or 500
    response = _html(status)
    if status == 405 and getattr(error, "valid_methods", None):
        return response[0], status, {"Allow": ", ".join(error.valid_methods)}
    return response


def handle_unexpected(error: Exception):
    log.exception("unhandled error", exc_info=error)
    db.session.rollback()
    if is_api_request():
        return problem(500, "服务器内部错误，已记录。")
    return _html(500)


def register_error_handlers(app) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(InternalServerError, handle_unexpected)
    if not app.config.get("PROPAGATE_EXCEPTIONS") and not app.testing:
        app.register_error_handler(Exception, handle_unexpected)
