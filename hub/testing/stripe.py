"""Stripe webhooks for tests: events shaped like Stripe's, signed as Stripe
signs them.

::

    from hub.testing.stripe import checkout_session_completed, webhook_request

    event = checkout_session_completed(products="epic-drums-v1")
    body, headers = webhook_request(event, "whsec_test")
    response = await client.post("/plugins/stripe/webhook", content=body, headers=headers)

Only the fields a plugin reads are filled in with care; the rest mirror a
real payload closely enough to be recognised (ids with Stripe's prefixes,
``object``, ``api_version``, ``created``, ``livemode``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Sequence
from typing import Any

API_VERSION = "2025-03-31.basil"


def stripe_id(prefix: str) -> str:
    """A fresh id with Stripe's prefix (``evt``, ``cs_test``, ``pi``, ``ch``...)."""
    return f"{prefix}_{secrets.token_hex(12)}"


def sign(payload: bytes, secret: str | Sequence[str], timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header for ``payload``: ``t=<timestamp>,v1=<hex>``,
    the HMAC-SHA256 of ``"<timestamp>.<payload>"`` keyed with the endpoint
    secret. Several secrets give one ``v1`` each, as Stripe sends while a
    secret is being rolled."""
    moment = int(time.time()) if timestamp is None else timestamp
    keys = [secret] if isinstance(secret, str) else list(secret)
    signed = f"{moment}.".encode() + payload
    parts = [f"t={moment}"]
    parts += [f"v1={hmac.new(key.encode(), signed, hashlib.sha256).hexdigest()}" for key in keys]
    return ",".join(parts)


def webhook_request(
    event: dict[str, Any], secret: str | Sequence[str], timestamp: int | None = None
) -> tuple[bytes, dict[str, str]]:
    """The body and headers of Stripe's delivery of ``event``."""
    body = json.dumps(event, indent=2).encode()
    return body, {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        "Stripe-Signature": sign(body, secret, timestamp),
    }


def event(
    event_type: str,
    obj: dict[str, Any],
    *,
    event_id: str | None = None,
    created: int | None = None,
    livemode: bool = False,
    account: str | None = None,
) -> dict[str, Any]:
    """A v1 event (snapshot payload) of ``event_type`` about ``obj``; in
    test mode unless ``livemode``; ``account`` as a Connect platform
    receives it for a connected account."""
    payload = {
        "id": event_id or stripe_id("evt"),
        "object": "event",
        "api_version": API_VERSION,
        "created": int(time.time()) if created is None else created,
        "data": {"object": obj},
        "livemode": livemode,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }
    if account is not None:
        payload["account"] = account
    return payload


def checkout_session(
    *,
    session_id: str | None = None,
    products: str | None = None,
    email: str | None = "buyer@example.com",
    name: str | None = "Ada Buyer",
    payment_status: str = "paid",
    amount_total: int = 1900,
    currency: str = "usd",
    payment_intent: str | None = None,
    metadata: dict[str, str] | None = None,
    client_reference_id: str | None = None,
    mode: str = "payment",
) -> dict[str, Any]:
    """A completed Checkout Session. ``products`` goes into its
    ``continuata_products`` metadata (leave it None to make the plugin read
    the line items from the API)."""
    meta = dict(metadata or {})
    if products is not None:
        meta["continuata_products"] = products
    return {
        "id": session_id or stripe_id("cs_test"),
        "object": "checkout.session",
        "amount_subtotal": amount_total,
        "amount_total": amount_total,
        "client_reference_id": client_reference_id,
        "created": int(time.time()),
        "currency": currency,
        "customer": None,
        "customer_details": {
            "address": None,
            "email": email,
            "name": name,
            "phone": None,
            "tax_exempt": "none",
            "tax_ids": [],
        },
        "customer_email": None,
        "livemode": False,
        "metadata": meta,
        "mode": mode,
        "payment_intent": payment_intent or stripe_id("pi"),
        "payment_status": payment_status,
        "status": "complete",
        "success_url": "https://shop.example/thanks",
        "url": None,
    }


def checkout_session_completed(
    *, event_id: str | None = None, livemode: bool = False, account: str | None = None, **session: Any
) -> dict[str, Any]:
    """``checkout.session.completed``; ``session`` as :func:`checkout_session`
    takes it (``payment_status="unpaid"`` for a delayed payment method);
    ``livemode`` and ``account`` as :func:`event` takes them."""
    return event(
        "checkout.session.completed", checkout_session(**session), event_id=event_id, livemode=livemode, account=account
    )


def async_payment_succeeded(*, event_id: str | None = None, **session: Any) -> dict[str, Any]:
    """``checkout.session.async_payment_succeeded``: a delayed payment came in."""
    session.setdefault("payment_status", "paid")
    return event("checkout.session.async_payment_succeeded", checkout_session(**session), event_id=event_id)


def charge_refunded(
    *,
    payment_intent: str,
    amount: int = 1900,
    amount_refunded: int | None = None,
    currency: str = "usd",
    charge_id: str | None = None,
    event_id: str | None = None,
) -> dict[str, Any]:
    """``charge.refunded`` for the charge of ``payment_intent``; refunded in
    full unless ``amount_refunded`` says less."""
    refunded = amount if amount_refunded is None else amount_refunded
    charge = {
        "id": charge_id or stripe_id("ch"),
        "object": "charge",
        "amount": amount,
        "amount_captured": amount,
        "amount_refunded": refunded,
        "captured": True,
        "created": int(time.time()),
        "currency": currency,
        "livemode": False,
        "paid": True,
        "payment_intent": payment_intent,
        "refunded": refunded >= amount,
        "status": "succeeded",
    }
    return event("charge.refunded", charge, event_id=event_id)


def charge_dispute(
    event_type: str,
    *,
    payment_intent: str,
    dispute_id: str | None = None,
    status: str = "needs_response",
    amount: int = 1900,
    currency: str = "usd",
    event_id: str | None = None,
    created: int | None = None,
) -> dict[str, Any]:
    """``charge.dispute.created`` / ``charge.dispute.closed`` (``status``
    ``won``, ``lost`` or ``warning_closed``) for the charge of ``payment_intent``."""
    dispute = {
        "id": dispute_id or stripe_id("dp"),
        "object": "dispute",
        "amount": amount,
        "charge": stripe_id("ch"),
        "created": int(time.time()),
        "currency": currency,
        "livemode": False,
        "payment_intent": payment_intent,
        "reason": "fraudulent",
        "status": status,
    }
    return event(event_type, dispute, event_id=event_id, created=created)


def refund_updated(
    *,
    payment_intent: str,
    refund_id: str | None = None,
    status: str = "failed",
    event_type: str = "charge.refund.updated",
    amount: int = 1900,
    currency: str = "usd",
    event_id: str | None = None,
    created: int | None = None,
) -> dict[str, Any]:
    """``charge.refund.updated`` (or ``refund.failed``, ``refund.updated``) for
    a refund of ``payment_intent``; ``status`` ``failed`` or ``canceled``
    means the money did not go back."""
    refund = {
        "id": refund_id or stripe_id("re"),
        "object": "refund",
        "amount": amount,
        "charge": stripe_id("ch"),
        "created": int(time.time()),
        "currency": currency,
        "failure_reason": "expired_or_canceled_card" if status == "failed" else None,
        "payment_intent": payment_intent,
        "status": status,
    }
    return event(event_type, refund, event_id=event_id, created=created)
