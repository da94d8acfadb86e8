"""``POST /plugins/shopify/webhook``: verify, store, answer.

Shopify signs the raw body: ``X-Shopify-Hmac-Sha256`` is the base64
HMAC-SHA256 of it with the app's secret (any configured secret may match).
The topic (``X-Shopify-Topic``), the shop (``X-Shopify-Shop-Domain``) and
the event's id (``X-Shopify-Event-Id``, the same on every retry: the key
that makes a replay a no-op) come in headers. A verified event is stored in
the hub's inbox for the organization its shop maps to, and answered 200; a
bad signature, a missing header or an unknown shop is a 400 that stores
nothing (Shopify retries, up to 8 times over 4 hours).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from collections.abc import Mapping
from typing import Any

from litestar import Request, post
from litestar.handlers import HTTPRouteHandler

from hub.plugin_api import BadRequest, Hub, decode_json, organization_for, store_event

from .config import ORG, SHOPS, ShopifyConfig

log = logging.getLogger("hub.plugins.shopify")

PROVIDER = "shopify"
WEBHOOK_PATH = "/plugins/shopify/webhook"
MAX_BODY_BYTES = 2 * 1024 * 1024  # an order with many lines is tens of kilobytes
MAX_ID_LENGTH = 255


def signature_of(body: bytes, secret: str) -> str:
    """The ``X-Shopify-Hmac-Sha256`` Shopify sends with ``body``."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def verify(body: bytes, signature: str | None, secrets: tuple[str, ...]) -> None:
    """:class:`BadRequest` unless ``signature`` is the body's HMAC with one of ``secrets``."""
    if not signature:
        raise BadRequest("Missing X-Shopify-Hmac-Sha256: the body is not signed")
    for secret in secrets:
        if hmac.compare_digest(signature_of(body, secret).encode(), signature.strip().encode()):
            return
    log.warning("Shopify webhook refused: the signature matches no configured secret")
    raise BadRequest("Invalid X-Shopify-Hmac-Sha256: the body was not signed with this shop's secret")


def payment_key(topic: str, body: dict[str, Any]) -> str:
    """The order an event is about (its events are processed in order)."""
    order = body.get("id") if topic.startswith("orders/") else body.get("order_id")
    return str(order)[:MAX_ID_LENGTH] if isinstance(order, int | str) and not isinstance(order, bool) else ""


class ShopifyWebhook:
    """Verifies and stores Shopify's events for one hub."""

    def __init__(self, config: ShopifyConfig) -> None:
        self.config = config

    async def organization(self, hub: Hub, shop: str) -> str:
        if self.config.shops:
            org = self.config.shops.get(shop)
            if org is None:
                raise BadRequest(f"Shop {shop[:100]!r} is not connected to this hub: add it to {SHOPS}")
            return await organization_for(PROVIDER, org, setting=SHOPS, db=hub.db)
        return await organization_for(PROVIDER, self.config.org, setting=ORG, db=hub.db)

    async def receive(self, hub: Hub, body: bytes, headers: Mapping[str, str]) -> dict[str, Any]:
        """Verify one delivery and store it (once); the answer for Shopify."""
        verify(body, headers.get("x-shopify-hmac-sha256"), self.config.webhook_secrets)
        topic = (headers.get("x-shopify-topic") or "").strip()
        shop = (headers.get("x-shopify-shop-domain") or "").strip().lower()
        event_id = (headers.get("x-shopify-event-id") or "").strip()
        if not topic or not shop or not 0 < len(event_id) <= MAX_ID_LENGTH:
            raise BadRequest("A Shopify webhook needs X-Shopify-Topic, X-Shopify-Shop-Domain and X-Shopify-Event-Id")
        payload = decode_json(body, what="The body of the Shopify webhook")
        if not isinstance(payload, dict):
            raise BadRequest("The body of the Shopify webhook is not a JSON object")
        org = await self.organization(hub, shop)
        stored = await store_event(
            hub,
            provider=PROVIDER,
            event_id=event_id,
            event_type=topic,
            org=org,
            payment_key=payment_key(topic, payload),
            payload={"shop": shop, "topic": topic, "body": payload},
        )
        note = "stored; the hub processes it shortly" if stored else "already received"
        return {"received": True, "duplicate": not stored, "note": note}


def webhook_route(webhook: ShopifyWebhook) -> HTTPRouteHandler:
    """The route Shopify posts to."""

    @post(WEBHOOK_PATH, status_code=200, include_in_schema=False, request_max_body_size=MAX_BODY_BYTES)
    async def shopify_webhook(request: Request, hub: Hub) -> dict:
        return await webhook.receive(hub, await request.body(), request.headers)

    return shopify_webhook
