"""The hub's server protocols send file bodies zero-copy, on uvloop and asyncio.

A real uvicorn on a loopback port, with a tiny ASGI app that answers with the
sendfile extensions; the bytes the client receives are compared with the file.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import threading
from collections.abc import Iterator

import httpx
import pytest
import uvicorn

from hub.bypasses.sendfile_server import SendfileH11Protocol, SendfileHttpToolsProtocol
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
    with serving(_app(str(path), str(big), sent), protocol, loop) as port:
        yield f"http://127.0.0.1:{port}", data, sent


@contextlib.contextmanager
def serving(app, protocol, loop: str) -> Iterator[int]:
    """uvicorn serving ``app`` with ``protocol`` on ``loop``, in a thread; its port."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, http=protocol, loop=loop, log_level="warning", lifespan="off")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(200):
        if srv.started:
            break
        threading.Event().wait(0.025)
    try:
        yield port
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


async def _small_answers(scope, receive, send):
    """Answers of every shape whose head the httptools cycle holds for the body."""
    if scope["type"] != "http":
        return
    path = scope["path"]
    if path == "/stream":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"", "more_body": True})
        await asyncio.sleep(0.05)
        await send({"type": "http.response.body", "body": b"first ", "more_body": True})
        await send({"type": "http.response.body", "body": b"second"})
        return
    body = b"" if path == "/empty" else f"answer to {path}".encode()
    await send({"type": "http.response.start", "status": 200 if body else 204,
                "headers": [(b"content-length", str(len(body)).encode())] if body else []})
    await send({"type": "http.response.body", "body": body})


@pytest.fixture
def small_server():
    with serving(_small_answers, SendfileHttpToolsProtocol, "uvloop") as port:
        yield port


def _exchange(port: int, raw: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(raw)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


def test_small_answers_of_every_shape_arrive_whole_with_their_head(small_server):
    with httpx.Client(base_url=f"http://127.0.0.1:{small_server}") as client:
        answer = client.get("/hello")
        assert (answer.status_code, answer.text, answer.headers["content-length"]) == (200, "answer to /hello", "16")
        head = client.head("/hello")
        assert (head.status_code, head.content, head.headers["content-length"]) == (200, b"", "16")
        assert client.get("/empty").status_code == 204
        streamed = client.get("/stream")
        assert (streamed.status_code, streamed.text) == (200, "first second")
    # Two requests in one packet, the second closing the connection; then an empty answer that closes it.
    pipelined = _exchange(small_server, b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert pipelined.count(b"HTTP/1.1 200 OK") == 2 and pipelined.endswith(b"answer to /b")
    assert pipelined.index(b"answer to /a") < pipelined.index(b"HTTP/1.1 200 OK", 10)
    closing = _exchange(small_server, b"GET /empty HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert closing.startswith(b"HTTP/1.1 204 No Content\r\n") and closing.endswith(b"\r\n\r\n")
    head_closing = _exchange(small_server, b"HEAD /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert head_closing.startswith(b"HTTP/1.1 200 OK\r\n") and b"content-length: 12" in head_closing


def test_with_fast_lanes_off_serve_runs_uvicorns_own_protocols():
    from hub.cli import server_protocol

    assert server_protocol(True) == (SendfileHttpToolsProtocol, "uvloop")
    assert server_protocol(False) == ("httptools", "uvloop")  # HUB_FAST_LANES=off
