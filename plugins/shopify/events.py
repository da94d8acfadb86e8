"""What each stored Shopify event does, run by the worker (never in the
webhook's request): Shopify's topics translated into the core's calls.

- ``orders/paid``: the order becomes a purchase. The buyer is ``email``,
  else ``contact_email``, else ``customer.email``; each line item
  (``product_id``, ``variant_id``, ``sku``) is mapped to a hub product
  (:func:`hub.plugin_api.map_item`); a line no mapping names is kept and
  shown in Problems. The order's id is the purchase's reference, and each
  line item's id is kept as a reference paying for that item alone, so a
  refund of some lines revokes those lines' links only. ``quantity`` does
  not multiply links: one link serves any number of copies of a download.
- ``refunds/create``: each refunded line (``refund_line_items``) refunded
  in its whole quantity is a refund of that line's item; a refund of part of
  a line's quantity, or of an amount only, is noted and changes nothing.
  Every line refunded: the purchase is ``refunded``.
- ``disputes/create`` / ``disputes/update`` (a chargeback on the order's
  payment): an open dispute puts the purchase on hold; ``won`` restores it;
  ``lost``, ``accepted`` or ``charge_refunded`` revokes it. An inquiry is
  not a chargeback and changes nothing.

Reversals are kept even when the order is not recorded yet, and stamped
with Shopify's own times, so any order of delivery ends in the same state.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from hub.plugin_api import (
    DISPUTE_LOST,
    DISPUTE_OPENED,
    DISPUTE_WON,
    REFUND,
    Hub,
    ProviderRef,
    PurchaseIn,
    ReceivedEvent,
    ReversalIn,
    map_item,
    parse_time,
    record_purchase,
    record_reversal,
)

from .webhook import PROVIDER

LINE_ITEM = "line_item"
"""The kind of reference a line item's id is kept as."""
TOPICS = ("orders/paid", "refunds/create", "disputes/create", "disputes/update")
"""The topics to subscribe the webhook to."""
DISPUTE_LOST_STATUSES = ("lost", "accepted", "charge_refunded")


def shopify_id(value: object) -> str | None:
    """Shopify's numeric (or text) id as text."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return str(value)
    return value.strip()[:255] if isinstance(value, str) and value.strip() and "\x00" not in value else None



def minor_units(price: object) -> int | None:
    """``"409.94"`` → 40994 (Shopify sends decimal strings)."""
    try:
        return int((Decimal(str(price)) * 100).to_integral_value()) if isinstance(price, str | int) else None
    except InvalidOperation:
        return None


def buyer_email(order: dict[str, Any]) -> str:
    customer = as_dict(order.get("customer"))
    for value in (order.get("email"), order.get("contact_email"), customer.get("email")):
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def buyer_name(order: dict[str, Any]) -> str:
    customer = as_dict(order.get("customer"))
    parts = [customer.get("first_name"), customer.get("last_name")]
    return " ".join(p for p in parts if isinstance(p, str) and p).replace("\x00", "")[:300]


def as_list(value: object) -> list[Any]:
    """A JSON array, or an empty one for anything else."""
    return value if isinstance(value, list) else []


def as_dict(value: object) -> dict[str, Any]:
    """A JSON object, or an empty one for anything else."""
    return value if isinstance(value, dict) else {}


class ShopifyEvents:
    """Processes stored Shopify events for one hub."""

    async def process(self, hub: Hub, event: ReceivedEvent) -> str:
        body = found if isinstance(found := event.payload.get("body"), dict) else {}
        topic = event.event_type
        if topic == "orders/paid":
            return await self.order_paid(hub, event, body)
        if topic == "refunds/create":
            return await self.refund(hub, event, body)
        if topic in ("disputes/create", "disputes/update"):
            return await self.dispute(hub, event, body)
        return f"{topic} needs nothing from the hub"

    async def order_paid(self, hub: Hub, event: ReceivedEvent, order: dict[str, Any]) -> str:
        order_id = shopify_id(order.get("id"))
        if not order_id:
            return "the order has no id: nothing to record"
        lines = [line for line in as_list(order.get("line_items")) if isinstance(line, dict)]
        items = []
        references = []
        for line in lines:
            items.append(
                await map_item(
                    event.org, PROVIDER, product_id=line.get("product_id"), variant_id=line.get("variant_id"),
                    sku=line.get("sku"), name=line.get("name") or line.get("title"),
                )
            )
            line_id = shopify_id(line.get("id"))
            if line_id:
                references.append(ProviderRef(LINE_ITEM, line_id, items=(len(items) - 1,)))
        currency = order.get("currency")
        purchase = PurchaseIn(
            org=event.org,
            provider=PROVIDER,
            provider_ref=order_id,
            references=tuple(references),
            customer_email=buyer_email(order),
            customer_name=buyer_name(order),
            items=items,
            amount=minor_units(order.get("total_price")),
            currency=currency.upper()[:10] if isinstance(currency, str) else "",
            metadata={"shopifyShop": event.payload.get("shop", ""), "shopifyOrder": str(order.get("name") or order_id)},
            livemode=order.get("test") is not True,
        )
        return (await record_purchase(hub, purchase)).note

    async def refund(self, hub: Hub, event: ReceivedEvent, refund: dict[str, Any]) -> str:
        refund_id = shopify_id(refund.get("id")) or event.event_id
        when = parse_time(refund.get("created_at"), event.received_at)
        notes = []
        for refunded in as_list(refund.get("refund_line_items")):
            if not isinstance(refunded, dict):
                continue
            line = as_dict(refunded.get("line_item"))
            line_id = shopify_id(refunded.get("line_item_id")) or shopify_id(line.get("id"))
            if not line_id:
                continue
            quantity, bought = refunded.get("quantity"), line.get("quantity")
            if isinstance(quantity, int) and isinstance(bought, int) and quantity < bought:
                notes.append(f"line {line_id}: {quantity} of {bought} refunded, its link stays valid")
                continue
            notes.append(await self.reversal(hub, event, line_id, REFUND, refund_id, when))
        if not notes:
            return f"refund {refund_id} names no line item (an amount only): the links stay valid"
        return "; ".join(notes)

    async def dispute(self, hub: Hub, event: ReceivedEvent, dispute: dict[str, Any]) -> str:
        order_id = shopify_id(dispute.get("order_id"))
        dispute_id = shopify_id(dispute.get("id")) or event.event_id
        if not order_id:
            return f"dispute {dispute_id} names no order: nothing to do"
        if dispute.get("type") == "inquiry":
            return f"dispute {dispute_id} is an inquiry, not a chargeback: the links stay valid"
        opened = parse_time(dispute.get("initiated_at"), event.received_at)
        notes = [await self.reversal(hub, event, order_id, DISPUTE_OPENED, dispute_id, opened)]
        status = dispute.get("status")
        if status == "won" or status in DISPUTE_LOST_STATUSES:
            closed = parse_time(dispute.get("finalized_on"), max(opened, event.received_at))
            kind = DISPUTE_WON if status == "won" else DISPUTE_LOST
            notes.append(await self.reversal(hub, event, order_id, kind, dispute_id, closed))
        return "; ".join(notes)

    async def reversal(
        self, hub: Hub, event: ReceivedEvent, payment_ref: str, kind: str, reference: str, when: datetime
    ) -> str:
        return await record_reversal(
            hub,
            ReversalIn(org=event.org, provider=PROVIDER, payment_ref=payment_ref, kind=kind, reference=reference,
                       occurred_at=when),
        )
