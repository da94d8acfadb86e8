"""Migrated databases for tests, made once and copied.

SQLite: :func:`migrated_sqlite_template` migrates one file per test process;
each test gets a copy (``shutil.copyfile``, microseconds), on which the
app's start-up migration finds nothing to do.

PostgreSQL: databases derived from ``HUB_TEST_POSTGRES_URL``.

The database that URL names is only the door: the tests create their own
beside it. One *template* is migrated once (its name carries a hash of the
migration files, so a changed migration makes a new one and an unchanged one
is reused by the next run), and each pytest-xdist worker gets a database of
its own cloned from it with ``CREATE DATABASE … TEMPLATE``: no worker shares
a database with another, and none migrates one again.

Everything here runs on connections of its own, from a thread with its own
event loop, so that it never touches the loop of the test that calls it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import secrets
import shutil
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

T = TypeVar("T")

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_LOCK_ID = 0x74706C  # "tpl": held while one worker makes the template


def migrate_url(url: str) -> None:
    """Apply the hub's migrations to the database of ``url`` (in a loop of
    its own, closing every connection it opened: a PostgreSQL template must
    have none left to be cloned)."""
    from hub.db import Database

    async def work() -> None:
        async with Database(url) as database:
            await database.migrate()

    in_own_loop(work)


def migrated_sqlite_template(folder: Path) -> Path:
    """A SQLite file in ``folder``, migrated (once: ``folder`` is the
    session's), its write-ahead log folded into it so that a copy of the one
    file is the whole database."""
    path = folder / "template.sqlite3"
    if not path.exists():
        migrate_url(f"sqlite:///{path}")
        import sqlite3

        connection = sqlite3.connect(path)
        try:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            connection.close()
    return path


def copy_sqlite(template: Path, path: Path) -> str:
    """Copy ``template`` to ``path`` and return its ``sqlite:///`` URL."""
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


def with_database(url: str, name: str) -> str:
    """``url`` with its database replaced by ``name``."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def database_of(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def in_own_loop(work: Callable[[], Awaitable[T]]) -> T:
    """Run ``work()`` to its end in a thread with an event loop of its own."""
    result: list[T] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            result.append(asyncio.run(work()))
        except BaseException as exc:  # handed to the caller
            failure.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return result[0]


def execute(url: str, sql: str) -> None:
    """Run ``sql`` (one or several statements) on the database of ``url``."""
    import asyncpg

    async def work() -> None:
        connection = await asyncpg.connect(url)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    in_own_loop(work)


def recreate_database(admin_url: str, name: str, template: str | None = None) -> str:
    """Drop ``name`` (whoever is connected) and create it anew, empty or as a
    copy of ``template``; returns its URL."""
    execute(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    execute(admin_url, f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    return with_database(admin_url, name)


def drop_database(admin_url: str, name: str) -> None:
    execute(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migrations_fingerprint() -> str:
    """A hash of every migration file the hub runs (its own and its plugins')."""
    digest = hashlib.sha256()
    for path in sorted([*ROOT.glob("hub/migrations/*.py"), *ROOT.glob("plugins/*/migrations/*.py")]):
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:10]


def migrated_template(admin_url: str, migrate: Callable[[str], None]) -> str:
    """The name of a template database migrated by ``migrate(url)``, made
    now unless an earlier run (or another worker) made it for these very
    migrations. Workers wait for each other on an advisory lock."""
    import asyncpg

    name = f"{database_of(admin_url)}_tpl_{migrations_fingerprint()}"

    async def work() -> str:
        connection = await asyncpg.connect(admin_url)
        try:
            await connection.execute("SELECT pg_advisory_lock($1)", TEMPLATE_LOCK_ID)
            try:
                ready = await connection.fetchval(
                    "SELECT datistemplate FROM pg_database WHERE datname = $1", name
                )
                if not ready:
                    # Templates of older migrations are of no use any more
                    # (a template must be unmarked before it can be dropped);
                    # a half-made one (a run killed while migrating) neither.
                    stale = await connection.fetch(
                        "SELECT datname FROM pg_database WHERE datname LIKE $1 AND datname <> $2",
                        f"{database_of(admin_url)}_tpl_%",
                        name,
                    )
                    for old in [row["datname"] for row in stale]:
                        await connection.execute(f'ALTER DATABASE "{old}" IS_TEMPLATE false')
                        await connection.execute(f'DROP DATABASE IF EXISTS "{old}" WITH (FORCE)')
                    await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                    await connection.execute(f'CREATE DATABASE "{name}"')
                    await asyncio.to_thread(migrate, with_database(admin_url, name))
                    # Marked only once migrated: a run killed half-way leaves
                    # a database that the next run drops and makes again.
                    await connection.execute(f'ALTER DATABASE "{name}" IS_TEMPLATE true')
            finally:
                await connection.execute("SELECT pg_advisory_unlock($1)", TEMPLATE_LOCK_ID)
        finally:
            await connection.close()
        return name

    return in_own_loop(work)


def worker_database_name(admin_url: str) -> str:
    """This pytest process's own database: one per xdist worker and per run
    (two runs at once on one ``HUB_TEST_POSTGRES_URL`` must not drop each
    other's databases)."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID", "")[:8] or f"p{os.getpid()}"
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return f"{database_of(admin_url)}_{run}_{worker}"


@contextlib.asynccontextmanager
async def empty_database_url(kind: str, folder: Path) -> AsyncIterator[str]:
    """The URL of an empty database of the test's own, of ``kind``
    (``sqlite`` or ``postgres``): for tests that migrate from nothing, or
    run the CLI in a subprocess. A PostgreSQL one is created beside
    ``HUB_TEST_POSTGRES_URL``'s and dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / f'own-{secrets.token_hex(4)}.sqlite3'}"
        return
    admin_url = os.environ["HUB_TEST_POSTGRES_URL"]
    name = f"{database_of(admin_url)}_own_{secrets.token_hex(4)}"
    try:
        yield recreate_database(admin_url, name)
    finally:
        drop_database(admin_url, name)
