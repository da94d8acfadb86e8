"""The byte path: an ASGI response that streams a blob range and records it.

Litestar's ``File`` response has no Range support and its generic streaming
costs a task group per response; this one is small and does only what a
download needs: headers, then either a zero-copy ``pathsend`` (when the
server offers it and the whole local file is wanted) or 1 MiB chunks read
from the blob store, stopping as soon as the client goes away. When it ends
it reports how many bytes were sent and whether the transfer completed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from litestar.types import Receive, Scope, Send

from hub.storage import BlobStore

PATHSEND = "http.response.pathsend"
CHUNK = 1 << 20

OnFinish = Callable[[int, bool], Awaitable[None]]
"""Called once with (bytes sent, completed) when the response ends."""


class BlobResponse:
    def __init__(
        self,
        *,
        blobs: BlobStore,
        key: str,
        start: int,
        end: int,
        status: int,
        headers: list[tuple[bytes, bytes]],
        whole_file: bool,
        on_finish: OnFinish | None,
    ) -> None:
        self.blobs = blobs
        self.key = key
        self.start = start
        self.end = end
        self.status = status
        self.headers = headers
        self.whole_file = whole_file
        self.on_finish = on_finish

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        sent, completed = 0, False
        try:
            if self.end < self.start:  # an empty file
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                completed = True
                return
            local_path = self.blobs.local_path(self.key)
            if self.whole_file and local_path and PATHSEND in scope.get("extensions", {}):
                await send({"type": PATHSEND, "path": local_path})
                sent, completed = self.end - self.start + 1, True
                return
            sent, completed = await self._stream(receive, send)
        finally:
            if self.on_finish is not None:
                # Shielded: a cancelled request must still record what it sent.
                await asyncio.shield(self.on_finish(sent, completed))

    async def _stream(self, receive: Receive, send: Send) -> tuple[int, bool]:
        gone = asyncio.Event()

        async def watch_for_disconnect() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            gone.set()

        watcher = asyncio.create_task(watch_for_disconnect())
        sent = 0
        try:
            async for chunk in self.blobs.open_range(self.key, self.start, self.end, CHUNK):
                if gone.is_set():
                    return sent, False
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
                sent += len(chunk)
            if gone.is_set():
                return sent, False
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return sent, True
        finally:
            watcher.cancel()
