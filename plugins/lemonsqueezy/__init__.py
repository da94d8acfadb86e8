"""Lemon Squeezy for Continuata Hub: paid orders become download links.

In Lemon Squeezy (Settings → Webhooks) add a webhook to
``<HUB_PUBLIC_URL>/plugins/lemonsqueezy/webhook`` with a signing secret and
the events :data:`continuata_plugins.lemonsqueezy.events.EVENTS`, and set
``HUB_LEMONSQUEEZY_WEBHOOK_SECRET`` to the same secret. The webhook
verifies and stores each event (:mod:`continuata_plugins.lemonsqueezy.webhook`);
the worker processes it (:mod:`continuata_plugins.lemonsqueezy.events`).

Lemon Squeezy retries a failed delivery three times and then drops it: an
order the hub never received is found in Lemon Squeezy (Orders, or its API's
``GET /v1/orders``) and sent again from the webhook's page ("Resend"), or
recorded through the main API (README, "Selling through Lemon Squeezy").
"""

from __future__ import annotations

import logging

from hub.plugin_api import Hub, PaymentProviderStatus, hookimpl

from .config import SETTINGS, WEBHOOK_SECRET, LemonSqueezyConfig
from .events import EVENTS, LemonSqueezyEvents
from .webhook import PROVIDER, WEBHOOK_PATH, LemonSqueezyWebhook, webhook_route

log = logging.getLogger("hub.plugins.lemonsqueezy")


@hookimpl
def hub_settings():
    return list(SETTINGS)


@hookimpl
def hub_inbox_processors(hub: Hub):
    if not LemonSqueezyConfig.from_extra(hub.settings.extra).webhook_secrets:
        return {}
    return {PROVIDER: LemonSqueezyEvents().process}


@hookimpl
def payment_provider_status(hub: Hub):
    config = LemonSqueezyConfig.from_extra(hub.settings.extra)
    return PaymentProviderStatus(
        name=PROVIDER, title="Lemon Squeezy", configured=bool(config.webhook_secrets),
        webhook_url=f"{hub.settings.public_url}{WEBHOOK_PATH}",
        missing=() if config.webhook_secrets else (WEBHOOK_SECRET,),
        note="Lemon Squeezy retries a failed delivery 3 times, then drops it: resend a missed order from its "
        "webhook page.",
        events=EVENTS, settings=tuple(setting.name for setting in SETTINGS),
    )


@hookimpl
def hub_routes(hub: Hub):
    config = LemonSqueezyConfig.from_extra(hub.settings.extra)
    if not config.webhook_secrets:
        log.warning("Lemon Squeezy: %s is not set, so %s is not served.", WEBHOOK_SECRET, WEBHOOK_PATH)
        return []
    return [webhook_route(LemonSqueezyWebhook(config))]
