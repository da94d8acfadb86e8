"""The Stripe plugin's settings: declared for ``hub_settings``, read from
``hub.settings.extra`` (the ``HUB_STRIPE_*`` environment variables)."""

from __future__ import annotations

from dataclasses import dataclass

import stripe

from hub.plugin_api import Hub, Setting, parse_flag

WEBHOOK_SECRET = "HUB_STRIPE_WEBHOOK_SECRET"
API_KEY = "HUB_STRIPE_API_KEY"
API_BASE = "HUB_STRIPE_API_BASE"
ORG = "HUB_STRIPE_ORG"
ACCOUNT_ID = "HUB_STRIPE_ACCOUNT_ID"
REFUSE_TEST_EVENTS = "HUB_STRIPE_REFUSE_TEST_EVENTS"

SETTINGS = [
    Setting(
        WEBHOOK_SECRET,
        "The webhook endpoint's signing secret (whsec_..., from the Dashboard or `stripe listen`). "
        "Several may be given, comma-separated (a Dashboard endpoint and the CLI, say). "
        "Without it the webhook route /plugins/stripe/webhook is not served.",
        secret=True,
    ),
    Setting(
        API_KEY,
        "A secret or restricted key (read access to Checkout Sessions) used to read a session's "
        "line items when it has no continuata_products metadata, and to find the session a "
        "refunded charge was paid through.",
        secret=True,
    ),
    Setting(API_BASE, "The base URL of Stripe's API (tests point it at a local server).", default=stripe.DEFAULT_API_BASE),
    Setting(
        ORG,
        "The id of the organization Stripe orders belong to; may be left unset while the hub has exactly one.",
    ),
    Setting(
        ACCOUNT_ID,
        "The shop's own Stripe account (acct_..., Dashboard → Settings → Business). An event that names "
        "another account (a Connect platform's connected account) is stored and ignored, never sold; "
        "unset, every event that names an account is.",
    ),
    Setting(
        REFUSE_TEST_EVENTS,
        "true on a production hub: test-mode events (livemode false) are stored and ignored, never sold. "
        "Otherwise a test-mode payment is recorded as a test purchase (livemode false).",
        default="false",
    ),
]


@dataclass(frozen=True)
class StripeConfig:
    """What the plugin reads from ``hub.settings.extra``."""

    webhook_secrets: tuple[str, ...]
    api_key: str | None
    api_base: str
    org: str | None
    account_id: str | None = None
    refuse_test_events: bool = False

    @classmethod
    def from_hub(cls, hub: Hub) -> StripeConfig:
        extra = hub.settings.extra
        secrets = tuple(s.strip() for s in (extra.get(WEBHOOK_SECRET) or "").split(",") if s.strip())
        return cls(
            webhook_secrets=secrets,
            api_key=(extra.get(API_KEY) or "").strip() or None,
            api_base=((extra.get(API_BASE) or "").strip() or stripe.DEFAULT_API_BASE).rstrip("/"),
            org=(extra.get(ORG) or "").strip() or None,
            account_id=(extra.get(ACCOUNT_ID) or "").strip() or None,
            refuse_test_events=parse_flag(REFUSE_TEST_EVENTS, extra.get(REFUSE_TEST_EVENTS) or ""),
        )
