"""piccolo engines for the hub's two databases, built from a URL.

Nothing here connects, creates a file or reads a setting when it is
imported: :mod:`hub.piccolo_conf` (piccolo's own command line) and
:mod:`hub.db` (the app's :class:`~hub.db.Database`) both build their engine
from here, and neither imports the other.

SQLite: :class:`PooledSQLiteEngine` keeps a few long-lived connections (one
writer, a few readers) instead of piccolo's new connection, and new
aiosqlite thread, for every query outside a transaction (half the download
page's time, issue 10), each a :class:`~hub.db.sqlite_connection.LoopConnection`
that runs short statements on the event loop's own thread. PostgreSQL:
piccolo's engine with asyncpg's pool, started by :meth:`hub.db.Database.open`.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import contextvars
import functools
import itertools
import os
import re
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, dict_factory

from hub.db.sqlite_connection import LoopConnection, reads_only

DEFAULT_DATABASE_URL = "sqlite:///data/hub.sqlite3"
"""What ``HUB_DATABASE_URL`` defaults to (``HUB_DATA_DIR``'s default folder)."""

SQLITE_BUSY_TIMEOUT = 30
"""Seconds a SQLite writer waits for another process's write lock (and a
task of this process for the writer connection) before "database is locked"."""

SQLITE_READERS = 4
"""Long-lived reader connections per SQLite engine (WAL: readers never wait
for the writer, nor it for them)."""


class DatabaseUrlError(ValueError):
    """``HUB_DATABASE_URL`` names no database the hub can use."""


HELD_CONNECTIONS = 4
"""PostgreSQL connections an engine keeps out of asyncpg's pool for raw
statements (of the pool's 20): enough for the statements of one moment."""


class QuietPostgresEngine(PostgresEngine):
    """piccolo's PostgreSQL engine without its connection at construction.

    piccolo connects once when an engine is built, to check the server's
    version, and prints a coloured warning when it cannot; the hub checks
    that the database is reachable itself, when it starts, and says what is
    wrong in one line (:func:`hub.startup.wait_for_database`).
    """

    async def check_version(self) -> None:
        return None

    async def run_compiled(self, query: str, args: tuple) -> list:
        """A statement already in asyncpg's dialect (:func:`compile_placeholders`),
        on the current transaction's connection, or else on a connection of
        the pool that this engine keeps between statements (:meth:`_held`):
        asyncpg's checkout and return cost more CPU than a short query
        (issue 10). A statement that fails gives its connection back to the
        pool, which looks after it."""
        transaction = self.current_transaction.get()
        if transaction:
            return await transaction.connection.fetch(query, *args)
        if not self.pool:
            return await self._run_in_new_connection(query, args)
        pool, held = self.pool, self._held()
        connection = None
        while held and connection is None:
            connection = held.pop()
            if _ended(connection):  # PostgreSQL ended it (a restart): the pool replaces it
                await _give_back(pool, connection)
                connection = None
        if connection is None:
            connection = await pool.acquire()
        try:
            rows = await connection.fetch(query, *args)
        except BaseException:
            await pool.release(connection)
            raise
        if len(held) < HELD_CONNECTIONS and pool is self.pool:
            held.append(connection)
        else:
            await pool.release(connection)
        return rows

    def _held(self) -> list:
        """Connections taken from the pool and kept for raw statements."""
        held = self.__dict__.get("_held_connections")
        if held is None:
            held = self.__dict__["_held_connections"] = []
        return held

    async def close_connection_pool(self) -> None:
        """Give the kept connections back, then close the pool (which waits
        for every connection it lent)."""
        pool, held = self.pool, self._held()
        self.pool = None  # statements still running give theirs back (see run_compiled)
        self.__dict__["_held_connections"] = []
        if pool is None:
            return
        for connection in held:
            await pool.release(connection)
        await pool.close()


_PLACEHOLDERS = re.compile(r"\{\{|\}\}|\{\}")


@functools.lru_cache(maxsize=1024)
def compile_placeholders(sql: str, postgres: bool) -> str:
    """Raw SQL with piccolo's ``QueryString`` placeholders (``{}``; ``{{``
    and ``}}`` for literal braces) in the engine's own dialect (``?``, or
    ``$1``, ``$2``...), once per text: piccolo compiles a ``QueryString``
    in Python on every run, a tenth of a small request's time (issue 10)."""
    numbers = itertools.count(1)

    def mark(found: re.Match) -> str:
        token = found.group()
        if token != "{}":
            return token[0]
        return f"${next(numbers)}" if postgres else "?"

    return _PLACEHOLDERS.sub(mark, sql)


class _Lease:
    """One connection lent by a :class:`_SQLitePool`, given back on ``release``."""

    __slots__ = ("pool", "connection", "writer")

    def __init__(self, pool: _SQLitePool, connection: LoopConnection, writer: bool) -> None:
        self.pool = pool
        self.connection = connection
        self.writer = writer

    def release(self, healthy: bool = True) -> None:
        self.pool._give_back(self, healthy)


class _WriterTurns:
    """Turns at the writer connection: first come, first served, except that
    a turn asked for ``first`` goes ahead of every turn still waiting.

    ``first`` is for a short statement whose delay costs more than the wait
    it adds to the others: the outbox's record that a message was sent (a
    crash before it commits sends the message again, issue 20.12) must not
    queue behind the sales waiting for the writer.
    """

    __slots__ = ("held", "waiting", "waiting_first")

    def __init__(self) -> None:
        self.held = False
        self.waiting: collections.deque[asyncio.Future] = collections.deque()
        self.waiting_first: collections.deque[asyncio.Future] = collections.deque()

    async def acquire(self, *, first: bool = False) -> None:
        if not self.held and not self.waiting and not self.waiting_first:
            self.held = True
            return
        turn = asyncio.get_running_loop().create_future()
        (self.waiting_first if first else self.waiting).append(turn)
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self.release()  # handed over just as the waiter was cancelled: pass it on
            else:
                turn.cancel()  # release() skips it
            raise

    def release(self) -> None:
        """End the current turn; the next waiting one (``first`` ones before
        the others) begins."""
        for queue in (self.waiting_first, self.waiting):
            while queue:
                turn = queue.popleft()
                if not turn.done():
                    turn.set_result(None)  # the writer stays held: it changes hands
                    return
        self.held = False


class _SQLitePool:
    """The long-lived connections of one engine, for one event loop.

    One writer, lent to one task at a time (:class:`_WriterTurns`), so the
    process's own writers queue here instead of on SQLite's file lock; other
    processes' writers are kept apart by SQLite's lock and the busy timeout,
    as before. Readers are lent from a small stack; WAL lets them read while
    the writer writes.
    """

    def __init__(self, engine: PooledSQLiteEngine, loop: asyncio.AbstractEventLoop) -> None:
        self.engine = engine
        self.loop = loop
        self.writer: LoopConnection | None = None
        self.writer_turns = _WriterTurns()
        self.idle_readers: list[LoopConnection] = []
        self.reader_slots = asyncio.Semaphore(engine.readers)
        self.closed = False

    async def lease(self, *, writer: bool, first: bool = False) -> _Lease:
        if writer:
            try:
                async with asyncio.timeout(SQLITE_BUSY_TIMEOUT):
                    await self.writer_turns.acquire(first=first)
            except TimeoutError:
                # What SQLite itself says when its busy timeout runs out.
                import sqlite3

                raise sqlite3.OperationalError("database is locked (waited for this process's writer)") from None
            try:
                if self.writer is None:
                    self.writer = await self.engine.connect()
            except BaseException:
                self.writer_turns.release()
                raise
            return _Lease(self, self.writer, writer=True)
        await self.reader_slots.acquire()
        try:
            connection = self.idle_readers.pop() if self.idle_readers else await self.engine.connect()
        except BaseException:
            self.reader_slots.release()
            raise
        return _Lease(self, connection, writer=False)

    def _give_back(self, lease: _Lease, healthy: bool) -> None:
        # A connection whose last statement failed half-way (a cancelled
        # COMMIT, say) may still be inside a transaction: it is closed, and
        # the next lease opens a fresh one.
        keep = healthy and not self.closed
        if lease.writer:
            if not keep:
                _stop(lease.connection)
                if self.writer is lease.connection:
                    self.writer = None
            self.writer_turns.release()
        else:
            if keep:
                self.idle_readers.append(lease.connection)
            else:
                _stop(lease.connection)
            self.reader_slots.release()

    async def close(self) -> None:
        self.closed = True
        connections = [*self.idle_readers, *([self.writer] if self.writer else [])]
        self.idle_readers, self.writer = [], None
        for connection in connections:
            await connection.close()

    def abandon(self) -> None:
        """Stop the connections of a pool whose event loop is gone (a new
        loop uses the engine: piccolo's ``run_sync``, a test session)."""
        self.closed = True
        for connection in [*self.idle_readers, *([self.writer] if self.writer else [])]:
            _stop(connection)
        self.idle_readers, self.writer = [], None


def _stop(connection: LoopConnection) -> None:
    """Close a connection without waiting (see :meth:`LoopConnection.stop`)."""
    connection.stop()


class PooledSQLiteTransaction(SQLiteTransaction):
    """piccolo's SQLite transaction on a connection lent by the engine's pool.

    ``read_only`` transactions (:meth:`hub.db.Database.read`) take a reader;
    every other one takes the writer, so that one process's transactions
    never fight over SQLite's write lock.
    """

    engine: PooledSQLiteEngine

    def __init__(
        self,
        engine: PooledSQLiteEngine,
        transaction_type: TransactionType = TransactionType.deferred,
        allow_nested: bool = True,
        read_only: bool = False,
    ) -> None:
        super().__init__(engine=engine, transaction_type=transaction_type, allow_nested=allow_nested)
        self.read_only = read_only and transaction_type == TransactionType.deferred
        self.lease: _Lease | None = None

    async def get_connection(self) -> LoopConnection:
        self.lease = await self.engine.lease(writer=not self.read_only)
        return self.lease.connection

    async def __aenter__(self) -> SQLiteTransaction:
        if self._parent is not None:
            return self._parent
        self.connection = await self.get_connection()
        try:
            await self.begin()
        except BaseException:
            assert self.lease is not None  # set by get_connection()
            self.lease.release(healthy=False)
            raise
        self.context = self.engine.current_transaction.set(self)
        return self

    async def __aexit__(self, exception_type, exception, traceback) -> bool:
        if self._parent:
            return exception is None
        healthy = False
        try:
            if exception:
                if not self._rolled_back:
                    await self.rollback()
            elif not self._committed and not self._rolled_back:
                await self.commit()
            healthy = True
        finally:
            self.engine.current_transaction.reset(self.context)
            assert self.lease is not None  # set by __aenter__
            self.lease.release(healthy=healthy)
        return exception is None


class PooledSQLiteEngine(SQLiteEngine):
    """piccolo's SQLite engine on long-lived connections: one writer, a few readers.

    piccolo opens a connection, and aiosqlite a thread, for every query
    outside a transaction; here a query borrows a reader (``SELECT``) or the
    writer (anything else) and gives it back. Each connection is set up as
    piccolo's were (foreign keys on, autocommit outside ``BEGIN``) and waits
    for another process's lock as long as piccolo's busy timeout said, without
    blocking the event loop (:class:`~hub.db.sqlite_connection.LoopConnection`). WAL (set by :meth:`hub.db.Database.migrate`) lets readers and
    the writer work at once. Connections are opened on first use, per event
    loop, and closed by :meth:`close`.
    """

    def __init__(self, path: str, *, readers: int = SQLITE_READERS, timeout: float = SQLITE_BUSY_TIMEOUT) -> None:
        super().__init__(path=path, timeout=timeout)
        self.readers = readers
        self._pool: _SQLitePool | None = None

    async def connect(self) -> LoopConnection:
        """A new connection set up for the hub (the pool's, or piccolo's ``batch``)."""
        # SQLite creates the file, not its folder: made here, on first use,
        # never when a module is imported.
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        timeout = self.connection_kwargs.get("timeout", SQLITE_BUSY_TIMEOUT)
        connection = LoopConnection.open(busy_timeout=timeout, **self.connection_kwargs)
        connection.row_factory = dict_factory
        await connection.execute("PRAGMA foreign_keys = 1")
        return connection

    # piccolo declares aiosqlite's Connection; LoopConnection offers what
    # piccolo calls on it (execute, execute_fetchall, commit, close).
    async def get_connection(self) -> LoopConnection:  # type: ignore[override]
        return await self.connect()

    def _current_pool(self) -> _SQLitePool:
        loop = asyncio.get_running_loop()
        pool = self._pool
        if pool is None or pool.loop is not loop or pool.closed:
            if pool is not None and not pool.closed:
                pool.abandon()
            pool = self._pool = _SQLitePool(self, loop)
        return pool

    async def lease(self, *, writer: bool, first: bool = False) -> _Lease:
        """Borrow the writer or a reader; ``release()`` the lease when done.
        ``first``: the writer's next turn, ahead of those waiting."""
        return await self._current_pool().lease(writer=writer, first=first)

    async def close(self) -> None:
        """Close the pooled connections (they reopen on next use)."""
        pool, self._pool = self._pool, None
        if pool is not None and not pool.closed:
            if pool.loop is asyncio.get_running_loop():
                await pool.close()
            else:
                pool.abandon()

    async def _run_in_new_connection(
        self, query: str, args: Sequence[Any] | None = None, query_type: str = "generic", table: Any = None
    ):
        # Outside a transaction: each statement commits by itself (autocommit).
        # A failed or cancelled statement leaves no transaction open (there
        # is none), so the connection always goes back to the pool.
        lease = await self.lease(writer=not reads_only(query))
        try:
            return await lease.connection.execute_fetchall(query, args or [])
        finally:
            lease.release()

    async def run_compiled(self, query: str, args: tuple) -> list:
        """A statement already in SQLite's dialect (:func:`compile_placeholders`),
        in the current transaction or on a pooled connection."""
        transaction = self.current_transaction.get()
        if transaction:
            return await transaction.connection.execute_fetchall(query, args)
        return await self._run_in_new_connection(query, args)

    async def run_compiled_first(self, query: str, args: tuple) -> list:
        """:meth:`run_compiled` outside any transaction, on the writer's next
        turn: ahead of this process's writers that are waiting for it (it
        still waits for the one writing)."""
        lease = await self.lease(writer=True, first=True)
        try:
            return await lease.connection.execute_fetchall(query, args)
        finally:
            lease.release()

    async def _run_in_existing_connection(
        self, connection, query: str, args: list[Any] | None = None, query_type: str = "generic", table: Any = None
    ):
        # The connection was set up once (foreign keys, row factory): piccolo
        # repeats the PRAGMA before every statement, one thread hop more.
        return await connection.execute_fetchall(query, args or [])

    def transaction(
        self,
        transaction_type: TransactionType = TransactionType.deferred,
        allow_nested: bool = True,
        read_only: bool = False,
    ) -> PooledSQLiteTransaction:
        return PooledSQLiteTransaction(
            engine=self, transaction_type=transaction_type, allow_nested=allow_nested, read_only=read_only
        )


def engine_from_url(url: str) -> Engine:
    """Build a piccolo engine for ``sqlite:///path`` or ``postgresql://…``.

    Connects to nothing and creates nothing: the SQLite file (and its
    folder) appear at the first connection.
    """
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        # sqlite:///relative/path or sqlite:////absolute/path, as SQLAlchemy.
        path = url[len("sqlite:///"):] if url.startswith("sqlite:///") else ""
        if not path:
            raise DatabaseUrlError(f"SQLite URL {url!r} names no file: use sqlite:///path/to/hub.sqlite3")
        return PooledSQLiteEngine(path=path)
    if scheme in {"postgres", "postgresql"}:
        return QuietPostgresEngine(config={"dsn": url})
    raise DatabaseUrlError(
        f"Unsupported database URL {url!r}: use sqlite:///path/to/file.sqlite3 "
        "or postgresql://user@host:5432/dbname"
    )


# piccolo's migration runner finds its engine through the configuration
# module (``engine_finder()`` → ``hub.piccolo_conf.DB``). While the hub
# migrates, that is the migrating Database's engine, held here for the
# running task only; piccolo's own command line gets one built from
# ``HUB_DATABASE_URL``.
_migrating: contextvars.ContextVar[Engine | None] = contextvars.ContextVar("hub_migrating_engine", default=None)
_command_line_engine: Engine | None = None


def migration_engine() -> Engine:
    """The engine piccolo's migration manager runs on, and so the one a
    migration's raw SQL must use (:func:`hub.db.index_migration`)."""
    engine = _migrating.get()
    if engine is not None:
        return engine
    global _command_line_engine
    if _command_line_engine is None:
        _command_line_engine = engine_from_url(os.environ.get("HUB_DATABASE_URL") or DEFAULT_DATABASE_URL)
    return _command_line_engine


_conf_users = 0
_conf_before: str | None = None


@contextlib.asynccontextmanager
async def migrating_on(engine: Engine) -> AsyncIterator[None]:
    """Let piccolo's migration runner, for the duration, find ``engine``.

    piccolo reads its configuration module's name from ``PICCOLO_CONF``; it
    is set while migrations run (and restored after the last one ends), never
    at import.
    """
    global _conf_users, _conf_before
    token = _migrating.set(engine)
    if _conf_users == 0:
        _conf_before = os.environ.get("PICCOLO_CONF")
        os.environ["PICCOLO_CONF"] = "hub.piccolo_conf"
    _conf_users += 1
    try:
        yield
    finally:
        _conf_users -= 1
        if _conf_users == 0:
            if _conf_before is None:
                os.environ.pop("PICCOLO_CONF", None)
            else:
                os.environ["PICCOLO_CONF"] = _conf_before
        _migrating.reset(token)


def _ended(connection: Any) -> bool:
    """True when a held connection can no longer run a statement: its server
    ended it, or asyncpg's pool already took it back when it closed (its
    proxy then answers every call with ``InterfaceError``)."""
    import asyncpg

    try:
        return bool(connection.is_closed())
    except asyncpg.InterfaceError:
        return True


async def _give_back(pool: Any, connection: Any) -> None:
    """Return an ended connection to the pool, which opens a new one in its
    place; one the pool already took back is left to it."""
    import asyncpg

    with contextlib.suppress(asyncpg.InterfaceError):
        await pool.release(connection)
