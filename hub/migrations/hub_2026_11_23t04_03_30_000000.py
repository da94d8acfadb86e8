"""Webhook events are unique per provider and event id: the replay guard."""

from hub.db import index_migration

ID = "2026-11-23T04:03:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "hub_webhook_event_unique"

forwards = index_migration(
    ID,
    DESCRIPTION,
    {"hub_webhook_event_provider_event": ("hub_webhook_event", ("provider", "event_id"))},
)
