"""The one object every part of the hub is handed: settings and resources.

Resources (the database, the blob store, the mailer) are opened once in the
application's lifespan, never per request. Nothing here is state
that several hub processes would need to share.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pluggy
from jinja2 import Environment

from hub.db import Database
from hub.plugins.protocols import InboxProcessor, Mailer
from hub.sealing import Sealer
from hub.services.rate_limits import LocalLimits
from hub.settings import Settings
from hub.storage import BlobStore


@dataclass
class Hub:
    settings: Settings
    db: Database
    """The database: transactions, raw SQL for hot paths (:class:`hub.db.Database`)."""
    blobs: BlobStore
    templates: Environment
    plugins: pluggy.PluginManager
    sealer: Sealer
    mailer: Mailer | None = None
    """The mailer that delivers the outbox (``hub_mailer``), or None: emails stay queued."""
    outbox_wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when this process queues an email or stores a payment event: the
    worker takes it at once."""
    events_wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when this process records an event: the worker delivers it at once."""
    mail_paused_until: float = 0.0
    """``time.monotonic()`` until which this process sends no email: its relay
    answered :class:`hub.errors.RelayBusy` (see :func:`hub.services.outbox.deliver`)."""
    mail_pause_seconds: float = 0.0
    """The pause the next :class:`hub.errors.RelayBusy` sets (0 after a message went out)."""
    inbox_processors: dict[str, InboxProcessor] = field(default_factory=dict)
    """provider name → :class:`hub.plugins.protocols.InboxProcessor`: how each
    payment plugin processes its stored webhook events (``hub_inbox_processors``)."""
    limits: LocalLimits = field(default_factory=LocalLimits)
    """Rate limits this process counts in memory (the public license API's):
    :class:`hub.services.rate_limits.LocalLimits`."""
    plugin_state: dict[str, object] = field(default_factory=dict)
    """What a plugin keeps between its hooks for this app (an API client
    opened at start-up, say), under the plugin's name. Per process, never
    shared: it holds resources, not data other processes need."""

    def download_url(self, token: str) -> str:
        """The buyer-facing link for a token secret."""
        return f"{self.settings.public_url}/download?token={token}"

    @property
    def my_url(self) -> str:
        """The buyers' self-service page."""
        return f"{self.settings.public_url}/my"
