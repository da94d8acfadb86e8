"""Settings, read from ``HUB_*`` environment variables and an optional ``.env``.

Every setting has an embedded default, so a fresh machine runs the hub on a
SQLite file and a blob folder under ``HUB_DATA_DIR`` with no other service.
The README's "Settings" table lists them all; keep the two in step.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from dotenv import dotenv_values

from hub.client_ip import DEFAULT_TRUSTED_PROXIES, TrustedProxiesError, parse_networks


class SettingsError(ValueError):
    """A setting has a value the hub cannot use; the message names it."""


def _bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise SettingsError(f"{name} must be true or false, not {raw!r}")


def parse_flag(name: str, raw: str) -> bool:
    """A true-or-false setting ``name`` written ``raw`` (``true``/``1``/``yes``/``on``,
    ``false``/``0``/``no``/``off`` or empty); :class:`SettingsError` naming
    it otherwise. For plugins' settings as for the core's."""
    return _bool(name, raw)


def _int(name: str, raw: str, minimum: int = 0) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, not {value}")
    return value


def check_sender(mail_from: str) -> str:
    """``HUB_MAIL_FROM`` (``shop@example.com`` or ``Shop <shop@example.com>``),
    checked the way a message's ``From`` header will use it."""
    probe = EmailMessage()
    try:
        probe["From"] = mail_from
        addresses = probe["From"].addresses
    except (ValueError, IndexError) as problem:
        raise SettingsError(f"HUB_MAIL_FROM is not an email address ({problem}): {mail_from!r}") from None
    if len(addresses) != 1 or "@" not in addresses[0].addr_spec or probe["From"].defects:
        raise SettingsError(f"HUB_MAIL_FROM must be one email address, like 'Shop <shop@example.com>', not {mail_from!r}")
    return mail_from


ZERO_ALLOWED = {"port", "database_wait_seconds"}
"""Whole-number settings for which 0 means something (any free port; do not wait)."""


def _convert(key: str, raw: str, default: object) -> object:
    """The value of the core setting ``key`` (a field name) written ``raw``."""
    setting = f"HUB_{key.upper()}"
    if isinstance(raw, (Path, bool, int)) and not isinstance(raw, str):
        return raw  # already a value (extra given by hand)
    if isinstance(default, bool):
        return _bool(setting, raw)
    if isinstance(default, int):
        return _int(setting, raw, minimum=0 if key in ZERO_ALLOWED else 1)
    if key in {"data_dir", "templates_dir"}:
        return Path(raw)
    return raw or default


@dataclass(frozen=True)
class Settings:
    """The hub's configuration; build it with :meth:`from_env`."""

    data_dir: Path = Path("data")
    database_url: str = ""
    public_url: str = "http://127.0.0.1:8000"
    host: str = "127.0.0.1"
    port: int = 8000
    trusted_proxies: str = DEFAULT_TRUSTED_PROXIES
    storage: str = "local"
    s3_bucket: str = ""
    s3_endpoint_url: str | None = None
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None
    s3_prefix: str = ""
    download_redirect: bool = False
    presign_expires: int = 300
    upload_part_size: int = 8 * 1024 * 1024
    token_ttl_days: int = 30
    integration_token_hours: int = 24
    download_session_hours: int = 24
    templates_dir: Path | None = None
    secret_key: str = ""
    plugins: str = ""
    mailer: str = ""
    """``HUB_MAILER``: the plugin whose ``hub_mailer`` delivers (see :func:`hub.plugins.choose_mailer`)."""
    mail_from: str = ""
    """``HUB_MAIL_FROM``: the ``From`` of every email, whichever mailer sends it."""
    worker: str = "inline"
    fast_lanes: bool = True
    """``HUB_FAST_LANES``: ``off`` sends every request through Litestar's
    routed path and serves with uvicorn's own protocols (see :mod:`hub.bypasses`)."""
    outbox_max_attempts: int = 8
    outbox_backoff_seconds: int = 30
    inbox_max_attempts: int = 10
    inbox_backoff_seconds: int = 30
    event_retry_seconds: int = 30
    event_max_attempts: int = 8
    event_timeout_seconds: int = 60
    webhook_retry_seconds: int = 30
    webhook_retry_hours: int = 72
    webhook_timeout_seconds: int = 10
    webhooks_allow_private: bool = False
    admin_email: str = ""
    sign_in_minutes: int = 30
    license_calls_per_key: int = 60
    """``HUB_LICENSE_CALLS_PER_KEY``: license API calls a minute for one license key."""
    license_calls_per_address: int = 300
    """``HUB_LICENSE_CALLS_PER_ADDRESS``: license API calls a minute from one client address."""
    serve_workers: int = 1
    """``HUB_SERVE_WORKERS``: the processes ``serve --workers N`` runs (it sets
    this itself): limits counted in each process's memory give each its share."""
    v2_max_file_bytes: int = 25 * 1024 * 1024
    log_level: str = "info"
    database_wait_seconds: int = 30
    retention_days: int = 90
    metrics_token: str = ""
    extra: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._take_core_variables_from_extra()
        if not self.database_url:
            object.__setattr__(self, "database_url", f"sqlite:///{self.data_dir / 'hub.sqlite3'}")
        if self.storage not in {"local", "s3"}:
            raise SettingsError(f"HUB_STORAGE must be 'local' or 's3', not {self.storage!r}")
        if self.storage == "s3" and not self.s3_bucket:
            raise SettingsError("HUB_STORAGE=s3 needs HUB_S3_BUCKET")
        if self.worker not in {"inline", "off"}:
            raise SettingsError(f"HUB_WORKER must be 'inline' or 'off', not {self.worker!r}")
        if self.upload_part_size < 5 * 1024 * 1024:
            raise SettingsError("HUB_UPLOAD_PART_SIZE must be at least 5 MiB (S3's smallest part)")
        if not 0 <= self.port <= 65535:
            raise SettingsError(f"HUB_PORT must be a port number (0-65535), not {self.port}")
        object.__setattr__(self, "public_url", self.public_url.rstrip("/"))
        object.__setattr__(self, "mail_from", self.mail_from.strip())
        if self.mail_from:
            check_sender(self.mail_from)
        try:
            parse_networks(self.trusted_proxies)
        except TrustedProxiesError as problem:
            raise SettingsError(str(problem)) from None

    def _take_core_variables_from_extra(self) -> None:
        """A core variable written into ``extra`` by hand (tests and embedding
        apps build ``Settings(extra={"HUB_MAIL_FROM": ...})``) is the core's:
        it sets its field, as :meth:`from_env` would, and leaves ``extra``."""
        fields = {f"HUB_{f.name.upper()}": f for f in dataclasses.fields(self) if f.name != "extra"}
        claimed = {name: raw for name, raw in self.extra.items() if name in fields}
        if not claimed:
            return
        for name, raw in claimed.items():
            key = fields[name].name
            object.__setattr__(self, key, _convert(key, raw, fields[name].default))
        object.__setattr__(self, "extra", {k: v for k, v in self.extra.items() if k not in claimed})

    @property
    def trusted_proxy_networks(self):
        """``HUB_TRUSTED_PROXIES`` as networks (see :mod:`hub.client_ip`)."""
        return parse_networks(self.trusted_proxies)

    @classmethod
    def variable_names(cls) -> set[str]:
        """The ``HUB_*`` variables the core reads (plugins declare their own)."""
        return {f"HUB_{f.name.upper()}" for f in dataclasses.fields(cls) if f.name != "extra"}

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, env_file: str | None = ".env") -> Settings:
        """Read ``HUB_*`` variables; a ``.env`` file fills in what is unset."""
        values: dict[str, str] = {}
        if env_file and Path(env_file).is_file():
            values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
        values.update(os.environ if environ is None else environ)
        env = {k[4:].lower(): v for k, v in values.items() if k.startswith("HUB_")}

        kwargs: dict[str, object] = {}
        names = {f.name: f for f in dataclasses.fields(cls)}
        for key, raw in env.items():
            if key not in names or key == "extra":
                continue
            kwargs[key] = _convert(key, raw, names[key].default)
        # Settings no core field claims (a plugin's, say) stay readable.
        kwargs["extra"] = {f"HUB_{k.upper()}": v for k, v in env.items() if k not in names}
        return cls(**kwargs)  # type: ignore[arg-type]
