"""What every request to the hub passes through, whatever its surface.

* :class:`HubRequest` reads every JSON body Litestar decodes for a handler
  (``data: SomeStruct``) through :func:`hub.inputs.decode_json`, so that a
  body nested a thousand levels deep is a 400 in the surface's envelope,
  never a RecursionError and a 500.
* :func:`refuse_impossible_ids` answers 404 for a path id holding a NUL
  character before any handler runs: no id can hold one, and PostgreSQL
  would refuse the lookup with an error where SQLite finds nothing.
* :func:`read_body` reads a raw body under a size limit of the route's own
  (an upload part, a v2 data URI), for the routes that lift Litestar's cap.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Empty

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


async def refuse_impossible_ids(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """An app-wide guard: a path parameter with a NUL character names nothing.

    ``async`` although it awaits nothing: Litestar runs a plain function guard
    in a worker thread, a thread hop on every request of the hub."""
    for value in connection.path_params.values():
        if isinstance(value, str) and "\x00" in value:
            raise NotFound("Not found")


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
