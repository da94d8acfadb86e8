"""Waiting for the worker: event hooks run after the request, not inside it."""

from __future__ import annotations

import asyncio

from hub.clock import utcnow
from hub.context import Hub
from hub.tables import EventDelivery


async def events_settled(hub: Hub, timeout: float = 30.0) -> None:
    """Return once no event delivery is due or in progress (the inline
    worker has delivered everything it can now; failed ones wait for their
    backoff). Raises :class:`TimeoutError` after ``timeout`` seconds."""

    async def busy() -> bool:
        return await EventDelivery.exists().where(
            (EventDelivery.status == "sending")
            | ((EventDelivery.status == "pending") & (EventDelivery.next_attempt_at <= utcnow()))
        )

    async with asyncio.timeout(timeout):
        while await busy():
            hub.events_wakeup.set()
            await asyncio.sleep(0.02)
