"""The worker: does what requests only wrote down.

Stored payment webhooks, queued emails and sign-in requests are handled by
:func:`hub.services.outbox.run_worker`; event deliveries to plugins and
webhook endpoints (:mod:`hub.services.events`) by a loop beside it, so that
a slow plugin or endpoint never holds up a payment or an email, nor a slow
mail server an event. It runs inline in ``continuata-hub serve``
(``HUB_WORKER=inline``) or as ``continuata-hub worker`` processes, as many
as you like: claims are leases, so no two workers take the same row.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from hub.context import Hub
from hub.services import outbox
from hub.services.events import deliver_due_events
from hub.services.statistics import refresh_statistics_until

log = logging.getLogger("hub.worker")

IDLE_POLL_SECONDS = 1.0


async def run_worker(hub: Hub, stop: asyncio.Event) -> None:
    """Process payments and deliver emails and events until ``stop`` is set
    (and, on PostgreSQL, keep the planner's statistics of the hub's tables
    fresh: :mod:`hub.services.statistics`)."""
    await asyncio.gather(
        outbox.run_worker(hub, stop), deliver_events_until(hub, stop), refresh_statistics_until(hub, stop)
    )


async def deliver_events_until(hub: Hub, stop: asyncio.Event) -> None:
    """Deliver due events until ``stop`` is set (``hub.events_wakeup`` is
    set when this process records an event)."""
    await run_passes(hub, stop, hub.events_wakeup, [("Event delivery", deliver_due_events)], log)


async def run_passes(
    hub: Hub,
    stop: asyncio.Event,
    wakeup: asyncio.Event,
    passes: list[tuple[str, Callable[[Hub], Awaitable[int]]]],
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
