"""The Shopify plugin's settings: declared for ``hub_settings``, read from
``hub.settings.extra`` (the ``HUB_SHOPIFY_*`` environment variables)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from hub.plugin_api import Setting, SettingsError

WEBHOOK_SECRET = "HUB_SHOPIFY_WEBHOOK_SECRET"
SHOPS = "HUB_SHOPIFY_SHOPS"
ORG = "HUB_SHOPIFY_ORG"

SETTINGS = [
    Setting(
        WEBHOOK_SECRET,
        "The secret Shopify signs webhooks with: the app's client secret (Settings → Notifications → "
        "Webhooks shows it for webhooks made in the admin). Several may be given, comma-separated (a secret "
        "being rotated). Without it the route /plugins/shopify/webhook is not served.",
        secret=True,
    ),
    Setting(
        SHOPS,
        "Which organization each shop's orders belong to: 'my-shop.myshopify.com=org-id, "
        "other.myshopify.com=other-org'. A shop not listed is refused (400). Unset: every shop's orders "
        "belong to HUB_SHOPIFY_ORG (or the hub's only organization).",
    ),
    Setting(ORG, "The organization Shopify orders belong to when HUB_SHOPIFY_SHOPS is unset."),
]


@dataclass(frozen=True)
class ShopifyConfig:
    """What the plugin reads from ``hub.settings.extra``."""

    webhook_secrets: tuple[str, ...]
    shops: dict[str, str]
    org: str | None

    @classmethod
    def from_extra(cls, extra: Mapping[str, str]) -> ShopifyConfig:
        secrets = tuple(s.strip() for s in (extra.get(WEBHOOK_SECRET) or "").split(",") if s.strip())
        shops: dict[str, str] = {}
        for pair in (extra.get(SHOPS) or "").split(","):
            if not pair.strip():
                continue
            domain, sep, org = pair.partition("=")
            if not sep or not domain.strip() or not org.strip():
                raise SettingsError(f"{SHOPS} must list shop=organization pairs, not {pair.strip()!r}")
            shops[domain.strip().lower()] = org.strip()
        return cls(webhook_secrets=secrets, shops=shops, org=(extra.get(ORG) or "").strip() or None)
