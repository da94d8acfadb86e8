"""The PayPal plugin's settings: declared for ``hub_settings``, read from
``hub.settings.extra``."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

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
        if not is_safe_api_base(config.api_base):
            # The client secret goes to this URL with every token request: a
            # typo of the scheme must not send it unencrypted.
            raise SettingsError(
                f"HUB_PAYPAL_API_BASE must be an https:// URL such as {LIVE_API} "
                f"(http:// only on a loopback host), not {config.api_base!r}"
            )
        if verify == "api" and not config.has_credentials:
            raise SettingsError("HUB_PAYPAL_VERIFY=api needs HUB_PAYPAL_CLIENT_ID and HUB_PAYPAL_CLIENT_SECRET")
        return config

    @property
    def has_credentials(self) -> bool:
        return bool(self.client_id and self.client_secret)

    @property
    def livemode(self) -> bool:
        """Whether the API base is PayPal's live one (not its sandbox): what
        the purchases this plugin records are marked with."""
        return ".sandbox." not in f".{urlsplit(self.api_base).hostname or ''}."


def is_loopback_host(host: str) -> bool:
    """``localhost``, 127.0.0.0/8 or ::1."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_safe_api_base(url: str) -> bool:
    """An ``https://`` URL, or ``http://`` on a loopback host (a local test
    double): nowhere else may the client secret travel in clear."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return False
    if not host:
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and is_loopback_host(host))
