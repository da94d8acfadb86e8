"""``POST /plugins/lemonsqueezy/webhook``: verify, store, answer.

Lemon Squeezy signs the raw body: ``X-Signature`` is the hex HMAC-SHA256
of it with the webhook's signing secret (any configured secret may match).
The event's name is ``meta.event_name`` (also sent as ``X-Event-Name``).
Lemon Squeezy gives an event no id, so the inbox keys it on the event
name, the order's id and its ``updated_at``: a retry of the same event is a
no-op, a later change of the order (a refund) is a new event. A bad
signature or a body that is not an event is a 400 that stores nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Mapping
from typing import Any

from litestar import Request, post
from litestar.handlers import HTTPRouteHandler

from hub.plugin_api import BadRequest, Hub, decode_json, organization_for, store_event

from .config import ORG, LemonSqueezyConfig

log = logging.getLogger("hub.plugins.lemonsqueezy")

PROVIDER = "lemonsqueezy"
WEBHOOK_PATH = "/plugins/lemonsqueezy/webhook"
MAX_BODY_BYTES = 1024 * 1024
MAX_ID_LENGTH = 255


def signature_of(body: bytes, secret: str) -> str:
    """The ``X-Signature`` Lemon Squeezy sends with ``body``."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(body: bytes, signature: str | None, secrets: tuple[str, ...]) -> None:
    if not signature:
        raise BadRequest("Missing X-Signature: the body is not signed")
    for secret in secrets:
        if hmac.compare_digest(signature_of(body, secret).encode(), signature.strip().lower().encode()):
            return
    log.warning("Lemon Squeezy webhook refused: the signature matches no configured secret")
    raise BadRequest("Invalid X-Signature: the body was not signed with this webhook's signing secret")


def event_key(event: dict[str, Any], name: str) -> str:
    """The id the inbox keeps the event under: name, object id, ``updated_at``."""
    data = event["data"]
    attributes = data.get("attributes") if isinstance(data.get("attributes"), dict) else {}
    updated = attributes.get("updated_at")
    return f"{name}:{data.get('type', '')}:{data['id']}:{updated if isinstance(updated, str) else ''}"[:MAX_ID_LENGTH]


def parse_event(body: bytes, header_name: str | None) -> tuple[dict[str, Any], str]:
    event = decode_json(body, what="The body of the Lemon Squeezy event")
    meta = event.get("meta") if isinstance(event, dict) else None
    data = event.get("data") if isinstance(event, dict) else None
    name = (meta.get("event_name") if isinstance(meta, dict) else None) or header_name
    object_id = data.get("id") if isinstance(data, dict) else None
    if not (isinstance(event, dict) and isinstance(data, dict) and isinstance(name, str) and name
            and isinstance(object_id, str | int) and not isinstance(object_id, bool) and str(object_id)):
        raise BadRequest("The body is not a Lemon Squeezy event (it needs meta.event_name and data.id)")
    data["id"] = str(object_id)
    return event, name[:100]


class LemonSqueezyWebhook:
    """Verifies and stores Lemon Squeezy's events for one hub."""

    def __init__(self, config: LemonSqueezyConfig) -> None:
        self.config = config

    async def receive(self, hub: Hub, body: bytes, headers: Mapping[str, str]) -> dict[str, Any]:
        verify(body, headers.get("x-signature"), self.config.webhook_secrets)
        event, name = parse_event(body, headers.get("x-event-name"))
        org = await organization_for(PROVIDER, self.config.org, setting=ORG, db=hub.db)
        order_id = event["data"]["id"] if event["data"].get("type") == "orders" else ""
        stored = await store_event(
            hub, provider=PROVIDER, event_id=event_key(event, name), event_type=name, org=org,
            payment_key=order_id[:MAX_ID_LENGTH], payload=event,
        )
        note = "stored; the hub processes it shortly" if stored else "already received"
        return {"received": True, "duplicate": not stored, "note": note}


def webhook_route(webhook: LemonSqueezyWebhook) -> HTTPRouteHandler:
    @post(WEBHOOK_PATH, status_code=200, include_in_schema=False, request_max_body_size=MAX_BODY_BYTES)
    async def lemonsqueezy_webhook(request: Request, hub: Hub) -> dict:
        return await webhook.receive(hub, await request.body(), request.headers)

    return lemonsqueezy_webhook
