"""Paddle Billing for Continuata Hub: completed transactions become download links.

In Paddle (Developer tools → Notifications) add a destination for
``<HUB_PUBLIC_URL>/plugins/paddle/webhook`` with the events
:data:`continuata_plugins.paddle.events.EVENTS`, set
``HUB_PADDLE_WEBHOOK_SECRET`` to its secret key and ``HUB_PADDLE_API_KEY``
to a key that may read customers (the buyer's email). The webhook verifies
and stores each event (:mod:`continuata_plugins.paddle.webhook`); the
worker processes it (:mod:`continuata_plugins.paddle.events`).
"""

from __future__ import annotations

import logging

from hub.plugin_api import Hub, PaymentProviderStatus, hookimpl

from .api import PaddleApi
from .config import API_KEY, SETTINGS, WEBHOOK_SECRET, PaddleConfig
from .events import EVENTS, PaddleEvents
from .webhook import PROVIDER, WEBHOOK_PATH, PaddleWebhook, webhook_route

log = logging.getLogger("hub.plugins.paddle")


@hookimpl
def hub_settings():
    return list(SETTINGS)


@hookimpl
def hub_inbox_processors(hub: Hub):
    config = PaddleConfig.from_extra(hub.settings.extra)
    if not config.webhook_secrets:
        return {}
    return {PROVIDER: PaddleEvents(config, PaddleApi(config)).process}


@hookimpl
def payment_provider_status(hub: Hub):
    config = PaddleConfig.from_extra(hub.settings.extra)
    missing = tuple(name for name, value in ((WEBHOOK_SECRET, config.webhook_secrets), (API_KEY, config.api_key))
                    if not value)
    return PaymentProviderStatus(
        name=PROVIDER, title="Paddle", configured=bool(config.webhook_secrets),
        webhook_url=f"{hub.settings.public_url}{WEBHOOK_PATH}", missing=missing,
        note=("Live: purchases are real." if config.livemode else "Sandbox: purchases are recorded as test mode.")
        + f" Signatures older than {config.tolerance} s are refused.",
        events=EVENTS, settings=tuple(setting.name for setting in SETTINGS),
    )


@hookimpl
def hub_routes(hub: Hub):
    config = PaddleConfig.from_extra(hub.settings.extra)
    if not config.webhook_secrets:
        log.warning("Paddle: %s is not set, so %s is not served.", WEBHOOK_SECRET, WEBHOOK_PATH)
        return []
    if not config.api_key:
        log.warning("Paddle: %s is not set: every purchase waits in Problems for the buyer's email.", API_KEY)
    return [webhook_route(PaddleWebhook(config))]
