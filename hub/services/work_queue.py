"""Work queues: rows written down now, claimed and worked on by the worker.

The email outbox (:mod:`hub.services.outbox`), the payment inbox
(:mod:`hub.services.inbox`) and event deliveries
(:mod:`hub.services.event_delivery`) are each a :class:`WorkQueue`: a table
with ``status``, ``attempts``, ``next_attempt_at``, ``claimed_until``,
``claimed_by`` and ``last_error``. A row is due when it is ``pending`` and
its time has come, or when it is claimed and its lease ran out.

Claiming is safe with several workers: on PostgreSQL with ``SELECT … FOR
UPDATE SKIP LOCKED``, on SQLite inside an immediate (write-locked)
transaction. A claim is a lease that names its worker
(:mod:`hub.services.worker_identity`): a worker starting on the same host
takes back at once the rows a dead process held
(:meth:`WorkQueue.reclaim_from_dead_workers`), and any worker takes a row
once its lease runs out. A queue whose worker renews its claims while it
works (:meth:`WorkQueue.renewing`) can afford a short lease; the others
hold theirs for as long as the slowest batch may take.

A failed attempt is due again after an exponential backoff, and left
``failed`` with its reason after the last one (:func:`record_failure`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from piccolo.columns import Column

from hub.clock import utcnow
from hub.context import Hub
from hub.errors import PermanentDeliveryError
from hub.services.worker_identity import WorkerIdentity, is_certainly_dead, this_worker
from hub.tables import EventDelivery, InboxEvent, OutboxMessage, UpdatePublication

log = logging.getLogger("hub.work_queue")

WorkTable = type[InboxEvent] | type[OutboxMessage] | type[EventDelivery] | type[UpdatePublication]
"""A work table: its rows have ``id``, ``status``, ``attempts``,
``next_attempt_at``, ``claimed_until``, ``claimed_by`` and ``last_error``."""

UNRENEWED_LEASE = timedelta(minutes=5)
"""The lease of a queue whose worker does not renew its claims (the payment
inbox, event deliveries): long enough for a batch of slow provider calls or
webhook endpoints, so that a second worker never takes over a row that is
still being worked on. A dead worker's rows on the same host are taken back
at once all the same."""


@dataclass(frozen=True)
class WorkQueue:
    """One work table and how its rows are claimed.

    :param table: the piccolo table of the queue's rows.
    :param claimed: the status a claim sets (``sending``, ``processing``).
    :param lease: how long a claim holds without renewal.
    :param renew_every_seconds: how often :meth:`renewing` extends this
        worker's leases (a third of a renewed lease).
    """

    table: WorkTable
    claimed: str
    lease: timedelta = UNRENEWED_LEASE
    renew_every_seconds: float | None = None

    @property
    def name(self) -> str:
        return self.table._meta.tablename

    async def claim(self, hub: Hub, *, limit: int = 10, also: str = "", also_args: tuple[object, ...] = ()) -> list[dict[str, Any]]:
        """Claim up to ``limit`` due rows for this worker, stamped with its
        identity (see :func:`claim_rows` for ``also``)."""
        return await claim_rows(
            hub,
            self.table,
            claimed=self.claimed,
            limit=limit,
            also=also,
            also_args=also_args,
            stamp={self.table.claimed_by: str(this_worker())},
            lease=self.lease,
        )

    async def record_failure(
        self, row: dict[str, Any], problem: BaseException, *, max_attempts: int, backoff_seconds: int
    ) -> bool:
        """:func:`record_failure` for a row of this queue (its claim released)."""
        return await record_failure(
            self.table, row, problem, max_attempts=max_attempts, backoff_seconds=backoff_seconds,
            release={self.table.claimed_by: None},
        )

    async def renew(self) -> int:
        """Extend the lease of every row this process holds; how many."""
        table = self.table
        renewed = await table.update({table.claimed_until: utcnow() + self.lease}).where(
            table.status == self.claimed, table.claimed_by == str(this_worker())
        ).returning(table.id)
        return len(renewed)

    @contextlib.asynccontextmanager
    async def renewing(self) -> AsyncIterator[None]:
        """Renew this process's leases while the block runs (a slow relay
        must not let another worker take a row that is being worked on)."""
        every = self.renew_every_seconds
        if every is None:
            yield
            return

        async def renew_forever() -> None:
            while True:
                await asyncio.sleep(every)
                try:
                    await self.renew()
                except Exception:  # a database hiccup: the next renewal may work
                    log.warning("Renewing the leases of %s failed", self.name, exc_info=True)

        renewer = asyncio.create_task(renew_forever())
        try:
            yield
        finally:
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer

    async def reclaim_from_dead_workers(self) -> int:
        """Make due at once the rows whose worker is certainly dead (see
        :func:`hub.services.worker_identity.is_certainly_dead`); how many.

        The worker runs it when it starts: after a crash and a restart, the
        rows the dead process held are worked on at once instead of after
        their lease. Their attempt is not counted: whether it ended is
        unknown, and the work is idempotent.
        """
        table = self.table
        holders = {
            row["claimed_by"]
            for row in await table.select(table.claimed_by).where(
                table.status == self.claimed, table.claimed_by.is_not_null()
            )
        }
        dead = [text for text in holders if (holder := WorkerIdentity.parse(text)) and is_certainly_dead(holder)]
        if not dead:
            return 0
        taken = await table.update(
            {table.status: "pending", table.next_attempt_at: utcnow(), table.claimed_until: None, table.claimed_by: None}
        ).where(table.status == self.claimed, table.claimed_by.is_in(dead)).returning(table.id)
        log.warning("Took back %d row(s) of %s from dead worker(s) %s", len(taken), self.name, ", ".join(sorted(dead)))
        return len(taken)


async def claim_rows(
    hub: Hub,
    table: WorkTable,
    *,
    claimed: str,
    limit: int = 10,
    also: str = "",
    also_args: tuple[object, ...] = (),
    stamp: dict[Column | str, Any] | None = None,
    lease: timedelta = UNRENEWED_LEASE,
) -> list[dict[str, Any]]:
    """Claim up to ``limit`` due rows of a work table.

    ``also`` is raw SQL (``{}`` placeholders for ``also_args``) that narrows
    what is due; ``stamp`` names further columns the claim sets (the
    holder, :meth:`WorkQueue.claim`). ``lease`` is how long the claim
    holds: shorten it only where the worker renews it.

    The search names the unfinished statuses as literals, so that it runs on
    the table's partial index of unfinished rows (``<table>_unfinished``,
    migration 2026-12-01T00:20): its cost follows the backlog, never the
    rows done long ago. On PostgreSQL the claim is planned for the table as
    it is now: a plan cached while the table was empty (a burst right after
    a start) would scan a large backlog once per row of it.
    """
    now = utcnow()
    due = due_query(table, claimed=claimed, limit=limit, also=also, postgres=not hub.db.is_sqlite)
    async with hub.db.write_transaction():
        if not hub.db.is_sqlite:
            await hub.db.execute("SET LOCAL plan_cache_mode = force_custom_plan")
        ids = [row["id"] for row in await hub.db.fetch(due, now, now, *also_args)]
        if not ids:
            return []
        await table.update({table.status: claimed, table.claimed_until: now + lease, **(stamp or {})}).where(
            table.id.is_in(ids)
        )
        return await table.select().where(table.id.is_in(ids))


def due_query(table: WorkTable, *, claimed: str, limit: int, also: str = "", postgres: bool) -> str:
    """The ids of up to ``limit`` due rows of a work table (see
    :func:`claim_rows`); placeholders: the time now, twice, then ``also``'s."""
    query = (
        f"SELECT id FROM {table._meta.tablename} WHERE status IN ('pending', '{claimed}')"
        f" AND ((status = 'pending' AND next_attempt_at <= {{}}) OR (status = '{claimed}' AND claimed_until < {{}}))"
        f"{f' AND {also}' if also else ''} ORDER BY next_attempt_at LIMIT {int(limit)}"
    )
    # On PostgreSQL, rows another worker holds are skipped, not waited for.
    return query + " FOR UPDATE SKIP LOCKED" if postgres else query


async def record_failure(
    table: WorkTable,
    row: dict[str, Any],
    problem: BaseException,
    *,
    max_attempts: int,
    backoff_seconds: int,
    release: dict[Column | str, Any] | None = None,
) -> bool:
    """A claimed row's attempt failed: due again after an exponential
    backoff, or ``failed`` (with the reason) after its last attempt, or at
    once when ``problem`` is a :class:`~hub.errors.PermanentDeliveryError`
    (retrying would get the same refusal). ``release`` names further
    columns to reset with the claim. True when it was the last."""
    attempts = row["attempts"] + 1
    final = attempts >= max_attempts or isinstance(problem, PermanentDeliveryError)
    delay = timedelta(seconds=backoff_seconds * 2 ** (attempts - 1))
    await table.update(
        {
            table.status: "failed" if final else "pending",
            table.attempts: attempts,
            table.next_attempt_at: utcnow() + delay,
            table.claimed_until: None,
            table.last_error: f"{type(problem).__name__}: {problem}"[:2000],
            **(release or {}),
        }
    ).where(table.id == row["id"])
    return final


def raise_first(outcomes: Sequence[object]) -> None:
    """Raise the first exception among ``asyncio.gather(...,
    return_exceptions=True)``'s outcomes, once every task has ended (a
    database hiccup: the leases run out and the rows are tried again)."""
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
