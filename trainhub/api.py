"""JSON API plumbing shared by the feature ``api.py`` modules.

Errors are ``application/problem+json`` (RFC 9457) with, for invalid input, an ``errors``
member naming each field. Lists answer ``{"items": [...], "total": N, "page": P,
"per_page": S}``. Clients authenticate with ``Authorization: Bearer <token>``; the session
cookie is ignored under ``/api/`` so that no cross-site request can act through it.
"""

from __future__ import annotations

from functools import wraps

from flask import current_app, g, jsonify, request
from flask_smorest import Api
from marshmallow import Schema, fields, validate
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.routing import IntegerConverter

from trainhub.refusals import Refusal
from trainhub.text import clean_line, clean_text, has_lone_surrogate

API_PREFIX = "/api/v1"
PROBLEM_MIMETYPE = "application/problem+json"

#: Chinese titles of the problem types we answer with.
PROBLEM_TITLES = {
    400: "请求无效",
    401: "未认证",
    403: "无权访问",
    404: "资源不存在",
    405: "不支持的请求方法",
    409: "与现有数据冲突",
    413: "请求内容过大",
    415: "不支持的内容类型",
    422: "输入数据有误",
    429: "请求过于频繁",
    500: "服务器内部错误",
}


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def problem(status: int, detail: str | None = None, *, errors: dict | None = None, **extra):
    """A problem document response."""
    body = {
        "type": "about:blank",
        "title": PROBLEM_TITLES.get(status, HTTP_STATUS_CODES.get(status, "错误")),
        "status": status,
    }
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_MIMETYPE
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="trainhub"'
    return response


def refused(error: Refusal, status: int | None = None):
    """The problem document of an operation's refusal (``error.status``, 422 or 409, unless
    given): every field at fault under ``errors``; as ``detail`` the message itself when one
    field is at fault, else the list of fields."""
    detail = error.message if len(error.errors) == 1 else (
        "以下字段的值不符合要求：" + "、".join(error.errors))
    return problem(status or error.status, detail,
                   errors={field: [message] for field, message in error.errors.items()})


def _flatten_errors(messages) -> dict:
    """webargs nests errors by location ({"json": {"name": [...]}}); clients want fields."""
    if not isinstance(messages, dict):
        return {"_schema": messages}
    flat: dict = {}
    for location, value in messages.items():
        if location in {"json", "query", "form", "files", "headers", "view_args"} and isinstance(
            value, dict
        ):
            flat.update(value)
        else:
            flat[location] = value
    return flat


def problem_from_http_exception(error: HTTPException):
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    errors = _flatten_errors(data["messages"]) if "messages" in data else data.get("errors")
    detail = data.get("message")
    if detail is None and status == 422 and errors:
        detail = "以下字段的值不符合要求：" + "、".join(sorted(map(str, errors)))
    if detail is None and status not in (404, 405):
        detail = error.description if isinstance(error.description, str) else None
    response = problem(status, detail, errors=errors)
    if status == 405 and hasattr(error, "valid_methods") and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


class ProblemApi(Api):
    """flask-smorest's Api without its app-wide JSON error handler: ``trainhub.errors``
    answers HTML or problem documents depending on the path."""

    def _register_error_handlers(self):
        pass


# request bodies -------------------------------------------------------------------------------


def json_body(view):
    """Refuse a body that is not JSON before the schema reads it (415 / 400)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not request.is_json:
            return problem(415, "请求体应为 JSON，并带有请求头 Content-Type: application/json。")
        if request.get_json(silent=True) is None:
            return problem(400, "请求体不是有效的 JSON。")
        return view(*args, **kwargs)

    return wrapped


def _strings(value):
    """Every text in a parsed JSON document: keys and values, at any depth."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def refuse_malformed_json():
    """Before any API view: a JSON body holding a lone surrogate (``"\\ud800"``: half a UTF-16
    pair, which no database or page can hold) is refused at once with a 400, whichever
    endpoint it was sent to."""
    if not is_api_request() or not request.is_json:
        return None
    body = request.get_json(silent=True)
    if body is not None and any(has_lone_surrogate(text) for text in _strings(body)):
        return problem(400, "请求体含有无效的 Unicode 字符（不成对的代理项，如 \\ud800），请检查文本的编码。")
    return None


# fields with Chinese messages ---------------------------------------------------------------------

#: Chinese messages of the errors marshmallow reports for every kind of field.
COMMON_ERRORS = {"required": "必须填写此字段。", "null": "此字段不能为 null。"}


class Text(fields.String):
    """A one-line text, cleaned by the one rule of :mod:`trainhub.text` (``multiline=True``
    keeps line breaks: notes, reasons)."""

    default_error_messages = {**COMMON_ERRORS, "invalid": "应为字符串。",
                              "invalid_utf8": "不是有效的 UTF-8 文本。"}

    def __init__(self, *args, multiline: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.multiline = multiline

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        return clean_text(text) if self.multiline else clean_line(text)


class Bool(fields.Boolean):
    default_error_messages = {**COMMON_ERRORS, "invalid": "应为 true 或 false。"}


class Day(fields.Date):
    default_error_messages = {**COMMON_ERRORS, "invalid": "应为日期，格式如 2023-03-01。",
                              "format": "日期格式无效。"}


class InputSchema(Schema):
    """Base of every request-body schema: unknown fields and a body that is not an object
    are refused in Chinese, naming the field."""

    error_messages = {"unknown": "未知字段。", "type": "请求体应为 JSON 对象。"}

    class Meta:
        ordered = True


#: Largest value an integer column holds (BIGINT); larger numbers are refused on input.
MAX_INTEGER = 2**63 - 1
#: Pages beyond this are refused (the offset would be absurd).
MAX_PAGE = 1_000_000


class Int(fields.Integer):
    """An integer the database can hold: larger values are a 422 naming the field, not a 500."""

    default_error_messages = {
        **COMMON_ERRORS,
        "invalid": "应为整数。",
        "out_of_range": "数值超出允许范围。",
    }

    def _validated(self, value):
        number = super()._validated(value)
        if number is not None and not -MAX_INTEGER - 1 <= number <= MAX_INTEGER:
            raise self.make_error("out_of_range")
        return number


class BoundedIntConverter(IntegerConverter):
    """The ``int`` URL converter, limited to what an integer column holds (else 404)."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_INTEGER, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class PageArgs(Schema):
    page = Int(
        load_default=1,
        validate=validate.Range(min=1, max=MAX_PAGE, error=f"页码必须是 1 到 {MAX_PAGE} 之间的整数。"),
        error_messages={"invalid": "页码必须是整数。"},
    )
    per_page = Int(
        load_default=None,
        validate=validate.Range(min=1, max=500, error="每页条数必须在 1 到 500 之间。"),
        error_messages={"invalid": "每页条数必须是整数。"},
    )


def page_schema(item_schema: type[Schema], name: str) -> type[Schema]:
    """A list envelope schema for ``item_schema``: items and the total count."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema), required=True),
            "total": Int(required=True),
            "page": Int(required=True),
            "per_page": Int(required=True),
        },
        name=name,
    )


def paginate(db, stmt, args: dict) -> dict:
    """Run ``stmt`` for one page and count the whole result."""
    import sqlalchemy as sa

    per_page = args.get("per_page") or current_app.config["API_PAGE_SIZE"]
    per_page = min(per_page, current_app.config["API_MAX_PAGE_SIZE"])
    page = args.get("page") or 1
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery()))
    items = db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).unique().all()
    return {"items": items, "total": total, "page": page, "per_page": per_page}


def api_user():
    """The user the bearer token belongs to, or None (set by the token loader)."""
    return g.get("api_user")
