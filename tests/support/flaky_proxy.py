"""A loopback HTTP proxy in front of a real hub that answers the next N
requests itself with a 503 (the main API's envelope), then forwards. It
counts what it was sent, so tests can see which calls a client repeated."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx


class FlakyProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.failures_left = 0
        self.seen: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.url = ""

    def fail_next(self, count: int) -> None:
        with self.lock:
            self.failures_left = count
            self.seen.clear()


def _handler(proxy: FlakyProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _relay(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            payload = self.rfile.read(length) if length else b""
            with proxy.lock:
                proxy.seen[self.command] += 1
                failing = proxy.failures_left > 0
                proxy.failures_left -= failing
            if failing:
                self._answer(503, {"Content-Type": "application/json"}, b'{"success": false, "error": "Service unavailable"}')
                return
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length", "connection")}
            answer = httpx.request(self.command, proxy.upstream + self.path, headers=headers, content=payload, timeout=30)
            keep = {k: v for k, v in answer.headers.items() if k.lower() in ("content-type", "retry-after", "content-disposition")}
            self._answer(answer.status_code, keep, answer.content)

        def _answer(self, status: int, headers: dict[str, str], payload: bytes) -> None:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _relay

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@contextmanager
def flaky_proxy(upstream: str) -> Iterator[FlakyProxy]:
    proxy = FlakyProxy(upstream)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(proxy))
    proxy.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        server.shutdown()
        server.server_close()
