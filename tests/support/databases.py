"""A database of a test's own, empty: a SQLite file, or a PostgreSQL
database created beside ``HUB_TEST_POSTGRES_URL``'s and dropped afterwards
(for tests that migrate from nothing, or run the CLI in a subprocess)."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


async def _on_server(sql: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(os.environ["HUB_TEST_POSTGRES_URL"])
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@contextlib.asynccontextmanager
async def empty_database_url(kind: str, folder: Path) -> AsyncIterator[str]:
    """The URL of an empty database of ``kind`` (``sqlite`` or ``postgres``)."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / f'own-{secrets.token_hex(4)}.sqlite3'}"
        return
    name = f"hub_own_{secrets.token_hex(4)}"
    await _on_server(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(urlsplit(os.environ["HUB_TEST_POSTGRES_URL"])._replace(path=f"/{name}"))
    finally:
        await _on_server(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
