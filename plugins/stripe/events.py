"""What each stored Stripe event does, run by the worker (never in the
webhook's request): Stripe's events translated into the core's calls.

- ``checkout.session.completed`` (unless its ``payment_status`` is
  ``unpaid``: a delayed payment method, still pending) and
  ``checkout.session.async_payment_succeeded`` record the purchase
  (:func:`hub.plugin_api.record_purchase`); the Checkout Session id
  is the provider reference, so whichever arrives second finds the purchase
  already there. The line items are read from Stripe's API here when the
  session names no products.
- ``charge.refunded`` for the whole amount: a refund of the payment;
- ``charge.refund.updated`` / ``refund.updated`` with status ``failed`` or
  ``canceled``, and ``refund.failed``: the refund did not happen, access
  comes back;
- ``charge.dispute.created``: a dispute opened, the purchase is on hold;
- ``charge.dispute.closed``: ``lost`` revokes the purchase, any other
  outcome (``won``, ``warning_closed``) restores it.

Set aside before anything else (stored, noted ``ignored: …``, never sold
nor reversed): an event of another Stripe account than the shop's own
(its ``account``, which Stripe sets on a Connect platform's events of its
connected accounts; the shop's own is ``HUB_STRIPE_ACCOUNT_ID``), and, with
``HUB_STRIPE_REFUSE_TEST_EVENTS=true``, a test-mode event (``livemode``
false). A test-mode payment otherwise becomes a purchase marked as such
(``livemode`` false).

Refunds and disputes are reversals of the PaymentIntent
(:func:`hub.plugin_api.record_reversal`), kept even when the
purchase is not known yet, and stamped with the event's ``created`` time,
so that whatever order Stripe delivers them in, the end state is the same.
Everything else is noted and done.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hub.plugin_api import (
    DISPUTE_LOST,
    DISPUTE_OPENED,
    DISPUTE_WON,
    ORDER,
    REFUND,
    REFUND_CANCELLED,
    Hub,
    ReceivedEvent,
    ReversalIn,
    find_purchase,
    record_purchase,
    record_reference,
    record_reversal,
)

from .api import StripeApi
from .checkout import (
    PAYMENT_INTENT,
    PROVIDER,
    is_full_refund,
    object_id,
    order_from_session,
    session_paid_by,
)
from .config import ACCOUNT_ID, REFUSE_TEST_EVENTS, StripeConfig

PAID_EVENTS = ("checkout.session.completed", "checkout.session.async_payment_succeeded")
REFUND_UPDATES = ("charge.refund.updated", "refund.updated", "refund.failed")
REFUND_UNDONE = ("failed", "canceled")


def occurred_at(event: ReceivedEvent) -> datetime:
    """When the event happened at Stripe (its ``created``), else when it came."""
    created = event.payload.get("created")
    if isinstance(created, int) and not isinstance(created, bool) and created > 0:
        return datetime.fromtimestamp(created, UTC)
    return event.received_at


def is_live(event: ReceivedEvent) -> bool:
    """Whether Stripe sent the event in live mode (``livemode`` true)."""
    return event.payload.get("livemode") is True


class StripeEvents:
    """Processes stored Stripe events for one hub."""

    def __init__(self, api: StripeApi, config: StripeConfig) -> None:
        self.api = api
        self.config = config

    def set_aside(self, event: ReceivedEvent) -> str | None:
        """Why the hub must not act on ``event`` (the outcome to note), or
        None when it may."""
        account = event.payload.get("account")
        if account is not None and account != self.config.account_id:
            shown = object_id(account) or "?"
            own = ACCOUNT_ID if self.config.account_id else f"{ACCOUNT_ID} is not set"
            return f"ignored: event of connected account {shown}, not the shop's own ({own})"
        if self.config.refuse_test_events and not is_live(event):
            return f"ignored: test-mode event refused by {REFUSE_TEST_EVENTS}"
        return None

    async def process(self, hub: Hub, event: ReceivedEvent) -> str:
        refused = self.set_aside(event)
        if refused:
            return refused
        obj = event.payload["data"]["object"]
        kind = event.event_type
        if kind in PAID_EVENTS:
            return await self.checkout_paid(hub, event, obj)
        if kind == "charge.refunded":
            if not is_full_refund(obj):
                return f"partial refund of charge {object_id(obj.get('id')) or '?'}: the links stay valid"
            # Each charge.refunded is its own reversal: a charge refunded in
            # full again after a refund failed must count again.
            return await self.reversal(hub, event, obj, REFUND, event.event_id)
        if kind in REFUND_UPDATES:
            if kind != "refund.failed" and obj.get("status") not in REFUND_UNDONE:
                return f"refund {object_id(obj.get('id')) or '?'} is {obj.get('status')}: nothing changes"
            return await self.reversal(hub, event, obj, REFUND_CANCELLED, object_id(obj.get("id")))
        if kind == "charge.dispute.created":
            return await self.reversal(hub, event, obj, DISPUTE_OPENED, object_id(obj.get("id")))
        if kind == "charge.dispute.closed":
            outcome = DISPUTE_LOST if obj.get("status") == "lost" else DISPUTE_WON
            return await self.reversal(hub, event, obj, outcome, object_id(obj.get("id")))
        return f"{kind} needs nothing from the hub"

    async def checkout_paid(self, hub: Hub, event: ReceivedEvent, session: dict[str, Any]) -> str:
        session_id = object_id(session.get("id"))
        if not session_id:
            return "the event's Checkout Session has no id: nothing to record"
        if event.event_type == "checkout.session.completed" and session.get("payment_status") == "unpaid":
            # A delayed payment method (bank debit...): the money is not in
            # yet; checkout.session.async_payment_succeeded will follow.
            return f"Checkout Session {session_id} is not paid yet"
        if session.get("mode") == "setup":
            return f"Checkout Session {session_id} only saves a payment method"
        if await find_purchase(event.org, provider=PROVIDER, kind=ORDER, reference=session_id):
            # The other paid event recorded it: no need to ask Stripe again.
            return f"Checkout Session {session_id} is already recorded"
        order = await order_from_session(event.org, {**session, "id": session_id}, self.api, livemode=is_live(event))
        return (await record_purchase(hub, order)).note

    async def reversal(self, hub: Hub, event: ReceivedEvent, obj: dict[str, Any], kind: str, reference: str | None) -> str:
        payment_intent = object_id(obj.get("payment_intent"))
        if not payment_intent:
            return f"{event.event_type} names no PaymentIntent (not paid through Checkout): nothing to do"
        await self.link_recorded_purchase(hub, event.org, payment_intent)
        return await record_reversal(
            hub,
            ReversalIn(
                org=event.org,
                provider=PROVIDER,
                payment_ref=payment_intent,
                kind=kind,
                reference=reference or payment_intent,
                occurred_at=occurred_at(event),
            ),
        )

    async def link_recorded_purchase(self, hub: Hub, org: str, payment_intent: str) -> None:
        """Make sure a purchase this hub recorded for ``payment_intent`` is
        known under it: one whose session did not name its PaymentIntent
        when it was recorded (Stripe's API then tells which session it paid)."""
        if await find_purchase(org, provider=PROVIDER, reference=payment_intent):
            return
        session_id = await session_paid_by(payment_intent, self.api)
        purchase = await find_purchase(org, provider=PROVIDER, kind=ORDER, reference=session_id) if session_id else None
        if purchase is not None:
            await record_reference(org, purchase["id"], provider=PROVIDER, kind=PAYMENT_INTENT, reference=payment_intent)
