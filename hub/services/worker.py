"""The worker: does what requests only wrote down.

It owns every loop of the hub's background work: the payment inbox
(:mod:`hub.services.inbox`), sign-in requests that become emails
(:func:`hub.services.buyers.prepare_sign_ins`), the email outbox
(:mod:`hub.services.outbox`), event deliveries to plugins and webhook
endpoints (:mod:`hub.services.event_delivery`), the CRC-32s of files
uploaded before the hub recorded them (:mod:`hub.services.archives`), and on PostgreSQL the
planner's statistics (:mod:`hub.services.statistics`). Each loop runs beside
the others, so that a slow plugin or endpoint never holds up a payment or an
email, nor a slow mail server an event. When it starts, it takes back at
once the claims of a worker of this host that died
(:meth:`hub.services.work_queue.WorkQueue.reclaim_from_dead_workers`).

It runs inline in ``continuata-hub serve`` (``HUB_WORKER=inline``) or as
``continuata-hub worker`` processes, as many as you like: claims are
leases, so no two workers take the same row.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from hub.context import Hub
from hub.services.archives import fill_missing_crc32
from hub.services.buyers import prepare_sign_ins
from hub.services.event_delivery import DELIVERIES, deliver_due_events
from hub.services.inbox import EVENTS, process_due
from hub.services.outbox import EMAILS, deliver_due
from hub.services.statistics import refresh_statistics_until
from hub.services.update_notices import PUBLICATIONS, fan_out_due
from hub.services.work_queue import WorkQueue

log = logging.getLogger("hub.worker")

IDLE_POLL_SECONDS = 1.0

Pass = Callable[[Hub], Awaitable[int]]
"""One round of a loop: works on what is due; how many rows it tried."""


async def run_worker(hub: Hub, stop: asyncio.Event) -> None:
    """Process payments and deliver emails and events until ``stop`` is set
    (and, on PostgreSQL, keep the planner's statistics of the hub's tables
    fresh); wakes at once when this process writes work down, and polls
    for what other processes write."""
    if hub.mailer is None:
        log.warning("No mailer is configured (the email plugin needs HUB_SMTP_URL): emails stay queued in the outbox")
    await reclaim_from_dead_workers(hub, [EVENTS, EMAILS, DELIVERIES, PUBLICATIONS])
    # /my sign-in requests become emails in prepare_sign_ins, not in the
    # buyer's request. The inbox and the outbox run side by side: a message
    # goes out while the next payment is processed, and each one's wait for
    # the disk (a commit) or the mail server is the other's time to work.
    inbox_wakeup, outbox_wakeup, updates_wakeup = asyncio.Event(), asyncio.Event(), asyncio.Event()
    loops = [
        deliver_events_until(hub, stop),
        refresh_statistics_until(hub, stop),
        fill_missing_crc32_until_done(hub, stop),
    ]
    if hub.mailer is not None or hub.inbox_processors:
        loops += [
            relay_wakeups(hub.outbox_wakeup, (inbox_wakeup, outbox_wakeup, updates_wakeup), stop),
            run_passes(hub, stop, inbox_wakeup, [("Inbox", process_due)], log),
            # Update emails' fan-out (a publication's buyers, in batches) in a
            # loop of its own: a long one never holds up a sale's email.
            run_passes(hub, stop, updates_wakeup, [("Update notices", fan_out_due)], log),
            run_passes(hub, stop, outbox_wakeup, [("Sign-in", prepare_sign_ins), ("Outbox", deliver_due)], log),
        ]
    await asyncio.gather(*loops)


async def reclaim_from_dead_workers(hub: Hub, queues: list[WorkQueue]) -> int:
    """Take back the rows of ``queues`` that a dead worker of this host held
    (a crash, then a restart: they are due at once, not after their lease);
    how many. A failure is logged: the leases still run out, and the worker
    must start anyway."""
    taken = 0
    for queue in queues:
        try:
            taken += await queue.reclaim_from_dead_workers()
        except Exception:
            log.exception("Taking back dead workers' claims of %s failed", queue.name)
    return taken


async def deliver_events_until(hub: Hub, stop: asyncio.Event) -> None:
    """Deliver due events until ``stop`` is set (``hub.events_wakeup`` is
    set when this process records an event)."""
    await run_passes(hub, stop, hub.events_wakeup, [("Event delivery", deliver_due_events)], log)


async def fill_missing_crc32_until_done(hub: Hub, stop: asyncio.Event) -> None:
    """Fill in the CRC-32 of files uploaded before the hub recorded it
    (:func:`hub.services.archives.fill_missing_crc32`), a batch at a time,
    until none is left; then this loop ends: every upload since records its
    own."""
    while not stop.is_set():
        try:
            if not await fill_missing_crc32(hub):
                return
        except Exception:  # a database hiccup must not end the worker
            log.exception("CRC-32 backfill pass failed; retrying")
            await asyncio.sleep(IDLE_POLL_SECONDS)


async def run_passes(
    hub: Hub,
    stop: asyncio.Event,
    wakeup: asyncio.Event,
    passes: list[tuple[str, Pass]],
    log: logging.Logger,
) -> None:
    """Run ``passes`` (each answers how many rows it tried) until ``stop`` is
    set; between rounds that found nothing, wait for ``wakeup`` (set when
    this process writes work down) or poll for what other processes write."""
    while not stop.is_set():
        # Cleared before the round, not after: work written while the round
        # runs sets it again, and the wait below returns at once.
        wakeup.clear()
        tried = 0
        for name, work in passes:
            try:
                tried += await work(hub)
            except Exception:  # a database hiccup must not end the worker
                log.exception("%s pass failed; retrying", name)
        if tried:
            continue
        waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wakeup.wait())]
        await asyncio.wait(waiters, timeout=IDLE_POLL_SECONDS, return_when=asyncio.FIRST_COMPLETED)
        for waiter in waiters:
            waiter.cancel()


async def relay_wakeups(source: asyncio.Event, targets: tuple[asyncio.Event, ...], stop: asyncio.Event) -> None:
    """Pass each setting of ``source`` on to every one of ``targets`` until
    ``stop`` is set: loops that share one wake-up event each get their own
    (a loop clears its event before a round; clearing a shared one could
    swallow the other loop's wake-up)."""
    while not stop.is_set():
        waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(source.wait())]
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
        if source.is_set():
            source.clear()
            for target in targets:
                target.set()
