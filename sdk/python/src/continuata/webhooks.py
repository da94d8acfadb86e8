"""Verifying the hub's webhooks (the Standard Webhooks scheme).

Each delivery carries ``webhook-id``, ``webhook-timestamp`` (Unix seconds)
and ``webhook-signature``: space-separated ``v1,<base64 HMAC-SHA256>`` of
``"{id}.{timestamp}.{body}"``, keyed with the endpoint's secret
``whsec_<base64 key>``. A timestamp more than five minutes off is refused,
so a captured delivery cannot be replayed later; deduplicate on
``webhook-id`` (deliveries are at least once).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any, Literal, get_args

from continuata.errors import WebhookVerificationError

WebhookEventType = Literal[
    "purchase.completed",
    "purchase.refunded",
    "purchase.on_hold",
    "purchase.restored",
    "token.created",
    "token.revoked",
    "download.started",
    "download.completed",
    "version.ready",
    "version.published",
    "email.failed",
    "license.activated",
    "license.deactivated",
    "license.disabled",
    "license.restored",
]
"""The ``type`` of a delivery: what an endpoint subscribes to (or ``"*"``, every one)."""

EVENT_TYPES: tuple[WebhookEventType, ...] = get_args(WebhookEventType)
"""Every webhook event type the hub sends, in the order docs/webhooks.md lists them."""

TOLERANCE_SECONDS = 5 * 60
SECRET_PREFIX = "whsec_"


def _key(secret: str) -> bytes:
    encoded = secret[len(SECRET_PREFIX):] if secret.startswith(SECRET_PREFIX) else secret
    try:
        key = base64.b64decode(encoded, validate=True)
    except ValueError as problem:
        raise WebhookVerificationError("The webhook secret is not whsec_<base64>") from problem
    if not key:
        # An unset secret (an empty environment variable) would otherwise
        # accept whatever anyone signs with an empty key.
        raise WebhookVerificationError("The webhook secret is empty: set the endpoint's whsec_ secret")
    return key


def sign_webhook(secret: str, webhook_id: str, timestamp: int, body: bytes | str) -> str:
    """The ``webhook-signature`` value the hub sends for this delivery."""
    payload = body.encode() if isinstance(body, str) else body
    signed = f"{webhook_id}.{timestamp}.".encode() + payload
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    raise WebhookVerificationError(f"The {name} header is missing")


def verify_webhook(
    payload: bytes | str,
    headers: Mapping[str, str],
    secret: str,
    *,
    tolerance: float = TOLERANCE_SECONDS,
    now: float | None = None,
) -> Any:
    """Check a delivery's signature and timestamp; return its parsed JSON body.

    ``payload`` must be the raw body as received (not re-serialized JSON).
    Raises :class:`~continuata.errors.WebhookVerificationError`, and nothing
    else, when the signature does not match, the timestamp is more than
    ``tolerance`` seconds away from now, a header is missing or malformed
    (any text), or the secret is empty.
    """
    key = _key(secret)  # an empty secret is refused before anything is compared
    body = payload.encode() if isinstance(payload, str) else bytes(payload)
    webhook_id = _header(headers, "webhook-id")
    stamp = _header(headers, "webhook-timestamp")
    # ASCII digits only: int() would also take " 12", "+12", "1_2" and other scripts' digits.
    if not (stamp.isascii() and stamp.isdigit()):
        raise WebhookVerificationError(f"The webhook-timestamp header is not a number: {stamp[:40]!r}")
    timestamp = int(stamp)
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise WebhookVerificationError("The webhook's timestamp is too far from now (older or newer than the tolerance)")
    signed = f"{webhook_id}.{timestamp}.".encode("utf-8", "surrogatepass") + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest())
    for candidate in _header(headers, "webhook-signature").split():
        version, _, signature = candidate.partition(",")
        # Bytes, not str: compare_digest refuses a str with any non-ASCII
        # character (a TypeError), and a header may hold any text.
        if version == "v1" and hmac.compare_digest(signature.encode("utf-8", "surrogatepass"), expected):
            try:
                return json.loads(body)
            except (ValueError, RecursionError) as problem:
                raise WebhookVerificationError("The webhook's body is not JSON") from problem
    raise WebhookVerificationError("No webhook signature matches this secret")
