"""The payment inbox: store, then process.

A payment plugin's webhook route verifies the provider's signature and
calls :func:`store_event`; once the event is stored (in the same database
as everything else) the route answers 2xx, and a 2xx therefore means
"stored, will not be lost". Nothing else happens in the request: no
provider API call, no purchase.

The worker (in-process with ``HUB_WORKER=inline``, or ``continuata-hub
worker``, several at once) claims due events (:data:`EVENTS`, a
:class:`~hub.services.work_queue.WorkQueue`: ``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, an immediate transaction on SQLite, a lease that names the
worker, so that a restarted worker takes a dead one's events back at once)
and hands each to the processor its plugin declared through
``hub_inbox_processors``. An
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

import asyncio
import itertools
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from piccolo.columns.combination import WhereRaw

from hub.clock import utcnow
from hub.context import Hub
from hub.db import UNIQUE_VIOLATIONS, Database
from hub.db.group_commit import GroupCommit
from hub.metrics import count_webhook_event
from hub.plugins.records import JSONObject
from hub.secrets import new_id
from hub.services.work_queue import WorkQueue, raise_first
from hub.tables import InboxEvent

log = logging.getLogger("hub.inbox")

PROCESSING = "processing"
DONE = "done"
FAILED = "failed"

EVENTS = WorkQueue(InboxEvent, claimed=PROCESSING)
"""The inbox as a work queue (claims unrenewed: the five-minute lease)."""

# An event is due only when it is the first unfinished event of its payment.
# A scalar subquery with LIMIT 1 (not NOT EXISTS, which PostgreSQL may turn
# into a join scanning every unfinished event of the provider per event when
# the table's statistics are stale): one search of the partial index of
# unfinished events by (provider, payment key) per event looked at.
FIRST_OF_ITS_PAYMENT_SQL = (
    "hub_inbox_event.id = (SELECT first.id FROM hub_inbox_event AS first"
    " WHERE first.status IN ('pending', 'processing')"
    " AND first.provider = hub_inbox_event.provider"
    " AND first.payment_key = hub_inbox_event.payment_key"
    " ORDER BY first.received_at, first.id LIMIT 1)"
)
FIRST_OF_ITS_PAYMENT = WhereRaw(FIRST_OF_ITS_PAYMENT_SQL)


@dataclass(frozen=True)
class ReceivedEvent:
    """A stored event, as a processor receives it."""

    id: str
    provider: str
    event_id: str
    event_type: str
    org: str
    payload: JSONObject
    received_at: datetime
    attempts: int




async def store_event(
    hub: Hub, *, provider: str, event_id: str, event_type: str, org: str, payment_key: str, payload: JSONObject
) -> bool:
    """Store a verified event for the worker; False when it was stored
    before (a provider's replay, or a concurrent delivery of the same event).

    Called inside a transaction, the event is written in it (and commits or
    rolls back with it). Otherwise it returns once the event is committed;
    events that arrive while another is being written are written together,
    in one statement and one commit (:class:`~hub.db.group_commit.GroupCommit`), each caller
    still waiting for its own.

    :param payment_key: the provider's reference of the payment the event is
        about, as far as the payload tells without asking the provider; the
        events of one key are processed in order. Empty when it is about no
        payment (then it waits for nothing).
    """
    now = utcnow()
    row = (
        new_id("evt"),
        provider,
        event_id,
        event_type[:100],
        org,
        (payment_key or f"event:{event_id}")[:255],
        hub.sealer.seal(json.dumps(payload).encode()),
        now,
        now,
    )
    if hub.db.in_transaction():
        (stored,) = await _write_events(hub.db, [row])
    else:
        stored = await _group_commit(hub).submit(row)
    count_webhook_event(provider, "stored" if stored else "duplicate")
    if stored:
        hub.outbox_wakeup.set()
    return stored


_COLUMNS = (
    "id, provider, event_id, event_type, org, payment_key, sealed_payload, next_attempt_at, received_at,"
    " status, attempts, claimed_until, last_error, outcome, processed_at"
)
_VALUES = "({}, {}, {}, {}, {}, {}, {}, {}, {}, 'pending', 0, NULL, '', '', NULL)"
MAX_BATCH = 100
"""Events written by one statement at most (11 parameters each: far below
either database's limit)."""


def _insert(rows: int) -> str:
    """The statement storing ``rows`` events; a replay (the provider and
    event id are unique) is skipped, and the ids of the new rows come back."""
    return (
        f"INSERT INTO {InboxEvent._meta.tablename} ({_COLUMNS}) VALUES {', '.join([_VALUES] * rows)}"
        " ON CONFLICT DO NOTHING RETURNING id"
    )


async def _write_events(db: Database, rows: list[tuple[Any, ...]]) -> list[bool]:
    """Store events in one statement (a :class:`~hub.db.group_commit.GroupCommit`
    batch, or one event in the caller's transaction); for each, whether it is new. The same event twice in one batch
    (a concurrent replay) is written once, the later copies are duplicates."""
    first: dict[tuple[str, str], tuple[Any, ...]] = {}
    for row in rows:
        first.setdefault((row[1], row[2]), row)
    unique = list(first.values())
    try:
        inserted = {r["id"] for r in await db.fetch(_insert(len(unique)), *itertools.chain(*unique))}
    except UNIQUE_VIOLATIONS:
        if len(unique) > 1:
            raise  # written again one by one
        return [False] * len(rows)
    return [row[0] in inserted for row in rows]


async def _intake_first(hub: Hub) -> None:
    """Wait while this process is storing webhooks: a provider waits for its
    answer (and retries, or gives up on the endpoint, when it is slow),
    while a stored event can wait for its processing. Once the deliveries
    pause, the worker goes on."""
    group = hub.db.group_commits.get("inbox")
    if group is not None and group.loop is asyncio.get_running_loop():
        await group.idle()


def _group_commit(hub: Hub) -> GroupCommit[tuple[Any, ...], bool]:
    """The stored events' group commit of this database and event loop."""
    db = hub.db
    return db.group_commit("inbox", lambda rows: _write_events(db, rows), max_batch=MAX_BATCH)


def _received(hub: Hub, row: dict[str, Any]) -> ReceivedEvent:
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


async def process(hub: Hub, row: dict[str, Any]) -> str | None:
    """Process one claimed event: its processor's note when it is done (for
    :func:`record_done`), None when it failed (recorded for a retry)."""
    processor = hub.inbox_processors[row["provider"]]
    try:
        note = await processor(hub, _received(hub, row))
    except Exception as problem:  # any failure is retried, then left visible as failed
        final = await EVENTS.record_failure(
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
        return None
    return note or ""


async def record_done(hub: Hub, done: list[tuple[dict[str, Any], str, datetime]]) -> None:
    """Mark processed events done, with their notes and when each was done,
    in one transaction (one commit for a batch). An event whose mark a crash lost is processed
    again, which changes nothing: processors are idempotent."""
    if not done:
        return
    async with hub.db.write_transaction():
        for row, note, processed_at in done:
            await InboxEvent.update(
                {
                    InboxEvent.status: DONE,
                    InboxEvent.attempts: row["attempts"] + 1,
                    InboxEvent.outcome: note[:2000],
                    InboxEvent.claimed_until: None,
                    InboxEvent.claimed_by: None,
                    InboxEvent.last_error: "",
                    InboxEvent.processed_at: processed_at,
                }
            ).where(InboxEvent.id == row["id"])


async def process_due(hub: Hub, limit: int = 10) -> int:
    """One pass: claim and process what is due; the number of events tried.

    Only the events of providers a loaded plugin processes are claimed: an
    event must not spend its attempts while its plugin is left out.
    """
    if not hub.inbox_processors:
        return 0
    providers = sorted(hub.inbox_processors)
    also = f"provider IN ({', '.join('{}' for _ in providers)}) AND {FIRST_OF_ITS_PAYMENT_SQL}"
    batch = await EVENTS.claim(hub, limit=limit, also=also, also_args=tuple(providers))
    done: list[tuple[dict[str, Any], str, datetime]] = []

    async def process_one(row: dict[str, Any]) -> None:
        await _intake_first(hub)
        note = await process(hub, row)
        if note is not None:
            done.append((row, note, utcnow()))

    # A claim holds at most one event of a payment (the first unfinished
    # one), so a batch's events are independent and processed together:
    # one's round trips to the database or the provider are the others'
    # time to work. On SQLite their write transactions still take turns.
    outcomes = await asyncio.gather(*(process_one(row) for row in batch), return_exceptions=True)
    await record_done(hub, done)
    raise_first(outcomes)
    return len(batch)
