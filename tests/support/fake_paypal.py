"""A fake of PayPal's REST API on loopback, for the PayPal plugin's tests.

It answers what the plugin asks, the way PayPal does: ``POST /v1/oauth2/token``
(client credentials, HTTP basic auth), ``GET /v2/checkout/orders/{id}``,
``GET /v2/payments/captures/{id}`` (both need the bearer token) and
``POST /v1/notifications/verify-webhook-signature``, which checks the
signature over the ``webhook_event`` bytes as sent against the certificates
it was told about. Every request is recorded in :attr:`FakePayPal.requests`.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from hub.testing.paypal import SigningIdentity


class FakePayPal:
    def __init__(self, client_id: str = "test-client", client_secret: str = "test-secret") -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.url = ""
        self.orders: dict[str, dict[str, Any]] = {}
        self.captures: dict[str, dict[str, Any]] = {}
        self.certificates: dict[str, SigningIdentity] = {}
        """Certificate URL → the identity whose certificate it serves."""
        self.verification_status: str | None = None
        """Force verify-webhook-signature's answer (``"FAILURE"``), or None to check."""
        self.requests: list[tuple[str, str]] = []
        self.tokens: set[str] = set()
        self._lock = threading.Lock()

    def add_order(self, order: dict[str, Any]) -> None:
        """Serve ``order`` and its captures (a capture read alone names its order)."""
        with self._lock:
            self.orders[order["id"]] = order
            for unit in order.get("purchase_units", []):
                for capture in unit.get("payments", {}).get("captures", []):
                    self.captures[capture["id"]] = capture

    def calls(self, method: str, prefix: str) -> int:
        """How many ``method`` requests went to paths starting with ``prefix``."""
        with self._lock:
            return sum(1 for m, p in self.requests if m == method and p.startswith(prefix))

    # --- answers ---

    def answer(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.requests.append((method, path))
        if method == "POST" and path == "/v1/oauth2/token":
            return self._token(headers, body)
        if not self._authorized(headers):
            return 401, {"error": "invalid_token", "error_description": "Token signature verification failed"}
        if method == "GET" and path.startswith("/v2/checkout/orders/"):
            return self._resource(self.orders, path.rsplit("/", 1)[-1])
        if method == "GET" and path.startswith("/v2/payments/captures/"):
            return self._resource(self.captures, path.rsplit("/", 1)[-1])
        if method == "POST" and path == "/v1/notifications/verify-webhook-signature":
            return self._verify(body)
        return 404, {"name": "NOT_FOUND", "message": "The specified resource does not exist."}

    def _token(self, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        grant = parse_qs(body.decode()).get("grant_type", [""])[0]
        if headers.get("authorization") != f"Basic {expected}":
            return 401, {"error": "invalid_client", "error_description": "Client Authentication failed"}
        if grant != "client_credentials":
            return 400, {"error": "unsupported_grant_type", "error_description": "unsupported grant_type"}
        token = f"A21AA{secrets.token_urlsafe(24)}"
        with self._lock:
            self.tokens.add(token)
        return 200, {"scope": "https://uri.paypal.com/services/payments/payment", "access_token": token,
                     "token_type": "Bearer", "app_id": "APP-80W284485P519543T", "expires_in": 32400,
                     "nonce": secrets.token_hex(8)}

    def _authorized(self, headers: dict[str, str]) -> bool:
        value = headers.get("authorization", "")
        with self._lock:
            return value.startswith("Bearer ") and value[len("Bearer "):] in self.tokens

    def _resource(self, store: dict[str, dict[str, Any]], key: str) -> tuple[int, dict[str, Any]]:
        with self._lock:
            found = store.get(key)
        if found is None:
            return 404, {"name": "RESOURCE_NOT_FOUND", "message": "The specified resource does not exist.",
                         "details": [{"issue": "INVALID_RESOURCE_ID"}]}
        return 200, found

    def _verify(self, body: bytes) -> tuple[int, dict[str, Any]]:
        text = body.decode()
        try:
            request = json.loads(text)
            fields = {name: request[name] for name in
                      ("auth_algo", "cert_url", "transmission_id", "transmission_sig", "transmission_time", "webhook_id")}
            event_bytes = _raw_member(text, "webhook_event").encode()
        except (ValueError, KeyError):
            return 400, {"name": "VALIDATION_ERROR", "message": "Invalid request - see details"}
        if self.verification_status is not None:
            return 200, {"verification_status": self.verification_status}
        identity = self.certificates.get(fields["cert_url"])
        if identity is None or fields["auth_algo"] != "SHA256withRSA":
            return 200, {"verification_status": "FAILURE"}
        crc = zlib.crc32(event_bytes) & 0xFFFFFFFF
        message = f"{fields['transmission_id']}|{fields['transmission_time']}|{fields['webhook_id']}|{crc}".encode()
        try:
            identity.certificate.public_key().verify(
                base64.b64decode(fields["transmission_sig"]), message, padding.PKCS1v15(), hashes.SHA256()
            )
        except (InvalidSignature, ValueError):
            return 200, {"verification_status": "FAILURE"}
        return 200, {"verification_status": "SUCCESS"}


def _raw_member(text: str, name: str) -> str:
    """The JSON text of the top-level member ``name`` of object ``text``, as sent."""
    decoder = json.JSONDecoder()
    key = f'"{name}"'
    start = text.index(key) + len(key)
    start = text.index(":", start) + 1
    while text[start] in " \t\r\n":
        start += 1
    _, end = decoder.raw_decode(text, start)
    return text[start:end]


@contextmanager
def fake_paypal(**credentials: str) -> Iterator[FakePayPal]:
    """Serve a :class:`FakePayPal` on 127.0.0.1 (a free port) while in the block."""
    fake = FakePayPal(**credentials)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, answer = fake.answer(self.command, self.path.split("?", 1)[0], headers, body)
            payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _serve

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
