"""How long one small query takes through piccolo: the hub's engines against piccolo's own.

    python bench/db_queries.py [--queries 2000] [--postgres postgresql://…]

Looks a download token up by its hash (the download page's first query)
``--queries`` times, one after the other, then the same with 32 concurrent
callers, on:

- SQLite through piccolo's ``SQLiteEngine`` (a new connection, and a new
  aiosqlite thread, per query: the hub before issue 10) and through the
  hub's ``PooledSQLiteEngine`` (long-lived connections whose reads run on
  the event loop's thread, :mod:`hub.db.sqlite_connection`);
- PostgreSQL (with ``--postgres``, a database this script may migrate)
  without a pool (a connection per query) and with asyncpg's pool, as
  :meth:`hub.db.Database.open` starts it.

Each as a piccolo query and as the same statement in raw SQL through
:meth:`hub.db.Database.fetch` (what the download page does). Prints
queries/s and the mean time per query for each.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from piccolo.engine.sqlite import SQLiteEngine

from hub.db import Database
from hub.db.engines import PooledSQLiteEngine
from hub.secrets import hash_secret
from hub.tables import DownloadToken


async def lookups(n: int, concurrency: int, db: Database | None = None) -> float:
    """Seconds for ``n`` token lookups by hash, ``concurrency`` at a time:
    a piccolo query, or with ``db`` the same statement as raw SQL
    (:meth:`hub.db.Database.fetch`, as the download page reads)."""
    digest = hash_secret("ct_download_missing")
    per_worker = n // concurrency
    raw = f"SELECT * FROM {DownloadToken._meta.tablename} WHERE token_hash = {{}}"

    async def worker() -> None:
        for _ in range(per_worker):
            if db is None:
                await DownloadToken.select().where(DownloadToken.token_hash == digest).first()
            else:
                await db.fetch(raw, digest)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started


async def measure(label: str, db: Database, n: int) -> None:
    async with db:
        await db.migrate()
        await lookups(50, 1)  # warm up: connections, statement caches
        for kind, raw in (("piccolo query", None), ("raw SQL", db)):
            for concurrency in (1, 32):
                seconds = await lookups(n, concurrency, raw)
                print(f"{label:<44} {kind:<13} x{concurrency:<3} {n / seconds:8.0f} queries/s  {seconds / n * 1e6:7.0f} µs/query")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--postgres", help="a PostgreSQL URL to measure too (its database gets migrated)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "bench.sqlite3")
        await measure("SQLite, piccolo's engine (connection/query)", Database(engine=SQLiteEngine(path=path, timeout=30)), args.queries)
        await measure("SQLite, hub's pooled engine", Database(engine=PooledSQLiteEngine(path=path)), args.queries)
    if args.postgres:
        plain = Database(args.postgres)
        plain.open = _without_pool(plain)  # a connection per query
        await measure("PostgreSQL, no pool (connection/query)", plain, args.queries)
        await measure("PostgreSQL, asyncpg pool (Database.open)", Database(args.postgres), args.queries)


def _without_pool(db: Database):
    async def open_without_pool() -> Database:
        db.bind()
        return db

    return open_without_pool


if __name__ == "__main__":
    asyncio.run(main())
