"""Security headers on every response the hub sends, error pages included.

Every response refuses to be framed (``X-Frame-Options: DENY`` and CSP
``frame-ancestors 'none'``), to be content-sniffed (``nosniff``), and to
leak its address in a ``Referer`` (``no-referrer``: download pages and
``/my`` links carry secrets in their URLs, and one rule for all is simplest).

An HTML page gets a Content-Security-Policy that allows no inline script or
style except the exact blocks the page itself holds, by their SHA-256: the
page is held until its body is complete (pages are small), its inline
``<script>`` and ``<style>`` blocks are hashed, and the hashes go into the
policy. So the built-in templates, a shop's own templates
(``HUB_TEMPLATES_DIR``) and Litestar's schema pages keep working, while a
script an attacker manages to inject matches no hash and does not run.

The middleware wraps the whole ASGI app (:func:`secure`), so it also sees
answers that never reach a route (an unknown ``/download/…`` path).
"""

from __future__ import annotations

import base64
import hashlib
import re

from litestar.types import ASGIApp, Message, Receive, Scope, Send

COMMON_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]
REPLACED = {name for name, _ in COMMON_HEADERS} | {b"content-security-policy"}

#: What anything that is not an HTML page may do: nothing.
NON_PAGE_POLICY = b"default-src 'none'; frame-ancestors 'none'"

PAGE_SOURCES = {
    "default-src": "'none'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "form-action": "'self'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
}
#: Litestar's OpenAPI pages (``/schema``) load Swagger UI and Redoc from
#: their CDNs; nowhere else may a page load from another origin.
SCHEMA_PREFIX = "/schema"
SCHEMA_SOURCES = {
    "script-src": "https://cdn.jsdelivr.net https://cdn.redoc.ly",
    "style-src": "https://cdn.jsdelivr.net https://fonts.googleapis.com",
    "img-src": "https://cdn.jsdelivr.net",
    "font-src": "https://fonts.gstatic.com",
    "connect-src": "'self'",
    "worker-src": "blob:",
}

INLINE_SCRIPT = re.compile(rb"<script\b(?![^>]*\bsrc\s*=)[^>]*>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
INLINE_STYLE = re.compile(rb"<style\b[^>]*>(.*?)</style\s*>", re.IGNORECASE | re.DOTALL)


def _hashes(pattern: re.Pattern[bytes], body: bytes) -> str:
    digests = {base64.b64encode(hashlib.sha256(block).digest()).decode() for block in pattern.findall(body)}
    return "".join(f" 'sha256-{digest}'" for digest in sorted(digests))


def page_policy(body: bytes, path: str) -> str:
    """The Content-Security-Policy of an HTML page whose body is ``body``."""
    sources = dict(PAGE_SOURCES)
    if path == SCHEMA_PREFIX or path.startswith(SCHEMA_PREFIX + "/"):
        for directive, extra in SCHEMA_SOURCES.items():
            sources[directive] = f"{sources[directive]} {extra}" if directive in sources else extra
    sources["script-src"] += _hashes(INLINE_SCRIPT, body)
    sources["style-src"] += _hashes(INLINE_STYLE, body)
    return "; ".join(f"{directive} {value}" for directive, value in sources.items())


def _is_html(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(name.lower() == b"content-type" and value.lower().startswith(b"text/html") for name, value in headers)


def _with_security_headers(headers: list[tuple[bytes, bytes]], policy: bytes) -> list[tuple[bytes, bytes]]:
    kept = [(name, value) for name, value in headers if name.lower() not in REPLACED]
    return [*kept, *COMMON_HEADERS, (b"content-security-policy", policy)]


class SecurityHeadersMiddleware:
    """See the module."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        held: Message | None = None
        chunks: list[bytes] = []

        async def send_secured(message: Message) -> None:
            nonlocal held
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                if _is_html(headers):
                    held = {**message, "headers": headers}  # until the body is complete
                    return
                message["headers"] = _with_security_headers(headers, NON_PAGE_POLICY)
            elif held is not None and message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                body = b"".join(chunks)
                policy = page_policy(body, scope.get("path", "")).encode()
                start, held = held, None
                start["headers"] = _with_security_headers(start["headers"], policy)
                await send(start)
                message = {"type": "http.response.body", "body": body, "more_body": False}
            await send(message)

        await self.app(scope, receive, send_secured)


def secure(app):
    """Wrap a Litestar app's ASGI handler (everything but the lifespan) in
    :class:`SecurityHeadersMiddleware`; returns the app."""
    app.asgi_handler = SecurityHeadersMiddleware(app.asgi_handler)
    return app
