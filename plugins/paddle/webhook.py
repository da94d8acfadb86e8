"""``POST /plugins/paddle/webhook``: verify, store, answer.

``Paddle-Signature: ts=1671552777;h1=eb4d…``: each ``h1`` is the hex
HMAC-SHA256 of ``"<ts>:<raw body>"`` with the destination's secret key.
While a secret is rotated Paddle sends several ``h1``: any one made with
any configured secret will do. A ``ts`` older than the tolerance
(``HUB_PADDLE_TOLERANCE_SECONDS``) is refused. A verified event is stored
in the hub's inbox under its ``event_id`` (a replay is a no-op) and
answered 200; a refusal (400) stores nothing and Paddle retries.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from typing import Any

from litestar import Request, post
from litestar.handlers import HTTPRouteHandler

from hub.plugin_api import BadRequest, Hub, decode_json, organization_for, store_event

from .config import ORG, PaddleConfig

log = logging.getLogger("hub.plugins.paddle")

PROVIDER = "paddle"
WEBHOOK_PATH = "/plugins/paddle/webhook"
MAX_BODY_BYTES = 1024 * 1024
MAX_ID_LENGTH = 255


def signature_header(body: bytes, secret: str, timestamp: int | None = None) -> str:
    """The ``Paddle-Signature`` Paddle sends with ``body`` (for tests and tools)."""
    ts = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{ts}:".encode() + body, hashlib.sha256).hexdigest()
    return f"ts={ts};h1={digest}"


def verify(body: bytes, header: str | None, secrets: tuple[str, ...], tolerance: int) -> None:
    if not header:
        raise BadRequest("Missing Paddle-Signature: the body is not signed")
    ts, signatures = None, []
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == "ts":
            ts = value.strip()
        elif key == "h1":
            signatures.append(value.strip().lower())
    if ts is None or not ts.isdigit() or not signatures:
        raise BadRequest("Invalid Paddle-Signature: it needs ts=…;h1=…")
    signed = f"{ts}:".encode() + body
    expected = [hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest().encode() for secret in secrets]
    if not any(hmac.compare_digest(e, s.encode()) for e in expected for s in signatures):
        log.warning("Paddle webhook refused: the signature matches no configured secret")
        raise BadRequest("Invalid Paddle-Signature: the body was not signed with this destination's secret key")
    if time.time() - int(ts) > tolerance:
        raise BadRequest(f"Invalid Paddle-Signature: ts is more than {tolerance} seconds old")


def payment_key(event_type: str, data: dict[str, Any]) -> str:
    """The transaction an event is about (its events are processed in order)."""
    key = data.get("id") if event_type.startswith("transaction.") else data.get("transaction_id")
    return key[:MAX_ID_LENGTH] if isinstance(key, str) else ""


class PaddleWebhook:
    def __init__(self, config: PaddleConfig) -> None:
        self.config = config

    async def receive(self, hub: Hub, body: bytes, signature: str | None) -> dict[str, Any]:
        verify(body, signature, self.config.webhook_secrets, self.config.tolerance)
        event = decode_json(body, what="The body of the Paddle event")
        event_id = event.get("event_id") if isinstance(event, dict) else None
        event_type = event.get("event_type") if isinstance(event, dict) else None
        data = event.get("data") if isinstance(event, dict) else None
        if not (isinstance(event, dict) and isinstance(event_id, str) and 0 < len(event_id) <= MAX_ID_LENGTH
                and isinstance(event_type, str) and event_type and isinstance(data, dict)):
            raise BadRequest("The body is not a Paddle event (it needs event_id, event_type and data)")
        org = await organization_for(PROVIDER, self.config.org, setting=ORG, db=hub.db)
        stored = await store_event(
            hub, provider=PROVIDER, event_id=event_id, event_type=event_type, org=org,
            payment_key=payment_key(event_type, data), payload=event,
        )
        note = "stored; the hub processes it shortly" if stored else "already received"
        return {"received": True, "duplicate": not stored, "note": note}


def webhook_route(webhook: PaddleWebhook) -> HTTPRouteHandler:
    @post(WEBHOOK_PATH, status_code=200, include_in_schema=False, request_max_body_size=MAX_BODY_BYTES)
    async def paddle_webhook(request: Request, hub: Hub) -> dict:
        return await webhook.receive(hub, await request.body(), request.headers.get("paddle-signature"))

    return paddle_webhook
