"""What each stored Lemon Squeezy event does, run by the worker.

- ``order_created`` (status ``paid``): the order becomes a purchase; the
  buyer is ``data.attributes.user_email``, the item its
  ``first_order_item`` (``product_id`` / ``variant_id`` mapped to a hub
  product, :func:`hub.plugin_api.map_item`; ``meta.custom_data``'s
  ``continuata_product``, when the checkout carried one, names the hub
  product's slug directly). ``meta.custom_data`` is kept in the purchase's
  metadata (``lemonSqueezyCustomData``).
- ``order_refunded``: ``refunded`` true (the whole order) is a refund that
  revokes the links; a partial refund (``refunded_amount`` less than the
  total) is noted and changes nothing.

A refund that arrives before its order is kept and applied when the order
is recorded (no link, no email).
"""

from __future__ import annotations

from typing import Any

from hub.plugin_api import (
    REFUND,
    Hub,
    PurchaseIn,
    ReceivedEvent,
    ReversalIn,
    map_item,
    parse_time,
    record_purchase,
    record_reversal,
)

from .webhook import PROVIDER

EVENTS = ("order_created", "order_refunded")
"""The events to tick in the webhook's settings."""
CUSTOM_PRODUCT = "continuata_product"



def whole_number(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def as_dict(value: object) -> dict[str, Any]:
    """A JSON object, or an empty one for anything else."""
    return value if isinstance(value, dict) else {}


class LemonSqueezyEvents:
    """Processes stored Lemon Squeezy events for one hub."""

    async def process(self, hub: Hub, event: ReceivedEvent) -> str:
        data = event.payload["data"]
        attributes = found if isinstance(found := data.get("attributes"), dict) else {}
        if data.get("type") != "orders":
            return f"{event.event_type} ({data.get('type')}) needs nothing from the hub"
        if event.event_type == "order_created":
            return await self.order_created(hub, event, data["id"], attributes)
        if event.event_type == "order_refunded":
            return await self.order_refunded(hub, event, data["id"], attributes)
        return f"{event.event_type} needs nothing from the hub"

    async def order_created(self, hub: Hub, event: ReceivedEvent, order_id: str, order: dict[str, Any]) -> str:
        if order.get("status") not in ("paid", "refunded", "partial_refund"):
            return f"order {order_id} is {order.get('status')}: nothing to deliver yet"
        meta = as_dict(event.payload.get("meta"))
        custom = as_dict(meta.get("custom_data"))
        first = as_dict(order.get("first_order_item"))
        item = await map_item(
            event.org, PROVIDER, product_id=first.get("product_id"), variant_id=first.get("variant_id"),
            custom=custom.get(CUSTOM_PRODUCT), name=first.get("product_name"),
        )
        currency, name, email = order.get("currency"), order.get("user_name"), order.get("user_email")
        purchase = PurchaseIn(
            org=event.org,
            provider=PROVIDER,
            provider_ref=order_id,
            customer_email=email if isinstance(email, str) else "",
            customer_name=name.replace("\x00", "")[:300] if isinstance(name, str) else "",
            items=[item],
            amount=whole_number(order.get("total")),
            currency=currency.upper()[:10] if isinstance(currency, str) else "",
            metadata={"lemonSqueezyOrder": order_id, "lemonSqueezyCustomData": custom},
            livemode=order.get("test_mode") is not True and meta.get("test_mode") is not True,
        )
        return (await record_purchase(hub, purchase)).note

    async def order_refunded(self, hub: Hub, event: ReceivedEvent, order_id: str, order: dict[str, Any]) -> str:
        if order.get("refunded") is not True:
            amount = whole_number(order.get("refunded_amount"))
            return f"partial refund of order {order_id} ({amount if amount is not None else '?'} of " \
                   f"{whole_number(order.get('total'))}): the link stays valid"
        return await record_reversal(
            hub,
            ReversalIn(org=event.org, provider=PROVIDER, payment_ref=order_id, kind=REFUND,
                       reference=f"refund:{order_id}",
                       occurred_at=parse_time(order.get("refunded_at"), parse_time(order.get("updated_at"), event.received_at))),
        )
