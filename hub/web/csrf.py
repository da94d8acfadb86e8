"""CSRF protection of the cookie-authenticated pages (the console, the
buyer's ``/my``): Litestar's :class:`~litestar.middleware.csrf.CSRFMiddleware`.

It is a double-submit token: a GET sets a random, HMAC-signed token in a
cookie (HttpOnly, SameSite=Lax) and the page puts the same token in its
forms' hidden ``_csrf_token`` field (the name the middleware reads) or, for
the console's upload script, the ``X-CSRF-Token`` header. Any other method
is refused unless the submitted token and the cookie's are both signed by
the hub and equal. Another site can make a browser send the cookie, but can
neither read it nor make a token of its own. The API and the payment
webhooks are not behind it: they are not cookie-authenticated.

Only the routers of those pages use it (the download page and the API get
no cookie). The signing secret is derived from ``HUB_SECRET_KEY``, so every
``serve`` process accepts the tokens of the others.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from litestar import Request, Response
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import MutableScopeHeaders
from litestar.datastructures.cookie import Cookie
from litestar.exceptions import PermissionDeniedException
from litestar.middleware import DefineMiddleware
from litestar.middleware.csrf import CSRFMiddleware, generate_csrf_token
from litestar.types import ASGIApp, HTTPSendMessage, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

from hub.errors import Forbidden
from hub.web.cookies import cookies_secure

CSRF_FIELD = "_csrf_token"
"""The hidden form field carrying the token (fixed by Litestar's middleware)."""
CSRF_HEADER = "x-csrf-token"
EXPIRED_FORM = "This form has expired. Reload the page and try again."
LITESTAR_REFUSAL = "CSRF token verification failed"

# The Secure flag of the cookie set in answer to the request being served.
# The middleware's config is shared by every request, and Litestar sets the
# cookie from its send wrapper, which runs in the request's own task: a
# context variable carries the flag there without one request's value
# leaking into another's.
_secure_cookie: ContextVar[bool] = ContextVar("csrf_cookie_secure", default=True)


class FormCSRFMiddleware(CSRFMiddleware):
    """Litestar's CSRF middleware with the hub's secret and refusal.

    The secret is read on the first request (from the running hub's secret
    key), and a refused token is a :class:`Forbidden` with the words the
    pages show ("This form has expired…"), answered by the surface's own
    error page. When the browser's cookie is still good, the error page
    gets its token, so the form shown again works. The cookie is ``Secure``
    as every hub cookie is (:func:`hub.web.cookies.cookies_secure`).
    """

    def __init__(self, app: ASGIApp, cookie_name: str, cookie_path: str) -> None:
        config = CSRFConfig(
            secret="",  # set on the first request: see __call__
            cookie_name=cookie_name,
            cookie_path=cookie_path,
            header_name=CSRF_HEADER,
            cookie_httponly=True,
            cookie_samesite="lax",
        )
        super().__init__(app, config)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        hub = scope["litestar_app"].state.hub
        if not self.config.secret:
            self.config.secret = hub.sealer.derive("csrf")
        _secure_cookie.set(cookies_secure(scope, hub.settings.public_url))
        try:
            await super().__call__(scope, receive, send)
        except PermissionDeniedException as refused:
            if refused.detail != LITESTAR_REFUSAL:
                raise
            cookie = Request(scope).cookies.get(self.config.cookie_name)
            if cookie and self._decode_csrf_token(cookie) is not None:
                ScopeState.from_scope(scope).csrf_token = cookie
            raise Forbidden(EXPIRED_FORM) from None

    def _set_cookie_if_needed(self, message: HTTPSendMessage, token: str) -> None:
        headers = MutableScopeHeaders.from_message(message)
        cookie = Cookie(
            key=self.config.cookie_name, value=token, path=self.config.cookie_path, secure=_secure_cookie.get(),
            httponly=True, samesite="lax",
        )
        headers.add("set-cookie", cookie.to_header(header=""))


def rotate_csrf_cookie(request: Request[Any, Any, Any], response: Response, cookie_name: str, path: str) -> None:
    """Give the browser a new CSRF token in ``response`` (at sign-in and
    sign-out): a token known before, perhaps planted by someone else (login
    CSRF, fixation), no longer matches the browser's cookie afterwards."""
    hub = request.app.state.hub
    token = generate_csrf_token(secret=hub.sealer.derive("csrf"))
    response.set_cookie(
        cookie_name, token, path=path, httponly=True, samesite="lax",
        secure=cookies_secure(request.scope, hub.settings.public_url),
    )


def csrf_protection(cookie_name: str, path: str) -> DefineMiddleware:
    """The middleware of a router or controller serving forms under ``path``."""
    return DefineMiddleware(FormCSRFMiddleware, cookie_name=cookie_name, cookie_path=path)


def csrf_token(request: Request[Any, Any, Any]) -> str:
    """The token a page puts in its forms: the one the middleware set or
    checked for this request ("" where it did not run, as on a 404)."""
    token = ScopeState.from_scope(request.scope).csrf_token
    return token if isinstance(token, str) else ""


__all__ = ["CSRF_FIELD", "EXPIRED_FORM", "FormCSRFMiddleware", "csrf_protection", "csrf_token", "rotate_csrf_cookie"]
