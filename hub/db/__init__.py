"""The hub's database: one owner for the engine, its connections and its tables.

A :class:`Database` is built from ``HUB_DATABASE_URL``, opened and closed by
the app's lifespan (:func:`hub.app.opened`: ``serve``, ``worker`` and the
CLI's commands all go through it) and handed to services as ``hub.db``.
It is the only code that binds piccolo's tables to an engine
(:meth:`Database.bind`), and it offers what services need: transactions
(``transaction``, ``write_transaction``, ``read``), ``is_sqlite``, and a
small raw-SQL door (``fetch``, ``fetch_one``, ``execute``) through piccolo's
own engine for the few hot paths that want it.

The engines themselves (a pooled SQLite engine, PostgreSQL without a
connection at construction) live in :mod:`hub.db.engines`; piccolo's own
command line reads :mod:`hub.piccolo_conf`. Importing either does nothing.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from piccolo.columns import JSON
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.querystring import QueryString
from piccolo.utils.encoding import dump_json

from hub.db.engines import (  # noqa: F401  (DatabaseUrlError, QuietPostgresEngine: the CLI's and tests' names)
    DatabaseUrlError,
    PooledSQLiteEngine,
    QuietPostgresEngine,
    compile_placeholders,
    engine_from_url,
    migrating_on,
)
from hub.db.group_commit import GroupCommit, on_this_loop

if TYPE_CHECKING:
    from piccolo.conf.apps import AppConfig
    from piccolo.table import Table

Transaction = contextlib.AbstractAsyncContextManager[Any, None]
"""A piccolo transaction, as the hub uses it: ``async with`` it (the
``as`` target has ``rollback()``); it never swallows an exception."""


class ImmutableRows:
    """A small per-database memo of rows that never change once written
    (a ready version and its files), so a hot path reads them once.

    Not shared state: every process reads the same rows, and what is not
    immutable is never put here. Oldest entries leave first.
    """

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._rows: OrderedDict[str, Any] = OrderedDict()

    def get(self, key: str) -> Any:
        return self._rows.get(key)

    def put(self, key: str, value: Any) -> None:
        self._rows[key] = value
        while len(self._rows) > self.size:
            self._rows.popitem(last=False)


class Database:
    """The hub's database: its engine, its connections, its tables' binding.

    Build one per process (per app) from the URL; ``await db.open()`` (or
    ``async with db:``) binds the tables and starts the connection pool,
    ``await db.close()`` ends it. On SQLite the engine keeps one writer and
    a few reader connections (:class:`hub.db.engines.PooledSQLiteEngine`); on
    PostgreSQL asyncpg's pool serves every query outside a transaction.
    """

    def __init__(self, url: str | None = None, *, engine: Engine | None = None) -> None:
        if engine is None:
            if not url:
                raise DatabaseUrlError("no database URL given")
            engine = engine_from_url(url)
        self.url = url
        self.engine: Engine = engine
        self.ready_versions = ImmutableRows()
        """Ready versions and their files by version id (immutable rows)."""
        self.existing_organizations: set[str] = set()
        """Organization ids a provider's setting named and the database
        confirmed: organizations are never deleted, so a webhook need not
        look its organization up again
        (:func:`hub.services.provider_accounts.organization_for`)."""
        self.group_commits: dict[str, Any] = {}
        """The :class:`~hub.db.group_commit.GroupCommit` of each kind of row
        written in groups (stored webhooks, audit rows), by name; each serves
        the event loop that made it."""
        self.extra_tables: list[type[Table]] = []
        """Tables beyond the hub's own (a plugin's) that :meth:`bind` binds
        too (:meth:`add_tables`)."""

    def __repr__(self) -> str:
        return f"Database({self.engine.engine_type})"

    def group_commit(self, name: str, write: Callable[[list], Awaitable[list]], *, max_batch: int) -> GroupCommit:
        """The group commit ``name`` of this database on the running event
        loop (:class:`~hub.db.group_commit.GroupCommit`), made on first use."""
        return on_this_loop(self.group_commits, name, write, max_batch=max_batch)

    def in_transaction(self) -> bool:
        """Whether the running task has a transaction open on this database."""
        return self.engine.transaction_exists()

    @property
    def is_sqlite(self) -> bool:
        return self.engine.engine_type == "sqlite"

    # -- lifetime ---------------------------------------------------------

    def bind(self) -> None:
        """Bind every hub table, piccolo's migration bookkeeping and the
        extra tables to this database's engine.

        piccolo's tables find their engine in ``Table._meta.db``; this is the
        one place the hub sets it (piccolo would otherwise look for a
        configuration module).
        """
        from piccolo.apps.migrations.tables import Migration

        from hub.tables import ALL_TABLES

        tables: list[type[Table]] = [*ALL_TABLES, Migration, *self.extra_tables]
        for table in tables:
            table._meta.db = self.engine

    def add_tables(self, *tables: type[Table]) -> None:
        """Bind a plugin's own piccolo tables to this database, now and on
        every later :meth:`bind`."""
        self.extra_tables.extend(t for t in tables if t not in self.extra_tables)
        self.bind()

    async def open(self) -> Database:
        """Bind the tables and start the connection pool."""
        self.bind()
        if isinstance(self.engine, PostgresEngine) and self.engine.pool is None:
            # asyncpg resets a connection (a round trip: UNLISTEN, RESET ALL...) each
            # time it goes back to the pool, and piccolo checks one out per query
            # outside a transaction. The hub sets no session state (no SET, LISTEN
            # or advisory locks on pooled connections), so there is nothing to reset.
            await self.engine.start_connection_pool(min_size=2, max_size=20, reset=_no_reset)
        return self

    async def close(self) -> None:
        """Close the pool's connections (SQLite's reopen on next use)."""
        if isinstance(self.engine, PostgresEngine):
            if self.engine.pool is not None:
                await self.engine.close_connection_pool()
                self.engine.pool = None
        elif isinstance(self.engine, PooledSQLiteEngine):
            await self.engine.close()

    async def __aenter__(self) -> Database:
        return await self.open()

    async def __aexit__(self, *exc_info) -> None:
        await self.close()

    async def migrate(self, apps: Sequence[AppConfig] = ()) -> None:
        """Apply every pending piccolo migration of the hub, then those of
        the plugins' own ``apps`` (see :mod:`hub.plugins.tables`), under the
        migration lock (see :func:`migration_lock`)."""
        from piccolo.apps.migrations.commands.forwards import run_forwards

        from hub.plugins.tables import migrate_apps

        self.bind()
        # piccolo reports progress on stdout; the CLI's last line must stay
        # the API key, so the report is kept and shown only on failure.
        report = io.StringIO()
        async with migration_lock(self.engine):
            await prepare_sqlite(self.engine)
            async with migrating_on(self.engine):
                with contextlib.redirect_stdout(report):
                    result = await run_forwards(app_name="hub")
                    if result.success and apps:
                        result = await migrate_apps(self, apps)
        if not result.success:
            raise RuntimeError(f"Database migration failed: {result.message}\n{report.getvalue()}")

    # -- transactions -----------------------------------------------------

    def transaction(self) -> Transaction:
        """piccolo's transaction (on SQLite a deferred one, on the writer)."""
        return self.engine.transaction()

    def write_transaction(self) -> Transaction:
        """A transaction that takes the write lock up front.

        On SQLite a deferred transaction that reads and then writes can fail
        with "database is locked" when another writer got in between; an
        immediate one queues for the lock instead (other processes' writers
        included: the busy timeout). PostgreSQL needs nothing special: row
        locks taken by ``UPDATE`` order concurrent writers.
        """
        if self.is_sqlite:
            return self.engine.transaction(transaction_type=TransactionType.immediate)
        return self.engine.transaction()

    def read(self):
        """Run several reads on one connection (and one snapshot).

        On SQLite a deferred transaction on one of the pool's readers; on
        PostgreSQL nothing: a pooled connection costs no round trip, and
        BEGIN/COMMIT would cost two.
        """
        if isinstance(self.engine, PooledSQLiteEngine):
            return self.engine.transaction(read_only=True)
        if self.is_sqlite:
            return self.engine.transaction()
        return contextlib.nullcontext()

    # -- raw SQL for the hot paths ----------------------------------------

    async def fetch(self, sql: str, *args: Any) -> list[dict]:
        """Rows of a raw statement, through piccolo's engine (its pool, the
        current transaction). Placeholders are ``{}`` (piccolo's
        ``QueryString``; a literal brace is ``{{``), compiled to ``?`` or
        ``$n``; values are never formatted into the SQL."""
        return await _fetch(self.engine, sql, args)

    async def fetch_one(self, sql: str, *args: Any) -> dict | None:
        """The first row of :meth:`fetch`, or ``None``."""
        rows = await self.fetch(sql, *args)
        return rows[0] if rows else None

    async def execute(self, sql: str, *args: Any) -> None:
        """Run a raw statement for its effect (see :meth:`fetch`)."""
        await run_raw(self.engine, sql, args)

    async def write_first(self, sql: str, *args: Any) -> list[dict]:
        """Run one short raw write on its own (it commits by itself), ahead
        of the writes this process has waiting: on SQLite it takes the
        writer's next turn (it still waits for the transaction under way,
        never for those queued behind it); on PostgreSQL, where writers wait
        only for the rows they share, it is a plain statement. Its rows, as
        :meth:`fetch` (a ``RETURNING``).

        For a record whose delay is costly (the outbox's "sent", see
        :func:`hub.services.outbox.record_sent`); inside a transaction it is
        part of it, like any statement."""
        run_first = getattr(self.engine, "run_compiled_first", None)
        if run_first is None or self.in_transaction():
            return await self.fetch(sql, *args)
        return await run_first(compile_placeholders(sql, False), args)


async def run_raw(engine: Engine, sql: str, args: tuple) -> list:
    """Run raw SQL with ``{}`` placeholders on ``engine``: compiled once per
    text on the hub's engines, through piccolo's ``QueryString`` on others."""
    run_compiled = getattr(engine, "run_compiled", None)
    if run_compiled is None:
        return await engine.run_querystring(QueryString(sql, *args))
    return await run_compiled(compile_placeholders(sql, engine.engine_type != "sqlite"), args)


async def _fetch(engine: Engine, sql: str, args: tuple) -> list[dict]:
    """:func:`run_raw`'s rows as dicts on either database."""
    rows = await run_raw(engine, sql, args)
    return rows if engine.engine_type == "sqlite" else [dict(row) for row in rows]


async def fetch_bound(table: type[Table], sql: str, *args: Any) -> list[dict]:
    """Raw SQL (``{}`` placeholders) on the database ``table`` is bound to
    (:meth:`Database.bind`), in the current transaction: for the hot paths of
    services called without the hub at hand, which piccolo's own queries on
    ``table`` would run on too. Rows as dicts on either database."""
    return await _fetch(table._meta.db, sql, args)


async def insert_rows(table: type[Table], rows: list[dict]) -> None:
    """Insert ``rows`` (dicts holding every column of ``table``) in one raw
    statement on the database ``table`` is bound to, JSON columns encoded as
    piccolo encodes them: for hot paths, where piccolo would build each
    row's SQL in Python."""
    sql, columns = _insert_statement(table, len(rows))
    await fetch_bound(
        table, sql, *(dump_json(row[name]) if encode else row[name] for row in rows for name, encode in columns)
    )


@functools.lru_cache(maxsize=256)
def _insert_statement(table: type[Table], count: int) -> tuple[str, tuple[tuple[str, bool], ...]]:
    """:func:`insert_rows`' statement for ``count`` rows of ``table``, and
    its columns in order, each with whether it is JSON to encode."""
    columns = tuple((column._meta.db_column_name, isinstance(column, JSON)) for column in table._meta.columns)
    marks = "(" + ", ".join("{}" for _ in columns) + ")"
    names = ", ".join(name for name, _ in columns)
    return f"INSERT INTO {table._meta.tablename} ({names}) VALUES {', '.join(marks for _ in range(count))}", columns


def load_json_columns(row: dict, names: tuple[str, ...]) -> dict:
    """``row`` with its JSON columns ``names`` decoded, where a raw read
    left them as text (SQLite; PostgreSQL's ``json`` comes back as text
    too); returns the same dict."""
    for name in names:
        if isinstance(row.get(name), str):
            row[name] = json.loads(row[name])
    return row


def in_transaction(table: type[Table]) -> bool:
    """Whether a transaction is open on the database ``table`` is bound to."""
    return table._meta.db.transaction_exists()


def _database(db: Database | Engine) -> Database:
    """A :class:`Database` for callers that still hand over a bare engine."""
    return db if isinstance(db, Database) else Database(engine=db)


def _engine(db: Database | Engine) -> Engine:
    return db.engine if isinstance(db, Database) else db


def is_sqlite(db: Database | Engine) -> bool:
    return _engine(db).engine_type == "sqlite"


def write_transaction(db: Database | Engine) -> Transaction:
    """:meth:`Database.write_transaction` (also given a bare engine)."""
    return _database(db).write_transaction()


def one_connection(db: Database | Engine):
    """:meth:`Database.read` (also given a bare engine)."""
    return _database(db).read()


async def prepare_sqlite(engine: Engine) -> None:
    """Switch a SQLite file to WAL so readers never wait for a writer."""
    if engine.engine_type == "sqlite":
        await engine.run_ddl("PRAGMA journal_mode=WAL")


MIGRATION_LOCK_ID = 0x636F6E74  # "cont": the advisory lock the hub's migrations hold on PostgreSQL


@contextlib.asynccontextmanager
async def migration_lock(engine: Engine):
    """Hold the installation's migration lock while migrating.

    Several processes (two ``serve`` and a ``worker``, say) may start at once
    on a fresh database; without a lock they all create the same tables and
    all but one die. On PostgreSQL the lock is a session advisory lock held on
    a connection of its own (the migrations run on the pool's); on SQLite it
    is an exclusive ``flock`` on a file next to the database.
    """
    if isinstance(engine, PostgresEngine):
        import asyncpg

        connection = await asyncpg.connect(engine.config["dsn"])
        try:
            await connection.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_ID)
            try:
                yield
            finally:
                await connection.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_ID)
        finally:
            await connection.close()
        return
    import asyncio
    import fcntl

    assert isinstance(engine, SQLiteEngine)  # the hub runs on PostgreSQL or SQLite
    lock_path = Path(engine.path + ".migrate-lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a") as lock_file:
        # flock blocks; waiting in a thread keeps the event loop free.
        await asyncio.to_thread(fcntl.flock, lock_file.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file.fileno(), fcntl.LOCK_UN)


async def migrate(db: Database | Engine, apps: Sequence[AppConfig] = ()) -> None:
    """:meth:`Database.migrate`; given a bare engine, the database is opened
    for the migration and closed after it (its SQLite connections too, so
    the file is complete on its own: WAL checkpointed, ready to be copied)."""
    if isinstance(db, Database):
        await db.migrate(apps)
        return
    async with Database(engine=db) as database:
        await database.migrate(apps)


async def _no_reset(connection) -> None:
    """Give a connection back to the pool as it is (see :meth:`Database.open`)."""


@contextlib.asynccontextmanager
async def connected(db: Database | Engine) -> AsyncIterator[Database]:
    """Open (and finally close) a database: its tables bound, its pool started."""
    database = _database(db)
    async with database:
        yield database


def _unique_violation_types() -> tuple[type[BaseException], ...]:
    import sqlite3

    import asyncpg

    return (sqlite3.IntegrityError, asyncpg.exceptions.UniqueViolationError)


UNIQUE_VIOLATIONS = _unique_violation_types()
"""What an ``INSERT`` raises when a unique index refuses it, on either database."""


def _foreign_key_violation_types() -> tuple[type[BaseException], ...]:
    import sqlite3

    import asyncpg

    return (sqlite3.IntegrityError, asyncpg.exceptions.ForeignKeyViolationError)


FOREIGN_KEY_VIOLATIONS = _foreign_key_violation_types()
"""What an ``INSERT`` raises when a row it names is gone, on either database."""
