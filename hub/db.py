"""Database engines: built from a URL, bound to the tables, migrated.

piccolo finds its engine through a configuration module; the hub instead
builds one from ``HUB_DATABASE_URL`` and binds it explicitly to every table
(and to piccolo's own migration table), so that one process, or one test
session, can switch between SQLite and PostgreSQL.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

os.environ.setdefault("PICCOLO_CONF", "hub.piccolo_conf")

from piccolo.engine.base import Engine  # noqa: E402
from piccolo.engine.postgres import PostgresEngine  # noqa: E402
from piccolo.engine.sqlite import SQLiteEngine, TransactionType  # noqa: E402

if TYPE_CHECKING:
    from piccolo.conf.apps import AppConfig


class DatabaseUrlError(ValueError):
    """``HUB_DATABASE_URL`` names no database the hub can use."""


class QuietPostgresEngine(PostgresEngine):
    """piccolo's PostgreSQL engine without its connection at construction.

    piccolo connects once when an engine is built, to check the server's
    version, and prints a coloured warning when it cannot; the hub checks
    that the database is reachable itself, when it starts, and says what is
    wrong in one line (:func:`hub.startup.wait_for_database`).
    """

    async def check_version(self) -> None:
        return None


def engine_from_url(url: str) -> Engine:
    """Build a piccolo engine for ``sqlite:///path`` or ``postgresql://…``."""
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        # sqlite:///relative/path or sqlite:////absolute/path, as SQLAlchemy.
        path = url[len("sqlite:///"):] if url.startswith("sqlite:///") else ""
        if not path:
            raise DatabaseUrlError(f"SQLite URL {url!r} names no file: use sqlite:///path/to/hub.sqlite3")
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        # A busy timeout makes concurrent writers wait for the lock instead
        # of failing at once with "database is locked".
        return SQLiteEngine(path=path, timeout=30)
    if scheme in {"postgres", "postgresql"}:
        return QuietPostgresEngine(config={"dsn": url})
    raise DatabaseUrlError(
        f"Unsupported database URL {url!r}: use sqlite:///path/to/file.sqlite3 "
        "or postgresql://user@host:5432/dbname"
    )


def use_engine(engine: Engine) -> None:
    """Bind every hub table, and piccolo's migration bookkeeping, to ``engine``."""
    from piccolo.apps.migrations.tables import Migration

    from hub import piccolo_conf
    from hub.tables import ALL_TABLES

    piccolo_conf.DB = engine
    for table in [*ALL_TABLES, Migration]:
        table._meta.db = engine


def is_sqlite(engine: Engine) -> bool:
    return engine.engine_type == "sqlite"


def write_transaction(engine: Engine):
    """A transaction that takes the write lock up front.

    On SQLite a deferred transaction that reads and then writes can fail
    with "database is locked" when another writer got in between; an
    immediate one queues for the lock instead. PostgreSQL needs nothing
    special: row locks taken by ``UPDATE`` order concurrent writers.
    """
    if is_sqlite(engine):
        return engine.transaction(transaction_type=TransactionType.immediate)
    return engine.transaction()


async def prepare_sqlite(engine: Engine) -> None:
    """Switch a SQLite file to WAL so readers never wait for a writer."""
    if is_sqlite(engine):
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

    lock_path = Path(engine.path + ".migrate-lock")
    with open(lock_path, "a") as lock_file:
        # flock blocks; waiting in a thread keeps the event loop free.
        await asyncio.to_thread(fcntl.flock, lock_file.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file.fileno(), fcntl.LOCK_UN)


async def migrate(engine: Engine, apps: Sequence[AppConfig] = ()) -> None:
    """Apply every pending piccolo migration of the hub to ``engine``, then
    those of the plugins' own ``apps`` (see :mod:`hub.plugin_tables`), under
    the migration lock (see :func:`migration_lock`)."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    from hub.plugin_tables import migrate_apps

    use_engine(engine)
    # piccolo reports progress on stdout; the CLI's last line must stay
    # the API key, so the report is kept and shown only on failure.
    report = io.StringIO()
    async with migration_lock(engine):
        await prepare_sqlite(engine)
        with contextlib.redirect_stdout(report):
            result = await run_forwards(app_name="hub")
            if result.success and apps:
                result = await migrate_apps(engine, apps)
    if not result.success:
        raise RuntimeError(f"Database migration failed: {result.message}\n{report.getvalue()}")


async def _no_reset(connection) -> None:
    """Give a connection back to the pool as it is (see ``connected``)."""


def one_connection(engine: Engine):
    """Run a few reads on one connection.

    piccolo opens a new SQLite connection (and aiosqlite a new thread) for
    every query outside a transaction, so on SQLite this is a (deferred, read)
    transaction. On PostgreSQL it is nothing: a pooled connection costs no
    round trip, and BEGIN/COMMIT would cost two.
    """
    return engine.transaction() if is_sqlite(engine) else contextlib.nullcontext()


def one_write_connection(engine: Engine):
    """Like :func:`one_connection` for reads followed by writes: on SQLite an
    immediate transaction (a deferred one could fail with "database is locked"
    when it upgrades to a write)."""
    return write_transaction(engine) if is_sqlite(engine) else contextlib.nullcontext()


@contextlib.asynccontextmanager
async def connected(engine: Engine):
    """Open (and finally close) the engine's connection pool, if it has one."""
    if isinstance(engine, PostgresEngine):
        # asyncpg resets a connection (a round trip: UNLISTEN, RESET ALL...) each
        # time it goes back to the pool, and piccolo checks one out per query
        # outside a transaction. The hub sets no session state (no SET, LISTEN
        # or advisory locks), so there is nothing to reset.
        await engine.start_connection_pool(min_size=2, max_size=20, reset=_no_reset)
        try:
            yield engine
        finally:
            await engine.close_connection_pool()
    else:
        yield engine


def _unique_violation_types() -> tuple[type[BaseException], ...]:
    import sqlite3

    import asyncpg

    return (sqlite3.IntegrityError, asyncpg.exceptions.UniqueViolationError)


UNIQUE_VIOLATIONS = _unique_violation_types()
"""What an ``INSERT`` raises when a unique index refuses it, on either database."""


def index_migration(
    migration_id: str, description: str, indexes: dict[str, tuple[str, tuple[str, ...]]], unique: bool = True
):
    """A piccolo migration creating (unique) indexes over several columns.

    piccolo adds its ``Unique`` constraints with ``ALTER TABLE … ADD
    CONSTRAINT``, which SQLite lacks; ``CREATE UNIQUE INDEX`` works on both
    databases and serves ``ON CONFLICT`` just as well.

    :param indexes: index name → (table name, column names).
    """
    kind = "UNIQUE INDEX" if unique else "INDEX"
    from piccolo.apps.migrations.auto.migration_manager import MigrationManager
    from piccolo.engine import engine_finder

    async def forwards():
        manager = MigrationManager(migration_id=migration_id, app_name="hub", description=description)

        async def create_indexes():
            engine = engine_finder()
            for name, (table, columns) in indexes.items():
                column_list = ", ".join(f'"{c}"' for c in columns)
                await engine.run_ddl(f'CREATE {kind} IF NOT EXISTS "{name}" ON "{table}" ({column_list})')

        async def drop_indexes():
            engine = engine_finder()
            for name in indexes:
                await engine.run_ddl(f'DROP INDEX IF EXISTS "{name}"')

        manager.add_raw(create_indexes)
        manager.add_raw_backwards(drop_indexes)
        return manager

    return forwards
