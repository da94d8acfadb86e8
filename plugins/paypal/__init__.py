"""The PayPal plugin: PayPal's webhook turns paid orders into download links.

Set up in PayPal's developer dashboard: a REST app, and a webhook pointing
at ``<HUB_PUBLIC_URL>/plugins/paypal/webhook`` with the events
``PAYMENT.CAPTURE.COMPLETED``, ``CHECKOUT.ORDER.COMPLETED``,
``PAYMENT.CAPTURE.REFUNDED``, ``CUSTOMER.DISPUTE.CREATED`` and
``CUSTOMER.DISPUTE.RESOLVED``. Then set ``HUB_PAYPAL_WEBHOOK_ID`` (the
webhook's id), ``HUB_PAYPAL_CLIENT_ID`` / ``HUB_PAYPAL_CLIENT_SECRET`` (the
app's credentials, to read the buyer's email from the order) and, for the
sandbox, ``HUB_PAYPAL_API_BASE=https://api-m.sandbox.paypal.com``. The shop
names the products in each purchase unit's ``custom_id``:
``"epic-drums-v1, pads@2.0.0"``.

The webhook verifies each event and stores it in the hub's inbox
(:mod:`continuata_plugins.paypal.webhook`); the worker processes it
(:mod:`continuata_plugins.paypal.processing`), once, in order per capture:

- ``PAYMENT.CAPTURE.COMPLETED`` and ``CHECKOUT.ORDER.COMPLETED`` record the
  order once (whichever arrives first), mint a token per item and queue the
  delivery email.
- ``PAYMENT.CAPTURE.REFUNDED`` revokes the order's tokens once the capture
  is refunded in full (a partial refund leaves the links working).
- ``CUSTOMER.DISPUTE.CREATED`` puts the order on hold;
  ``CUSTOMER.DISPUTE.RESOLVED`` revokes it (buyer's favour) or restores it.
- A refund or dispute that arrives before its payment is kept and applied
  when the payment is recorded.
- Every other event is noted and done.

Without ``HUB_PAYPAL_WEBHOOK_ID`` the route is not added and an error is
logged at start-up.
"""

from __future__ import annotations

import logging

from hub.plugin_api import Hub, PaymentProviderStatus, hookimpl

from .api import PayPalApi
from .config import SETTINGS, PayPalConfig
from .events import PROVIDER
from .processing import PayPalEvents
from .signature import CertificateFetch, CertificateVerifier
from .webhook import PATH, PayPalWebhook, webhook_route

log = logging.getLogger("hub.plugins.paypal")

EVENTS = (
    "PAYMENT.CAPTURE.COMPLETED",
    "CHECKOUT.ORDER.COMPLETED",
    "PAYMENT.CAPTURE.REFUNDED",
    "CUSTOMER.DISPUTE.CREATED",
    "CUSTOMER.DISPUTE.RESOLVED",
)
"""The events to subscribe the webhook to (shown in the console)."""

certificate_fetcher: CertificateFetch | None = None
"""How signing certificates are downloaded. None (the default) fetches them
over HTTPS with the app's HTTP client; a test sets a function returning a
test certificate (``monkeypatch.setattr(continuata_plugins.paypal, "certificate_fetcher", fetch)``)
before it builds the app."""

STATE = "paypal"  # the plugin's key in hub.plugin_state: its webhook


def webhook_of(hub: Hub) -> PayPalWebhook | None:
    """The PayPal webhook of ``hub`` (its settings, API client and verifier),
    made on first use; None while ``HUB_PAYPAL_WEBHOOK_ID`` is not set."""
    webhook = hub.plugin_state.get(STATE)
    if not isinstance(webhook, PayPalWebhook):  # None until the first use
        config = PayPalConfig.from_extra(hub.settings.extra)
        if not config.webhook_id:
            return None
        api = PayPalApi(config)
        verifier = None
        if config.verify == "certificate":
            verifier = CertificateVerifier(certificate_fetcher or api.fetch_certificate)
        webhook = hub.plugin_state[STATE] = PayPalWebhook(config, api, verifier)
    return webhook


@hookimpl
def hub_settings():
    return list(SETTINGS)


@hookimpl
def hub_inbox_processors(hub):
    webhook = webhook_of(hub)
    if webhook is None:
        return {}
    return {PROVIDER: PayPalEvents(webhook.config, webhook.api).process}


@hookimpl
def payment_provider_status(hub):
    config = PayPalConfig.from_extra(hub.settings.extra)
    missing = tuple(
        name for name, value in (("HUB_PAYPAL_WEBHOOK_ID", config.webhook_id), ("HUB_PAYPAL_CLIENT_ID", config.client_id),
                                 ("HUB_PAYPAL_CLIENT_SECRET", config.client_secret)) if not value
    )
    return PaymentProviderStatus(
        name="paypal", title="PayPal", configured=bool(config.webhook_id),
        webhook_url=f"{hub.settings.public_url}{PATH}", missing=missing,
        note="Live: purchases are real." if config.livemode else "Sandbox: purchases are recorded as test mode.",
        events=EVENTS, settings=tuple(setting.name for setting in SETTINGS),
    )


@hookimpl
def hub_routes(hub):
    webhook = webhook_of(hub)
    if webhook is None:
        log.warning(
            "PayPal: HUB_PAYPAL_WEBHOOK_ID is not set, so %s is not served and PayPal payments are not "
            "delivered. Set it to the id PayPal's dashboard shows for the webhook, or leave the plugin "
            "out with HUB_PLUGINS=all,-paypal.",
            PATH,
        )
        return []
    if not webhook.config.has_credentials:
        log.error(
            "PayPal: HUB_PAYPAL_CLIENT_ID / HUB_PAYPAL_CLIENT_SECRET are not set: a capture event carries "
            "no buyer email, so PAYMENT.CAPTURE.COMPLETED cannot be processed (it is retried, then left "
            "failed in the inbox) until they are; CHECKOUT.ORDER.COMPLETED still delivers."
        )
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
