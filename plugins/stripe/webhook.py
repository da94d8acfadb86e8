"""The webhook endpoint: ``POST /plugins/stripe/webhook``.

Each delivery is verified (``Stripe-Signature``, by the stripe library),
assigned to an organization, and acted on exactly once through
:mod:`hub.services.fulfillment`, which stores the event id in the same
transaction as what the event does:

- ``checkout.session.completed`` (unless its ``payment_status`` is
  ``unpaid``: a delayed payment method, still pending) and
  ``checkout.session.async_payment_succeeded`` record the purchase; the
  Checkout Session id is the provider reference, so whichever arrives
  second finds the purchase already there;
- ``charge.refunded`` for the whole amount revokes the purchase's tokens;
- everything else is stored and acknowledged.

The answer is 200 ``{"received": true, ...}`` once the event is stored (or
was already). A 400 stores nothing, and Stripe delivers the event again
later: a bad or stale signature, or a problem the shop must fix (which
organization, Stripe's API unreachable).
"""

from __future__ import annotations

import json
import logging
from typing import Any

import stripe
from litestar import Request, post
from litestar.handlers import HTTPRouteHandler

from hub.context import Hub
from hub.errors import BadRequest
from hub.services.fulfillment import Outcome, WebhookEventIn, acknowledge, already_seen, fulfil, refund, seen_before
from hub.tables import Organization
from plugins.stripe.api import StripeApi
from plugins.stripe.checkout import (
    PROVIDER,
    is_full_refund,
    items_from_session_metadata,
    object_id,
    order_from_session,
    session_paid_by,
)
from plugins.stripe.config import ORG, StripeConfig

log = logging.getLogger("hub.plugins.stripe")

WEBHOOK_PATH = "/plugins/stripe/webhook"
TOLERANCE_SECONDS = stripe.Webhook.DEFAULT_TOLERANCE
MAX_ID_LENGTH = 255  # the columns that keep Stripe's ids


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
    try:
        event = json.loads(text)
    except ValueError:
        raise BadRequest("The body is not a Stripe event (not JSON)") from None
    data = event.get("data") if isinstance(event, dict) else None
    if not (
        isinstance(data, dict)
        and isinstance(data.get("object"), dict)
        and isinstance(event.get("id"), str)
        and 0 < len(event["id"]) <= MAX_ID_LENGTH
        and isinstance(event.get("type"), str)
    ):
        raise BadRequest("The body is not a Stripe event (it needs id, type and data.object)")
    return event


async def organization_for(config: StripeConfig) -> str:
    """The organization Stripe's orders belong to: ``HUB_STRIPE_ORG``, or
    the only one there is."""
    if config.org:
        if not await Organization.exists().where(Organization.id == config.org):
            raise BadRequest(f"{ORG} is {config.org!r}, but no organization has that id: set {ORG} to an existing one")
        return config.org
    found = await Organization.select(Organization.id).limit(2)
    if len(found) == 1:
        return found[0]["id"]
    reason = "no organization exists yet" if not found else "this hub has several organizations"
    raise BadRequest(f"Cannot tell which organization this Stripe event is for ({reason}): set {ORG} to its id")


def may_ask_stripe(event_type: str, obj: dict[str, Any]) -> bool:
    """Whether acting on the event may call Stripe's API: a paid session
    without ``continuata_products`` metadata (its line items), or a refund."""
    if event_type in ("checkout.session.completed", "checkout.session.async_payment_succeeded"):
        return not items_from_session_metadata(obj)
    return event_type == "charge.refunded"


class StripeWebhook:
    """Acts on verified Stripe events for one hub."""

    def __init__(self, config: StripeConfig, api: StripeApi) -> None:
        self.config = config
        self.api = api

    async def receive(self, hub: Hub, body: bytes, signature: str | None) -> Outcome:
        """Verify one delivery and act on it (at most once)."""
        event = verify_event(body, signature, self.config.webhook_secrets)
        org = await organization_for(self.config)
        record = WebhookEventIn(provider=PROVIDER, event_id=event["id"], event_type=event["type"][:100], org=org)
        obj = event["data"]["object"]
        # Checked here too (fulfil checks again, in its transaction) when the
        # event may need Stripe's API, so a replay never waits for it.
        if may_ask_stripe(event["type"], obj) and await already_seen(PROVIDER, record.event_id):
            return seen_before(PROVIDER)
        if event["type"] in ("checkout.session.completed", "checkout.session.async_payment_succeeded"):
            return await self.checkout_paid(hub, record, obj)
        if event["type"] == "charge.refunded":
            return await self.charge_refunded(hub, record, obj)
        return await acknowledge(hub, record, f"{event['type']} needs nothing from the hub")

    async def checkout_paid(self, hub: Hub, record: WebhookEventIn, session: dict[str, Any]) -> Outcome:
        session_id = object_id(session.get("id"))
        if not session_id or len(session_id) > MAX_ID_LENGTH:
            raise BadRequest("The event's Checkout Session has no id")
        if record.event_type == "checkout.session.completed" and session.get("payment_status") == "unpaid":
            # A delayed payment method (bank debit...): the money is not in
            # yet; checkout.session.async_payment_succeeded will follow.
            return await acknowledge(hub, record, f"Checkout Session {session_id} is not paid yet")
        if session.get("mode") == "setup":
            return await acknowledge(hub, record, f"Checkout Session {session_id} only saves a payment method")
        order = await order_from_session(record.org, {**session, "id": session_id}, self.api)
        return await fulfil(hub, record, order)

    async def charge_refunded(self, hub: Hub, record: WebhookEventIn, charge: dict[str, Any]) -> Outcome:
        charge_id = object_id(charge.get("id")) or "?"
        if not is_full_refund(charge):
            return await acknowledge(hub, record, f"partial refund of charge {charge_id}: the links stay valid")
        payment_intent = object_id(charge.get("payment_intent"))
        if not payment_intent:
            return await acknowledge(hub, record, f"charge {charge_id} was not paid through Checkout")
        session_id = await session_paid_by(hub, record.org, payment_intent, self.api)
        if not session_id:
            return await acknowledge(hub, record, f"no Checkout Session made payment {payment_intent}")
        return await refund(hub, record, session_id)


def webhook_route(hub: Hub, webhook: StripeWebhook) -> HTTPRouteHandler:
    """The route Stripe posts to (``stripe listen --forward-to <hub>/plugins/stripe/webhook``)."""

    @post(WEBHOOK_PATH, status_code=200, include_in_schema=False)
    async def stripe_webhook(request: Request) -> dict:
        outcome = await webhook.receive(hub, await request.body(), request.headers.get("stripe-signature"))
        answer: dict[str, Any] = {"received": True, "duplicate": outcome.duplicate, "note": outcome.note}
        if outcome.purchase:
            answer["purchaseId"] = outcome.purchase["id"]
        return answer

    return stripe_webhook
