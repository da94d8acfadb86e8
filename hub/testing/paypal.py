"""PayPal webhooks signed as PayPal signs them, for testing a PayPal plugin.

PayPal signs ``transmission_id|transmission_time|webhook_id|crc32(body)``
(CRC32 of the raw body, unsigned decimal) with SHA256withRSA, and names the
certificate that verifies it in ``PAYPAL-CERT-URL``. These helpers make a
key and a self-signed certificate standing in for PayPal's, sign bodies
with it, and build events shaped like PayPal's real payloads::

    identity = make_signing_identity()
    event = capture_completed(custom_id="epic-drums-v1", order_id="5O190127TN364715T")
    body, headers = webhook_request(event, webhook_id="WH-ID", identity=identity)
    await client.post("/plugins/paypal/webhook", content=body, headers=headers)

The plugin under test must get ``identity.certificate_pem`` when it asks
for ``cert_url`` (the PayPal plugin takes a certificate fetch function).
"""

from __future__ import annotations

import base64
import json
import secrets
import string
import uuid
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

DEFAULT_CERT_URL = "https://api.paypal.com/v1/notifications/certs/CERT-test"
API = "https://api.paypal.com"


@dataclass(frozen=True)
class SigningIdentity:
    """A key pair and certificate standing in for PayPal's."""

    private_key: rsa.RSAPrivateKey
    certificate: x509.Certificate

    @property
    def certificate_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)


def make_signing_identity(
    *,
    common_name: str = "messageverificationcerts.paypal.com",
    not_before: datetime | None = None,
    not_after: datetime | None = None,
) -> SigningIdentity:
    """A fresh RSA key and a self-signed certificate for it, valid from a
    day ago for a year unless told otherwise (pass past dates for an
    expired one)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.now(UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - timedelta(days=1))
        .not_valid_after(not_after or now + timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    return SigningIdentity(private_key=key, certificate=certificate)


def signed_message(body: bytes, *, transmission_id: str, transmission_time: str, webhook_id: str) -> bytes:
    """The bytes PayPal signs for one delivery."""
    return f"{transmission_id}|{transmission_time}|{webhook_id}|{zlib.crc32(body) & 0xFFFFFFFF}".encode()


def sign(
    body: bytes, *, transmission_id: str, transmission_time: str, webhook_id: str, private_key: rsa.RSAPrivateKey
) -> str:
    """PayPal's ``PAYPAL-TRANSMISSION-SIG`` for ``body`` (base64)."""
    message = signed_message(
        body, transmission_id=transmission_id, transmission_time=transmission_time, webhook_id=webhook_id
    )
    return base64.b64encode(private_key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


def webhook_request(
    event: dict[str, Any],
    *,
    webhook_id: str,
    identity: SigningIdentity,
    cert_url: str = DEFAULT_CERT_URL,
    transmission_id: str | None = None,
    transmission_time: str | None = None,
) -> tuple[bytes, dict[str, str]]:
    """The body and headers of PayPal delivering ``event`` to a webhook."""
    body = json.dumps(event, indent=1).encode()  # PayPal's bodies are not compact
    transmission_id = transmission_id or str(uuid.uuid1())
    transmission_time = transmission_time or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    headers = {
        "Content-Type": "application/json",
        "PAYPAL-TRANSMISSION-ID": transmission_id,
        "PAYPAL-TRANSMISSION-TIME": transmission_time,
        "PAYPAL-TRANSMISSION-SIG": sign(
            body,
            transmission_id=transmission_id,
            transmission_time=transmission_time,
            webhook_id=webhook_id,
            private_key=identity.private_key,
        ),
        "PAYPAL-CERT-URL": cert_url,
        "PAYPAL-AUTH-ALGO": "SHA256withRSA",
        "User-Agent": "PayPal/AUHR-214.0-58843226",
    }
    return body, headers


# --- ids and payloads shaped like PayPal's -----------------------------------


def _paypal_id(length: int = 17) -> str:
    return "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(length))


def new_event_id() -> str:
    """``WH-58D329510W468432D-8HN650336L201105X``."""
    return f"WH-{_paypal_id(17)}-{_paypal_id(17)}"


def new_order_id() -> str:
    return _paypal_id(17)


def new_capture_id() -> str:
    return _paypal_id(17)


def _money(value: str, currency: str) -> dict[str, str]:
    return {"currency_code": currency, "value": value}


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _event(event_type: str, resource_type: str, resource: dict[str, Any], summary: str, *, id: str | None) -> dict:
    id = id or new_event_id()
    return {
        "id": id,
        "event_version": "1.0",
        "create_time": _now(),
        "resource_type": resource_type,
        "resource_version": "2.0",
        "event_type": event_type,
        "summary": summary,
        "resource": resource,
        "links": [
            {
                "href": f"{API}/v1/notifications/webhooks-events/{id}",
                "rel": "self",
                "method": "GET",
                "encType": "application/json",
            },
            {
                "href": f"{API}/v1/notifications/webhooks-events/{id}/resend",
                "rel": "resend",
                "method": "POST",
                "encType": "application/json",
            },
        ],
    }


def capture(
    *,
    id: str | None = None,
    order_id: str | None = None,
    custom_id: str | None = None,
    amount: str = "19.99",
    currency: str = "USD",
    status: str = "COMPLETED",
) -> dict[str, Any]:
    """A capture, as in a capture event and ``GET /v2/payments/captures/{id}``.
    Like PayPal's, it names its order but not the buyer."""
    id = id or new_capture_id()
    resource: dict[str, Any] = {
        "id": id,
        "status": status,
        "amount": _money(amount, currency),
        "final_capture": True,
        "seller_protection": {"status": "ELIGIBLE", "dispute_categories": ["ITEM_NOT_RECEIVED", "UNAUTHORIZED_TRANSACTION"]},
        "seller_receivable_breakdown": {
            "gross_amount": _money(amount, currency),
            "paypal_fee": _money("0.99", currency),
            "net_amount": _money(amount, currency),
        },
        "create_time": _now(),
        "update_time": _now(),
        "links": [
            {"href": f"{API}/v2/payments/captures/{id}", "rel": "self", "method": "GET"},
            {"href": f"{API}/v2/payments/captures/{id}/refund", "rel": "refund", "method": "POST"},
        ],
    }
    if custom_id is not None:
        resource["custom_id"] = custom_id
    if order_id:
        resource["supplementary_data"] = {"related_ids": {"order_id": order_id}}
        resource["links"].append({"href": f"{API}/v2/checkout/orders/{order_id}", "rel": "up", "method": "GET"})
    return resource


def order(
    *,
    id: str | None = None,
    email: str | None = "buyer@example.com",
    given_name: str = "Ada",
    surname: str = "Lovelace",
    custom_id: str | None = None,
    capture_id: str | None = None,
    amount: str = "19.99",
    currency: str = "USD",
    status: str = "COMPLETED",
    capture_status: str = "COMPLETED",
) -> dict[str, Any]:
    """A captured order, as in ``CHECKOUT.ORDER.COMPLETED`` and
    ``GET /v2/checkout/orders/{id}``: the payer, and one purchase unit with
    its ``custom_id`` and its capture."""
    id = id or new_order_id()
    unit_capture = capture(id=capture_id, order_id=id, custom_id=custom_id, amount=amount, currency=currency, status=capture_status)
    unit: dict[str, Any] = {
        "reference_id": "default",
        "amount": _money(amount, currency),
        "payee": {"email_address": "shop@example.com", "merchant_id": "7KNGBPH2U58GQ"},
        "payments": {"captures": [unit_capture]},
    }
    if custom_id is not None:
        unit["custom_id"] = custom_id
    payer: dict[str, Any] = {
        "name": {"given_name": given_name, "surname": surname},
        "payer_id": "QYR5Z8XDVJNXQ",
        "address": {"country_code": "US"},
    }
    if email is not None:
        payer["email_address"] = email
    return {
        "id": id,
        "intent": "CAPTURE",
        "status": status,
        "payment_source": {"paypal": {**{k: v for k, v in payer.items() if k != "payer_id"}, "account_id": "QYR5Z8XDVJNXQ"}},
        "payer": payer,
        "purchase_units": [unit],
        "create_time": _now(),
        "update_time": _now(),
        "links": [{"href": f"{API}/v2/checkout/orders/{id}", "rel": "self", "method": "GET"}],
    }


def capture_completed(
    *,
    capture_id: str | None = None,
    order_id: str | None = None,
    custom_id: str | None = None,
    amount: str = "19.99",
    currency: str = "USD",
    status: str = "COMPLETED",
    event_id: str | None = None,
) -> dict[str, Any]:
    """A ``PAYMENT.CAPTURE.COMPLETED`` event (no buyer email, like PayPal's)."""
    resource = capture(id=capture_id, order_id=order_id, custom_id=custom_id, amount=amount, currency=currency, status=status)
    return _event(
        "PAYMENT.CAPTURE.COMPLETED", "capture", resource, f"Payment completed for {amount} {currency}", id=event_id
    )


def add_purchase_unit(
    order: dict[str, Any],
    *,
    custom_id: str,
    amount: str = "19.99",
    currency: str = "USD",
    reference_id: str | None = None,
    capture_id: str | None = None,
) -> dict[str, Any]:
    """Add one more purchase unit, with its own completed capture, to
    ``order`` (an order of several units: one capture each); returns the
    capture."""
    unit_capture = capture(id=capture_id, order_id=order["id"], custom_id=custom_id, amount=amount, currency=currency)
    order["purchase_units"].append(
        {
            "reference_id": reference_id or f"unit-{len(order['purchase_units']) + 1}",
            "custom_id": custom_id,
            "amount": _money(amount, currency),
            "payee": {"email_address": "shop@example.com", "merchant_id": "7KNGBPH2U58GQ"},
            "payments": {"captures": [unit_capture]},
        }
    )
    return unit_capture


def order_completed(
    *, event_id: str | None = None, order_resource: dict[str, Any] | None = None, **order_fields: Any
) -> dict[str, Any]:
    """A ``CHECKOUT.ORDER.COMPLETED`` event about ``order_resource`` (one
    made by :func:`order`), or a new order of ``order_fields`` as for
    :func:`order`."""
    resource = order_resource if order_resource is not None else order(**order_fields)
    return _event("CHECKOUT.ORDER.COMPLETED", "checkout-order", resource, "Checkout Order Completed", id=event_id)


def capture_refunded(
    *,
    capture_id: str,
    refund_id: str | None = None,
    amount: str = "19.99",
    currency: str = "USD",
    total_refunded: str | None = None,
    custom_id: str | None = None,
    event_id: str | None = None,
) -> dict[str, Any]:
    """A ``PAYMENT.CAPTURE.REFUNDED`` event: the refund names its capture
    only through its ``up`` link. ``total_refunded`` is what all refunds of
    the capture add up to (``amount`` unless told: a full refund)."""
    refund_id = refund_id or _paypal_id(17)
    resource: dict[str, Any] = {
        "id": refund_id,
        "status": "COMPLETED",
        "amount": _money(amount, currency),
        "seller_payable_breakdown": {
            "gross_amount": _money(amount, currency),
            "net_amount": _money(amount, currency),
            "total_refunded_amount": _money(total_refunded or amount, currency),
        },
        "create_time": _now(),
        "update_time": _now(),
        "links": [
            {"href": f"{API}/v2/payments/refunds/{refund_id}", "rel": "self", "method": "GET"},
            {"href": f"{API}/v2/payments/captures/{capture_id}", "rel": "up", "method": "GET"},
        ],
    }
    if custom_id is not None:
        resource["custom_id"] = custom_id
    return _event("PAYMENT.CAPTURE.REFUNDED", "refund", resource, f"A {amount} {currency} capture payment was refunded", id=event_id)


def _dispute(capture_id: str, dispute_id: str, status: str) -> dict[str, Any]:
    return {
        "dispute_id": dispute_id,
        "create_time": _now(),
        "update_time": _now(),
        "disputed_transactions": [
            {"seller_transaction_id": capture_id, "seller": {"merchant_id": "7KNGBPH2U58GQ"}, "seller_protection_eligible": True}
        ],
        "reason": "MERCHANDISE_OR_SERVICE_NOT_RECEIVED",
        "status": status,
        "dispute_amount": _money("19.99", "USD"),
        "links": [{"href": f"{API}/v1/customer/disputes/{dispute_id}", "rel": "self", "method": "GET"}],
    }


def dispute_created(*, capture_id: str, dispute_id: str | None = None, event_id: str | None = None) -> dict[str, Any]:
    """A ``CUSTOMER.DISPUTE.CREATED`` event about ``capture_id``."""
    resource = _dispute(capture_id, dispute_id or f"PP-D-{_paypal_id(5)}", "OPEN")
    return _event("CUSTOMER.DISPUTE.CREATED", "dispute", resource, "A new dispute opened", id=event_id)


def dispute_resolved(
    *, capture_id: str, dispute_id: str, outcome_code: str = "RESOLVED_SELLER_FAVOUR", event_id: str | None = None
) -> dict[str, Any]:
    """A ``CUSTOMER.DISPUTE.RESOLVED`` event: ``RESOLVED_BUYER_FAVOUR`` takes
    the money back; ``RESOLVED_SELLER_FAVOUR`` (and others) leave it paid."""
    resource = _dispute(capture_id, dispute_id, "RESOLVED")
    resource["dispute_outcome"] = {"outcome_code": outcome_code}
    return _event("CUSTOMER.DISPUTE.RESOLVED", "dispute", resource, "A dispute was resolved", id=event_id)
