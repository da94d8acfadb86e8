"""``POST /plugins/paypal/webhook``: PayPal's events, verified, acted on once.

The order of the checks matters:

1. the signature headers are present and the certificate URL is PayPal's
   (before anything is fetched);
2. the signature verifies (locally against the certificate, or through
   PayPal's API with ``HUB_PAYPAL_VERIFY=api``);
3. the organization is known;
4. an event already stored is answered 200 at once, before PayPal's API is
   asked anything;
5. the event is handed to the core (:mod:`hub.services.fulfillment`), which
   stores its id in the same transaction as what it does.

The answer is 200 ``{"received": true, "duplicate": ..., "note": ...}``
once the event is stored (or was already). A refusal (400, in the main
API's envelope) stores nothing, so PayPal's retry (after the shop fixes a
setting, or PayPal's API is back) is acted on.

- ``PAYMENT.CAPTURE.COMPLETED`` (status ``COMPLETED``) and
  ``CHECKOUT.ORDER.COMPLETED`` (with a completed capture) record the
  order: see :mod:`plugins.paypal.events`;
- ``PAYMENT.CAPTURE.REFUNDED`` revokes the order's tokens when the refund
  leaves nothing paid; a partial refund is acknowledged;
- everything else is stored and acknowledged.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from litestar import Request, post
from litestar.handlers import HTTPRouteHandler
from piccolo.columns.combination import WhereRaw

from hub.context import Hub
from hub.errors import BadRequest
from hub.services.fulfillment import Outcome, WebhookEventIn, acknowledge, already_seen, fulfil, refund, seen_before
from hub.services.purchases import find_purchase
from hub.tables import Organization, Purchase
from plugins.paypal import events
from plugins.paypal.api import PayPalApi
from plugins.paypal.config import PayPalConfig
from plugins.paypal.signature import CertificateVerifier, SignatureError, Transmission, check_certificate_url

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

    async def receive(self, hub: Hub, body: bytes, headers: Mapping[str, str]) -> Outcome:
        """Verify one delivery and act on its event (once)."""
        transmission = Transmission.from_headers(headers)
        check_certificate_url(transmission.cert_url)
        event = events.parse_event(body)
        await self._verify(transmission, body)
        org = await webhook_org(self.config.org)
        incoming = WebhookEventIn(
            provider=events.PROVIDER, event_id=event["id"], event_type=event["event_type"], org=org
        )
        if await already_seen(incoming.provider, incoming.event_id):
            return seen_before(incoming.provider)
        resource = event["resource"]
        if incoming.event_type == events.CAPTURE_COMPLETED:
            return await self._capture_completed(hub, incoming, resource)
        if incoming.event_type == events.ORDER_COMPLETED:
            return await self._order_completed(hub, incoming, resource)
        if incoming.event_type == events.CAPTURE_REFUNDED:
            return await self._capture_refunded(hub, incoming, resource)
        return await acknowledge(hub, incoming, f"{incoming.event_type}: nothing to do")

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

    async def _capture_completed(self, hub: Hub, incoming: WebhookEventIn, capture: dict[str, Any]) -> Outcome:
        status = capture.get("status")
        if status != events.COMPLETED:
            return await acknowledge(hub, incoming, f"capture status {status}: nothing to deliver yet")
        order_id = events.order_id_of_capture(capture)
        order = None
        # When CHECKOUT.ORDER.COMPLETED recorded the order first, the buyer is
        # already known: no need to ask PayPal (the core finds the purchase).
        if order_id and not await find_purchase(incoming.org, events.PROVIDER, order_id):
            order = await self.api.get_order(order_id)
        return await fulfil(hub, incoming, events.purchase_from_capture(incoming.org, capture, order))

    async def _order_completed(self, hub: Hub, incoming: WebhookEventIn, order: dict[str, Any]) -> Outcome:
        purchase = events.purchase_from_order(incoming.org, order)
        if purchase is None:
            return await acknowledge(hub, incoming, "order has no completed capture yet: nothing to deliver")
        return await fulfil(hub, incoming, purchase)

    async def _capture_refunded(self, hub: Hub, incoming: WebhookEventIn, refund_resource: dict[str, Any]) -> Outcome:
        capture_id = events.capture_id_of_refund(refund_resource)
        if capture_id is None:
            return await acknowledge(hub, incoming, "refund names no capture: nothing to revoke")
        purchase = await purchase_for_capture(incoming.org, capture_id)
        provider_ref = purchase["provider_ref"] if purchase else None
        whole = events.refunds_whole_purchase(refund_resource, purchase) if purchase else None
        if (provider_ref is None or whole is None) and self.config.has_credentials:
            # The payload cannot tell: PayPal's capture names its order and
            # says whether it is REFUNDED or only PARTIALLY_REFUNDED.
            capture = await self.api.get_capture(capture_id)
            provider_ref = provider_ref or events.order_id_of_capture(capture)
            whole = capture.get("status") == "REFUNDED"
        if whole is False:
            return await acknowledge(hub, incoming, f"partial refund of capture {capture_id}: the links stay valid")
        return await refund(hub, incoming, provider_ref or capture_id)


async def webhook_org(configured: str) -> str:
    """The organization PayPal's payments belong to: ``HUB_PAYPAL_ORG``, or
    the hub's only organization."""
    if configured:
        if not await Organization.exists().where(Organization.id == configured):
            raise BadRequest(f"HUB_PAYPAL_ORG names organization {configured!r}, which does not exist")
        return configured
    found = await Organization.select(Organization.id).limit(2)
    if len(found) == 1:
        return found[0]["id"]
    raise BadRequest(
        "Set HUB_PAYPAL_ORG to the organization PayPal payments belong to: "
        + ("this hub has no organization yet" if not found else "this hub has several")
    )


async def purchase_for_capture(org: str, capture_id: str) -> dict[str, Any] | None:
    """The PayPal purchase paid by ``capture_id`` (named in its metadata, or
    recorded under it), if the hub has one."""
    if not events.paypal_id(capture_id):
        return None
    # A text search narrows the rows on both databases; the JSON decides.
    rows = (
        await Purchase.select()
        .where(
            Purchase.org == org,
            Purchase.provider == events.PROVIDER,
            WhereRaw("CAST(metadata AS TEXT) LIKE {}", f'%"{capture_id}"%'),
        )
        .output(load_json=True)
    )
    for row in rows:
        metadata = row["metadata"] if isinstance(row["metadata"], dict) else {}
        if capture_id in (metadata.get("captureIds") or []):
            return row
    return await find_purchase(org, events.PROVIDER, capture_id)


def webhook_route(webhook: PayPalWebhook) -> HTTPRouteHandler:
    """The route handler for ``webhook`` (one per app)."""

    @post(PATH, status_code=200, include_in_schema=False, request_max_body_size=MAX_BODY_BYTES)
    async def paypal_webhook(request: Request, hub: Hub) -> dict:
        outcome = await webhook.receive(hub, await request.body(), request.headers)
        answer: dict[str, Any] = {"received": True, "duplicate": outcome.duplicate, "note": outcome.note}
        if outcome.purchase:
            answer["purchaseId"] = outcome.purchase["id"]
        return answer

    return paypal_webhook
