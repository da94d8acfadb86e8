"""Tests' view of the payment inbox: wait until what was stored is processed."""

from __future__ import annotations

import asyncio

from hub.clock import utcnow
from hub.context import Hub
from hub.services.inbox import FIRST_OF_ITS_PAYMENT, process_due
from hub.tables import InboxEvent

PATIENCE_SECONDS = 30.0


async def drain_inbox(hub: Hub) -> None:
    """Process every due inbox event (beside the inline worker, which may
    claim some first) and return once none is due or being processed.
    Events waiting out a retry's backoff are left waiting."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + PATIENCE_SECONDS
    while True:
        if await process_due(hub):
            continue
        # Busy while another worker holds an event, or one is due (an event
        # waiting behind an earlier one of its payment is not). One query, so
        # one snapshot: a claim committed between two queries would hide an
        # event from both.
        busy = await InboxEvent.exists().where(
            (InboxEvent.status == "processing")
            | ((InboxEvent.status == "pending") & (InboxEvent.next_attempt_at <= utcnow()) & FIRST_OF_ITS_PAYMENT)
        )
        if not busy:
            return
        if loop.time() > deadline:
            raise TimeoutError("The inbox was not drained: an event stays due or being processed")
        await asyncio.sleep(0.02)  # another worker holds it


async def outcome_of(event_id: str) -> dict | None:
    """What became of a stored event: its ``status``, ``outcome``, ``last_error``, ``attempts``
    (None for an event never stored)."""
    return await InboxEvent.select(
        InboxEvent.status, InboxEvent.outcome, InboxEvent.last_error, InboxEvent.attempts
    ).where(InboxEvent.event_id == event_id).first()


async def retry_now() -> None:
    """Make the events waiting out a retry's backoff due at once."""
    await InboxEvent.update({InboxEvent.next_attempt_at: utcnow()}).where(InboxEvent.status == "pending")
