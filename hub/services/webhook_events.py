"""The webhook events a shop's endpoints can receive.

Every webhook event is the webhook twin of an event (:mod:`hub.plugins.events`):
each event class lists the webhook types it may become
(``webhook_types``) and turns its records into the ``(type, data)`` pairs
sent to endpoints (``webhooks()``), ``data`` being the resource as the main
API shows it. docs/webhooks.md shows an example of each.
"""

from __future__ import annotations

from hub.plugins.events import WEBHOOK_TYPES

EVENT_TYPES: dict[str, str] = WEBHOOK_TYPES
"""Every webhook event type an endpoint may subscribe to, with what it means."""
ALL = "*"


def subscribes(wanted: list[str], event_type: str) -> bool:
    """Whether an endpoint subscribed to ``wanted`` receives ``event_type``."""
    return ALL in wanted or event_type in wanted
