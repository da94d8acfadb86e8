"""Verifying the hub's offline license files, with no network.

A license file (``POST /api/licenses/checkout``) is::

    -----BEGIN LICENSE FILE-----
    <base64 of {"enc": ..., "sig": ..., "alg": "base64+ed25519"}>
    -----END LICENSE FILE-----

``enc`` is the base64 of the license's JSON, ``sig`` the base64 Ed25519
signature of ``enc`` (its ASCII bytes) made with the shop's key; the public
key is ``GET /api/licenses/public-key?org=<org>`` (raw, base64). Ship it
inside your software.

The signature is checked with the ``cryptography`` package when it is
installed (``pip install cryptography``): this SDK itself depends on httpx
only, so the verifier asks for it when it is missing rather than bringing
it to every shop that never uses license files.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from continuata.errors import LicenseFileError

BEGIN = "-----BEGIN LICENSE FILE-----"
END = "-----END LICENSE FILE-----"
ALGORITHM = "base64+ed25519"


@dataclass
class LicenseFile:
    """What a verified license file says."""

    org: str
    product_id: str
    product_name: str
    license_id: str
    key: str
    fingerprint: str
    issued: datetime
    ttl: int
    check_in_by: datetime
    """After this, the software should check in with the hub again (validate, checkout)."""
    expiry: datetime | None
    """The license's own expiry; None: it does not expire."""
    raw: dict[str, Any] = field(default_factory=dict)


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _b64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise LicenseFileError(f"The license file's {what} is not base64") from None


def _verify_signature(public_key: str | bytes, signature: bytes, data: bytes) -> None:
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    except ImportError:  # pragma: no cover (the hub's test environment has it)
        raise LicenseFileError(
            "Verifying license files needs the cryptography package: pip install cryptography"
        ) from None
    raw = _b64(public_key, "public key") if isinstance(public_key, str) else public_key
    try:
        Ed25519PublicKey.from_public_bytes(raw).verify(signature, data)
    except (InvalidSignature, ValueError):
        raise LicenseFileError("The license file's signature does not match: it was changed, or is another shop's") from None


def verify_license_file(
    certificate: str, public_key: str | bytes, *, fingerprint: str | None = None, now: datetime | None = None
) -> LicenseFile:
    """The license ``certificate`` says, once its signature is checked with
    ``public_key`` (base64 or raw bytes), it names ``fingerprint`` (when
    given) and neither its ``checkInBy`` nor its license's expiry is past
    at ``now`` (default: the current time). Raises :class:`LicenseFileError`."""
    text = certificate.strip()
    if not (text.startswith(BEGIN) and text.endswith(END)):
        raise LicenseFileError("Not a license file (no BEGIN LICENSE FILE / END LICENSE FILE lines)")
    body = "".join(text[len(BEGIN) : -len(END)].split())
    try:
        envelope = json.loads(_b64(body, "body"))
        enc, sig, alg = envelope["enc"], envelope["sig"], envelope["alg"]
    except (ValueError, KeyError, TypeError):
        raise LicenseFileError("The license file is damaged (no enc, sig and alg inside)") from None
    if alg != ALGORITHM:
        raise LicenseFileError(f"Unknown license file algorithm {alg!r}")
    if not isinstance(enc, str) or not isinstance(sig, str):
        raise LicenseFileError("The license file is damaged (enc and sig must be text)")
    _verify_signature(public_key, _b64(sig, "signature"), enc.encode("ascii"))
    data = json.loads(_b64(enc, "data"))
    license = LicenseFile(
        org=data["org"],
        product_id=data["product"]["id"],
        product_name=data["product"]["name"],
        license_id=data["license"]["id"],
        key=data["license"]["key"],
        fingerprint=data["fingerprint"],
        issued=_time(data["issued"]),  # type: ignore[arg-type]
        ttl=data["ttl"],
        check_in_by=_time(data["checkInBy"]),  # type: ignore[arg-type]
        expiry=_time(data.get("expiry")),
        raw=data,
    )
    moment = now or datetime.now(timezone.utc)
    if fingerprint is not None and fingerprint != license.fingerprint:
        raise LicenseFileError("The license file is for another machine")
    if license.expiry is not None and moment >= license.expiry:
        raise LicenseFileError("The license has expired")
    if moment >= license.check_in_by:
        raise LicenseFileError("The license file's TTL is over: check in with the shop again")
    return license
