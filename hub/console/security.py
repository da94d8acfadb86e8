"""The console's browser protections: security headers and CSRF checks.

Every console answer (pages, errors, static files) carries the headers;
the CSP allows scripts and styles only from the hub itself (no inline
script), and no framing. Forms of a signed-in person carry their session's
CSRF token; the sign-in form, before there is a session, a double-submit
cookie.
"""

from __future__ import annotations

import hmac
import secrets

from litestar import Request, Response

from hub.errors import Forbidden

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
SIGN_IN_CSRF_COOKIE = "ct_console_csrf"
EXPIRED_FORM = "This form has expired. Reload the page and try again."


def add_security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers[name] = value
    return response


async def after_console_request(response: Response) -> Response:
    """The router's ``after_request``: headers on every console answer."""
    return add_security_headers(response)


def same_token(expected: str | None, submitted: str | None) -> None:
    """Raise :class:`Forbidden` unless both tokens are present and equal
    (compared in constant time)."""
    if not expected or not isinstance(submitted, str) or not submitted or not hmac.compare_digest(expected, submitted):
        raise Forbidden(EXPIRED_FORM)


def sign_in_csrf(request: Request) -> str:
    """The sign-in form's token: the cookie's, or a new one to set."""
    return request.cookies.get(SIGN_IN_CSRF_COOKIE) or secrets.token_urlsafe(24)


def check_sign_in_csrf(request: Request, submitted: str | None) -> None:
    same_token(request.cookies.get(SIGN_IN_CSRF_COOKIE), submitted)
