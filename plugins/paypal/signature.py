"""PayPal's webhook signatures, checked locally.

PayPal signs ``transmission_id|transmission_time|webhook_id|crc32(body)``
(the CRC32 of the raw body as an unsigned decimal) with SHA256withRSA and
names, in ``PAYPAL-CERT-URL``, the certificate that verifies it. That URL
arrives with the request, so anyone can name any URL: it is accepted only
over HTTPS on PayPal's own API hosts, and checked *before* anything is
fetched. Certificates are cached in memory by URL (PayPal uses one for
months); a cached certificate is used only while it is valid.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import zlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from hub.plugin_api import BadRequest, utcnow

log = logging.getLogger("hub.plugins.paypal")

CERTIFICATE_HOSTS = frozenset(
    {"api.paypal.com", "api-m.paypal.com", "api.sandbox.paypal.com", "api-m.sandbox.paypal.com"}
)
ALGORITHM = "SHA256withRSA"
HEADERS = {
    "transmission_id": "PAYPAL-TRANSMISSION-ID",
    "transmission_time": "PAYPAL-TRANSMISSION-TIME",
    "transmission_sig": "PAYPAL-TRANSMISSION-SIG",
    "cert_url": "PAYPAL-CERT-URL",
    "auth_algo": "PAYPAL-AUTH-ALGO",
}
CACHE_SIZE = 32

CertificateFetch = Callable[[str], Awaitable[bytes]]
"""``async fetch(url) -> PEM bytes``: how a certificate is downloaded."""


class SignatureError(BadRequest):
    """The webhook's signature headers are missing, malformed or wrong."""


@dataclass(frozen=True)
class Transmission:
    """The signature headers of one webhook delivery."""

    transmission_id: str
    transmission_time: str
    transmission_sig: str
    cert_url: str
    auth_algo: str

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> Transmission:
        values = {field: (headers.get(name) or "").strip() for field, name in HEADERS.items()}
        missing = [HEADERS[field] for field, value in values.items() if not value]
        if missing:
            raise SignatureError(f"Missing PayPal signature header(s): {', '.join(missing)}")
        return cls(**values)

    def as_api_fields(self) -> dict[str, str]:
        """The fields of PayPal's verify-webhook-signature request."""
        return {
            "auth_algo": self.auth_algo,
            "cert_url": self.cert_url,
            "transmission_id": self.transmission_id,
            "transmission_sig": self.transmission_sig,
            "transmission_time": self.transmission_time,
        }


def check_certificate_url(url: str) -> None:
    """Refuse a certificate URL that is not HTTPS on one of PayPal's API hosts."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise SignatureError("PAYPAL-CERT-URL is not a valid URL") from None
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or host not in CERTIFICATE_HOSTS or parts.username or port not in (None, 443):
        raise SignatureError(
            f"PAYPAL-CERT-URL must be an https URL on {', '.join(sorted(CERTIFICATE_HOSTS))}; "
            "this webhook did not come from PayPal"
        )


def signed_message(transmission: Transmission, webhook_id: str, body: bytes) -> bytes:
    """What PayPal signs: ``id|time|webhook_id|crc32`` (CRC32 unsigned, decimal)."""
    crc = zlib.crc32(body) & 0xFFFFFFFF
    return f"{transmission.transmission_id}|{transmission.transmission_time}|{webhook_id}|{crc}".encode()


@dataclass(frozen=True)
class _Cached:
    public_key: rsa.RSAPublicKey
    not_before: datetime
    not_after: datetime

    def valid_at(self, moment: datetime) -> bool:
        return self.not_before <= moment <= self.not_after


class CertificateVerifier:
    """Verify PayPal signatures against certificates from ``fetch``.

    :param fetch: downloads a certificate URL (already checked to be on
        PayPal's hosts) and returns its PEM; tests pass one that returns a
        test certificate.
    """

    def __init__(self, fetch: CertificateFetch) -> None:
        self._fetch = fetch
        self._cache: dict[str, _Cached] = {}
        # One download at a time: a burst of events naming a certificate not
        # yet cached fetches it once, not once per event.
        self._fetching = asyncio.Lock()

    async def verify(self, transmission: Transmission, webhook_id: str, body: bytes) -> None:
        """Return when the signature is PayPal's; raise :class:`SignatureError` otherwise."""
        if transmission.auth_algo != ALGORITHM:
            raise SignatureError(f"Unsupported PAYPAL-AUTH-ALGO {transmission.auth_algo!r}; expected {ALGORITHM}")
        check_certificate_url(transmission.cert_url)
        try:
            signature = base64.b64decode(transmission.transmission_sig, validate=True)
        except (binascii.Error, ValueError):
            raise SignatureError("PAYPAL-TRANSMISSION-SIG is not base64") from None
        certificate = await self._certificate(transmission.cert_url)
        try:
            certificate.public_key.verify(
                signature, signed_message(transmission, webhook_id, body), padding.PKCS1v15(), hashes.SHA256()
            )
        except InvalidSignature:
            raise SignatureError("The PayPal webhook signature does not match") from None

    async def _certificate(self, url: str) -> _Cached:
        now = utcnow()
        cached = self._cache.get(url)
        if cached and cached.valid_at(now):
            return cached
        async with self._fetching:
            cached = self._cache.get(url)
            if cached and cached.valid_at(now):
                return cached
            loaded = _load(await self._fetch(url), url)
            if not loaded.valid_at(now):
                self._cache.pop(url, None)
                raise SignatureError("PayPal's signing certificate is expired or not yet valid")
            if len(self._cache) >= CACHE_SIZE:
                self._cache.pop(next(iter(self._cache)))
            self._cache[url] = loaded
            return loaded


def _load(pem: bytes, url: str) -> _Cached:
    try:
        # PayPal serves the signing certificate first, then its chain.
        certificate = x509.load_pem_x509_certificates(pem)[0]
    except (ValueError, IndexError):
        log.warning("The PayPal certificate at %s could not be read", url)
        raise SignatureError("PayPal's signing certificate could not be read") from None
    key = certificate.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise SignatureError("PayPal's signing certificate does not hold an RSA key")
    return _Cached(key, certificate.not_valid_before_utc, certificate.not_valid_after_utc)
