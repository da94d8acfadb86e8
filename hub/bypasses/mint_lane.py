"""Minting's fast lane: the two minting endpoints answered before routing.

``POST /api/products/{id}/tokens`` and ``POST /api/generate-download-url``
are what a shop's checkout calls for every sale. Through Litestar each
costs the router, the handler's dependencies and their signature models,
the body's extraction, the ``Response`` object and three middleware: about
a third of a mint's time (issue 10). This lane answers the plain case
itself, with the very code the routed handlers run
(:func:`hub.api.products.mint_product_token`,
:func:`hub.api.integration.mint_download_link`, the ``principal``
dependency's :func:`hub.api.dependencies.api_principal`):

- the exact path, no query string, a JSON body of at most
  :data:`MAX_BODY` bytes that decodes as the routed handler would decode
  it, a key allowed to mint, and a mint that succeeds: the routed
  handler's status and bytes, counted in the same metrics series, with the
  same audit row.

Everything else goes on to Litestar, which answers it as it always has:
other paths, methods and query strings, larger or streamed bodies, and
every refusal or failure (a bad key, a body that does not decode, an
unknown product). Nothing was sent and nothing written by then; the
request's body is handed on as it was received. The documented routes
(OpenAPI ``createProductToken``, ``generateDownloadUrl``) are the Litestar
ones; both send the same bytes (``tests/test_mint_lane.py``).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import msgspec
from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPScope, Receive, ReceiveMessage, Scope, Send

from hub.api.audit_trail import record_api_change
from hub.api.dependencies import api_principal
from hub.api.integration import DownloadUrlRequest, mint_download_link
from hub.api.products import TokenCreate, mint_product_token
from hub.context import Hub
from hub.inputs import decode_json
from hub.metrics import count_request

MAX_BODY = 16 * 1024
"""The largest body the lane reads (a mint's is about a hundred bytes);
a larger one goes the routed way, under Litestar's own limit."""

_PRODUCT_TOKENS = re.compile(r"/api/products/([^/\x00]+)/tokens")


@dataclass(frozen=True)
class _Mint:
    template: str  # the route as Litestar's router names it (the metrics label)
    status: int
    body_type: type[msgspec.Struct]
    answer: Callable[[Hub, Any, str, Any], Awaitable[msgspec.Struct]]


async def _product_token(hub: Hub, principal: Any, product_id: str, data: TokenCreate) -> msgspec.Struct:
    return await mint_product_token(hub, principal, product_id, data)


async def _download_link(hub: Hub, principal: Any, _: str, data: DownloadUrlRequest) -> msgspec.Struct:
    return await mint_download_link(hub, principal, data)


PRODUCT_TOKENS = _Mint("/api/products/{product_id}/tokens", 201, TokenCreate, _product_token)
DOWNLOAD_LINK = _Mint("/api/generate-download-url", 200, DownloadUrlRequest, _download_link)


def _route(path: str) -> tuple[_Mint, str] | None:
    if path == "/api/generate-download-url":
        return DOWNLOAD_LINK, ""
    match = _PRODUCT_TOKENS.fullmatch(path)
    return (PRODUCT_TOKENS, match.group(1)) if match else None


class MintLane:
    """See the module."""

    def __init__(self, app: ASGIApp, hub: Hub) -> None:
        self.app = app
        self.hub = hub

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or scope["method"] != "POST" or scope.get("query_string"):
            await self.app(scope, receive, send)
            return
        route = _route(scope["path"])
        if route is None:
            await self.app(scope, receive, send)
            return
        mint, product_id = route
        body, received = await _small_body(receive)
        answer = await self._answer(scope, mint, product_id, body) if body is not None else None
        if answer is None:
            await self.app(scope, _replaying(received, receive), send)
            return
        content = msgspec.json.encode(answer)
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(content)).encode())]
        await send({"type": "http.response.start", "status": mint.status, "headers": headers})
        await send({"type": "http.response.body", "body": content, "more_body": False})
        count_request(mint.template, "POST", mint.status)
        await record_api_change(scope, mint.status)

    async def _answer(self, scope: HTTPScope, mint: _Mint, product_id: str, body: bytes) -> msgspec.Struct | None:
        """The routed handler's answer, or ``None`` to leave the request to
        Litestar (which then refuses it in the surface's envelope)."""
        authorization = next((value for name, value in scope["headers"] if name == b"authorization"), None)
        try:
            data = msgspec.convert(decode_json(body), mint.body_type, strict=False, str_keys=True)
            principal = await api_principal(
                self.hub, scope, authorization.decode("latin-1") if authorization is not None else None
            )
            return await mint.answer(self.hub, principal, product_id, data)
        except Exception:  # every refusal (and any failure) is the routed handler's to answer
            return None


async def _small_body(receive: Receive) -> tuple[bytes | None, list[ReceiveMessage]]:
    """The body (``None`` when it is larger than :data:`MAX_BODY` or the
    client left) and the messages it came in, to hand on as they were."""
    received: list[ReceiveMessage] = []
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        received.append(message)
        if message["type"] != "http.request":
            return None, received
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        if size > MAX_BODY:
            return None, received
        if not message.get("more_body", False):
            return b"".join(chunks), received


def _replaying(received: list[ReceiveMessage], receive: Receive) -> Receive:
    """``receive`` as if nothing had been read from it yet."""
    pending = list(received)

    async def replayed() -> ReceiveMessage:
        return pending.pop(0) if pending else await receive()

    return replayed
