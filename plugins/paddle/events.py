"""What each stored Paddle Billing event does, run by the worker.

- ``transaction.completed``: the transaction becomes a purchase. Each item's
  ``price.product_id`` (or its price id, as a variant) is mapped to a hub
  product (:func:`hub.plugin_api.map_item`; a price's or the transaction's
  ``custom_data.continuata_product`` names a hub slug directly). The buyer
  is only a ``customer_id``: the email is read from Paddle's API
  (``HUB_PADDLE_API_KEY``); without a key, or when Paddle cannot answer, the
  purchase is recorded "waiting for the buyer's email" and shows in
  Problems, where fix-and-fulfil sends the links to the email the shop types;
  with a key, the event is retried with backoff, and the retry that gets
  the address sends the links once (:func:`hub.plugin_api.deliver_to_buyer`).
  Each transaction line item's id (``txnitm_…``) is kept as a reference
  paying for its item alone.
- ``adjustment.created`` / ``adjustment.updated``: ``action`` ``refund``
  with ``status`` ``approved`` refunds the items it refunds in full
  (``type`` ``full``; an adjustment naming no items refunds the
  transaction); a ``partial`` refund is noted and changes nothing;
  ``pending_approval`` and ``rejected`` change nothing. ``chargeback``
  puts the purchase on hold, ``chargeback_reverse`` restores it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hub.plugin_api import (
    DISPUTE_OPENED,
    DISPUTE_WON,
    ORDER,
    REFUND,
    Hub,
    ProviderRef,
    PurchaseIn,
    ReceivedEvent,
    ReversalIn,
    Unavailable,
    deliver_to_buyer,
    find_purchase,
    map_item,
    parse_time,
    record_purchase,
    record_reversal,
)

from .api import PaddleApi
from .config import PaddleConfig
from .webhook import PROVIDER

EVENTS = ("transaction.completed", "adjustment.created", "adjustment.updated")
"""The events to subscribe the notification destination to."""
LINE_ITEM = "transaction_item"
CUSTOM_PRODUCT = "continuata_product"



def as_list(value: object) -> list[Any]:
    """A JSON array, or an empty one for anything else."""
    return value if isinstance(value, list) else []


def as_dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def minor_units(value: object) -> int | None:
    return int(value) if isinstance(value, str) and value.isdigit() else None


class PaddleEvents:
    def __init__(self, config: PaddleConfig, api: PaddleApi) -> None:
        self.config = config
        self.api = api

    async def process(self, hub: Hub, event: ReceivedEvent) -> str:
        data = as_dict(event.payload.get("data"))
        when = parse_time(event.payload.get("occurred_at"), event.received_at)
        if event.event_type == "transaction.completed":
            return await self.transaction_completed(hub, event, data)
        if event.event_type in ("adjustment.created", "adjustment.updated"):
            return await self.adjustment(hub, event, data, parse_time(data.get("updated_at"), when))
        return f"{event.event_type} needs nothing from the hub"

    async def transaction_completed(self, hub: Hub, event: ReceivedEvent, txn: dict[str, Any]) -> str:
        txn_id = txn.get("id")
        if not isinstance(txn_id, str) or not txn_id:
            return "the transaction has no id: nothing to record"
        customer_id = txn.get("customer_id") if isinstance(txn.get("customer_id"), str) else ""
        recorded = await find_purchase(event.org, provider=PROVIDER, kind=ORDER, reference=txn_id)
        if recorded is not None:
            if recorded["customer_email"] or not customer_id:
                return f"purchase {recorded['id']} already recorded"
            # Recorded while Paddle could not name the buyer: ask again.
            email, why = await self.api.customer_email(customer_id)
            if not email:
                raise Unavailable(f"waiting for the buyer's email (Paddle customer {customer_id[:60]}: {why})")
            return await deliver_to_buyer(hub, event.org, recorded["id"], email)
        custom = as_dict(txn.get("custom_data"))
        line_items = [as_dict(line) for line in as_list(as_dict(txn.get("details")).get("line_items"))]
        items, references = [], []
        for entry in as_list(txn.get("items")):
            price = as_dict(as_dict(entry).get("price"))
            items.append(await map_item(
                event.org, PROVIDER, product_id=price.get("product_id"), variant_id=price.get("id"),
                custom=as_dict(price.get("custom_data")).get(CUSTOM_PRODUCT) or custom.get(CUSTOM_PRODUCT),
                name=price.get("name") or price.get("description"),
            ))
            line = next((line for line in line_items if line.get("price_id") == price.get("id")), {})
            if isinstance(line.get("id"), str) and line["id"]:
                references.append(ProviderRef(LINE_ITEM, line["id"], items=(len(items) - 1,)))
        email, why, problem = "", "", ""
        if customer_id:
            email, why = await self.api.customer_email(customer_id)
            if not email:
                problem = f"waiting for the buyer's email (Paddle customer {customer_id[:60]}: {why})"
        else:
            problem = "waiting for the buyer's email (the transaction names no customer)"
        totals = as_dict(as_dict(txn.get("details")).get("totals"))
        currency = txn.get("currency_code")
        purchase = PurchaseIn(
            org=event.org, provider=PROVIDER, provider_ref=txn_id, references=tuple(references),
            customer_email=email, items=items,
            amount=minor_units(totals.get("grand_total") or totals.get("total")),
            currency=currency.upper()[:10] if isinstance(currency, str) else "",
            metadata={"paddleTransaction": txn_id, "paddleCustomer": customer_id, "paddleCustomData": custom},
            livemode=self.config.livemode, problem=problem,
        )
        note = (await record_purchase(hub, purchase)).note
        if problem and customer_id and self.config.api_key:
            # Kept in Problems meanwhile; the inbox retries the event with
            # backoff, and the retry asks Paddle again (above).
            raise Unavailable(f"{note}; {problem}: asking Paddle again later")
        return note

    async def adjustment(self, hub: Hub, event: ReceivedEvent, adjustment: dict[str, Any], when: datetime) -> str:
        found_id = adjustment.get("id")
        adjustment_id = found_id if isinstance(found_id, str) and found_id else event.event_id
        txn_id = adjustment.get("transaction_id")
        if not isinstance(txn_id, str) or not txn_id:
            return f"adjustment {adjustment_id} names no transaction: nothing to do"
        action, status = adjustment.get("action"), adjustment.get("status")
        if action == "chargeback":
            return await self.reversal(hub, event, txn_id, DISPUTE_OPENED, f"chargeback:{txn_id}", when)
        if action == "chargeback_reverse":
            return await self.reversal(hub, event, txn_id, DISPUTE_WON, f"chargeback:{txn_id}", when)
        if action != "refund":
            return f"adjustment {adjustment_id} ({action}) changes no access"
        if status != "approved":
            return f"refund {adjustment_id} is {status}: nothing changes yet"
        items = [as_dict(item) for item in as_list(adjustment.get("items"))]
        if not items:
            return await self.reversal(hub, event, txn_id, REFUND, adjustment_id, when)
        notes = []
        for item in items:
            item_id = item.get("item_id")
            if not isinstance(item_id, str) or not item_id:
                continue
            if item.get("type") != "full":
                notes.append(f"item {item_id}: {item.get('type')} refund of {item.get('amount')}, its link stays valid")
                continue
            notes.append(await self.reversal(hub, event, item_id, REFUND, adjustment_id, when))
        return "; ".join(notes) or f"refund {adjustment_id} names no item: nothing changes"

    async def reversal(self, hub: Hub, event: ReceivedEvent, payment_ref: str, kind: str, reference: str,
                       when: datetime) -> str:
        return await record_reversal(hub, ReversalIn(org=event.org, provider=PROVIDER, payment_ref=payment_ref,
                                                     kind=kind, reference=reference, occurred_at=when))
