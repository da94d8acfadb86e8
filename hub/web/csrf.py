"""CSRF protection for the buyer's forms: a double-submit token.

The page sets a random ``ct_csrf`` cookie (SameSite=Lax, HttpOnly) and puts
the same value in a hidden field; a POST is accepted only when both are
present and equal (compared in constant time). Another site can make a
browser send the cookie, but cannot read it to fill in the field.
"""

from __future__ import annotations

import hmac
import secrets

from litestar import Request, Response

from hub.errors import Forbidden

CSRF_COOKIE = "ct_csrf"


def csrf_token(request: Request) -> str:
    """The request's CSRF token (the cookie's, or a new one to set)."""
    return request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)


def set_csrf_cookie(response: Response, token: str, secure: bool) -> None:
    response.set_cookie(CSRF_COOKIE, token, path="/my", httponly=True, samesite="lax", secure=secure)


def check_csrf(request: Request, submitted: str | None) -> None:
    cookie = request.cookies.get(CSRF_COOKIE)
    if not cookie or not submitted or not hmac.compare_digest(cookie, submitted):
        raise Forbidden("This form has expired. Reload the page and try again.")
