"""What every request to the hub passes through, whatever its surface.

* :class:`HubRequest` reads every JSON body Litestar decodes for a handler
  (``data: SomeStruct``) through :func:`hub.inputs.decode_json`, so that a
  body nested a thousand levels deep is a 400 in the surface's envelope,
  never a RecursionError and a 500.
* :func:`refuse_impossible_ids` answers 404 for a path id holding a NUL
  character before any handler (or a route's own middleware, such as the
  CSRF check) runs: no id can hold one, and PostgreSQL would refuse the
  lookup with an error where SQLite finds nothing.
* :func:`read_body` reads a raw body under a size limit of the route's own
  (an upload part, a v2 data URI), for the routes that lift Litestar's cap.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Request
from litestar.types import ASGIApp, Empty, Receive, Scope, Send

from hub.errors import NotFound, PayloadTooLarge
from hub.inputs import decode_json


class HubRequest(Request):
    """Litestar's request, with the hub's rule for JSON bodies."""

    async def json(self) -> Any:
        if self._json is Empty:
            state = self._connection_state
            if state.json is Empty:
                state.json = decode_json(await self.body())
            self._json = state.json
        return self._json


def refuse_impossible_ids(app: ASGIApp) -> ASGIApp:
    """App-wide middleware: a path parameter with a NUL character names nothing.

    A middleware, not a guard: Litestar copies the route handler for every
    guard it runs, on every request (issue 10). The router has parsed the
    path parameters by now; the refusal is answered in the surface's
    envelope by the app's exception handlers."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        params = scope.get("path_params")
        if params and any(isinstance(value, str) and "\x00" in value for value in params.values()):
            raise NotFound("Not found")
        await app(scope, receive, send)

    return middleware


async def read_body(request: Request, limit: int, too_large: Callable[[int | None], Exception]) -> bytes:
    """The request body, refused with ``too_large(declared)`` once it is
    known to pass ``limit`` bytes.

    A body whose Content-Length announces more is refused unread
    (``declared`` is that length); one without (or understating) it is cut
    off as soon as the bytes received pass the limit (``declared`` is
    None), so no more than the limit and one chunk is ever held.
    """
    declared = request.content_length
    if declared is not None and declared > limit:
        raise too_large(declared)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large(None)
    return bytes(body)


async def read_upload_part(request: Request, part_size: int) -> bytes:
    """An upload part's raw body (API and console), at most ``part_size`` bytes."""

    def too_large(declared: int | None) -> PayloadTooLarge:
        if declared is None:
            return PayloadTooLarge(f"A part is at most {part_size} bytes")
        return PayloadTooLarge(f"A part is at most {part_size} bytes; this one declares {declared}")

    return await read_body(request, part_size, too_large)
