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

from hub.context import Hub
from hub.services import outbox
from hub.services.events import deliver_due_events

log = logging.getLogger("hub.worker")

IDLE_POLL_SECONDS = 1.0


async def run_worker(hub: Hub, stop: asyncio.Event) -> None:
    """Process payments and deliver emails and events until ``stop`` is set."""
    await asyncio.gather(outbox.run_worker(hub, stop), deliver_events_until(hub, stop))


async def deliver_events_until(hub: Hub, stop: asyncio.Event) -> None:
    """Deliver due events until ``stop`` is set; between passes that found
    nothing, wait for ``hub.events_wakeup`` (set when this process records
    an event) or poll for what other processes record."""
    while not stop.is_set():
        # Cleared before the pass, not after: an event recorded while the
        # pass runs sets it again, and the wait below returns at once.
        hub.events_wakeup.clear()
        try:
            if await deliver_due_events(hub):
                continue
        except Exception:  # a database hiccup must not end the worker
            log.exception("Event delivery pass failed; retrying")
        waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(hub.events_wakeup.wait())]
        await asyncio.wait(waiters, timeout=IDLE_POLL_SECONDS, return_when=asyncio.FIRST_COMPLETED)
        for waiter in waiters:
            waiter.cancel()
