"""PayPal's REST API, as far as the hub needs it.

One :class:`httpx.AsyncClient` per app, opened at start-up and closed at
shutdown. The OAuth access token (client credentials) is cached in memory
until shortly before it expires, and fetched again once if PayPal refuses
it: a cache, not state other hub processes need.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any
from urllib.parse import quote

import httpx

from hub.plugin_api import BadRequest

from .config import PayPalConfig
from .signature import SignatureError, Transmission

log = logging.getLogger("hub.plugins.paypal")

# Signature checks with HUB_PAYPAL_VERIFY=api are made while PayPal waits
# for the answer: keep the calls short. Order and capture reads are made
# by the worker, whose inbox retries a failed call with backoff.
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
MAX_CERTIFICATE_BYTES = 64 * 1024
TOKEN_MARGIN_SECONDS = 60


class PayPalUnavailable(BadRequest):
    """PayPal's API could not answer (unreachable, or the credentials are
    missing or refused). While verifying a signature (``HUB_PAYPAL_VERIFY=api``)
    the event is not stored, and the 400 makes PayPal deliver it again; while
    processing a stored event, the inbox retries it with backoff."""


class PayPalApi:
    def __init__(self, config: PayPalConfig) -> None:
        self.config = config
        self._http: httpx.AsyncClient | None = None
        self._token: tuple[str, float] | None = None  # (access token, monotonic expiry)
        self._token_lock = asyncio.Lock()

    # --- lifetime ---

    async def open(self) -> None:
        self._http = httpx.AsyncClient(timeout=TIMEOUT, headers={"Accept": "application/json"})

    async def close(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    @property
    def http(self) -> httpx.AsyncClient:
        if self._http is None:
            raise RuntimeError("The PayPal plugin's HTTP client is not open (the app has not started)")
        return self._http

    # --- what the plugin asks ---

    async def get_order(self, order_id: str) -> dict[str, Any]:
        """``GET /v2/checkout/orders/{id}``: the order, with its payer."""
        return await self._get_json(f"/v2/checkout/orders/{quote(order_id, safe='')}")

    async def get_capture(self, capture_id: str) -> dict[str, Any]:
        """``GET /v2/payments/captures/{id}``: a capture, with its order id."""
        return await self._get_json(f"/v2/payments/captures/{quote(capture_id, safe='')}")

    async def verify_signature(self, transmission: Transmission, webhook_id: str, body: bytes) -> bool:
        """Ask PayPal whether it signed ``body`` (``HUB_PAYPAL_VERIFY=api``).

        The event is spliced in as the raw bytes received, not parsed and
        serialized again: PayPal checks the signature over what it sent,
        and a re-encoding (key order, number formats, escapes) can differ.
        """
        fields = json.dumps({**transmission.as_api_fields(), "webhook_id": webhook_id})
        content = fields[:-1].encode() + b', "webhook_event": ' + body.strip() + b"}"
        response = await self._request(
            "POST",
            "/v1/notifications/verify-webhook-signature",
            content=content,
            headers={"Content-Type": "application/json"},
        )
        if response.status_code == 400:
            # PayPal refuses malformed verification requests (an unknown
            # webhook id, a malformed signature): not a signature of PayPal's.
            log.warning("PayPal refused to verify a webhook signature: %s", _short(response.text))
            return False
        status = self._json(response, "POST /v1/notifications/verify-webhook-signature").get("verification_status")
        return status == "SUCCESS"

    async def fetch_certificate(self, url: str) -> bytes:
        """Download a signing certificate (the URL is already checked to be PayPal's)."""
        try:
            response = await self.http.get(url, follow_redirects=False)
        except httpx.HTTPError as problem:
            log.warning("Fetching PayPal's certificate %s failed: %s", url, problem)
            raise PayPalUnavailable("PayPal's signing certificate could not be fetched; try again later") from None
        if response.status_code >= 500:
            raise PayPalUnavailable(f"PayPal answered {response.status_code} for its signing certificate")
        if response.status_code != 200 or len(response.content) > MAX_CERTIFICATE_BYTES:
            log.warning("PayPal answered %s for certificate %s", response.status_code, url)
            raise SignatureError("PAYPAL-CERT-URL does not name a PayPal signing certificate")
        return response.content

    # --- plumbing ---

    async def _get_json(self, path: str) -> dict[str, Any]:
        response = await self._request("GET", path)
        return self._json(response, f"GET {path}")

    def _json(self, response: httpx.Response, what: str) -> dict[str, Any]:
        if response.status_code != 200:
            log.error("PayPal answered %s to %s: %s", response.status_code, what, _short(response.text))
            raise PayPalUnavailable(f"PayPal answered {response.status_code} to {what}")
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            raise PayPalUnavailable(f"PayPal's answer to {what} is not a JSON object")
        return answer

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        url = self.config.api_base + path
        headers = kwargs.pop("headers", {})
        for attempt in range(2):
            token = await self._access_token(renew=attempt > 0)
            try:
                response = await self.http.request(
                    method, url, headers={**headers, "Authorization": f"Bearer {token}"}, **kwargs
                )
            except httpx.HTTPError as problem:
                log.warning("%s %s failed: %s", method, url, problem)
                raise PayPalUnavailable(f"PayPal's API could not be reached ({type(problem).__name__})") from None
            if response.status_code != 401:
                return response
            # The cached token was revoked or expired early: renew it once.
        return response

    async def _access_token(self, *, renew: bool) -> str:
        if not self.config.has_credentials:
            raise PayPalUnavailable(
                "HUB_PAYPAL_CLIENT_ID and HUB_PAYPAL_CLIENT_SECRET are not set: the hub cannot ask PayPal "
                "for the order (a capture event carries no buyer email)"
            )
        async with self._token_lock:
            if self._token and not renew and time.monotonic() < self._token[1]:
                return self._token[0]
            try:
                response = await self.http.post(
                    self.config.api_base + "/v1/oauth2/token",
                    data={"grant_type": "client_credentials"},
                    auth=(self.config.client_id, self.config.client_secret),
                )
            except httpx.HTTPError as problem:
                log.warning("PayPal's OAuth token request failed: %s", problem)
                raise PayPalUnavailable(f"PayPal's API could not be reached ({type(problem).__name__})") from None
            if response.status_code != 200:
                log.error("PayPal refused the client credentials (%s): %s", response.status_code, _short(response.text))
                raise PayPalUnavailable(
                    f"PayPal refused HUB_PAYPAL_CLIENT_ID / HUB_PAYPAL_CLIENT_SECRET ({response.status_code})"
                )
            answer = self._json(response, "POST /v1/oauth2/token")
            token = answer.get("access_token")
            if not isinstance(token, str) or not token:
                raise PayPalUnavailable("PayPal's OAuth answer holds no access token")
            lifetime = answer.get("expires_in")
            lifetime = lifetime if isinstance(lifetime, int) else 300
            self._token = (token, time.monotonic() + max(lifetime - TOKEN_MARGIN_SECONDS, 0))
            return token


def _short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
