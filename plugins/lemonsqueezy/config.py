"""The Lemon Squeezy plugin's settings (``HUB_LEMONSQUEEZY_*``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from hub.plugin_api import Setting

WEBHOOK_SECRET = "HUB_LEMONSQUEEZY_WEBHOOK_SECRET"
ORG = "HUB_LEMONSQUEEZY_ORG"

SETTINGS = [
    Setting(
        WEBHOOK_SECRET,
        "The webhook's signing secret (Settings → Webhooks in Lemon Squeezy; 6 to 40 characters you choose). "
        "Several may be given, comma-separated. Without it /plugins/lemonsqueezy/webhook is not served.",
        secret=True,
    ),
    Setting(ORG, "The organization Lemon Squeezy orders belong to; needed when the hub has more than one."),
]


@dataclass(frozen=True)
class LemonSqueezyConfig:
    webhook_secrets: tuple[str, ...]
    org: str | None

    @classmethod
    def from_extra(cls, extra: Mapping[str, str]) -> LemonSqueezyConfig:
        secrets = tuple(s.strip() for s in (extra.get(WEBHOOK_SECRET) or "").split(",") if s.strip())
        return cls(webhook_secrets=secrets, org=(extra.get(ORG) or "").strip() or None)
