"""The payment inbox: store, then process.

A payment plugin's webhook route verifies the provider's signature and
calls :func:`store_event`; once the event is stored (in the same database
as everything else) the route answers 2xx, and a 2xx therefore means
"stored, will not be lost". Nothing else happens in the request: no
provider API call, no purchase.

The worker (in-process with ``HUB_WORKER=inline``, or ``continuata-hub
worker``, several at once) claims due events with the outbox's claiming
(:func:`hub.services.outbox.claim_rows`: ``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, an immediate transaction on SQLite, a lease) and hands each to
the processor its plugin declared through ``hub_inbox_processors``. An
event is done when its processor returns (its note is kept as the
``outcome``); an exception is retried with exponential backoff, and after
``HUB_INBOX_MAX_ATTEMPTS`` the event is left ``failed`` with the reason.

Events of one payment (one ``payment_key``) are processed one at a time,
in the order they were received: an event is due only when no earlier
event of its payment is still pending or being processed. Processors are
idempotent (a purchase is recorded once per provider reference, a reversal
once per reference), so an event processed again after a crash changes
nothing twice.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from piccolo.columns.combination import WhereRaw

from hub.clock import utcnow
from hub.context import Hub
from hub.db import UNIQUE_VIOLATIONS
from hub.metrics import count_webhook_event
from hub.secrets import new_id
from hub.services.outbox import claim_rows, record_failure
from hub.tables import InboxEvent

log = logging.getLogger("hub.inbox")

PROCESSING = "processing"
DONE = "done"
FAILED = "failed"

# An event is due only when no earlier event of its payment is unfinished.
FIRST_OF_ITS_PAYMENT = WhereRaw(
    "NOT EXISTS (SELECT 1 FROM hub_inbox_event AS earlier"
    " WHERE earlier.provider = hub_inbox_event.provider"
    " AND earlier.payment_key = hub_inbox_event.payment_key"
    " AND earlier.status IN ('pending', 'processing')"
    " AND (earlier.received_at < hub_inbox_event.received_at"
    " OR (earlier.received_at = hub_inbox_event.received_at AND earlier.id < hub_inbox_event.id)))"
)


@dataclass(frozen=True)
class ReceivedEvent:
    """A stored event, as a processor receives it."""

    id: str
    provider: str
    event_id: str
    event_type: str
    org: str
    payload: dict[str, Any]
    received_at: datetime
    attempts: int


Processor = Callable[[Hub, ReceivedEvent], Awaitable[str]]
"""``async def process(hub, event) -> note``: act on one event; raise to retry."""


async def store_event(
    hub: Hub, *, provider: str, event_id: str, event_type: str, org: str, payment_key: str, payload: dict[str, Any]
) -> bool:
    """Store a verified event for the worker; False when it was stored
    before (a provider's replay, or a concurrent delivery of the same event).

    :param payment_key: the provider's reference of the payment the event is
        about, as far as the payload tells without asking the provider; the
        events of one key are processed in order. Empty when it is about no
        payment (then it waits for nothing).
    """
    now = utcnow()
    try:
        inserted = await InboxEvent.insert(
            InboxEvent(
                id=new_id("evt"),
                provider=provider,
                event_id=event_id,
                event_type=event_type[:100],
                org=org,
                payment_key=(payment_key or f"event:{event_id}")[:255],
                sealed_payload=hub.sealer.seal(json.dumps(payload).encode()),
                status="pending",
                attempts=0,
                next_attempt_at=now,
                received_at=now,
            )
        ).on_conflict(action="DO NOTHING").returning(InboxEvent.id)
    except UNIQUE_VIOLATIONS:
        inserted = []
    count_webhook_event(provider, "stored" if inserted else "duplicate")
    if not inserted:
        return False
    hub.outbox_wakeup.set()
    return True


def _received(hub: Hub, row: dict) -> ReceivedEvent:
    return ReceivedEvent(
        id=row["id"],
        provider=row["provider"],
        event_id=row["event_id"],
        event_type=row["event_type"],
        org=row["org"],
        payload=json.loads(hub.sealer.open(row["sealed_payload"])),
        received_at=row["received_at"],
        attempts=row["attempts"],
    )


async def process(hub: Hub, row: dict) -> bool:
    """Process one claimed event; record the outcome. True when done."""
    processor = hub.inbox_processors[row["provider"]]
    try:
        note = await processor(hub, _received(hub, row))
    except Exception as problem:  # any failure is retried, then left visible as failed
        final = await record_failure(
            InboxEvent,
            row,
            problem,
            max_attempts=hub.settings.inbox_max_attempts,
            backoff_seconds=hub.settings.inbox_backoff_seconds,
        )
        log.warning(
            "%s event %s (%s) failed (attempt %d%s): %s",
            row["provider"], row["event_id"], row["event_type"], row["attempts"] + 1,
            ", giving up" if final else "", problem,
        )
        return False
    await InboxEvent.update(
        {
            InboxEvent.status: DONE,
            InboxEvent.attempts: row["attempts"] + 1,
            InboxEvent.outcome: (note or "")[:2000],
            InboxEvent.claimed_until: None,
            InboxEvent.last_error: "",
            InboxEvent.processed_at: utcnow(),
        }
    ).where(InboxEvent.id == row["id"])
    return True


async def process_due(hub: Hub, limit: int = 10) -> int:
    """One pass: claim and process what is due; the number of events tried.

    Only the events of providers a loaded plugin processes are claimed: an
    event must not spend its attempts while its plugin is left out.
    """
    if not hub.inbox_processors:
        return 0
    also = InboxEvent.provider.is_in(sorted(hub.inbox_processors)) & FIRST_OF_ITS_PAYMENT
    batch = await claim_rows(hub, InboxEvent, claimed=PROCESSING, limit=limit, also=also)
    for row in batch:
        await process(hub, row)
    return len(batch)
