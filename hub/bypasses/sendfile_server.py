"""uvicorn's HTTP protocols, taught to send files with sendfile(2).

uvicorn (0.54) implements neither ``http.response.pathsend`` nor
``zerocopysend`` (upstream PR Kludex/uvicorn#2840 adds pathsend with
``loop.sendfile``, which uvloop does not have). These protocol classes add,
for the hub's own server only:

- ``http.response.pathsend`` (``{"path"}``: the whole file), and
- ``hub.sendfile`` (``{"path", "offset", "count"}``: a byte range), after
  which the message carries ``sent``, the bytes that really went out. It
  ends the response unless it says ``"more_body": True``: then more body
  messages (or file messages) follow, as a ZIP's headers follow each body
  (:mod:`hub.web.archive_response`).

Both go through :func:`send_file`: once the transport's buffer is empty the
kernel moves page-cache pages straight to the socket (``os.sendfile`` on the
socket's file descriptor), no byte crosses into Python. It works on uvloop
and on the plain asyncio loop alike, so the hub serves with the fast pair,
httptools + uvloop (:class:`SendfileHttpToolsProtocol`, what ``serve``
uses), and keeps the h11 one (:class:`SendfileH11Protocol`) for a server
started without them.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any, BinaryIO, cast

import h11
from uvicorn.protocols.http import h11_impl, httptools_impl

EXTENSIONS = ("http.response.pathsend", "hub.sendfile")
_EMPTY_BUFFER_POLL = 0.002  # seconds between looks at a transport buffer still holding the headers


async def send_file(transport: asyncio.Transport, fh, offset: int, count: int) -> int:
    """Send ``count`` bytes of the open file ``fh`` from ``offset`` on the
    transport's socket, zero-copy; the bytes that went out.

    The socket is written directly, so first whatever the transport still
    buffers (the headers, usually gone already) must have left. Then a
    :class:`_FileSender` moves the bytes from the event loop's writer
    callback. A peer that goes away (an ``OSError``), or a file shorter than
    ``count``, ends it early: fewer bytes than asked.
    """
    loop = asyncio.get_running_loop()
    while transport.get_write_buffer_size() and not transport.is_closing():
        await asyncio.sleep(_EMPTY_BUFFER_POLL)
    sock = transport.get_extra_info("socket")
    if sock is None or transport.is_closing():
        return 0
    sender = _FileSender(loop, os.dup(sock.fileno()), fh.fileno(), offset, count)
    try:
        return await sender.start()
    finally:
        sender.close()


class _FileSender:
    """sendfile(2) driven by the event loop's writer callback, as nginx does it.

    Each time the socket can take more, :meth:`on_writable` calls
    ``os.sendfile`` until the kernel says "would block", and returns: one
    Python call and a few system calls per wake-up. An ``await`` per
    wake-up instead resumed the whole chain of coroutines above it (the
    ASGI middlewares' ``send`` wrappers, the protocol's cycle), a few
    hundred times per GiB; that, not the copying, was most of the server's
    own CPU per GiB. The writer stays registered for the whole transfer.

    ``out`` is a duplicate of the socket's descriptor: uvloop refuses
    ``add_writer`` on a descriptor that a transport owns.
    """

    __slots__ = ("loop", "out", "src", "offset", "count", "sent", "done", "watching")

    def __init__(self, loop: asyncio.AbstractEventLoop, out: int, src: int, offset: int, count: int) -> None:
        self.loop, self.out, self.src = loop, out, src
        self.offset, self.count, self.sent = offset, count, 0
        self.done: asyncio.Future[int] = loop.create_future()
        self.watching = False

    def start(self) -> asyncio.Future[int]:
        """Send what the socket takes now; the rest as it becomes writable."""
        self.on_writable()
        if not self.done.done():
            self.loop.add_writer(self.out, self.on_writable)
            self.watching = True
        return self.done

    def on_writable(self) -> None:
        if self.done.done():  # cancelled: close() cleans up
            return
        try:
            while self.sent < self.count:
                moved = os.sendfile(self.out, self.src, self.offset + self.sent, self.count - self.sent)
                if moved == 0:  # end of file: the file is shorter than it was said to be
                    break
                self.sent += moved
        except BlockingIOError:
            return  # the socket is full: called again when it drains
        except OSError:
            pass  # the peer went away: what went out is what counts
        self.done.set_result(self.sent)

    def close(self) -> None:
        """Stop watching and release the duplicate descriptor (also when the
        awaiting request was cancelled)."""
        if self.watching:
            self.loop.remove_writer(self.out)
            self.watching = False
        os.close(self.out)


def _file_part(message, fh) -> tuple[int, int]:
    offset = int(message.get("offset", 0))
    count = message.get("count")
    return offset, os.fstat(fh.fileno()).st_size - offset if count is None else int(count)


class _HeldWrites:
    """Stands in for the transport while uvicorn writes a response's head."""

    __slots__ = ("data",)

    def __init__(self) -> None:
        self.data = b""

    def write(self, data: bytes) -> None:
        self.data += data


class _HeadFirst:
    """The transport, writing a held head in front of the first write."""

    __slots__ = ("transport", "head")

    def __init__(self, transport: asyncio.Transport, head: bytes) -> None:
        self.transport = transport
        self.head = head

    def write(self, data: bytes) -> None:
        head, self.head = self.head, b""
        self.transport.write(head + data if head else data)

    def close(self) -> None:
        if self.head:
            self.write(b"")
        self.transport.close()

    def __getattr__(self, name: str):
        return getattr(self.transport, name)


class _FileMessages:
    """The one way both protocols' cycles send a file message (``hub.sendfile``,
    ``http.response.pathsend``): wait for the transport, send the file's part
    as the protocol frames a body (:meth:`file_body`), say in the message how
    many bytes went out (``sent``), then end the response as the protocol
    ends one (:meth:`end_body`) and hand the connection on, or close it."""

    async def send_file_message(self, message) -> None:
        cycle = cast(Any, self)
        if cycle.flow.write_paused and not cycle.disconnected:
            await cycle.flow.drain()
        sent = 0
        if not cycle.disconnected:
            with open(message["path"], "rb") as fh:
                offset, count = _file_part(message, fh)
                sent = await self.file_body(fh, offset, count)
        message["sent"] = sent
        if cycle.disconnected:
            cycle.transport.close()
            return
        if message.get("more_body"):
            return  # more of the body follows (a ZIP's next header, hub.web.archive_response)
        keep_alive = self.end_body()
        cycle.response_complete = True
        cycle.message_event.set()
        if not keep_alive:
            cycle.transport.close()
        cycle.on_response()

    async def file_body(self, fh: BinaryIO, offset: int, count: int) -> int:
        """Send ``count`` bytes of ``fh`` from ``offset`` as this protocol
        frames a body; the bytes that went out."""
        raise NotImplementedError

    def end_body(self) -> bool:
        """Write the end of the response; whether the connection stays open."""
        raise NotImplementedError


class SendfileHttpToolsCycle(_FileMessages, httptools_impl.RequestResponseCycle):
    head = b""
    """The response's status line and headers, until its body's first bytes
    go with them: one write (one system call, one packet) for a small answer."""

    async def send(self, message) -> None:
        if message["type"] == "http.response.start" and not self.response_started:
            if self.flow.write_paused and not self.disconnected:
                await self.flow.drain()
            held = _HeldWrites()
            transport, self.transport = self.transport, cast(asyncio.Transport, held)
            try:
                await super().send(message)
            finally:
                self.transport = transport
            self.head = held.data
            return
        if self.head:
            head, self.head = self.head, b""
            if message["type"] != "http.response.body" or not message.get("body") or self.scope["method"] == "HEAD":
                # A file, or no bytes to go with: the head goes first, alone.
                if not self.disconnected:
                    self.transport.write(head)
            else:
                # uvicorn writes these bytes at once, in one write.
                transport, self.transport = self.transport, cast(asyncio.Transport, _HeadFirst(self.transport, head))
                try:
                    await super().send(message)
                finally:
                    self.transport = transport
                return
        if message["type"] not in EXTENSIONS or not self.response_started or self.response_complete:
            return await super().send(message)
        await self.send_file_message(message)

    async def file_body(self, fh: BinaryIO, offset: int, count: int) -> int:
        if self.scope["method"] == "HEAD":
            self.expected_content_length = 0
            return 0
        if count <= 0:
            return 0
        if self.chunked_encoding:
            self.transport.write(b"%x\r\n" % count)
        elif count > self.expected_content_length:
            raise RuntimeError("Response content longer than Content-Length")
        else:
            self.expected_content_length -= count
        sent = await send_file(self.transport, fh, offset, count)
        if sent < count:
            self.disconnected = True
        elif self.chunked_encoding:
            self.transport.write(b"\r\n")
        return sent

    def end_body(self) -> bool:
        if self.chunked_encoding:
            self.transport.write(b"0\r\n\r\n")
        elif self.expected_content_length != 0:
            raise RuntimeError("Response content shorter than Content-Length")
        return bool(self.keep_alive)


class SendfileHttpToolsProtocol(httptools_impl.HttpToolsProtocol):
    """``uvicorn.run(app, http=SendfileHttpToolsProtocol, loop="uvloop")``: what ``serve`` runs."""

    def on_headers_complete(self) -> None:
        before = self.cycle
        super().on_headers_complete()
        _teach(self.cycle, before, httptools_impl.RequestResponseCycle, SendfileHttpToolsCycle)


class _Body:
    """What h11 is told the body is: only its length matters (h11's data passthrough)."""

    __slots__ = ("size",)

    def __init__(self, size: int) -> None:
        self.size = size

    def __len__(self) -> int:
        return self.size


class SendfileH11Cycle(_FileMessages, h11_impl.RequestResponseCycle):
    async def send(self, message) -> None:
        if message["type"] not in EXTENSIONS or not self.response_started or self.response_complete:
            return await super().send(message)
        await self.send_file_message(message)

    async def file_body(self, fh: BinaryIO, offset: int, count: int) -> int:
        if self.scope["method"] == "HEAD" or count <= 0:
            return 0
        sent = 0
        try:
            # h11 passes a Data event's object through (typed bytes, any sized object
            # works); its answer is None only for ConnectionClosed.
            body = h11.Data(data=_Body(count))  # type: ignore[arg-type]
            for piece in self.conn.send_with_data_passthrough(body) or ():
                if isinstance(piece, _Body):
                    sent = await send_file(self.transport, fh, offset, count)
                    if sent < count:
                        self.disconnected = True
                        break
                else:
                    self.transport.write(piece)  # chunk framing, if any
        except (ConnectionError, OSError):
            self.disconnected = True
        return sent

    def end_body(self) -> bool:
        self.transport.write(self.conn.send(event=h11.EndOfMessage()))
        if self.conn.our_state is h11.MUST_CLOSE or not self.keep_alive:
            self.conn.send(event=h11.ConnectionClosed())
            return False
        return True


class SendfileH11Protocol(h11_impl.H11Protocol):
    """``uvicorn.run(app, http=SendfileH11Protocol)``: the same extensions on h11."""

    def handle_events(self) -> None:
        before = self.cycle
        super().handle_events()
        _teach(self.cycle, before, h11_impl.RequestResponseCycle, SendfileH11Cycle)


def _teach(
    cycle: httptools_impl.RequestResponseCycle | h11_impl.RequestResponseCycle | None, before: object, plain: type, taught: type
) -> None:
    """Give a request's new cycle the sendfile extensions. Its task is created
    but has not started yet: it will call the new class's ``send``."""
    if cycle is not None and cycle is not before and type(cycle) is plain:
        cycle.__class__ = taught
        cycle.scope.setdefault("extensions", {}).update({name: {} for name in EXTENSIONS})
