"""Webhook events from payment providers, each acted on exactly once.

A payment plugin verifies a webhook's signature, turns the event into a
:class:`WebhookEventIn` and calls one of :func:`fulfil`, :func:`refund` or
:func:`acknowledge`. Each stores the event id in the same transaction as
what the event does, under a unique index: a replay (providers retry for
days) or two concurrent deliveries of one event find the id taken and
change nothing, so one order yields one purchase, one set of tokens and one
email.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from hub.clock import utcnow
from hub.context import Hub
from hub.db import UNIQUE_VIOLATIONS, write_transaction
from hub.metrics import count_webhook_event
from hub.plugins import notify
from hub.secrets import new_id
from hub.services.purchases import ATTEMPTS, PurchaseIn, RecordedPurchase, announce, record_in_transaction, refund_in_transaction
from hub.tables import WebhookEvent

log = logging.getLogger("hub.fulfillment")


@dataclass(frozen=True)
class WebhookEventIn:
    provider: str
    event_id: str
    event_type: str
    org: str


@dataclass(frozen=True)
class Outcome:
    """What the hub did with an event (plugins answer it to the provider)."""

    duplicate: bool
    note: str
    purchase: dict | None = None


async def already_seen(provider: str, event_id: str) -> bool:
    """A cheap check before a plugin calls its provider's API for details."""
    return await WebhookEvent.exists().where(WebhookEvent.provider == provider, WebhookEvent.event_id == event_id)


async def _store_event(event: WebhookEventIn, outcome: str) -> None:
    await WebhookEvent.insert(
        WebhookEvent(
            id=new_id("evt"),
            provider=event.provider,
            event_id=event.event_id,
            event_type=event.event_type,
            org=event.org,
            outcome=outcome[:2000],
            received_at=utcnow(),
        )
    )


def seen_before(provider: str) -> Outcome:
    """The answer to an event already processed (a replay), counted in the metrics."""
    count_webhook_event(provider, "duplicate")
    return Outcome(duplicate=True, note="already processed")


async def _once(hub: Hub, event: WebhookEventIn, work) -> Outcome:
    """Run ``work`` (inside the transaction) unless the event was seen."""
    try:
        for attempt in range(ATTEMPTS):
            try:
                async with write_transaction(hub.engine):
                    # Checked inside the transaction: one connection for the whole
                    # event (on SQLite each query outside one opens its own).
                    if await already_seen(event.provider, event.event_id):
                        return seen_before(event.provider)
                    outcome, after_commit = await work()
                    await _store_event(event, outcome.note)
            except UNIQUE_VIOLATIONS:
                # The same event (or the same order) committed concurrently;
                # the next attempt sees it.
                if attempt == ATTEMPTS - 1:
                    raise
                continue
            count_webhook_event(event.provider, "processed")
            if after_commit:
                await after_commit()
            return outcome
    except Exception:
        count_webhook_event(event.provider, "failed")
        raise
    raise AssertionError("unreachable")


async def fulfil(hub: Hub, event: WebhookEventIn, order: PurchaseIn) -> Outcome:
    """Record the order an event reports as paid (once per provider reference)."""

    async def work():
        result: RecordedPurchase = await record_in_transaction(hub, order)
        if not result.created:
            return Outcome(False, f"purchase {result.purchase['id']} already recorded", result.purchase), None
        note = f"recorded purchase {result.purchase['id']} with {len(result.tokens)} token(s)"
        if result.purchase["problem"]:
            note += f"; problem: {result.purchase['problem']}"
            log.warning("Purchase %s (%s %s): %s", result.purchase["id"], order.provider, order.provider_ref, result.purchase["problem"])
        return Outcome(False, note, result.purchase), lambda: announce(hub, result)

    return await _once(hub, event, work)


async def refund(hub: Hub, event: WebhookEventIn, provider_ref: str) -> Outcome:
    """Revoke the tokens of the purchase an event reports as refunded."""

    async def work():
        purchase, revoked = await refund_in_transaction(event.org, event.provider, provider_ref)
        if purchase is None:
            log.warning("Refund for unknown %s purchase %s", event.provider, provider_ref)
            return Outcome(False, f"refund for unknown purchase {provider_ref}"), None

        async def tell():
            await notify(hub.plugins, "purchase_refunded", hub=hub, purchase=purchase, revoked_tokens=revoked)

        return Outcome(False, f"refunded purchase {purchase['id']}, revoked {len(revoked)} token(s)", purchase), tell

    return await _once(hub, event, work)


async def acknowledge(hub: Hub, event: WebhookEventIn, note: str) -> Outcome:
    """Store an event the hub does not act on (it is still a replay next time)."""

    async def work():
        return Outcome(False, note), None

    return await _once(hub, event, work)
