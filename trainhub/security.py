"""Response headers that every page and API answer carries.

Pages showing personal data (a learner's full ID number behind a POST button, activation
links, temporary passwords) must not be framed by another site (clickjacking), nor have
their downloads sniffed as another type; addresses are passed on only within the site.
Headers a view sets itself (``Referrer-Policy: no-referrer`` on activation pages) win.
"""

from __future__ import annotations

SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def add_security_headers(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def init_security(app) -> None:
    app.after_request(add_security_headers)
