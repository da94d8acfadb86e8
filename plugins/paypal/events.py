"""PayPal's payloads in the hub's terms: plain functions, no I/O.

One PayPal order is one hub purchase, whichever event reports it first: a
``PAYMENT.CAPTURE.COMPLETED`` (a capture, whose buyer is read from its
order) or a ``CHECKOUT.ORDER.COMPLETED`` (the order itself). Both use the
ORDER id as the purchase's provider reference, so the second finds the
first; the capture ids are kept as the purchase's provider references of
kind ``capture`` (:class:`hub.plugin_api.ProviderRef`), by which a refund
(which names only its capture) finds it. The metadata shows them too.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from hub.plugin_api import BadRequest, ProviderRef, PurchaseIn, PurchaseItemIn, decode_json, parse_items

PROVIDER = "paypal"
CAPTURE = "capture"  # the kind of provider reference a capture id is kept as
COMPLETED = "COMPLETED"
CAPTURE_COMPLETED = "PAYMENT.CAPTURE.COMPLETED"
ORDER_COMPLETED = "CHECKOUT.ORDER.COMPLETED"
CAPTURE_REFUNDED = "PAYMENT.CAPTURE.REFUNDED"
DISPUTE_CREATED = "CUSTOMER.DISPUTE.CREATED"
DISPUTE_RESOLVED = "CUSTOMER.DISPUTE.RESOLVED"
# Dispute outcomes that take the money back from the shop; any other
# resolution (seller's favour, cancelled by the buyer, denied, paid out by
# PayPal itself) leaves the shop paid.
DISPUTE_LOST_OUTCOMES = frozenset({"RESOLVED_BUYER_FAVOUR", "ACCEPTED"})

# PayPal's currencies without minor units (amounts are whole numbers).
ZERO_DECIMAL_CURRENCIES = frozenset({"HUF", "JPY", "TWD"})
ORDER_LINK = re.compile(r"/v2/checkout/orders/([A-Za-z0-9-]+)/?$")
CAPTURE_LINK = re.compile(r"/v2/payments/captures/([A-Za-z0-9-]+)/?$")
PAYPAL_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")


def parse_event(body: bytes) -> dict[str, Any]:
    """The webhook body as an event with an ``id`` and an ``event_type``."""
    event = decode_json(body, what="The webhook body")
    if not isinstance(event, dict):
        raise BadRequest("The webhook body is not a PayPal event")
    event_id, event_type = event.get("id"), event.get("event_type")
    if not isinstance(event_id, str) or not event_id or len(event_id) > 255:
        raise BadRequest("The PayPal event has no valid id")
    if not isinstance(event_type, str) or not event_type or len(event_type) > 100:
        raise BadRequest("The PayPal event has no valid event_type")
    if not isinstance(event.get("resource"), dict):
        event["resource"] = {}
    return event


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def paypal_id(value: Any) -> str | None:
    """``value`` if it looks like a PayPal id (safe in a URL path and a query)."""
    value = _text(value)
    return value if PAYPAL_ID.match(value) else None


def linked_id(resource: dict[str, Any], pattern: re.Pattern[str], rel: str = "up") -> str | None:
    """The id in the ``rel`` link of ``resource`` whose path matches ``pattern``."""
    for link in _list(resource.get("links")):
        link = _dict(link)
        if link.get("rel") == rel:
            found = pattern.search(_text(link.get("href")).split("?", 1)[0])
            if found:
                return found.group(1)
    return None


def order_id_of_capture(capture: dict[str, Any]) -> str | None:
    """A capture's order: ``supplementary_data.related_ids.order_id``, or its ``up`` link."""
    related = _dict(_dict(capture.get("supplementary_data")).get("related_ids"))
    return paypal_id(related.get("order_id")) or linked_id(capture, ORDER_LINK)


def capture_id_of_refund(refund: dict[str, Any]) -> str | None:
    """The capture a refund refunds: its ``up`` link."""
    return linked_id(refund, CAPTURE_LINK)


def disputed_captures(dispute: dict[str, Any]) -> list[str]:
    """The captures a dispute is about (``disputed_transactions[].seller_transaction_id``)."""
    found = []
    for transaction in _list(dispute.get("disputed_transactions")):
        capture_id = paypal_id(_dict(transaction).get("seller_transaction_id"))
        if capture_id and capture_id not in found:
            found.append(capture_id)
    return found


def dispute_lost(dispute: dict[str, Any]) -> bool:
    """Whether a resolved dispute went the buyer's way."""
    return _text(_dict(dispute.get("dispute_outcome")).get("outcome_code")).upper() in DISPUTE_LOST_OUTCOMES


def payment_key(event_type: str, resource: dict[str, Any]) -> str:
    """The capture an event is about, as far as its payload says: the events
    of one payment are processed in order."""
    if event_type == CAPTURE_REFUNDED:
        return capture_id_of_refund(resource) or ""
    if event_type.startswith("CUSTOMER.DISPUTE."):
        return next(iter(disputed_captures(resource)), "")
    if event_type == ORDER_COMPLETED:
        captures = [paypal_id(c.get("id")) for _, cs in completed_units(resource) for c in cs]
        return next((c for c in captures if c), None) or paypal_id(resource.get("id")) or ""
    return paypal_id(resource.get("id")) or ""


def minor_units(amount: Any) -> tuple[int | None, str]:
    """PayPal's ``{"currency_code": "EUR", "value": "9.99"}`` → ``(999, "EUR")``."""
    amount = _dict(amount)
    currency = _text(amount.get("currency_code")).upper()
    try:
        value = Decimal(_text(amount.get("value")))
    except InvalidOperation:
        return None, currency
    if not value.is_finite():
        return None, currency
    exponent = 0 if currency in ZERO_DECIMAL_CURRENCIES else 2
    return int(value.scaleb(exponent).to_integral_value()), currency


def payer_of(order: dict[str, Any]) -> tuple[str, str]:
    """The buyer's (email, name) in an order."""
    payer = _dict(order.get("payer"))
    name = _dict(payer.get("name"))
    full_name = " ".join(part for part in (_text(name.get("given_name")), _text(name.get("surname"))) if part)
    return _text(payer.get("email_address")), full_name[:300]


def _captures(unit: dict[str, Any]) -> list[dict[str, Any]]:
    return [_dict(c) for c in _list(_dict(unit.get("payments")).get("captures"))]


def completed_units(order: dict[str, Any]) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Each purchase unit of ``order`` with its completed captures, when it has any."""
    units = []
    for unit in _list(order.get("purchase_units")):
        unit = _dict(unit)
        captures = [c for c in _captures(unit) if c.get("status") == COMPLETED]
        if captures:
            units.append((unit, captures))
    return units


def _total(amounts: list[Any]) -> tuple[int | None, str]:
    """The sum of several PayPal amounts (None when they mix currencies)."""
    values = [minor_units(a) for a in amounts]
    currencies = {currency for _, currency in values}
    currency = currencies.pop() if len(currencies) == 1 else ""
    if not currency or any(value is None for value, _ in values):
        return None, currency
    return sum(value for value, _ in values if value is not None), currency


def purchase_from_order(org: str, order: dict[str, Any], *, livemode: bool = True) -> PurchaseIn | None:
    """The purchase a ``CHECKOUT.ORDER.COMPLETED`` reports, or None while no
    capture is completed (money not yet taken: a ``PAYMENT.CAPTURE.COMPLETED``
    follows)."""
    order_id = paypal_id(order.get("id"))
    units = completed_units(order)
    if not order_id or not units:
        return None
    email, name = payer_of(order)
    captures = [capture for _, captures in units for capture in captures]
    amount, currency = _total([capture.get("amount") for capture in captures])
    items: list[PurchaseItemIn] = []
    references: list[ProviderRef] = []
    for unit, unit_captures in units:
        unit_items = parse_items(_text(unit.get("custom_id")))
        # With several units, each capture paid for its own unit's items
        # only: its refund takes back those (the core's parts of a payment).
        scope = tuple(range(len(items), len(items) + len(unit_items))) if len(units) > 1 else ()
        items.extend(unit_items)
        references.extend(
            ProviderRef(CAPTURE, capture_id, scope)
            for capture_id in (paypal_id(c.get("id")) for c in unit_captures)
            if capture_id
        )
    return PurchaseIn(
        org=org,
        provider=PROVIDER,
        provider_ref=order_id,
        customer_email=email,
        customer_name=name,
        items=items,
        amount=amount,
        currency=currency,
        metadata=_metadata(order_id, [_text(c.get("id")) for c in captures], order),
        references=tuple(references),
        livemode=livemode,
    )


def has_several_units(order: dict[str, Any]) -> bool:
    """Whether ``order`` has more than one purchase unit (one capture each)."""
    return len(_list(order.get("purchase_units"))) > 1


def purchase_from_capture(
    org: str, capture: dict[str, Any], order: dict[str, Any] | None, *, livemode: bool = True
) -> PurchaseIn:
    """The purchase a ``PAYMENT.CAPTURE.COMPLETED`` reports.

    The items come from the capture's ``custom_id`` (or, when it has none,
    from the order's purchase unit that holds the capture); the buyer from
    ``order``, read from PayPal's API because a capture names no buyer.
    Without an order (a payment made outside the Orders API) the capture id
    is the reference and the purchase is recorded without an email, with
    the core's problem note, so the shop sees it.
    """
    capture_id = _text(capture.get("id"))
    order = order or {}
    order_id = paypal_id(order.get("id")) or order_id_of_capture(capture)
    spec = _text(capture.get("custom_id"))
    if not spec:
        for unit in _list(order.get("purchase_units")):
            if any(c.get("id") == capture_id for c in _captures(_dict(unit))):
                spec = _text(_dict(unit).get("custom_id"))
    email, name = payer_of(order)
    amount, currency = minor_units(capture.get("amount"))
    return PurchaseIn(
        org=org,
        provider=PROVIDER,
        provider_ref=order_id or capture_id,
        customer_email=email,
        customer_name=name,
        items=parse_items(spec),
        amount=amount,
        currency=currency,
        metadata=_metadata(order_id, [capture_id], order),
        references=(ProviderRef(CAPTURE, capture_id),) if capture_id else (),
        livemode=livemode,
    )


def refunds_whole_purchase(refund: dict[str, Any], purchase: dict[str, Any], captures: int) -> bool | None:
    """Whether ``refund`` leaves nothing of its capture paid, for a
    ``purchase`` paid by ``captures`` captures: the capture's
    ``total_refunded_amount`` (all refunds so far) against the purchase's
    amount, when one capture paid all of it. None when the payload cannot
    tell (no breakdown, or a purchase paid by several captures): then the
    capture's status decides. What a capture's full refund takes back (the
    whole purchase, or the items of its purchase unit) is the core's rule."""
    if captures != 1 or purchase.get("amount") is None:
        return None
    breakdown = _dict(refund.get("seller_payable_breakdown"))
    refunded, currency = minor_units(breakdown.get("total_refunded_amount"))
    if refunded is None or currency != (purchase.get("currency") or "").upper():
        return None
    return refunded >= purchase["amount"]


def _metadata(order_id: str | None, capture_ids: list[str], order: dict[str, Any]) -> dict[str, Any]:
    metadata: dict[str, Any] = {"orderId": order_id, "captureIds": [c for c in capture_ids if c]}
    payer_id = _text(_dict(order.get("payer")).get("payer_id"))
    if payer_id:
        metadata["payerId"] = payer_id
    return metadata
