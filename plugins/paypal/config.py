"""The PayPal plugin's settings: declared for ``hub_settings``, read from
``hub.settings.extra``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from hub.plugin_api import Setting, SettingsError

LIVE_API = "https://api-m.paypal.com"
SANDBOX_API = "https://api-m.sandbox.paypal.com"
VERIFY_MODES = ("certificate", "api")

SETTINGS = [
    Setting(
        "HUB_PAYPAL_WEBHOOK_ID",
        "The id PayPal shows for the webhook pointing at /plugins/paypal/webhook (part of every "
        "signature). Without it the webhook route is not added (and an error is logged at start-up).",
    ),
    Setting(
        "HUB_PAYPAL_CLIENT_ID",
        "The REST app's client id: to read the buyer's email from the order (a capture event carries "
        "none) and, with HUB_PAYPAL_VERIFY=api, to verify signatures.",
    ),
    Setting("HUB_PAYPAL_CLIENT_SECRET", "The REST app's client secret.", secret=True),
    Setting(
        "HUB_PAYPAL_API_BASE",
        f"PayPal's REST API: {LIVE_API} (live) or {SANDBOX_API} (sandbox).",
        default=LIVE_API,
    ),
    Setting(
        "HUB_PAYPAL_VERIFY",
        "How signatures are checked: 'certificate' (locally, against PayPal's certificate, fetched from "
        "PayPal's hosts only and cached) or 'api' (PayPal's verify-webhook-signature call, one per event).",
        default="certificate",
    ),
    Setting(
        "HUB_PAYPAL_ORG",
        "The organization PayPal payments belong to; needed when the hub has more than one.",
    ),
]


@dataclass(frozen=True)
class PayPalConfig:
    webhook_id: str
    client_id: str
    client_secret: str
    api_base: str
    verify: str
    org: str

    @classmethod
    def from_extra(cls, extra: Mapping[str, str]) -> PayPalConfig:
        """Read the ``HUB_PAYPAL_*`` settings; a value the plugin cannot use
        raises :class:`SettingsError` naming it."""

        def value(name: str, default: str = "") -> str:
            return (extra.get(name) or default).strip()

        verify = value("HUB_PAYPAL_VERIFY", "certificate").lower()
        if verify not in VERIFY_MODES:
            raise SettingsError(f"HUB_PAYPAL_VERIFY must be 'certificate' or 'api', not {verify!r}")
        config = cls(
            webhook_id=value("HUB_PAYPAL_WEBHOOK_ID"),
            client_id=value("HUB_PAYPAL_CLIENT_ID"),
            client_secret=value("HUB_PAYPAL_CLIENT_SECRET"),
            api_base=value("HUB_PAYPAL_API_BASE", LIVE_API).rstrip("/"),
            verify=verify,
            org=value("HUB_PAYPAL_ORG"),
        )
        if not config.api_base.startswith(("https://", "http://")):
            raise SettingsError(f"HUB_PAYPAL_API_BASE must be a URL such as {LIVE_API}, not {config.api_base!r}")
        if verify == "api" and not config.has_credentials:
            raise SettingsError("HUB_PAYPAL_VERIFY=api needs HUB_PAYPAL_CLIENT_ID and HUB_PAYPAL_CLIENT_SECRET")
        return config

    @property
    def has_credentials(self) -> bool:
        return bool(self.client_id and self.client_secret)
