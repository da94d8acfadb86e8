"""The PayPal plugin: PayPal's webhook turns paid orders into download links.

Set up in PayPal's developer dashboard: a REST app, and a webhook pointing
at ``<HUB_PUBLIC_URL>/plugins/paypal/webhook`` with the events
``PAYMENT.CAPTURE.COMPLETED``, ``CHECKOUT.ORDER.COMPLETED`` and
``PAYMENT.CAPTURE.REFUNDED``. Then set ``HUB_PAYPAL_WEBHOOK_ID`` (the
webhook's id), ``HUB_PAYPAL_CLIENT_ID`` / ``HUB_PAYPAL_CLIENT_SECRET`` (the
app's credentials, to read the buyer's email from the order) and, for the
sandbox, ``HUB_PAYPAL_API_BASE=https://api-m.sandbox.paypal.com``. The shop
names the products in each purchase unit's ``custom_id``:
``"epic-drums-v1, pads@2.0.0"``.

- ``PAYMENT.CAPTURE.COMPLETED`` and ``CHECKOUT.ORDER.COMPLETED`` record the
  order once (whichever arrives first), mint a token per item and queue the
  delivery email.
- ``PAYMENT.CAPTURE.REFUNDED`` revokes the order's tokens once the capture
  is refunded in full (a partial refund leaves the links working).
- Every other event is acknowledged; every event is acted on once.

Without ``HUB_PAYPAL_WEBHOOK_ID`` the route is not added and an error is
logged at start-up.
"""

from __future__ import annotations

import logging

from hub.context import Hub
from hub.hookspecs import hookimpl
from plugins.paypal.api import PayPalApi
from plugins.paypal.config import SETTINGS, PayPalConfig
from plugins.paypal.signature import CertificateFetch, CertificateVerifier
from plugins.paypal.webhook import PATH, PayPalWebhook, webhook_route

log = logging.getLogger("hub.plugins.paypal")

certificate_fetcher: CertificateFetch | None = None
"""How signing certificates are downloaded. None (the default) fetches them
over HTTPS with the app's HTTP client; a test sets a function returning a
test certificate (``monkeypatch.setattr(plugins.paypal, "certificate_fetcher", fetch)``)
before it builds the app."""

STATE = "paypal"  # the plugin's key in hub.plugin_state: its webhook


def webhook_of(hub: Hub) -> PayPalWebhook | None:
    """The PayPal webhook built for ``hub``'s app, if it has one."""
    return hub.plugin_state.get(STATE)


@hookimpl
def hub_settings():
    return list(SETTINGS)


@hookimpl
def hub_routes(hub):
    config = PayPalConfig.from_extra(hub.settings.extra)
    if not config.webhook_id:
        log.warning(
            "PayPal: HUB_PAYPAL_WEBHOOK_ID is not set, so %s is not served and PayPal payments are not "
            "delivered. Set it to the id PayPal's dashboard shows for the webhook, or leave the plugin "
            "out with HUB_PLUGINS=all,-paypal.",
            PATH,
        )
        return []
    if not config.has_credentials:
        log.error(
            "PayPal: HUB_PAYPAL_CLIENT_ID / HUB_PAYPAL_CLIENT_SECRET are not set: a capture event carries "
            "no buyer email, so PAYMENT.CAPTURE.COMPLETED is refused (and retried by PayPal) until they "
            "are; CHECKOUT.ORDER.COMPLETED still delivers."
        )
    api = PayPalApi(config)
    verifier = None
    if config.verify == "certificate":
        verifier = CertificateVerifier(certificate_fetcher or api.fetch_certificate)
    webhook = PayPalWebhook(config, api, verifier)
    hub.plugin_state[STATE] = webhook
    return [webhook_route(webhook)]


@hookimpl
async def hub_startup(hub):
    webhook = webhook_of(hub)
    if webhook is not None:
        await webhook.api.open()


@hookimpl
async def hub_shutdown(hub):
    webhook = webhook_of(hub)
    if webhook is not None:
        await webhook.api.close()
