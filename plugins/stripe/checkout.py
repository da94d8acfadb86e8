"""Stripe's objects in the hub's terms: a paid Checkout Session becomes a
:class:`hub.plugin_api.PurchaseIn`, a refunded charge finds the
session it paid for.

Which hub products a session sells is metadata the shop sets:

- ``continuata_products`` on the Checkout Session: comma-separated product
  ids, each optionally ``id@version`` (``"drums, pads@2.0.0"``); or else
- ``continuata_product_id`` on each line item's Price, or else its Product
  (same format; a bundle may name several). Line items are not in webhook
  payloads, so they are read from Stripe's API.

A line item's quantity does not multiply tokens: one link per product
serves any number of copies of a download.
"""

from __future__ import annotations

from typing import Any

from hub.plugin_api import ProviderRef, PurchaseIn, PurchaseItemIn, parse_items

from .api import StripeApi

PROVIDER = "stripe"
SESSION_PRODUCTS = "continuata_products"
LINE_ITEM_PRODUCT = "continuata_product_id"
PAYMENT_INTENT_KEY = "stripePaymentIntent"
"""Where the purchase's metadata shows the session's PaymentIntent id (for
people reading the purchase; the plugin finds purchases by their provider
references)."""
PAYMENT_INTENT = "payment_intent"
"""The kind of provider reference a PaymentIntent is kept as (refunds and
disputes name it); the Checkout Session is the purchase's own reference."""


def object_id(value: Any) -> str | None:
    """An id field that may also arrive expanded into its object."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def _metadata(obj: Any) -> dict[str, Any]:
    metadata = obj.get("metadata") if isinstance(obj, dict) else None
    return metadata if isinstance(metadata, dict) else {}


def items_from_session_metadata(session: dict[str, Any]) -> list[PurchaseItemIn]:
    spec = _metadata(session).get(SESSION_PRODUCTS)
    return parse_items(spec) if isinstance(spec, str) else []


def items_from_line_items(line_items: list[dict[str, Any]]) -> list[PurchaseItemIn]:
    """The products the line items' Price (or else Product) metadata names;
    line items that name none (shipping, a physical good) are left out."""
    items: list[PurchaseItemIn] = []
    for line_item in line_items:
        price = found if isinstance(found := line_item.get("price"), dict) else {}
        spec = _metadata(price).get(LINE_ITEM_PRODUCT) or _metadata(price.get("product")).get(LINE_ITEM_PRODUCT)
        if isinstance(spec, str):
            items.extend(parse_items(spec))
    return items


async def order_from_session(
    org: str, session: dict[str, Any], api: StripeApi, *, livemode: bool = True
) -> PurchaseIn:
    """The paid order a Checkout Session reports (``livemode``: paid for
    real, not in test mode). Asks Stripe for the line items only when the
    session carries no ``continuata_products``."""
    session_id = session["id"]
    items = items_from_session_metadata(session)
    if not items:
        items = items_from_line_items(await api.line_items(session_id))
    details = found if isinstance(found := session.get("customer_details"), dict) else {}
    email = details.get("email") or session.get("customer_email") or ""
    name = details.get("name") or ""
    amount = session.get("amount_total")
    currency = session.get("currency")
    metadata: dict[str, Any] = {"stripeCheckoutSession": session_id}
    payment_intent = object_id(session.get("payment_intent"))
    if payment_intent:
        metadata[PAYMENT_INTENT_KEY] = payment_intent
    if isinstance(session.get("client_reference_id"), str):
        metadata["stripeClientReferenceId"] = session["client_reference_id"]
    return PurchaseIn(
        org=org,
        provider=PROVIDER,
        provider_ref=session_id,
        references=(ProviderRef(PAYMENT_INTENT, payment_intent),) if payment_intent else (),
        customer_email=email if isinstance(email, str) else "",
        customer_name=name.replace("\x00", "")[:300] if isinstance(name, str) else "",
        items=items,
        amount=amount if isinstance(amount, int) and not isinstance(amount, bool) else None,
        currency=currency.upper()[:10] if isinstance(currency, str) else "",
        metadata=metadata,
        livemode=livemode,
    )


def is_full_refund(charge: dict[str, Any]) -> bool:
    """Stripe sets ``refunded`` once the whole amount is back with the buyer."""
    if charge.get("refunded") is True:
        return True
    amount, refunded = charge.get("amount"), charge.get("amount_refunded")
    return isinstance(amount, int) and isinstance(refunded, int) and amount > 0 and refunded >= amount


async def session_paid_by(payment_intent: str, api: StripeApi) -> str | None:
    """The Checkout Session (a purchase's own reference) that
    ``payment_intent`` paid, from Stripe's API; None without an API key
    (then only the PaymentIntents the hub recorded with their purchases
    are known)."""
    if not api.configured:
        return None
    return await api.checkout_session_for_payment_intent(payment_intent)
