"""Durable events: written with the change they announce, delivered by the worker.

:func:`emit` runs inside the caller's transaction. It writes the event, and
one *delivery* for each receiver that wants it: every plugin implementing
the hook (``plugin:<name>``) and every enabled webhook endpoint of the
organization subscribed to the matching webhook event (``endpoint:<id>``).
The change and its event commit together or not at all, so no plugin slows
the request that caused the event, and an event a receiver fails to take is
not lost.

The worker (inline in ``continuata-hub serve``, or ``continuata-hub
worker``, several at once) delivers them (:mod:`hub.services.event_delivery`).
"""

from __future__ import annotations

import json
from typing import Any

from hub.clock import iso, utcnow
from hub.context import Hub
from hub.db import insert_rows
from hub.plugins.events import HubEvent
from hub.secrets import new_id
from hub.services.webhook_events import subscribes
from hub.tables import Event, EventDelivery, WebhookEndpoint

PLUGIN = "plugin:"
ENDPOINT = "endpoint:"


def _receivers(hub: Hub, hook: str) -> list[str]:
    """The names of the plugins implementing ``hook`` (none for a hook that
    no loaded plugin declares)."""
    caller = getattr(hub.plugins.hook, hook, None)
    if caller is None:
        return []
    return [impl.plugin_name for impl in reversed(caller.get_hookimpls())]


_ENDPOINTS_OF_ORG = f"SELECT id, events, status FROM {WebhookEndpoint._meta.tablename} WHERE org = {{}}"


def webhook_receiver(endpoint_id: str, events: Any, status: str) -> dict[str, Any]:
    """An endpoint as :func:`emit_to` wants it: ``id``, ``events`` (the
    subscribed types, a list) and ``status``, from the columns as read."""
    return {"id": endpoint_id, "events": json.loads(events) if isinstance(events, str) else events, "status": status}


async def webhook_endpoints(hub: Hub, org: str) -> list[dict[str, Any]]:
    """The organization's webhook endpoints, as :func:`emit_to` wants them
    (one raw query on the organization index: every event asks)."""
    rows = await hub.db.fetch(_ENDPOINTS_OF_ORG, org)
    return [webhook_receiver(row["id"], row["events"], row["status"]) for row in rows]


async def emit(hub: Hub, event: HubEvent, *, org: str) -> list[str]:
    """Record that ``event`` happened; returns the ids of the events written.

    Call it inside the transaction of the change it announces. ``event`` is
    an instance of one of :data:`hub.plugins.events.EVENTS`; its fields are the
    hook's arguments (without ``hub``, which the worker passes): they go
    through the database, so they must serialize to JSON (the API's shapes:
    ISO times, product slugs and version strings). A field may be given as
    a function returning its record (or an awaitable of it): it is built
    only when some plugin or endpoint will receive the event, which spares
    a sale the queries when nobody listens.
    """
    if not isinstance(event, HubEvent):
        raise TypeError(f"emit() takes an event of hub.plugins.events (such as TokensMinted(...)), not {event!r}")
    # Webhook events are stored while the organization has endpoints at
    # all, so that a disabled one can be sent what it missed once enabled.
    endpoints = await webhook_endpoints(hub, org) if event.webhook_types else []
    return await emit_to(hub, event, org=org, endpoints=endpoints)


def has_receivers(hub: Hub, event: HubEvent | type[HubEvent], endpoints: list[dict[str, Any]]) -> bool:
    """Whether :func:`emit_to` would write anything for ``event`` (an event
    or its class) given the organization's ``endpoints``: a caller with
    nothing else to write may then skip its transaction, and the work of
    building the event."""
    return bool(_receivers(hub, event.hook)) or (bool(event.webhook_types) and bool(endpoints))


async def emit_to(hub: Hub, event: HubEvent, *, org: str, endpoints: list[dict[str, Any]]) -> list[str]:
    """:func:`emit`, for a caller that read the organization's webhook
    endpoints itself, in the same transaction (:func:`webhook_receiver` for
    each; minting joins them to its product query, one round trip less).

    ``endpoints`` must be all of the organization's endpoints, whatever
    their status, when ``event`` has webhook types (and is ignored when it
    has none)."""
    if not isinstance(event, HubEvent):
        raise TypeError(f"emit_to() takes an event of hub.plugins.events (such as TokensMinted(...)), not {event!r}")
    if not has_receivers(hub, event, endpoints):
        return []
    hook = event.hook
    plugins = _receivers(hub, hook)
    if not event.webhook_types:
        endpoints = []
    event = await event.resolved()
    records = event.records()

    now = utcnow()
    events: list[dict[str, Any]] = []
    deliveries: list[dict[str, Any]] = []

    def owe(event_id: str, target: str, endpoint: str | None = None) -> None:
        deliveries.append(
            {
                "id": new_id("dlv"), "org": org, "event": event_id, "target": target, "endpoint": endpoint,
                "status": "pending", "attempts": 0, "next_attempt_at": now, "claimed_until": None,
                "claimed_by": None, "last_error": "", "created_at": now, "delivered_at": None,
            }
        )

    if plugins:
        event_id = new_id("evt")
        events.append({"id": event_id, "org": org, "kind": "hook", "type": hook, "payload": records, "created_at": now})
        for name in plugins:
            owe(event_id, PLUGIN + name)
    if endpoints:
        for event_type, data in event.webhooks():
            event_id = new_id("evt")
            payload = {"id": event_id, "type": event_type, "timestamp": iso(now), "data": data}
            events.append(
                {
                    "id": event_id, "org": org, "kind": "webhook", "type": event_type, "payload": payload,
                    "created_at": now,
                }
            )
            for endpoint in endpoints:
                if endpoint["status"] == "enabled" and subscribes(endpoint["events"], event_type):
                    owe(event_id, ENDPOINT + endpoint["id"], endpoint["id"])
    if events:
        await insert_rows(Event, events)
    if deliveries:
        await insert_rows(EventDelivery, deliveries)
        # The worker may look before the caller commits; it then finds the
        # deliveries on its next poll.
        hub.events_wakeup.set()
    return [event["id"] for event in events]
