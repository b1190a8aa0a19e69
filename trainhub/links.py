"""Links that leave the application: printed activation links, and later the QR codes of
certificates and the calendar feeds of trainees.

Such a link is read far from the request that made it — on paper, in a chat group, in a
phone's calendar — so it must name the address where people reach the application, not
the one a request happened to use: the operator configures it (``PUBLIC_URL``). The
request's ``Host`` header is never trusted for these links (anyone can forge it, and
behind a proxy it names an internal host); only in development, without a configured
URL, do links fall back to the request's address, and the page then says so
(:func:`fallback_warning`).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import current_app, has_request_context, url_for

_BASE_URL = re.compile(r"https?://[^\s/?#]+(/[^\s?#]*)?")

#: Why links cannot be made in production without ``PUBLIC_URL`` (the operator's fix).
PUBLIC_URL_MISSING = (
    "系统未配置对外访问地址（TRAINHUB_PUBLIC_URL，例如 https://px.example.org），无法生成发给学员的链接。"
    "请联系系统管理员配置后再试；未生成任何链接，此前的链接仍然有效。"
)
#: What a page shows when its links were made from the request's address (development).
FALLBACK_WARNING = (
    "注意：系统未配置对外访问地址（TRAINHUB_PUBLIC_URL），以下链接取自您当前访问本系统的地址 {base}。"
    "学员若无法打开这个地址，链接将无效；正式使用前请配置 TRAINHUB_PUBLIC_URL。"
)


class LinksUnavailable(RuntimeError):
    """No address to build links with; ``message`` (Chinese) says what the operator must do."""

    def __init__(self, message: str = PUBLIC_URL_MISSING):
        super().__init__(message)
        self.message = message


def parse_base_url(text: str) -> str:
    """``text`` as a base URL (``https://px.example.org`` or with a path such as
    ``https://example.org/trainhub``), without a trailing slash; ValueError otherwise."""
    text = (text or "").strip()
    if not _BASE_URL.fullmatch(text):
        raise ValueError(f"{text!r} is not a complete http:// or https:// address such as "
                         "https://px.example.org")
    return text.rstrip("/")


def ensure_available(base_url: str | None = None) -> str | None:
    """The base URL links will be built on: ``base_url`` when given (the command line's
    ``--base-url``), else the configured ``PUBLIC_URL``; None when development falls back
    to the current request's address. Raises :class:`LinksUnavailable` when there is
    none: in production, or in a command without a request."""
    base = base_url or current_app.config.get("PUBLIC_URL")
    if base:
        return parse_base_url(base)
    if current_app.config.get("ENV") == "production" or not has_request_context():
        raise LinksUnavailable()
    return None


def external_url(endpoint: str, *, _base_url: str | None = None, **values) -> str:
    """The absolute URL of ``endpoint`` for use outside the application, built on
    :func:`ensure_available`'s base (``_base_url`` overrides the configured one)."""
    base = ensure_available(_base_url)
    if base is None:
        return url_for(endpoint, _external=True, **values)
    parts = urlsplit(base)
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/",
                                       url_scheme=parts.scheme)
    return adapter.build(endpoint, values, force_external=True)


def fallback_warning() -> str | None:
    """The warning a page shows when :func:`external_url` falls back to the request's
    address (development without ``PUBLIC_URL``); None when links use a configured URL."""
    if current_app.config.get("PUBLIC_URL") or not has_request_context():
        return None
    return FALLBACK_WARNING.format(base=url_for("dashboard.index", _external=True).rstrip("/"))
