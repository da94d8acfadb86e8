"""While PostgreSQL restarts, requests are answered 503 (try again), not 500.

Found by bench/launch.py: during ``pg_ctl restart`` the Stripe webhook and the
console answered ``500 Internal server error`` (asyncpg's "connection was
closed", "the database system is shutting down", "connection refused" taken
for bugs). The database being away for a moment is not a bug of the request:
the answer is a 503 with ``Retry-After``, in the surface's envelope, and the
next request after the database is back succeeds.
"""

from __future__ import annotations

import asyncpg
import httpx
import pytest

from tests.conftest import Org, ok


async def drop_every_connection(database_url: str) -> int:
    """What a restart does to the hub's pooled connections: PostgreSQL ends them."""
    connection = await asyncpg.connect(database_url)
    try:
        return await connection.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await connection.close()


async def test_a_request_on_a_connection_the_database_ended_is_a_503_to_retry_and_the_next_one_works(
    client: httpx.AsyncClient, org: Org, database_url: str
):
    if not database_url.startswith("postgres"):
        pytest.skip("PostgreSQL ends connections on a restart; SQLite has none to lose")
    ok(await client.get("/api/products", headers=org.admin))
    assert await drop_every_connection(database_url) >= 1
    answers = [await client.get("/api/products", headers=org.admin) for _ in range(12)]
    statuses = [a.status_code for a in answers]
    assert 500 not in statuses, [a.text for a in answers if a.status_code == 500]
    for refused in (a for a in answers if a.status_code != 200):
        assert refused.status_code == 503, refused.text
        assert refused.json() == {"success": False, "error": "The service is unavailable for a moment; try again"}
        assert refused.headers["retry-after"] == "5"
    assert statuses[-1] == 200  # the pool reconnected by itself
