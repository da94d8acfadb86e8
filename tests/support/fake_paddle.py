"""A small stand-in for Paddle Billing's API on loopback: ``GET
/customers/{id}`` answered as Paddle answers it (``{"data": {...}, "meta":
{...}}``; errors as ``{"error": {...}}``), the API key checked as a Bearer
token. Requests are kept in :attr:`FakePaddle.requests`."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class FakePaddle:
    url: str
    api_key: str
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    failing: bool = False


def _handler(fake: FakePaddle) -> type[BaseHTTPRequestHandler]:
    class PaddleApiHandler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _answer(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _error(self, status: int, code: str, detail: str) -> None:
            self._answer(status, {"error": {"type": "request_error", "code": code, "detail": detail},
                                  "meta": {"request_id": "fake"}})

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            fake.requests.append(self.path)
            if self.headers.get("Authorization") != f"Bearer {fake.api_key}":
                self._error(403, "forbidden", "You aren't permitted to perform this request.")
                return
            if fake.failing:
                self._error(500, "internal_error", "Something went wrong.")
                return
            prefix = "/customers/"
            if self.path.startswith(prefix) and self.path[len(prefix):] in fake.customers:
                self._answer(200, {"data": fake.customers[self.path[len(prefix):]], "meta": {"request_id": "fake"}})
                return
            self._error(404, "entity_not_found", f"Entity {self.path} not found")

    return PaddleApiHandler


@contextmanager
def fake_paddle_server(api_key: str = "pdl_test_apikey_continuata") -> Iterator[FakePaddle]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), None)  # type: ignore[arg-type]
    fake = FakePaddle(url=f"http://127.0.0.1:{server.server_address[1]}", api_key=api_key)
    server.RequestHandlerClass = _handler(fake)
    thread = threading.Thread(target=server.serve_forever, name="fake-paddle", daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
