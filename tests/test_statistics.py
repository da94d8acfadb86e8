"""On PostgreSQL the worker keeps the planner's statistics of the hub's
tables fresh when autovacuum does not (it is off on some servers, and comes
round only now and then): a table that grew by thousands of rows is
analyzed, and a lookup by a list of references then runs on its index
instead of walking every reference of the shop."""

from __future__ import annotations

import asyncio

from hub.db import insert_rows
from hub.services.statistics import refresh_statistics
from hub.tables import ProviderReference
from hub.testing.app import hub_client, make_app, settings_for_tests
from tests.conftest import _empty_postgres

LOOKUP = (
    "SELECT kind, reference FROM hub_provider_reference"
    " WHERE org = 'shop' AND provider = 'acme' AND reference IN ('ref-7', 'ref-9')"
)


async def modified_since_analysis(hub, table: str) -> int:
    row = await hub.db.fetch_one("SELECT n_mod_since_analyze AS n FROM pg_stat_user_tables WHERE relname = {}", table)
    return row["n"] if row else 0


async def test_stale_tables_are_analyzed_once_and_their_lookups_use_the_index(database_url, tmp_path):
    app = make_app(settings_for_tests(tmp_path / "data", database_url=database_url, worker="off"), entry_points="none")
    async with hub_client(app):
        hub = app.state.hub
        if hub.db.is_sqlite:
            assert await refresh_statistics(hub) == []
            return
        await _empty_postgres(app)
        await refresh_statistics(hub)  # whatever the emptied tables left
        # As on a server whose autovacuum is off (it could otherwise come round mid-test).
        await hub.db.execute("ALTER TABLE hub_provider_reference SET (autovacuum_enabled = false)")
        rows = [
            dict(id=f"r{n}", org="shop", purchase=f"p{n}", provider="acme", kind="order", reference=f"ref-{n}", items=[])
            for n in range(6000)
        ]
        for start in range(0, len(rows), 1000):
            await insert_rows(ProviderReference, rows[start:start + 1000])
        for _ in range(100):  # PostgreSQL counts changes a moment after they commit
            if await modified_since_analysis(hub, "hub_provider_reference") >= 6000:
                break
            await asyncio.sleep(0.1)
        plan = "\n".join(r["QUERY PLAN"] for r in await hub.db.fetch("EXPLAIN " + LOOKUP))
        assert "Filter" in plan, plan  # believed empty: every reference of the shop read and filtered

        assert "hub_provider_reference" in await refresh_statistics(hub)
        assert await modified_since_analysis(hub, "hub_provider_reference") == 0
        assert "hub_provider_reference" not in await refresh_statistics(hub)  # fresh: nothing to do
        plan = "\n".join(r["QUERY PLAN"] for r in await hub.db.fetch("EXPLAIN " + LOOKUP))
        assert "reference" in plan.split("Index Cond:")[1] and "Filter" not in plan, plan
        await hub.db.execute("ALTER TABLE hub_provider_reference RESET (autovacuum_enabled)")
        await _empty_postgres(app)

