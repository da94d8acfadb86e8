"""The hub's server protocols send file bodies zero-copy, on uvloop and asyncio.

A real uvicorn on a loopback port, with a tiny ASGI app that answers with the
sendfile extensions; the bytes the client receives are compared with the file.
"""

from __future__ import annotations

import asyncio
import os
import threading

import httpx
import pytest
import uvicorn

from hub.web.sendfile_server import SendfileH11Protocol, SendfileHttpToolsProtocol
from tests.support.server import free_port

SIZE = 3 * 1024 * 1024 + 17  # larger than a socket buffer: sendfile must wait for the socket
BIG = 512 * 1024 * 1024  # a sparse file far larger than loopback's socket buffers, for a client that goes away


def _app(path: str, big: str, sent: list):
    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        assert "hub.sendfile" in scope["extensions"]
        query = dict(p.split("=") for p in scope["query_string"].decode().split("&") if p)
        if "chunked" in query:
            headers = [(b"content-type", b"application/octet-stream")]
        else:
            length = int(query.get("count", SIZE))
            headers = [(b"content-length", str(length).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        if "pathsend" in query:
            await send({"type": "http.response.pathsend", "path": path})
            return
        message = {"type": "hub.sendfile", "path": big if "big" in query else path,
                   "offset": int(query.get("offset", 0)), "count": int(query.get("count", SIZE))}
        await send(message)
        sent.append(message["sent"])

    return app


@pytest.fixture(params=["httptools+uvloop", "h11+asyncio"])
def server(request, tmp_path):
    data = os.urandom(SIZE)
    path = tmp_path / "blob"
    path.write_bytes(data)
    big = tmp_path / "big"
    with open(big, "wb") as fh:
        fh.truncate(BIG)
    sent: list[int] = []
    protocol, loop = (SendfileHttpToolsProtocol, "uvloop") if request.param == "httptools+uvloop" else (SendfileH11Protocol, "asyncio")
    port = free_port()
    config = uvicorn.Config(_app(str(path), str(big), sent), host="127.0.0.1", port=port, http=protocol, loop=loop, log_level="warning", lifespan="off")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(200):
        if srv.started:
            break
        threading.Event().wait(0.025)
    try:
        yield f"http://127.0.0.1:{port}", data, sent
    finally:
        srv.should_exit = True
        thread.join(10)


def test_whole_file_range_and_chunked_bodies_arrive_intact(server):
    url, data, sent = server
    with httpx.Client(timeout=10) as client:  # one keep-alive connection for all of them
        assert client.get(f"{url}/?x=1").content == data
        assert client.get(f"{url}/?pathsend=1").content == data
        part = client.get(f"{url}/?offset=1000&count=2000000")
        assert part.content == data[1000:2001000]
        chunked = client.get(f"{url}/?chunked=1")
        assert chunked.headers.get("transfer-encoding") == "chunked" and chunked.content == data
        assert client.head(f"{url}/?x=1").content == b""
    assert sent[:3] == [SIZE, 2_000_000, SIZE]


def test_a_client_that_goes_away_ends_the_transfer_and_says_how_much_went_out(server):
    url, data, sent = server

    async def read_a_little() -> None:
        host, port = url.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(b"GET /?big=1&count=%d HTTP/1.1\r\nhost: x\r\n\r\n" % BIG)
        await reader.read(100_000)
        writer.transport.abort()  # a reset, with most of the file unsent

    asyncio.run(read_a_little())
    for _ in range(200):
        if sent:
            break
        threading.Event().wait(0.025)
    assert sent and 0 < sent[0] < BIG
    with httpx.Client(timeout=10) as client:  # the server still serves others
        assert client.get(f"{url}/?offset=5&count=10").content == data[5:15]
