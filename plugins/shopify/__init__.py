"""Shopify for Continuata Hub: a Shopify store's paid orders become download links.

In the Shopify admin (Settings → Notifications → Webhooks, or an app's
webhook subscriptions), point webhooks for the topics in
:data:`continuata_plugins.shopify.events.TOPICS` at
``<HUB_PUBLIC_URL>/plugins/shopify/webhook`` (JSON), and set
``HUB_SHOPIFY_WEBHOOK_SECRET`` to the secret Shopify signs them with. The
webhook verifies and stores each event
(:mod:`continuata_plugins.shopify.webhook`); the worker processes it
(:mod:`continuata_plugins.shopify.events`). Products map to hub products in
Settings → Payments (a SKU equal to a hub product's slug maps itself).
"""

from __future__ import annotations

import logging

from hub.plugin_api import Hub, PaymentProviderStatus, hookimpl

from .config import SETTINGS, SHOPS, WEBHOOK_SECRET, ShopifyConfig
from .events import TOPICS, ShopifyEvents
from .webhook import PROVIDER, WEBHOOK_PATH, ShopifyWebhook, webhook_route

log = logging.getLogger("hub.plugins.shopify")


@hookimpl
def hub_settings():
    return list(SETTINGS)


@hookimpl
def hub_inbox_processors(hub: Hub):
    if not ShopifyConfig.from_extra(hub.settings.extra).webhook_secrets:
        return {}
    return {PROVIDER: ShopifyEvents().process}


@hookimpl
def payment_provider_status(hub: Hub):
    config = ShopifyConfig.from_extra(hub.settings.extra)
    shops = ", ".join(f"{shop} → {org}" for shop, org in sorted(config.shops.items()))
    return PaymentProviderStatus(
        name=PROVIDER, title="Shopify", configured=bool(config.webhook_secrets),
        webhook_url=f"{hub.settings.public_url}{WEBHOOK_PATH}",
        missing=() if config.webhook_secrets else (WEBHOOK_SECRET,),
        note=f"Shops: {shops}." if shops else f"{SHOPS} is not set: every shop's orders go to one organization.",
        events=TOPICS, settings=tuple(setting.name for setting in SETTINGS),
    )


@hookimpl
def hub_routes(hub: Hub):
    config = ShopifyConfig.from_extra(hub.settings.extra)
    if not config.webhook_secrets:
        log.warning(
            "Shopify: %s is not set, so %s is not served. Set it to the secret Shopify signs webhooks with, "
            "or leave the plugin out with HUB_PLUGINS=all,-shopify.", WEBHOOK_SECRET, WEBHOOK_PATH,
        )
        return []
    return [webhook_route(ShopifyWebhook(config))]
