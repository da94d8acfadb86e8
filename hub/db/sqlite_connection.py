"""A SQLite connection for the event loop: short statements run inline, slow ones in a thread.

aiosqlite runs every statement in a thread of its own and hands the rows back
through the event loop: a queue, a thread switch, a wake-up of the loop and a
fight for the GIL, per statement. A lookup by primary key costs SQLite a few
microseconds; the hand-over costs a hundred times that, and under load the
GIL's switch interval (5 ms) makes the tail worse (issue 10).

:class:`LoopConnection` offers what piccolo's SQLite engine and transactions
use of aiosqlite's ``Connection`` (``execute``, ``execute_fetchall``,
``close``, ``row_factory``) on a plain :mod:`sqlite3` connection, and decides
per statement where it runs:

- **Reads** run on the loop's thread, with a time budget (:data:`INLINE_BUDGET`)
  kept by SQLite's progress handler. A read that outgrows it (a report over a
  million rows) is interrupted, which undoes nothing a read could have done,
  and run again in a thread, so one slow query never stalls the other requests
  for longer than the budget.
- **Writes inside a transaction** (``INSERT``, ``UPDATE``, ``BEGIN``,
  ``SAVEPOINT``, ``ROLLBACK``) run on the loop's thread: in WAL mode they touch
  memory and the WAL's page cache, never the disk's sync. They are not timed:
  an interrupted write would roll back the whole transaction.
- **What can wait for the disk** runs in a thread: the ``COMMIT`` of a
  transaction that wrote (WAL is synced then; about a millisecond here, far
  more on some disks), and any write outside a transaction (it commits by
  itself).

"database is locked" (``SQLITE_BUSY``: another *process* holds the write lock;
this process's writers queue on :class:`hub.db.engines._SQLitePool`'s lock) is
never waited for inside SQLite, which would block the loop: the connection's
busy timeout is zero, and the statement is tried again after an
``asyncio.sleep``, for up to the engine's timeout, as SQLite's own busy
handler would have.
"""

from __future__ import annotations

import asyncio
import functools
import re
import sqlite3
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

INLINE_BUDGET = 0.002
"""Seconds a read may hold the event loop before it is moved to a thread."""

PROGRESS_STEPS = 1000
"""SQLite virtual machine steps between two looks at the budget (a few µs each)."""

_READ = re.compile(r"\s*(?:SELECT|VALUES)\b", re.IGNORECASE)
_COMMIT = re.compile(r"\s*(?:COMMIT|END)\b", re.IGNORECASE)

MAX_BUSY_PAUSE = 0.005
"""The longest pause between two tries of a statement another process's lock refused."""

DISK_THREADS = 4
"""Threads (per process, made as needed) for the statements that wait for the disk."""

_threads: ThreadPoolExecutor | None = None


def _disk_threads() -> ThreadPoolExecutor:
    """The threads that wait for the disk (made on first use, never at import)."""
    global _threads
    if _threads is None:
        _threads = ThreadPoolExecutor(max_workers=DISK_THREADS, thread_name_prefix="hub-sqlite")
    return _threads


_BUSY_CODES = frozenset({5, 261})  # SQLITE_BUSY, SQLITE_BUSY_RECOVERY (not BUSY_SNAPSHOT: waiting cannot help it)
_INTERRUPT = 9  # SQLITE_INTERRUPT


@functools.lru_cache(maxsize=1024)
def reads_only(sql: str) -> bool:
    """Whether a statement only reads: a conservative test (anything not
    starting with ``SELECT`` or ``VALUES`` counts as a write). Remembered
    per text: the hub runs a few hundred texts, each asked twice a run."""
    return _READ.match(sql) is not None


class _Rows:
    """The rows of a finished statement, with the little of a DB-API cursor
    that piccolo reads (``fetch*``, ``lastrowid``, ``rowcount``)."""

    __slots__ = ("rows", "lastrowid", "rowcount")

    def __init__(self, rows: list, lastrowid: int | None, rowcount: int) -> None:
        self.rows, self.lastrowid, self.rowcount = rows, lastrowid, rowcount

    async def fetchall(self) -> list:
        rows, self.rows = self.rows, []
        return rows

    async def fetchone(self) -> Any:
        return self.rows.pop(0) if self.rows else None

    async def fetchmany(self, size: int) -> list:
        rows, self.rows = self.rows[:size], self.rows[size:]
        return rows

    async def close(self) -> None:
        self.rows = []


class LoopConnection:
    """See the module. One task at a time uses a connection (the engine's
    pool lends it); it may be used from the loop's thread and, for the
    statements that wait for the disk, from a worker thread in turn."""

    def __init__(self, connection: sqlite3.Connection, busy_timeout: float) -> None:
        self._connection = connection
        self._busy_timeout = busy_timeout
        self._deadline = 0.0  # while a read runs inline: when it must stop
        self._changes_at_begin: int | None = None
        self._in_thread: Future | None = None  # a statement running in a thread, if any
        connection.set_progress_handler(self._over_budget, PROGRESS_STEPS)

    @classmethod
    def open(cls, *, busy_timeout: float, **connect_kwargs: Any) -> LoopConnection:
        """Connect (``sqlite3.connect`` arguments); SQLite itself never waits for a lock."""
        connect_kwargs["timeout"] = 0
        connection = sqlite3.connect(**connect_kwargs, check_same_thread=False)
        return cls(connection, busy_timeout)

    # -- what piccolo uses of aiosqlite's Connection ------------------------

    @property
    def row_factory(self) -> Callable | None:
        return self._connection.row_factory

    @row_factory.setter
    def row_factory(self, factory: Callable | None) -> None:
        self._connection.row_factory = factory

    @property
    def in_transaction(self) -> bool:
        return self._connection.in_transaction

    async def execute(self, sql: str, parameters: Sequence[Any] = ()) -> _Rows:
        return await self._run(sql, parameters)

    async def execute_fetchall(self, sql: str, parameters: Sequence[Any] = ()) -> list:
        return (await self._run(sql, parameters)).rows

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        """Close; if a statement still runs in a thread (its task was
        cancelled while it waited), as soon as that statement ends."""
        running = self._in_thread
        if running is not None and not running.done():
            running.add_done_callback(lambda _: self._connection.close())
        else:
            self._connection.close()

    # -- where each statement runs -------------------------------------------

    async def _run(self, sql: str, parameters: Sequence[Any]) -> _Rows:
        if reads_only(sql):
            try:
                return self._inline(sql, parameters, budget=INLINE_BUDGET)
            except sqlite3.OperationalError as error:
                if error.sqlite_errorcode not in _BUSY_CODES | {_INTERRUPT}:
                    raise
            return await self._retrying_busy(sql, parameters, in_thread=True)
        in_transaction = self._connection.in_transaction
        if _COMMIT.match(sql):
            wrote = self._changes_at_begin is None or self._connection.total_changes != self._changes_at_begin
            self._changes_at_begin = None
            return await self._retrying_busy(sql, parameters, in_thread=wrote)
        if not in_transaction and not sql.lstrip()[:5].upper().startswith("BEGIN"):
            return await self._retrying_busy(sql, parameters, in_thread=True)  # commits by itself
        rows = await self._retrying_busy(sql, parameters, in_thread=False)
        if not in_transaction and self._connection.in_transaction:  # this was BEGIN
            self._changes_at_begin = self._connection.total_changes
        return rows

    def _inline(self, sql: str, parameters: Sequence[Any], budget: float = 0.0) -> _Rows:
        self._deadline = time.perf_counter() + budget if budget else 0.0
        try:
            return self._step(sql, parameters)
        finally:
            self._deadline = 0.0

    def _step(self, sql: str, parameters: Sequence[Any]) -> _Rows:
        cursor = self._connection.execute(sql, parameters)
        try:
            return _Rows(cursor.fetchall(), cursor.lastrowid, cursor.rowcount)
        finally:
            cursor.close()

    def _step_in_thread(self, sql: str, parameters: Sequence[Any]) -> _Rows:
        """:meth:`_step` in a worker thread, unwatched: the progress handler
        is a Python call, and would make a long query fight the event loop
        for the GIL every few thousand steps."""
        self._connection.set_progress_handler(None, 0)
        try:
            return self._step(sql, parameters)
        finally:
            self._connection.set_progress_handler(self._over_budget, PROGRESS_STEPS)

    async def _retrying_busy(self, sql: str, parameters: Sequence[Any], *, in_thread: bool) -> _Rows:
        """Run the statement, and again after a pause while another process
        holds the lock, until the busy timeout has passed."""
        give_up = time.monotonic() + self._busy_timeout
        pause = 0.0005
        while True:
            try:
                if in_thread:
                    self._in_thread = _disk_threads().submit(self._step_in_thread, sql, parameters)
                    return await asyncio.wrap_future(self._in_thread)
                return self._inline(sql, parameters)
            except sqlite3.OperationalError as error:
                if error.sqlite_errorcode not in _BUSY_CODES or time.monotonic() + pause > give_up:
                    raise
            await asyncio.sleep(pause)
            # Another hub process's commits hold the lock a millisecond or
            # two: a pause of at most MAX_BUSY_PAUSE tries again soon after
            # it is free (at 50 ms, as SQLite's own handler ends up, the mints
            # of `serve --workers 2` waited up to 85 ms at p99, against 29).
            pause = min(pause * 2, MAX_BUSY_PAUSE)

    def _over_budget(self) -> int:
        """SQLite's progress handler: non-zero interrupts the running statement."""
        return 1 if self._deadline and time.perf_counter() > self._deadline else 0
