"""SQLite statements on the event loop's thread (:mod:`hub.db.sqlite_connection`):
short reads stay inline, a slow read and another process's lock never stall
the loop, and nothing is lost or left locked."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from hub.clock import utcnow
from hub.db import Database
from hub.db.sqlite_connection import INLINE_BUDGET, LoopConnection


@pytest.fixture
async def db(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path / 'hub.sqlite3'}")
    async with database:
        await database.migrate()
        yield database


class Ticker:
    """Counts how often the event loop got to run it while something else ran."""

    def __init__(self) -> None:
        self.ticks = 0
        self.task: asyncio.Task | None = None

    async def _run(self) -> None:
        while True:
            self.ticks += 1
            await asyncio.sleep(0.001)

    async def __aenter__(self) -> Ticker:
        self.task = asyncio.create_task(self._run())
        await asyncio.sleep(0)
        return self

    async def __aexit__(self, *exc_info) -> None:
        self.task.cancel()


async def test_a_short_read_runs_on_the_loop_thread_and_a_slow_one_moves_to_a_thread(tmp_path: Path):
    connection = LoopConnection.open(busy_timeout=5, database=str(tmp_path / "x.sqlite3"), isolation_level=None)
    threads: list[str] = []

    def where(value: int) -> int:
        threads.append(threading.current_thread().name)
        return value

    connection._connection.create_function("where_am_i", 1, where)
    assert await connection.execute_fetchall("SELECT where_am_i(1) AS one") == [(1,)]
    assert threads == [threading.current_thread().name]

    threads.clear()
    # A read far longer than the budget: a recursive count to a few million.
    slow = (
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000000) "
        "SELECT count(*) AS c, max(where_am_i(i)) AS m FROM n"
    )
    async with Ticker() as ticker:
        rows = await connection.execute_fetchall(slow)
    assert rows == [(3000000, 3000000)]
    assert ticker.ticks > 1, "the loop ran other tasks while the slow read ran"
    assert any(name.startswith("hub-sqlite") for name in threads)  # it finished in a thread
    assert INLINE_BUDGET < 0.1
    await connection.close()


async def test_another_process_lock_is_waited_for_without_blocking_the_loop(db: Database):
    """A write while another connection (another process, as far as SQLite
    knows) holds the write lock waits until it is released, and the loop
    serves other work meanwhile; the write then lands once."""
    other = sqlite3.connect(db.engine.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO hub_instance_fact (name, value, created_at) VALUES ('other', '1', ?)", (utcnow(),))

    async def write() -> None:
        async with db.write_transaction():
            await db.execute("INSERT INTO hub_instance_fact (name, value, created_at) VALUES ({}, {}, {})", "ours", "2", utcnow())

    async with Ticker() as ticker:
        writing = asyncio.create_task(write())
        await asyncio.sleep(0.2)
        assert not writing.done(), "the write waits for the other connection's lock"
        ticks_while_locked = ticker.ticks
        # Reads go on meanwhile (WAL), on the loop's own thread.
        assert await db.fetch("SELECT name FROM hub_instance_fact WHERE name IN ('other', 'ours')") == []
        other.execute("COMMIT")
        await asyncio.wait_for(writing, timeout=10)
    assert ticks_while_locked > 10
    names = await db.fetch("SELECT name FROM hub_instance_fact WHERE name IN ('other', 'ours') ORDER BY name")
    assert names == [{"name": "other"}, {"name": "ours"}]
    other.close()


async def test_a_lock_held_past_the_busy_timeout_fails_as_sqlite_would(tmp_path: Path):
    path = tmp_path / "locked.sqlite3"
    setup = sqlite3.connect(path, isolation_level=None)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute("CREATE TABLE t (a INTEGER)")
    setup.execute("BEGIN IMMEDIATE")
    connection = LoopConnection.open(busy_timeout=0.3, database=str(path), isolation_level=None)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        await connection.execute("BEGIN IMMEDIATE")
    setup.execute("ROLLBACK")
    await connection.execute("BEGIN IMMEDIATE")
    await connection.execute("INSERT INTO t VALUES (1)")
    await connection.execute("COMMIT")
    assert setup.execute("SELECT a FROM t").fetchall() == [(1,)]
    await connection.close()
    setup.close()


async def test_a_commit_cancelled_while_it_waits_for_the_disk_leaves_a_usable_database(db: Database):
    """Cancelling a task in the middle of its COMMIT (a client gone) closes
    the writer only after the statement ends; the next write works."""

    async def write(name: str) -> None:
        async with db.write_transaction():
            await db.execute("INSERT INTO hub_instance_fact (name, value, created_at) VALUES ({}, {}, {})", name, "x", utcnow())

    for attempt in range(20):
        task = asyncio.create_task(write(f"cancelled-{attempt}"))
        for _ in range(attempt % 4):
            await asyncio.sleep(0)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    await write("after")
    assert await db.fetch_one("SELECT name FROM hub_instance_fact WHERE name = 'after'") == {"name": "after"}
