"""A small stand-in for Stripe's API on loopback, for the reads the Stripe
plugin makes through the stripe library:

- ``GET /v1/checkout/sessions/{id}/line_items`` (``expand[]=data.price.product``,
  ``limit``, ``starting_after``), and
- ``GET /v1/checkout/sessions?payment_intent=...``,

answered as Stripe answers them: list objects (``object``, ``data``,
``has_more``, ``url``), errors as ``{"error": {...}}`` with Stripe's status
codes, the secret key checked as a Bearer token. Every request is kept in
:attr:`FakeStripe.requests` so tests can tell whether the API was asked.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

LINE_ITEMS = re.compile(r"^/v1/checkout/sessions/([^/]+)/line_items$")


def line_item(
    *,
    product_id: str | None = None,
    on: str = "price",
    name: str = "Epic Drum Kit",
    amount: int = 1900,
    quantity: int = 1,
    currency: str = "usd",
) -> dict[str, Any]:
    """A line item whose Price (``on="price"``) or Product (``on="product"``)
    carries ``continuata_product_id`` (none when ``product_id`` is None)."""
    metadata = {"continuata_product_id": product_id} if product_id else {}
    product = {
        "id": f"prod_{secrets.token_hex(7)}",
        "object": "product",
        "active": True,
        "metadata": metadata if on == "product" else {},
        "name": name,
    }
    return {
        "id": f"li_{secrets.token_hex(12)}",
        "object": "item",
        "amount_subtotal": amount * quantity,
        "amount_total": amount * quantity,
        "currency": currency,
        "description": name,
        "price": {
            "id": f"price_{secrets.token_hex(12)}",
            "object": "price",
            "active": True,
            "currency": currency,
            "metadata": metadata if on == "price" else {},
            "product": product,
            "type": "one_time",
            "unit_amount": amount,
        },
        "quantity": quantity,
    }


@dataclass
class FakeStripe:
    url: str
    api_key: str
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Checkout Session id → ``{"payment_intent": ..., "line_items": [...]}``."""
    requests: list[tuple[str, dict[str, list[str]]]] = field(default_factory=list)
    """(path, query) of every request received, in order."""
    failing: bool = False
    """Answer every request with a 500 (an outage)."""

    def add_session(
        self, session_id: str, *, line_items: Sequence[dict] = (), payment_intent: str | None = None
    ) -> None:
        self.sessions[session_id] = {"payment_intent": payment_intent, "line_items": list(line_items)}

    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]


def _page(items: list[dict], url: str, query: dict[str, list[str]]) -> dict:
    limit = int(query.get("limit", ["10"])[0])
    after = query.get("starting_after", [None])[0]
    start = next((i + 1 for i, item in enumerate(items) if item["id"] == after), 0) if after else 0
    page = items[start : start + limit]
    return {"object": "list", "data": page, "has_more": start + limit < len(items), "url": url}


def _collapse_product(item: dict, expand: list[str]) -> dict:
    if "data.price.product" in expand:
        return item
    price = dict(item["price"])
    price["product"] = price["product"]["id"]
    return {**item, "price": price}


def _handler(fake: FakeStripe) -> type[BaseHTTPRequestHandler]:
    class StripeApiHandler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep the test output quiet

        def _answer(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Request-Id", f"req_{secrets.token_hex(7)}")
            self.end_headers()
            self.wfile.write(data)

        def _error(self, status: int, message: str, **extra: str) -> None:
            self._answer(status, {"error": {"type": "invalid_request_error", "message": message, **extra}})

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            parts = urlsplit(self.path)
            query: dict[str, list[str]] = {}
            for key, value in parse_qsl(parts.query, keep_blank_values=True):
                # The stripe library sends lists as expand[0]=..., expand[1]=...
                query.setdefault(re.sub(r"\[\d*\]$", "", key), []).append(value)
            fake.requests.append((parts.path, query))
            if self.headers.get("Authorization") != f"Bearer {fake.api_key}":
                self._error(401, "Invalid API Key provided")
                return
            if fake.failing:
                self._answer(500, {"error": {"type": "api_error", "message": "Something went wrong on Stripe's end."}})
                return
            match = LINE_ITEMS.match(parts.path)
            if match:
                session = fake.sessions.get(match.group(1))
                if session is None:
                    self._error(404, f"No such checkout.session: '{match.group(1)}'", code="resource_missing", param="id")
                    return
                items = [_collapse_product(i, query.get("expand", [])) for i in session["line_items"]]
                self._answer(200, _page(items, parts.path, query))
                return
            if parts.path == "/v1/checkout/sessions":
                wanted = query.get("payment_intent", [None])[0]
                found = [
                    {"id": sid, "object": "checkout.session", "payment_intent": s["payment_intent"]}
                    for sid, s in fake.sessions.items()
                    if wanted is None or s["payment_intent"] == wanted
                ]
                self._answer(200, _page(found, parts.path, query))
                return
            self._error(404, f"Unrecognized request URL (GET: {parts.path}).")

    return StripeApiHandler


@contextmanager
def fake_stripe_server(api_key: str = "sk_test_continuata") -> Iterator[FakeStripe]:
    """Serve a :class:`FakeStripe` on a free loopback port until the block ends."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), None)  # type: ignore[arg-type]
    fake = FakeStripe(url=f"http://127.0.0.1:{server.server_address[1]}", api_key=api_key)
    server.RequestHandlerClass = _handler(fake)
    thread = threading.Thread(target=server.serve_forever, name="fake-stripe", daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
