"""The webhook endpoint: ``POST /plugins/stripe/webhook``: verify, store, answer.

Each delivery is verified (``Stripe-Signature``, by the stripe library),
assigned to an organization and stored in the hub's inbox
(:func:`hub.plugin_api.store_event`); the worker processes it later
(:mod:`continuata_plugins.stripe.events`). The answer is 200 ``{"received": true,
"duplicate": ..., "note": ...}`` once the event is stored (or was already):
nothing is lost after a 200, and no Stripe API call delays it. A 400 stores
nothing, and Stripe delivers the event again later: a bad or stale
signature, a body that is not a Stripe event, or an organization the shop
must name (``HUB_STRIPE_ORG``).
"""

from __future__ import annotations

import logging
from typing import Any

import stripe
from litestar import Request, post
from litestar.handlers import HTTPRouteHandler

from hub.plugin_api import BadRequest, Hub, decode_json, organization_for, store_event

from .checkout import PROVIDER, object_id
from .config import ORG, StripeConfig

log = logging.getLogger("hub.plugins.stripe")

WEBHOOK_PATH = "/plugins/stripe/webhook"
TOLERANCE_SECONDS = stripe.Webhook.DEFAULT_TOLERANCE
MAX_ID_LENGTH = 255  # the columns that keep Stripe's ids
MAX_BODY_BYTES = 1024 * 1024  # Stripe's events are a few kilobytes


def verify_event(body: bytes, signature: str | None, secrets: tuple[str, ...]) -> dict[str, Any]:
    """The event ``body`` holds, once ``signature`` proves Stripe sent it
    recently; :class:`BadRequest` otherwise.

    Any one ``v1`` signature made with any one of ``secrets`` will do
    (Stripe signs with two secrets while one is being rolled); only a
    timestamp older than the tolerance is refused.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("The body is not a Stripe event (not UTF-8 text)") from None
    signed_with = None
    problem: stripe.SignatureVerificationError | None = None
    for secret in secrets:
        try:
            # Signature first, for each secret; the age is checked once below.
            stripe.WebhookSignature.verify_header(text, signature, secret, tolerance=None)
        except stripe.SignatureVerificationError as refused:
            problem = problem or refused
            continue
        signed_with = secret
        break
    try:
        if signed_with is None:
            raise problem or stripe.SignatureVerificationError("No webhook secret is configured", signature, text)
        stripe.WebhookSignature.verify_header(text, signature, signed_with, tolerance=TOLERANCE_SECONDS)
    except stripe.SignatureVerificationError as refused:
        log.warning("Stripe webhook refused: %s", refused.user_message or refused)
        raise BadRequest(f"Invalid Stripe-Signature: {refused.user_message or refused}") from None
    event = decode_json(text, what="The body of the Stripe event")
    data = event.get("data") if isinstance(event, dict) else None
    event_id = event.get("id") if isinstance(event, dict) else None
    if not (
        isinstance(event, dict)
        and isinstance(data, dict)
        and isinstance(data.get("object"), dict)
        and isinstance(event_id, str)
        and 0 < len(event_id) <= MAX_ID_LENGTH
        and isinstance(event.get("type"), str)
    ):
        raise BadRequest("The body is not a Stripe event (it needs id, type and data.object)")
    return event


def payment_key(obj: dict[str, Any]) -> str:
    """The PaymentIntent an event's object belongs to, as far as the payload
    says (a Checkout Session, a charge, a refund and a dispute all name it);
    the events of one payment are processed in order."""
    return (
        object_id(obj.get("payment_intent"))
        or object_id(obj.get("charge"))
        or (object_id(obj.get("id")) or "")
    )[:MAX_ID_LENGTH]


class StripeWebhook:
    """Verifies and stores Stripe's events for one hub."""

    def __init__(self, config: StripeConfig) -> None:
        self.config = config

    async def receive(self, hub: Hub, body: bytes, signature: str | None) -> dict[str, Any]:
        """Verify one delivery and store it (once); the answer for Stripe."""
        event = verify_event(body, signature, self.config.webhook_secrets)
        org = await organization_for(PROVIDER, self.config.org, setting=ORG, db=hub.db)
        stored = await store_event(
            hub,
            provider=PROVIDER,
            event_id=event["id"],
            event_type=event["type"],
            org=org,
            payment_key=payment_key(event["data"]["object"]),
            payload=event,
        )
        note = "stored; the hub processes it shortly" if stored else "already received"
        return {"received": True, "duplicate": not stored, "note": note}


def webhook_route(hub: Hub, webhook: StripeWebhook) -> HTTPRouteHandler:
    """The route Stripe posts to (``stripe listen --forward-to <hub>/plugins/stripe/webhook``)."""

    @post(WEBHOOK_PATH, status_code=200, include_in_schema=False, request_max_body_size=MAX_BODY_BYTES)
    async def stripe_webhook(request: Request) -> dict:
        return await webhook.receive(hub, await request.body(), request.headers.get("stripe-signature"))

    return stripe_webhook
