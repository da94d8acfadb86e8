"""What every request to the hub passes through, whatever its surface.

* :class:`HubRequest` reads every JSON body Litestar decodes for a handler
  (``data: SomeStruct``) through :func:`hub.inputs.decode_json`, so that a
  body nested a thousand levels deep is a 400 in the surface's envelope,
  never a RecursionError and a 500.
* :func:`refuse_impossible_ids` answers 404 for a path id holding a NUL
  character before any handler runs: no id can hold one, and PostgreSQL
  would refuse the lookup with an error where SQLite finds nothing.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Empty

from hub.errors import NotFound
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
