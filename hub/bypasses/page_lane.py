"""The download page's fast lane: ``GET /download?token=…`` answered before routing.

The buyer's page is the hub's busiest request: every click in a delivery
email, every mail scanner and link preview opens it. Through Litestar it
costs the router, the handler's signature model and dependencies, the
``Response`` object and its cookie machinery, and four middleware, several
times what the page's own work (one indexed query, one template) costs
(issue 10). This lane answers the plain case itself, with the very code the
Litestar handler uses (:func:`hub.web.downloads.download_page`):

- ``GET /download`` whose query string is exactly ``token=<a download
  token>``, for a token that resolves (valid, not revoked, not expired, not on
  hold) and has downloads left: a 200 page, HTML or JSON as ``Accept`` asks.

Everything else goes on to Litestar untouched, which answers it as it always
has: other paths and methods, other query strings, a used-up token (its
download session decides), every error, and any exception the lane meets
(the request is read again from the start; nothing was sent). The
documented route (OpenAPI ``getDownloadPage``) is the Litestar one; both
send the same bytes (``tests/test_page_lane.py``).

The lane sits inside the security headers and the client-address rewrite
(:func:`hub.app.create_app`), and counts what it answers in the same
metrics series as the routed page.
"""

from __future__ import annotations

import logging
import re

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from hub.context import Hub
from hub.metrics import count_request
from hub.services import downloads as download_service
from hub.services.licenses import licenses_of_token
from hub.services.tokens import resolve_token
from hub.web.cookies import cookies_secure
from hub.web.downloads import accepts_json, download_page

log = logging.getLogger("hub")

PAGE_PATH = "/download"
ROUTE_TEMPLATE = "/download"  # what Litestar's router names the page (metrics label)
_QUERY = re.compile(rb"token=(ct_download_[A-Za-z0-9_\-]{1,180})")
_COOKIE = download_service.SESSION_COOKIE.encode() + b"="


class DownloadPageLane:
    """See the module."""

    def __init__(self, app: ASGIApp, hub: Hub) -> None:
        self.app = app
        self.hub = hub

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or scope["path"] != PAGE_PATH or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        match = _QUERY.fullmatch(scope.get("query_string", b""))
        page = await self._page(scope, match.group(1).decode()) if match else None
        if page is None:
            await self.app(scope, receive, send)
            return
        headers = [
            (b"content-type", b"application/json" if page.media_type == "application/json" else b"text/html; charset=utf-8"),
            (b"content-length", str(len(page.body)).encode()),
            *((name.lower().encode(), value.encode("latin-1")) for name, value in page.headers.items()),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": page.body, "more_body": False})
        count_request(ROUTE_TEMPLATE, "GET", 200)

    async def _page(self, scope: Scope, secret: str):
        """The page, or ``None`` to leave the request to Litestar."""
        accept = cookie = b""
        for name, value in scope["headers"]:
            if name == b"accept" and not accept:  # the first, as Litestar's headers.get
                accept = value
            elif name == b"cookie":
                cookie += value + b";"
        try:
            grant = await resolve_token(self.hub, secret)
        except Exception:  # every refusal (and any failure) is the routed handler's to answer
            return None
        if grant.downloads_left == 0:
            return None  # whether this client's session may still use it: the routed handler's call
        has_cookie = any(part.strip().startswith(_COOKIE) for part in cookie.split(b";"))
        return download_page(
            self.hub, grant, secret, as_json=accepts_json(accept.decode("latin-1")), has_cookie=has_cookie,
            secure=cookies_secure(scope, self.hub.settings.public_url),
            licenses=await licenses_of_token(self.hub, grant.token),
        )
