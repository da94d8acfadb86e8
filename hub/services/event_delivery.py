"""Delivering recorded events: to the plugins that implement their hook, and
to the webhook endpoints subscribed to them.

:func:`hub.services.events.emit` writes an event and one *delivery* per
receiver in the transaction of the change it announces. The worker
(:mod:`hub.services.worker`) claims due deliveries (:data:`DELIVERIES`, a
:class:`~hub.services.work_queue.WorkQueue`), so two workers never deliver
one at the same time and a restarted worker takes a dead one's back at
once, and records each outcome: ``delivered``; or ``pending`` again with an
exponential backoff; or ``failed``, visible with its last error, after the
last try. Webhook endpoints are called by :mod:`hub.services.webhook_delivery`.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from datetime import timedelta
from typing import Any

from hub.clock import utcnow
from hub.context import Hub
from hub.plugins import await_me_maybe
from hub.plugins.records import for_hook
from hub.services.events import PLUGIN
from hub.services.webhook_delivery import deliver_to_endpoint
from hub.services.work_queue import WorkQueue
from hub.tables import Event, EventDelivery

log = logging.getLogger("hub.events")

DELIVERIES = WorkQueue(EventDelivery, claimed="sending")
"""Event deliveries as a work queue (claims unrenewed: a slow endpoint or
plugin is bounded by its timeout, far below the five-minute lease)."""


async def _record(delivery: dict[str, Any], **changes: Any) -> None:
    """Record what became of a claimed delivery (its claim released)."""
    changes.setdefault("claimed_by", None)
    await EventDelivery.update({getattr(EventDelivery, k): v for k, v in changes.items()}).where(
        EventDelivery.id == delivery["id"]
    )


async def call_plugin(hub: Hub, plugin_name: str, hook: str, payload: dict[str, Any]) -> None:
    """Call one plugin's implementation of an event hook with the stored records.

    A synchronous implementation runs in a thread, so that a plugin that
    blocks (a slow HTTP call, a ``time.sleep``) cannot stall the server.
    """
    caller = getattr(hub.plugins.hook, hook, None)
    impl = next((i for i in (caller.get_hookimpls() if caller else []) if i.plugin_name == plugin_name), None)
    if impl is None:
        raise LookupError(f"plugin {plugin_name!r} is not loaded in this process (or no longer implements {hook})")
    arguments = {"hub": hub, **for_hook(payload)}
    wanted = {name: arguments[name] for name in impl.argnames}

    async def call() -> None:
        if inspect.iscoroutinefunction(impl.function):
            await impl.function(**wanted)
        else:
            await await_me_maybe(await asyncio.to_thread(impl.function, **wanted))

    # A plugin stuck for good must not hold up every later event: past the
    # timeout the attempt counts as failed and is retried (a thread that is
    # still running is left to finish on its own).
    try:
        await asyncio.wait_for(call(), timeout=hub.settings.event_timeout_seconds)
    except TimeoutError:
        raise TimeoutError(f"the hook did not return within {hub.settings.event_timeout_seconds} s") from None


async def deliver_to_plugin(hub: Hub, delivery: dict[str, Any], event: dict[str, Any]) -> bool:
    """Call the plugin; on failure, back off or give up after the last try."""
    plugin_name = delivery["target"][len(PLUGIN):]
    attempts = delivery["attempts"] + 1
    try:
        await call_plugin(hub, plugin_name, event["type"], event["payload"])
    except Exception as problem:  # a plugin's bug: retried, then left visible, never lost silently
        final = attempts >= hub.settings.event_max_attempts
        delay = timedelta(seconds=hub.settings.event_retry_seconds * 2 ** (attempts - 1))
        await _record(
            delivery,
            status="failed" if final else "pending",
            attempts=attempts,
            next_attempt_at=utcnow() + delay,
            claimed_until=None,
            last_error=f"{type(problem).__name__}: {problem}"[:2000],
        )
        log.warning(
            "Plugin %s failed in hook %s for event %s (attempt %d%s): %s",
            plugin_name, event["type"], event["id"], attempts, ", giving up" if final else "", problem,
            exc_info=problem,
        )
        return False
    await _record(delivery, status="delivered", attempts=attempts, delivered_at=utcnow(), claimed_until=None, last_error="")
    return True


async def deliver_due_events(hub: Hub, limit: int = 20) -> int:
    """One pass: claim due deliveries and deliver them; the number tried.

    Deliveries of one pass run concurrently: a slow webhook endpoint (up to
    its timeout) must not hold up the others or the plugins.
    """
    batch = await DELIVERIES.claim(hub, limit=limit)
    if not batch:
        return 0
    events = {
        row["id"]: row
        for row in await Event.select().where(Event.id.is_in(list({d["event"] for d in batch}))).output(load_json=True)
    }

    async def deliver(delivery: dict[str, Any]) -> None:
        event = events.get(delivery["event"])
        try:
            if event is None:
                await _record(delivery, status="failed", claimed_until=None, last_error="the event was deleted")
            elif delivery["target"].startswith(PLUGIN):
                await deliver_to_plugin(hub, delivery, event)
            else:
                await deliver_to_endpoint(hub, delivery, event)
        except Exception:  # a database hiccup: the lease runs out and the delivery is tried again
            log.exception("Delivering event %s to %s failed", delivery["event"], delivery["target"])

    await asyncio.gather(*(deliver(d) for d in batch))
    return len(batch)
