"""Stripe Checkout for Continuata Hub.

A shop sells through Stripe Checkout and points a webhook endpoint (or
``stripe listen --forward-to``) at ``/plugins/stripe/webhook``, sending at
least ``checkout.session.completed``,
``checkout.session.async_payment_succeeded``, ``charge.refunded``,
``charge.refund.updated``, ``charge.dispute.created`` and
``charge.dispute.closed``. The webhook verifies and stores each event
(:mod:`continuata_plugins.stripe.webhook`); the worker processes it
(:mod:`continuata_plugins.stripe.events`): each paid Checkout Session becomes one
purchase, with its tokens and delivery email; a full refund or a lost
dispute revokes them, an open dispute puts them on hold. See
:mod:`continuata_plugins.stripe.checkout` for how a session names the hub's products.

Settings (``HUB_STRIPE_*``, see :data:`continuata_plugins.stripe.config.SETTINGS`):
the webhook signing secret (required for the route to exist), an API key
(to read line items and refunds' sessions), the API base URL, and the
organization orders belong to.
"""

from __future__ import annotations

import logging

from hub.plugin_api import Hub, PaymentProviderStatus, hookimpl

from .api import StripeApi
from .checkout import PROVIDER
from .config import (
    ACCOUNT_ID,
    API_KEY,
    REFUSE_TEST_EVENTS,
    SETTINGS,
    WEBHOOK_SECRET,
    StripeConfig,
)
from .events import StripeEvents
from .webhook import WEBHOOK_PATH, StripeWebhook, webhook_route

log = logging.getLogger("hub.plugins.stripe")

EVENTS = (
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "charge.refunded",
    "charge.refund.updated",
    "charge.dispute.created",
    "charge.dispute.closed",
)
"""The events to send to the webhook: the console shows this list, and the
README names the same six."""
STATE = "stripe"  # the plugin's key in hub.plugin_state: its API client


@hookimpl
def hub_settings():
    return list(SETTINGS)


def api_of(hub: Hub) -> StripeApi:
    """The app's Stripe API client (one per hub, closed at shutdown)."""
    api = hub.plugin_state.get(STATE)
    if not isinstance(api, StripeApi):  # None until the first use
        api = hub.plugin_state[STATE] = StripeApi(StripeConfig.from_hub(hub))
    return api


@hookimpl
def hub_inbox_processors(hub: Hub):
    config = StripeConfig.from_hub(hub)
    if not config.webhook_secrets:
        return {}  # no route stores Stripe events (their events stay for when it does)
    return {PROVIDER: StripeEvents(api_of(hub), config).process}


@hookimpl
def payment_provider_status(hub: Hub):
    config = StripeConfig.from_hub(hub)
    missing = tuple(name for name, value in ((WEBHOOK_SECRET, config.webhook_secrets), (API_KEY, config.api_key)) if not value)
    if config.refuse_test_events:
        mode = f"Test-mode events are refused ({REFUSE_TEST_EVENTS}=true)."
    else:
        mode = f"Test-mode payments are recorded as test purchases ({REFUSE_TEST_EVENTS}=false)."
    account = (
        f"The shop's own account: {config.account_id}; events of any other account are ignored."
        if config.account_id
        else f"{ACCOUNT_ID} is not set: events naming any account (Connect) are ignored."
    )
    return PaymentProviderStatus(
        name="stripe", title="Stripe", configured=bool(config.webhook_secrets),
        webhook_url=f"{hub.settings.public_url}{WEBHOOK_PATH}", missing=missing,
        note=f"{mode} {account}", events=EVENTS, settings=tuple(setting.name for setting in SETTINGS),
    )


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
    return [webhook_route(hub, StripeWebhook(config))]


@hookimpl
async def hub_shutdown(hub: Hub):
    api = hub.plugin_state.pop(STATE, None)
    if isinstance(api, StripeApi):
        await api.close()
