"""Fresh planner statistics for the hub's tables on PostgreSQL.

PostgreSQL plans each query from its statistics of the tables, which its
autovacuum refreshes once a table has changed by a tenth. Where autovacuum
is off, or has not come round yet after a burst (a sale of thousands in a
minute, a backlog after an outage), the planner believes a table of 20,000
rows is empty: a lookup of a purchase's references by ``reference IN (…)``
then walks every reference of the shop instead of its index (issue 10 saw a
worker slow to a quarter, and an email's wait pass a second). The worker
therefore does what autovacuum would: every half minute, ``ANALYZE`` each
hub table changed by more than a tenth (and 50 rows) since its last
analysis. With autovacuum keeping up, there is nothing to do; one process
at a time does it (an advisory lock), whatever the number of workers.
SQLite needs nothing: its planner does not weigh row counts this way.
"""

from __future__ import annotations

import asyncio
import logging

from hub.context import Hub

log = logging.getLogger("hub.statistics")

PASS_SECONDS = 30.0
LOCK = 0x68756273  # "hubs": one advisory lock key for the pass, across processes

_STALE = (
    "SELECT relname FROM pg_stat_user_tables"
    " WHERE relname LIKE 'hub\\_%' AND n_mod_since_analyze > 50 + 0.1 * GREATEST(n_live_tup, 0)"
    " ORDER BY relname"
)


async def refresh_statistics(hub: Hub) -> list[str]:
    """``ANALYZE`` the hub's tables whose statistics are stale; their names
    (none on SQLite, or when another process holds the pass)."""
    if hub.db.is_sqlite:
        return []
    async with hub.db.transaction():
        answer = await hub.db.fetch_one("SELECT pg_try_advisory_xact_lock({}) AS locked", LOCK)
        assert answer is not None  # a SELECT without FROM answers one row
        (locked,) = answer.values()
        if not locked:
            return []
        stale = [row["relname"] for row in await hub.db.fetch(_STALE)]
        for name in stale:
            await hub.db.execute(f'ANALYZE "{name}"')
    return stale


async def refresh_statistics_until(hub: Hub, stop: asyncio.Event) -> None:
    """Run :func:`refresh_statistics` every :data:`PASS_SECONDS` until ``stop``."""
    if hub.db.is_sqlite:
        return
    while not stop.is_set():
        try:
            analyzed = await refresh_statistics(hub)
            if analyzed:
                log.info("Planner statistics refreshed: %s", ", ".join(analyzed))
        except Exception:  # a database hiccup must not end the worker; the next pass retries
            log.warning("Refreshing the planner statistics failed; retrying", exc_info=True)
        try:
            await asyncio.wait_for(stop.wait(), timeout=PASS_SECONDS)
        except asyncio.TimeoutError:
            pass
