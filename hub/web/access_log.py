"""The request log of ``continuata-hub serve``: one line per answer, cheaply.

uvicorn's own access log goes through :mod:`logging` for every request (a
record, the hub's redaction of every argument, a formatter, a handler that
writes and flushes): about 40 µs of the one core a process serves on, a
quarter of a download page's time (issue 10). This middleware writes the
same line::

    INFO:     203.0.113.7:51234 - "GET /download?token=ct_download_[redacted] HTTP/1.1" 200

with the client as :class:`~hub.client_ip.ForwardedClientMiddleware` decided
it, and the path and query redacted as every log of the hub is
(:func:`hub.logs.redact`). Lines made while the event loop is busy are
written together, once the loop has run what was ready (under load, one
write for many requests; when the server is quiet, at once). ``serve``
turns uvicorn's access log off and this one on, unless ``HUB_LOG_LEVEL`` is
above ``info``.
"""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO
from urllib.parse import quote

from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPScope, Message, Receive, Scope, Send

from hub.logs import redact


class AccessLog:
    """ASGI middleware: an access line for each HTTP answer (see the module)."""

    def __init__(self, app: ASGIApp, stream: TextIO | None = None) -> None:
        self.app = app
        self.stream = stream
        self.pending: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return

        async def send_logged(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.write(access_line(scope, message["status"]))
            await send(message)

        await self.app(scope, receive, send_logged)

    def write(self, line: str) -> None:
        """Keep ``line`` for the next write (scheduled with the first line kept)."""
        if not self.pending:
            asyncio.get_running_loop().call_soon(self.flush)
        self.pending.append(line)

    def flush(self) -> None:
        """Write the kept lines (a full disk or a closed pipe must not fail requests)."""
        lines, self.pending = self.pending, []
        stream = self.stream or sys.stdout
        try:
            stream.write("".join(lines))
            stream.flush()
        except (OSError, ValueError):
            pass


def access_line(scope: HTTPScope, status: int) -> str:
    """uvicorn's access line for ``scope`` answered with ``status``: the
    request target as the client sent it (still percent-encoded, so a
    decoded line break cannot forge a line), redacted."""
    client = scope.get("client")
    address = f"{client[0]}:{client[1]}" if client else "-"
    raw_path = scope.get("raw_path")
    target = raw_path.decode("latin-1") if raw_path else quote(scope.get("root_path", "") + scope["path"])
    if scope.get("query_string"):
        target += "?" + scope["query_string"].decode("latin-1")
    if not target.isprintable():
        target = target.encode("unicode_escape").decode("ascii")
    return f'INFO:     {address} - "{scope["method"]} {redact(target)} HTTP/{scope["http_version"]}" {status}\n'
