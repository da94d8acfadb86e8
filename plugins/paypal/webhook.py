"""``POST /plugins/paypal/webhook``: PayPal's events, verified and stored.

The order of the checks matters:

1. the signature headers are present and the certificate URL is PayPal's
   (before anything is fetched);
2. the signature verifies (locally against the certificate, or through
   PayPal's API with ``HUB_PAYPAL_VERIFY=api``);
3. the organization is known;
4. the event is stored in the hub's inbox (:func:`hub.plugin_api.store_event`),
   once: a replay is answered 200 ``duplicate``.

The answer is 200 ``{"received": true, "duplicate": ..., "note": ...}``
once the event is stored (or was already); the worker processes it later
(:mod:`continuata_plugins.paypal.processing`), so no call to PayPal's order API delays
the answer. A refusal (400, in the main API's envelope) stores nothing, so
PayPal's retry (after the shop fixes a setting) is stored then.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from litestar import Request, post
from litestar.handlers import HTTPRouteHandler

from hub.plugin_api import Hub, organization_for, store_event

from . import events
from .api import PayPalApi
from .config import PayPalConfig
from .signature import CertificateVerifier, SignatureError, Transmission, check_certificate_url

log = logging.getLogger("hub.plugins.paypal")

PATH = "/plugins/paypal/webhook"
MAX_BODY_BYTES = 1024 * 1024  # PayPal's events are a few kilobytes


class PayPalWebhook:
    """The webhook of one app: its settings, PayPal's API, the verifier.

    :param verifier: checks signatures locally; None with ``HUB_PAYPAL_VERIFY=api``.
    """

    def __init__(self, config: PayPalConfig, api: PayPalApi, verifier: CertificateVerifier | None) -> None:
        self.config = config
        self.api = api
        self.verifier = verifier

    async def receive(self, hub: Hub, body: bytes, headers: Mapping[str, str]) -> dict[str, Any]:
        """Verify one delivery and store its event (once); the answer for PayPal."""
        transmission = Transmission.from_headers(headers)
        check_certificate_url(transmission.cert_url)
        event = events.parse_event(body)
        await self._verify(transmission, body)
        org = await organization_for(events.PROVIDER, self.config.org, db=hub.db)
        stored = await store_event(
            hub,
            provider=events.PROVIDER,
            event_id=event["id"],
            event_type=event["event_type"],
            org=org,
            payment_key=events.payment_key(event["event_type"], event["resource"]),
            payload=event,
        )
        note = "stored; the hub processes it shortly" if stored else "already received"
        return {"received": True, "duplicate": not stored, "note": note}

    async def _verify(self, transmission: Transmission, body: bytes) -> None:
        if self.verifier is not None:
            try:
                await self.verifier.verify(transmission, self.config.webhook_id, body)
            except SignatureError as problem:
                log.warning("Refused a PayPal webhook (transmission %s): %s", transmission.transmission_id, problem.message)
                raise
        elif not await self.api.verify_signature(transmission, self.config.webhook_id, body):
            log.warning("PayPal did not confirm the signature of transmission %s", transmission.transmission_id)
            raise SignatureError("PayPal did not confirm the webhook signature")


def webhook_route(webhook: PayPalWebhook) -> HTTPRouteHandler:
    """The route handler for ``webhook`` (one per app)."""

    @post(PATH, status_code=200, include_in_schema=False, request_max_body_size=MAX_BODY_BYTES)
    async def paypal_webhook(request: Request, hub: Hub) -> dict:
        return await webhook.receive(hub, await request.body(), request.headers)

    return paypal_webhook
