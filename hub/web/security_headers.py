"""Security headers on every response the hub sends, error pages included.

Every response refuses to be framed (``X-Frame-Options: DENY`` and CSP
``frame-ancestors 'none'``), to be content-sniffed (``nosniff``), and to
leak its address in a ``Referer`` (``no-referrer``: download pages and
``/my`` links carry secrets in their URLs, and one rule for all is simplest).

An HTML page gets a Content-Security-Policy that allows no inline script or
style but the blocks written in the page templates themselves, by their
SHA-256, computed once from the template sources (the built-in ones, a
shop's ``HUB_TEMPLATES_DIR``, plugins'). Hashing the *templates*, never the
rendered page, is the point: a script an attacker slips into a rendered
page matches no hash and does not run. A block holding a Jinja expression
cannot be hashed ahead and does not run either: keep such data out of
``<script>``/``<style>``.

Litestar's OpenAPI pages (``/schema``) embed the generated schema in an
inline script and load Swagger UI and Redoc from the hub's own files; only those
pages, rendered from the app's own routes and no client input, are held
until complete and have their inline blocks hashed as sent.

The middleware wraps the whole ASGI app (:func:`secure`), so it also sees
answers that never reach a route (an unknown ``/download/…`` path).
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Iterable

from jinja2 import Environment
from litestar import Litestar
from litestar.types import ASGIApp, HTTPResponseStartEvent, Message, Receive, Scope, Send

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
    # The console's upload script (hub/console/static) sends parts to the hub itself.
    "connect-src": "'self'",
    "form-action": "'self'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
}
SCHEMA_PREFIX = "/schema"
# Swagger UI and ReDoc are served by the hub itself (hub/web/static/openapi):
# the schema pages need no other host.
#: Where a schema page asks for a style nonce: ReDoc's styled-components
#: inserts its <style> elements at run time (under a policy of hashes alone
#: it stops with "error #17"), and gives them the nonce it is handed. The
#: middleware puts a fresh nonce of the same length in its place, per answer.
STYLE_NONCE_SLOT = b"hub-style-nonce-slot00"
SCHEMA_SOURCES = {
    "connect-src": "'self'",
    "worker-src": "blob:",
}

INLINE = {
    "script-src": re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL),
    "style-src": re.compile(r"<style\b[^>]*>(.*?)</style\s*>", re.IGNORECASE | re.DOTALL),
}
JINJA = re.compile(r"\{\{|\{%|\{#")


def _sha256_sources(blocks: Iterable[str]) -> str:
    digests = {base64.b64encode(hashlib.sha256(block.encode()).digest()).decode() for block in blocks}
    return "".join(f" 'sha256-{digest}'" for digest in sorted(digests))


def _policy(sources: dict[str, str]) -> bytes:
    return "; ".join(f"{directive} {value}" for directive, value in sources.items()).encode()


def template_page_policy(templates: Environment) -> bytes:
    """The policy of every page rendered from ``templates``: their static
    inline blocks allowed by hash, nothing else inline."""
    sources = dict(PAGE_SOURCES)
    texts = []
    for name in templates.list_templates(filter_func=lambda n: n.endswith((".html", ".htm"))):
        source, _, _ = templates.loader.get_source(templates, name)  # type: ignore[union-attr]
        texts.append(source)
    for directive, pattern in INLINE.items():
        blocks = [block for text in texts for block in pattern.findall(text) if not JINJA.search(block)]
        sources[directive] += _sha256_sources(blocks)
    return _policy(sources)


def schema_page_policy(body: bytes, style_nonce: str | None = None) -> bytes:
    """The policy of a Litestar OpenAPI page, from its own body (and the
    nonce its run-time styles carry, if it has one)."""
    sources = dict(PAGE_SOURCES)
    for directive, extra in SCHEMA_SOURCES.items():
        sources[directive] = f"{sources[directive]} {extra}" if directive in sources else extra
    text = body.decode("utf-8", "replace")
    for directive, pattern in INLINE.items():
        sources[directive] += _sha256_sources(pattern.findall(text))
    if style_nonce:
        sources["style-src"] += f" 'nonce-{style_nonce}'"
    return _policy(sources)


def _with_style_nonce(body: bytes) -> tuple[bytes, str | None]:
    """``body`` with a fresh nonce in its :data:`STYLE_NONCE_SLOT` (same
    length: Content-Length stays right), and the nonce; or as it is."""
    if STYLE_NONCE_SLOT not in body:
        return body, None
    nonce = secrets.token_urlsafe(16)
    assert len(nonce) == len(STYLE_NONCE_SLOT)
    return body.replace(STYLE_NONCE_SLOT, nonce.encode()), nonce


def _is_html(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(name.lower() == b"content-type" and value.lower().startswith(b"text/html") for name, value in headers)


def _with_security_headers(headers: list[tuple[bytes, bytes]], policy: bytes) -> list[tuple[bytes, bytes]]:
    """``headers`` with the common headers and ``policy``, unless the route set
    a sandboxing policy of its own (a sandboxed document runs no script and
    has no origin, such as the console's email preview, whose inline styles
    the page policy would strip): that one is kept."""
    own = [value for name, value in headers if name.lower() == b"content-security-policy"]
    if own and own[0].lstrip().lower().startswith(b"sandbox"):
        policy = own[0]
    kept = [(name, value) for name, value in headers if name.lower() not in REPLACED]
    return [*kept, *COMMON_HEADERS, (b"content-security-policy", policy)]


class SecurityHeadersMiddleware:
    """See the module."""

    def __init__(self, app: ASGIApp, page_policy: bytes) -> None:
        self.app = app
        self.page_policy = page_policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        schema_page = path == SCHEMA_PREFIX or path.startswith(SCHEMA_PREFIX + "/")
        held: HTTPResponseStartEvent | None = None
        chunks: list[bytes] = []

        async def send_secured(message: Message) -> None:
            nonlocal held
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                if not _is_html(headers):
                    message["headers"] = _with_security_headers(headers, NON_PAGE_POLICY)
                elif not schema_page:
                    message["headers"] = _with_security_headers(headers, self.page_policy)
                else:
                    held = {**message, "headers": headers}  # until the body is complete
                    return
            elif held is not None and message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                body, nonce = _with_style_nonce(b"".join(chunks))
                start, held = held, None
                start["headers"] = _with_security_headers(list(start["headers"]), schema_page_policy(body, nonce))
                await send(start)
                message = {"type": "http.response.body", "body": body, "more_body": False}
            await send(message)

        await self.app(scope, receive, send_secured)


def secure(app: Litestar, templates: Environment) -> Litestar:
    """Wrap ``app``'s ASGI handler (everything but the lifespan) in
    :class:`SecurityHeadersMiddleware`, pages allowed the inline blocks of
    ``templates``; returns the app."""
    app.asgi_handler = SecurityHeadersMiddleware(app.asgi_handler, template_page_policy(templates))
    return app
