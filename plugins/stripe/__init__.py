"""Stripe Checkout for Continuata Hub.

A shop sells through Stripe Checkout and points a webhook endpoint (or
``stripe listen --forward-to``) at ``/plugins/stripe/webhook``, sending at
least ``checkout.session.completed``,
``checkout.session.async_payment_succeeded`` and ``charge.refunded``. Each
paid Checkout Session becomes one purchase, with its tokens and delivery
email; a full refund revokes them. See :mod:`plugins.stripe.webhook` for
what each event does and :mod:`plugins.stripe.checkout` for how a session
names the hub's products.

Settings (``HUB_STRIPE_*``, see :data:`plugins.stripe.config.SETTINGS`):
the webhook signing secret (required for the route to exist), an API key
(to read line items and refunds' sessions), the API base URL, and the
organization orders belong to.
"""

from __future__ import annotations

import logging

from hub.context import Hub
from hub.hookspecs import hookimpl
from plugins.stripe.api import StripeApi
from plugins.stripe.config import API_KEY, SETTINGS, WEBHOOK_SECRET, StripeConfig
from plugins.stripe.webhook import WEBHOOK_PATH, StripeWebhook, webhook_route

log = logging.getLogger("hub.plugins.stripe")
STATE = "stripe"  # the plugin's key in hub.plugin_state: its API client


@hookimpl
def hub_settings():
    return list(SETTINGS)


@hookimpl
def hub_routes(hub: Hub):
    config = StripeConfig.from_hub(hub)
    if not config.webhook_secrets:
        log.warning(
            "Stripe: %s is not set, so %s is not served and Stripe's events go unanswered. "
            "Set it to the endpoint's signing secret (whsec_...), or leave the plugin out with HUB_PLUGINS=all,-stripe.",
            WEBHOOK_SECRET,
            WEBHOOK_PATH,
        )
        return []
    if not config.api_key:
        log.warning(
            "Stripe: %s is not set: every Checkout Session must carry continuata_products metadata, "
            "and a refund is found only for purchases this hub recorded.",
            API_KEY,
        )
    api = StripeApi(config)
    hub.plugin_state[STATE] = api
    return [webhook_route(hub, StripeWebhook(config, api))]


@hookimpl
async def hub_shutdown(hub: Hub):
    api = hub.plugin_state.pop(STATE, None)
    if api is not None:
        await api.close()
