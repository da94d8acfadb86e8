"""The byte path: an ASGI response that streams a blob range and records it.

Litestar's ``File`` response has no Range support and its generic streaming
costs a task group per response; this one is small and does only what a
download needs: headers, then either one zero-copy message for a local
blob (``hub.sendfile``, a range, on the hub's own server; ``pathsend``, a
whole file, on others) or 1 MiB chunks read from the blob store, stopping as soon as the client goes away. When it ends
it reports how many bytes were sent and whether the transfer completed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import NotRequired, TypedDict

from litestar.types import Receive, Scope, Send

from hub.storage import BlobStore, StorageError

log = logging.getLogger("hub.downloads")

PATHSEND = "http.response.pathsend"
SENDFILE = "hub.sendfile"  # the hub's own server (hub.bypasses.sendfile_server): a range, zero-copy
CHUNK = 1 << 20

OnFinish = Callable[[int, bool], Awaitable[object]]
"""Called once with (bytes sent, completed) when the response ends."""


class _SendfileMessage(TypedDict):
    """The ``hub.sendfile`` message; the server adds ``sent``, the bytes that went out."""

    type: str
    path: str
    offset: int
    count: int
    sent: NotRequired[int]


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
        sent, completed = 0, False
        try:
            if self.end < self.start:  # an empty file, or a HEAD
                await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                completed = True
                return
            file_message = self._file_message(scope)
            if file_message is not None:
                count = self.end - self.start + 1
                await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
                # The server's extension messages (hub.bypasses.sendfile_server) are not in Litestar's Message union.
                await send(file_message)  # type: ignore[arg-type]
                # hub.sendfile says what went out; a server's pathsend does not (all of it, then).
                sent = file_message.get("sent", count)
                completed = sent == count
                return
            chunks = self.blobs.open_range(self.key, self.start, self.end, CHUNK)
            try:
                # The first chunk is read before the status line goes out, so
                # a blob that cannot be read is an error response, not a 200
                # cut short.
                first = await anext(chunks)
            except (StorageError, StopAsyncIteration) as problem:
                log.error("Blob %s cannot be read: %s", self.key, problem)
                await _send_json(send, 503, {"success": False, "error": "This file is temporarily unavailable. Try again later."})
                return
            await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
            try:
                sent, completed = await self._stream(first, chunks, receive, send)
            finally:
                await chunks.aclose()  # releases an S3 body at once
        finally:
            if self.on_finish is not None:
                # Shielded: a cancelled request must still record what it sent.
                await asyncio.shield(self.on_finish(sent, completed))

    def _file_message(self, scope: Scope) -> dict | None:
        """The one message that sends a local blob's bytes zero-copy, when the
        server offers a way: ``hub.sendfile`` for any range (the hub's own
        server, :mod:`hub.bypasses.sendfile_server`), ``pathsend`` for a whole
        file (other servers); ``None`` to stream chunks."""
        extensions = scope.get("extensions") or {}
        if SENDFILE not in extensions and not (self.whole_file and PATHSEND in extensions):
            return None
        local_path = self.blobs.local_path(self.key)
        if not local_path or not os.path.isfile(local_path):
            return None
        if SENDFILE in extensions:
            return {"type": SENDFILE, "path": local_path, "offset": self.start, "count": self.end - self.start + 1}
        return {"type": PATHSEND, "path": local_path}

    async def _stream(self, first: bytes, chunks: AsyncIterator[bytes], receive: Receive, send: Send) -> tuple[int, bool]:
        gone = asyncio.Event()

        async def watch_for_disconnect() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            gone.set()

        watcher = asyncio.create_task(watch_for_disconnect())
        sent = 0
        try:
            await send({"type": "http.response.body", "body": first, "more_body": True})
            sent += len(first)
            async for chunk in chunks:
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


async def _send_json(send: Send, status: int, body: dict) -> None:
    payload = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload, "more_body": False})
