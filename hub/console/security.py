"""The console's browser protections: security headers and CSRF.

Every console answer (pages, errors, static files) carries the headers;
the CSP allows scripts and styles only from the hub itself (no inline
script), and no framing. Every form (the sign-in form too, before there is a
session) and the upload script's requests carry a CSRF token, checked by
Litestar's middleware (:mod:`hub.web.csrf`) on the whole console router.
"""

from __future__ import annotations

from litestar import Response
from litestar.middleware import DefineMiddleware

from hub.web.csrf import csrf_protection

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
CSRF_COOKIE = "ct_console_csrf"


def add_security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers[name] = value
    return response


async def after_console_request(response: Response) -> Response:
    """The router's ``after_request``: headers on every console answer."""
    return add_security_headers(response)


def console_csrf() -> DefineMiddleware:
    """The console router's CSRF middleware (its own cookie, under /console)."""
    return csrf_protection(CSRF_COOKIE, "/console")
