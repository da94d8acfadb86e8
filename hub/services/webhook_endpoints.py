"""The shop's webhook endpoints: registered, changed, rotated, and re-sent to.

An endpoint is a URL of the shop's, the event types it wants
(:data:`~hub.services.webhook_events.EVENT_TYPES`, or ``"*"``) and a
signing secret (``whsec_…``) shown once, at creation and at each rotation.
Events reach it through :mod:`hub.services.events` and
:mod:`hub.services.webhook_delivery`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from piccolo.columns import Column

from hub.clock import as_aware, utcnow
from hub.context import Hub
from hub.errors import Conflict, Invalid, NotFound
from hub.inputs import check_text, require_time_zone
from hub.netguard import check_endpoint_url
from hub.secrets import new_id
from hub.services.events import ENDPOINT
from hub.services.webhook_delivery import new_signing_secret
from hub.services.webhook_events import ALL, EVENT_TYPES, subscribes
from hub.tables import Event, EventDelivery, WebhookAttempt, WebhookEndpoint

PREVIOUS_SECRET_GRACE = timedelta(hours=24)
MAX_ENDPOINTS_PER_ORG = 50
MAX_REDELIVER = 10_000


def check_events(events: Any) -> list[str]:
    """A non-empty list of known event types (or ``"*"``), without repeats."""
    if not isinstance(events, list) or not events or not all(isinstance(e, str) for e in events):
        raise Invalid('events must be a non-empty list of event types (or ["*"] for all)', field="events")
    unknown = [e for e in events if e != ALL and e not in EVENT_TYPES]
    if unknown:
        raise Invalid(
            f"Unknown event type(s): {', '.join(repr(e[:60]) for e in unknown[:5])}; "
            f"known: {', '.join(EVENT_TYPES)} (or \"*\")",
            field="events",
        )
    return list(dict.fromkeys(events))


async def find_endpoint(org: str, endpoint_id: str) -> dict[str, Any]:
    row = await WebhookEndpoint.select().where(
        WebhookEndpoint.id == endpoint_id, WebhookEndpoint.org == org
    ).output(load_json=True).first()
    if row is None:
        raise NotFound(f"Webhook endpoint {endpoint_id[:100]} not found")
    return row


async def create_endpoint(hub: Hub, org: str, *, url: Any, events: Any, description: Any = None) -> tuple[dict[str, Any], str]:
    """Register an endpoint; returns it and its signing secret (shown this once)."""
    url = await check_endpoint_url(url, allow_private=hub.settings.webhooks_allow_private)
    events = check_events(events)
    description = check_text(description, "description", max_length=500) or ""
    if await WebhookEndpoint.count().where(WebhookEndpoint.org == org) >= MAX_ENDPOINTS_PER_ORG:
        raise Conflict(f"An organization can have at most {MAX_ENDPOINTS_PER_ORG} webhook endpoints")
    secret = new_signing_secret()
    now = utcnow()
    endpoint_id = new_id("we")
    await WebhookEndpoint.insert(
        WebhookEndpoint(
            id=endpoint_id, org=org, url=url, events=events, description=description,
            sealed_secret=hub.sealer.seal(secret.encode()), status="enabled", created_at=now, updated_at=now,
        )
    )
    return await find_endpoint(org, endpoint_id), secret


async def list_endpoints(org: str, *, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    rows = (
        await WebhookEndpoint.select()
        .where(WebhookEndpoint.org == org)
        .order_by(WebhookEndpoint.created_at)
        .limit(limit)
        .offset(offset)
        .output(load_json=True)
    )
    return rows, await WebhookEndpoint.count().where(WebhookEndpoint.org == org)


async def update_endpoint(hub: Hub, org: str, endpoint_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    """Change the fields given: ``url``, ``events``, ``description``,
    ``status`` (``enabled`` again after a failure, or ``disabled``)."""
    await find_endpoint(org, endpoint_id)
    values: dict[Column | str, Any] = {}
    if "url" in changes:
        values[WebhookEndpoint.url] = await check_endpoint_url(
            changes["url"], allow_private=hub.settings.webhooks_allow_private
        )
    if "events" in changes:
        values[WebhookEndpoint.events] = check_events(changes["events"])
    if "description" in changes:
        values[WebhookEndpoint.description] = check_text(changes["description"], "description", max_length=500) or ""
    if "status" in changes:
        if changes["status"] not in {"enabled", "disabled"}:
            raise Invalid("status must be enabled or disabled", field="status")
        values[WebhookEndpoint.status] = changes["status"]
        values[WebhookEndpoint.failing_since] = None
        values[WebhookEndpoint.disabled_reason] = "" if changes["status"] == "enabled" else "disabled through the API"
    if values:
        values[WebhookEndpoint.updated_at] = utcnow()
        await WebhookEndpoint.update(values).where(WebhookEndpoint.id == endpoint_id)
    return await find_endpoint(org, endpoint_id)


async def delete_endpoint(hub: Hub, org: str, endpoint_id: str) -> None:
    """Delete an endpoint with its deliveries and their log."""
    await find_endpoint(org, endpoint_id)
    async with hub.db.write_transaction():
        await WebhookAttempt.delete().where(WebhookAttempt.endpoint == endpoint_id)
        await EventDelivery.delete().where(EventDelivery.endpoint == endpoint_id)
        await WebhookEndpoint.delete().where(WebhookEndpoint.id == endpoint_id)


async def rotate_secret(hub: Hub, org: str, endpoint_id: str) -> tuple[dict[str, Any], str]:
    """A new signing secret (shown this once); the old one keeps signing
    beside it for 24 hours, so the shop can switch without losing events."""
    endpoint = await find_endpoint(org, endpoint_id)
    secret = new_signing_secret()
    now = utcnow()
    await WebhookEndpoint.update(
        {
            WebhookEndpoint.sealed_secret: hub.sealer.seal(secret.encode()),
            WebhookEndpoint.previous_sealed_secret: endpoint["sealed_secret"],
            WebhookEndpoint.previous_secret_until: now + PREVIOUS_SECRET_GRACE,
            WebhookEndpoint.updated_at: now,
        }
    ).where(WebhookEndpoint.id == endpoint_id)
    return await find_endpoint(org, endpoint_id), secret


async def list_deliveries(org: str, endpoint_id: str, *, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    """The endpoint's deliveries, newest first, each with its event and its attempts."""
    await find_endpoint(org, endpoint_id)
    condition = EventDelivery.endpoint == endpoint_id
    rows = (
        await EventDelivery.select()
        .where(condition)
        .order_by(EventDelivery.created_at, ascending=False)
        .order_by(EventDelivery.id, ascending=False)
        .limit(limit)
        .offset(offset)
    )
    total = await EventDelivery.count().where(condition)
    if rows:
        ids = [r["id"] for r in rows]
        events = {
            e["id"]: e
            for e in await Event.select(Event.id, Event.type).where(Event.id.is_in([r["event"] for r in rows]))
        }
        attempts: dict[str, list[dict[str, Any]]] = {}
        for attempt in await WebhookAttempt.select().where(WebhookAttempt.delivery.is_in(ids)).order_by(
            WebhookAttempt.attempted_at
        ):
            attempts.setdefault(attempt["delivery"], []).append(attempt)
        for row in rows:
            row["event_type"] = events.get(row["event"], {}).get("type")
            row["attempt_log"] = attempts.get(row["id"], [])
    return rows, total


async def redeliver(hub: Hub, org: str, endpoint_id: str, *, event_id: str | None, since: datetime | None) -> int:
    """Send one event (``event_id``), or every subscribed event since a
    time, to the endpoint again; returns how many were queued."""
    if (event_id is None) == (since is None):
        raise Invalid("Give either eventId (one event) or since (every event from that time)", field="eventId")
    since = require_time_zone(since, "since")
    endpoint = await find_endpoint(org, endpoint_id)
    if endpoint["status"] != "enabled":
        raise Conflict("The endpoint is disabled: enable it (PATCH status) before sending events again")
    query = Event.select(Event.id, Event.type).where(Event.org == org, Event.kind == "webhook")
    if event_id is not None:
        events = await query.where(Event.id == event_id)
        if not events:
            raise NotFound(f"Event {event_id[:100]} not found")
    else:
        assert since is not None  # checked above: exactly one of event_id and since
        events = [
            e
            for e in await query.where(Event.created_at >= as_aware(since)).order_by(Event.created_at).limit(MAX_REDELIVER)
            if subscribes(endpoint["events"], e["type"])
        ]
    now = utcnow()
    target = ENDPOINT + endpoint_id
    async with hub.db.write_transaction():
        existing = {
            row["event"]
            for row in await EventDelivery.select(EventDelivery.event).where(
                EventDelivery.endpoint == endpoint_id, EventDelivery.event.is_in([e["id"] for e in events] or [""])
            )
        }
        if existing:
            await EventDelivery.update(
                {
                    EventDelivery.status: "pending",
                    EventDelivery.attempts: 0,  # the backoff starts again (the log keeps every attempt)
                    EventDelivery.next_attempt_at: now,
                    EventDelivery.claimed_until: None,
                    EventDelivery.created_at: now,  # and so does the retry window
                }
            ).where(EventDelivery.endpoint == endpoint_id, EventDelivery.event.is_in(list(existing)))
        fresh = [
            EventDelivery(
                id=new_id("dlv"), org=org, event=e["id"], target=target, endpoint=endpoint_id,
                status="pending", attempts=0, next_attempt_at=now, created_at=now,
            )
            for e in events
            if e["id"] not in existing
        ]
        if fresh:
            await EventDelivery.insert(*fresh)
    hub.events_wakeup.set()
    return len(events)
