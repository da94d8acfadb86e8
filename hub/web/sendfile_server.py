"""uvicorn's h11 protocol, taught to send files with sendfile(2).

uvicorn (0.54) implements neither ``http.response.pathsend`` nor
``zerocopysend`` (upstream PR Kludex/uvicorn#2840 adds pathsend with
``loop.sendfile``). This protocol class adds, for the hub's own server only:

- ``http.response.pathsend`` (``{"path"}``: the whole file), and
- ``hub.sendfile`` (``{"path", "offset", "count"}``: a byte range), after
  which the message carries ``sent``, the bytes that really went out.

Both go through asyncio's ``loop.sendfile``: the kernel moves page-cache pages
to the socket, no byte crosses into Python. Only the plain asyncio loop has
it (uvloop does not), so the extensions are offered only there.
"""

from __future__ import annotations

import asyncio
import os

import h11
from uvicorn.protocols.http import h11_impl

EXTENSIONS = ("http.response.pathsend", "hub.sendfile")


class _Body:
    """What h11 is told the body is: only its length matters (h11's data passthrough)."""

    __slots__ = ("size",)

    def __init__(self, size: int) -> None:
        self.size = size

    def __len__(self) -> int:
        return self.size


class SendfileCycle(h11_impl.RequestResponseCycle):
    async def send(self, message) -> None:  # type: ignore[override]
        if message["type"] not in EXTENSIONS or not self.response_started or self.response_complete:
            return await super().send(message)
        if self.flow.write_paused and not self.disconnected:
            await self.flow.drain()
        sent = 0
        if not self.disconnected:
            with open(message["path"], "rb") as fh:
                offset = int(message.get("offset", 0))
                count = message.get("count")
                count = os.fstat(fh.fileno()).st_size - offset if count is None else int(count)
                if self.scope["method"] != "HEAD" and count > 0:
                    try:
                        for piece in self.conn.send_with_data_passthrough(h11.Data(data=_Body(count))):
                            if isinstance(piece, _Body):
                                await asyncio.get_running_loop().sendfile(self.transport, fh, offset, count)
                            else:
                                self.transport.write(piece)  # chunk framing, if any
                    except (ConnectionError, OSError):
                        self.disconnected = True
                    sent = max(0, fh.tell() - offset)  # sendfile leaves the position after the last byte sent
        message["sent"] = sent
        if self.disconnected:
            self.transport.close()
            return
        self.response_complete = True
        self.message_event.set()
        self.transport.write(self.conn.send(event=h11.EndOfMessage()))
        if self.conn.our_state is h11.MUST_CLOSE or not self.keep_alive:
            self.conn.send(event=h11.ConnectionClosed())
            self.transport.close()
        self.on_response()


class SendfileH11Protocol(h11_impl.H11Protocol):
    """``uvicorn.run(app, http=SendfileH11Protocol)``."""

    def handle_events(self) -> None:
        before = self.cycle
        super().handle_events()
        cycle = self.cycle
        # The request's task is created but has not started: it will call the new class's send.
        if cycle is not None and cycle is not before and type(cycle) is h11_impl.RequestResponseCycle:
            if isinstance(self.loop, asyncio.BaseEventLoop):  # uvloop has no loop.sendfile
                cycle.__class__ = SendfileCycle
                cycle.scope.setdefault("extensions", {}).update({name: {} for name in EXTENSIONS})  # type: ignore[union-attr]
