"""The byte path of a version's ZIP: an ASGI response that sends a range of
the archive (:mod:`hub.archive`) piece by piece, and records it.

Headers and the central directory are literal bytes; each file body slice
goes out as a single file's would (:mod:`hub.web.file_response`): zero-copy
on the hub's own server for a local blob (a ``hub.sendfile`` message with
``more_body``, :mod:`hub.bypasses.sendfile_server`), else in 1 MiB chunks
read from the blob store (S3: one ranged GET per slice). Memory stays flat
whatever the archive's size: one chunk at a time. When it ends it reports
how many bytes were sent and whether the range went out whole.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncGenerator

from litestar.types import Receive, Scope, Send

from hub.archive import ArchiveLayout, BodySlice
from hub.storage import BlobStore, StorageError
from hub.web.file_response import CHUNK, SENDFILE, OnFinish, _send_json, _SendfileMessage

log = logging.getLogger("hub.downloads")

_LITERAL_FLUSH = 64 * 1024  # literal bytes gathered before they go out (many small headers in a row)


class _SendfileMore(_SendfileMessage):
    """A ``hub.sendfile`` message after which the body goes on."""

    more_body: bool


class ArchiveResponse:
    """Bytes ``start``..``end`` of an archive laid out by ``layout``; with
    ``end < start`` (a HEAD) only the headers."""

    def __init__(
        self,
        *,
        blobs: BlobStore,
        layout: ArchiveLayout,
        start: int,
        end: int,
        status: int,
        headers: list[tuple[bytes, bytes]],
        on_finish: OnFinish | None,
    ) -> None:
        self.blobs = blobs
        self.layout = layout
        self.start = start
        self.end = end
        self.status = status
        self.headers = headers
        self.on_finish = on_finish

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        sent, completed = 0, False
        try:
            if self.end < self.start:
                await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                completed = True
                return
            sent, completed = await self._send_range(scope, receive, send)
        finally:
            if self.on_finish is not None:
                # Shielded: a cancelled request must still record what it sent.
                await asyncio.shield(self.on_finish(sent, completed))

    async def _send_range(self, scope: Scope, receive: Receive, send: Send) -> tuple[int, bool]:
        zero_copy = SENDFILE in (scope.get("extensions") or {})
        pieces = self.layout.pieces(self.start, self.end)
        first = next(pieces)
        first_chunks: AsyncGenerator[bytes, None] | None = None
        head = b""
        if isinstance(first, BodySlice) and self._local(first, zero_copy) is None:
            # The first body is read before the status line goes out, so a
            # blob that cannot be read is an error response, not a 200 cut short.
            first_chunks = self._chunks(first)
            try:
                head = await anext(first_chunks)
            except (StorageError, StopAsyncIteration) as problem:
                await first_chunks.aclose()
                log.error("Blob %s cannot be read: %s", first.entry.key, problem)
                await _send_json(send, 503, {"success": False, "error": "This file is temporarily unavailable. Try again later."})
                return 0, False
        await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        gone = asyncio.Event()

        async def watch_for_disconnect() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            gone.set()

        watcher = asyncio.create_task(watch_for_disconnect()) if not zero_copy else None
        sent = 0
        pending = bytearray()

        async def flush() -> None:
            nonlocal sent
            if pending:
                await send({"type": "http.response.body", "body": bytes(pending), "more_body": True})
                sent += len(pending)
                pending.clear()

        try:
            piece = first
            while True:
                if gone.is_set():
                    return sent, False
                if isinstance(piece, bytes):
                    pending += piece
                    if len(pending) >= _LITERAL_FLUSH:
                        await flush()
                elif (path := self._local(piece, zero_copy)) is not None:
                    await flush()
                    message = _SendfileMore(
                        type=SENDFILE, path=path, offset=piece.offset, count=piece.length, more_body=True
                    )
                    # The server's extension message (hub.bypasses.sendfile_server) is not in Litestar's Message union.
                    await send(message)  # type: ignore[arg-type]
                    went = message.get("sent", piece.length)
                    sent += went
                    if went < piece.length:
                        return sent, False
                else:
                    await flush()
                    chunks = first_chunks if piece is first and first_chunks is not None else self._chunks(piece)
                    try:
                        if chunks is first_chunks:
                            await send({"type": "http.response.body", "body": head, "more_body": True})
                            sent += len(head)
                        async for chunk in chunks:
                            if gone.is_set():
                                return sent, False
                            await send({"type": "http.response.body", "body": chunk, "more_body": True})
                            sent += len(chunk)
                    except StorageError as problem:
                        # Mid-response: the client sees a short body and resumes.
                        log.error("Blob %s cannot be read: %s", piece.entry.key, problem)
                        return sent, False
                    finally:
                        await chunks.aclose()  # releases an S3 body at once
                next_piece = next(pieces, None)
                if next_piece is None:
                    break
                piece = next_piece
            await send({"type": "http.response.body", "body": bytes(pending), "more_body": False})
            sent += len(pending)
            return sent, True
        finally:
            if watcher is not None:
                watcher.cancel()

    def _local(self, piece: BodySlice, zero_copy: bool) -> str | None:
        """The local file a body slice can be sent from zero-copy, or None."""
        if not zero_copy:
            return None
        path = self.blobs.local_path(piece.entry.key)
        return path if path and os.path.isfile(path) else None

    def _chunks(self, piece: BodySlice) -> AsyncGenerator[bytes, None]:
        """The slice's bytes from the blob store (an async generator)."""
        return self.blobs.open_range(piece.entry.key, piece.offset, piece.offset + piece.length - 1, CHUNK)
