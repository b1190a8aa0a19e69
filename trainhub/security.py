"""Response headers that every page and API answer carries.

Pages showing personal data (a learner's full ID number behind a POST button, activation
links, temporary passwords) must not be framed by another site (clickjacking), nor have
their downloads sniffed as another type; addresses are passed on only within the site.
Headers a view sets itself (``Referrer-Policy: no-referrer`` on activation pages) win.

Behind reverse proxies (``PROXY_HOPS`` of them), the client's address and scheme come from
the X-Forwarded-For and X-Forwarded-Proto headers the proxies add (Werkzeug's
``ProxyFix``), so that sign-in throttling and the audit log see the real client and not
the proxy. Without proxies these headers are ignored: a client could forge them.

Some addresses carry a secret — a calendar feed's (``/calendar/<secret>.ics``), a one-time
activation link's (``/activate/<token>``): logs name them through :func:`loggable_path`,
the secret blanked out (the application's own error lines, and gunicorn's access log through
:mod:`trainhub.accesslog`).

A page sends the user back to where they came from (``?next=``) only when that is a path on
this site (:func:`safe_next`): never to another site (open redirect).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from werkzeug.middleware.proxy_fix import ProxyFix

SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

#: The secret parts of addresses that carry one (wherever the application is mounted).
SECRET_IN_PATH = re.compile(r"(?<=/calendar/)[^/?#\s]+(?=\.ics)|(?<=/activate/)[^/?#\s]+")
REDACTED = "[secret]"


def loggable_path(path: str) -> str:
    """``path`` (or a request line) as logs may show it: secrets in it blanked out."""
    return SECRET_IN_PATH.sub(REDACTED, path)


def add_security_headers(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def init_security(app) -> None:
    app.after_request(add_security_headers)
    hops = app.config["PROXY_HOPS"]
    if hops:
        # only the address and the scheme: the Host header passes through the proxy as it
        # is, and nothing trainhub sends out is built from it (trainhub.links)
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0, x_port=0,
                                x_prefix=0)


def safe_next(target: str | None) -> str | None:
    """``target`` when it is a path on this site, otherwise None (no open redirect)."""
    if not target:
        return None
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
