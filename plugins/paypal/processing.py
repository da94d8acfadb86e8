"""What each stored PayPal event does, run by the worker (never in the
webhook's request): PayPal's events translated into the core's calls.

- ``PAYMENT.CAPTURE.COMPLETED`` (status ``COMPLETED``) and
  ``CHECKOUT.ORDER.COMPLETED`` (with a completed capture) record the order
  (see :mod:`continuata_plugins.paypal.events`); the buyer of a capture is read from
  PayPal's order API here.
- ``PAYMENT.CAPTURE.REFUNDED``: a refund of the capture, when it leaves
  nothing of the capture paid (a partial refund is noted and changes
  nothing). It takes back what the capture paid for: the whole purchase,
  or, for an order with several purchase units, the items of the
  capture's unit (the purchase stays paid until every capture is refunded);
- ``CUSTOMER.DISPUTE.CREATED``: a dispute opened on the capture(s), the
  purchase is on hold;
- ``CUSTOMER.DISPUTE.RESOLVED``: in the buyer's favour revokes the purchase,
  any other outcome restores it.

Refunds and disputes are reversals of the capture
(:func:`hub.plugin_api.record_reversal`), kept even when the
purchase is not known yet and stamped with the event's ``create_time``, so
the order PayPal delivers them in does not change the end state.
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
    Hub,
    ReceivedEvent,
    ReversalIn,
    find_purchase,
    record_purchase,
    record_reference,
    record_reversal,
    references_of,
)

from . import events
from .api import PayPalApi
from .config import PayPalConfig


def occurred_at(event: ReceivedEvent) -> datetime:
    """When the event happened at PayPal (its ``create_time``), else when it came."""
    stamp = event.payload.get("create_time")
    if isinstance(stamp, str):
        try:
            moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        except ValueError:
            moment = None
        if moment is not None:
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return event.received_at


class PayPalEvents:
    """Processes stored PayPal events for one hub."""

    def __init__(self, config: PayPalConfig, api: PayPalApi) -> None:
        self.config = config
        self.api = api

    async def process(self, hub: Hub, event: ReceivedEvent) -> str:
        resource = found if isinstance(found := event.payload.get("resource"), dict) else {}
        kind = event.event_type
        if kind == events.CAPTURE_COMPLETED:
            return await self.capture_completed(hub, event, resource)
        if kind == events.ORDER_COMPLETED:
            purchase = events.purchase_from_order(event.org, resource, livemode=self.config.livemode)
            if purchase is None:
                return "order has no completed capture yet: nothing to deliver"
            return await self.record(hub, purchase)
        if kind == events.CAPTURE_REFUNDED:
            return await self.capture_refunded(hub, event, resource)
        if kind in (events.DISPUTE_CREATED, events.DISPUTE_RESOLVED):
            return await self.dispute(hub, event, resource)
        return f"{kind}: nothing to do"

    async def record(self, hub: Hub, order) -> str:
        return (await record_purchase(hub, order)).note

    async def capture_completed(self, hub: Hub, event: ReceivedEvent, capture: dict[str, Any]) -> str:
        status = capture.get("status")
        if status != events.COMPLETED:
            return f"capture status {status}: nothing to deliver yet"
        order_id = events.order_id_of_capture(capture)
        order = None
        # When CHECKOUT.ORDER.COMPLETED recorded the order first, the buyer is
        # already known: no need to ask PayPal (the core finds the purchase).
        if order_id and not await find_purchase(event.org, provider=events.PROVIDER, kind=ORDER, reference=order_id):
            order = await self.api.get_order(order_id)
        if order is not None and events.has_several_units(order):
            # PayPal captures an order's units together, one capture (and
            # one event) each: the first event records every completed unit,
            # each with its own capture, so the others find it recorded
            # instead of leaving their units undelivered.
            whole = events.purchase_from_order(event.org, order, livemode=self.config.livemode)
            if whole is not None:
                return await self.record(hub, whole)
        return await self.record(
            hub, events.purchase_from_capture(event.org, capture, order, livemode=self.config.livemode)
        )

    async def capture_refunded(self, hub: Hub, event: ReceivedEvent, refund: dict[str, Any]) -> str:
        capture_id = events.capture_id_of_refund(refund)
        if capture_id is None:
            return "refund names no capture: nothing to revoke"
        purchase = await purchase_for_capture(event.org, capture_id)
        whole = None
        if purchase is not None:
            captures = [ref for ref in await references_of(purchase) if ref.kind == events.CAPTURE]
            whole = events.refunds_whole_purchase(refund, purchase, captures=len(captures))
        if whole is None and self.config.has_credentials:
            # The payload cannot tell: PayPal's capture says whether it is
            # REFUNDED or only PARTIALLY_REFUNDED, and names its order.
            capture = await self.api.get_capture(capture_id)
            whole = capture.get("status") == "REFUNDED"
            order_id = events.order_id_of_capture(capture)
            if purchase is None and order_id:
                # A capture of a recorded order the purchase did not list.
                recorded = await find_purchase(event.org, provider=events.PROVIDER, kind=ORDER, reference=order_id)
                if recorded is not None:
                    await record_reference(
                        event.org, recorded["id"], provider=events.PROVIDER, kind=events.CAPTURE, reference=capture_id
                    )
        if whole is False:
            return f"partial refund of capture {capture_id}: the links stay valid"
        reference = events.paypal_id(refund.get("id")) or capture_id
        return await self.reversal(hub, event, capture_id, REFUND, reference)

    async def dispute(self, hub: Hub, event: ReceivedEvent, dispute: dict[str, Any]) -> str:
        captures = events.disputed_captures(dispute)
        if not captures:
            return f"{event.event_type} names no capture of this shop: nothing to do"
        dispute_id = events.paypal_id(dispute.get("dispute_id")) or event.event_id
        if event.event_type == events.DISPUTE_CREATED:
            kind = DISPUTE_OPENED
        else:
            kind = DISPUTE_LOST if events.dispute_lost(dispute) else DISPUTE_WON
        notes = [await self.reversal(hub, event, capture_id, kind, dispute_id) for capture_id in captures]
        return "; ".join(notes)

    async def reversal(self, hub: Hub, event: ReceivedEvent, capture_id: str, kind: str, reference: str) -> str:
        return await record_reversal(
            hub,
            ReversalIn(
                org=event.org,
                provider=events.PROVIDER,
                payment_ref=capture_id,
                kind=kind,
                reference=reference,
                occurred_at=occurred_at(event),
            ),
        )


async def purchase_for_capture(org: str, capture_id: str) -> dict[str, Any] | None:
    """The PayPal purchase paid by ``capture_id``, if the hub has one (its
    captures are kept as its provider references)."""
    return await find_purchase(org, provider=events.PROVIDER, reference=capture_id)
