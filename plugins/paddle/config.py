"""The Paddle Billing plugin's settings (``HUB_PADDLE_*``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from hub.plugin_api import Setting, SettingsError

WEBHOOK_SECRET = "HUB_PADDLE_WEBHOOK_SECRET"
API_KEY = "HUB_PADDLE_API_KEY"
API_BASE = "HUB_PADDLE_API_BASE"
ORG = "HUB_PADDLE_ORG"
TOLERANCE = "HUB_PADDLE_TOLERANCE_SECONDS"
LIVE_API = "https://api.paddle.com"
SANDBOX_API = "https://sandbox-api.paddle.com"
DEFAULT_TOLERANCE = 900
"""15 minutes. Paddle signs each delivery attempt afresh, so the age of
``ts`` is only the time in transit; Paddle's SDKs allow 5 seconds, which a
queue, a tunnel or a clock a little off in front of the hub exceeds. A
replay inside the window is harmless: the inbox keeps one event per
``event_id``."""

SETTINGS = [
    Setting(
        WEBHOOK_SECRET,
        "The notification destination's secret key (pdl_ntfset_..., Paddle → Developer tools → Notifications). "
        "Several may be given, comma-separated (while a secret is rotated). Without it "
        "/plugins/paddle/webhook is not served.",
        secret=True,
    ),
    Setting(
        API_KEY,
        "An API key with read access to customers: a transaction names only its customer_id, and the "
        "buyer's email is read from Paddle's API with it. Without it (or when Paddle cannot answer) the "
        "purchase waits in Problems for the buyer's email.",
        secret=True,
    ),
    Setting(API_BASE, f"Paddle's API: {LIVE_API} (live) or {SANDBOX_API} (sandbox).", default=LIVE_API),
    Setting(ORG, "The organization Paddle transactions belong to; needed when the hub has more than one."),
    Setting(
        TOLERANCE,
        "How old (in seconds) a Paddle-Signature's ts may be. Paddle signs each attempt afresh; the default "
        "allows for a queue or tunnel in front of the hub.",
        default=str(DEFAULT_TOLERANCE),
    ),
]


@dataclass(frozen=True)
class PaddleConfig:
    webhook_secrets: tuple[str, ...]
    api_key: str | None
    api_base: str
    org: str | None
    tolerance: int

    @classmethod
    def from_extra(cls, extra: Mapping[str, str]) -> PaddleConfig:
        secrets = tuple(s.strip() for s in (extra.get(WEBHOOK_SECRET) or "").split(",") if s.strip())
        raw = (extra.get(TOLERANCE) or str(DEFAULT_TOLERANCE)).strip()
        if not raw.isdigit() or int(raw) < 1:
            raise SettingsError(f"{TOLERANCE} must be a whole number of seconds, not {raw!r}")
        base = ((extra.get(API_BASE) or "").strip() or LIVE_API).rstrip("/")
        parts = urlsplit(base)
        if not (parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost"))):
            raise SettingsError(f"{API_BASE} must be an https:// URL such as {LIVE_API}, not {base!r}")
        return cls(
            webhook_secrets=secrets,
            api_key=(extra.get(API_KEY) or "").strip() or None,
            api_base=base,
            org=(extra.get(ORG) or "").strip() or None,
            tolerance=int(raw),
        )

    @property
    def livemode(self) -> bool:
        return "sandbox" not in (urlsplit(self.api_base).hostname or "")
