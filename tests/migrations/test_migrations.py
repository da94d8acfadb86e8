"""Every schema change is a migration, tested from an empty database and
from the previous release's database, on SQLite and on PostgreSQL.

The rule, for whoever changes ``hub.tables``: add a new file to
``hub/migrations`` (never edit one that a release shipped). These tests then
migrate an empty database and a copy of the previous release's database
(``snapshots/<PREVIOUS_RELEASE>-<engine>.sql``) with every migration there
is, and compare the result with the tables (:mod:`tests.support.schema`):
every table and column must exist with a compatible type, nullability and
its declared index. At each release, write that release's snapshots
(``python -m tests.migrations.snapshot <release>``, see that module) and
move ``PREVIOUS_RELEASE`` to it. A migration that moves data gets its own
test here, starting from the snapshot with rows inserted.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.tables import ALL_TABLES
from tests.conftest import DATABASES, POSTGRES_URL
from tests.support.databases import (
    drop_database,
    execute,
    in_own_loop,
    migrate_url,
    recreate_database,
    worker_database_name,
)
from tests.support.schema import read_rows, read_schema, schema_problems

PREVIOUS_RELEASE = "0.1.0"
SNAPSHOTS = Path(__file__).parent / "snapshots"
MIGRATIONS = Path(__file__).resolve().parents[2] / "hub" / "migrations"


@pytest.fixture(params=DATABASES)
def engine_type(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def empty_database(engine_type: str, tmp_path: Path) -> Iterator[str]:
    """A database with no table at all: a SQLite file not yet made, or a
    PostgreSQL database of this test's own, dropped after it."""
    if engine_type == "sqlite":
        yield f"sqlite:///{tmp_path / 'hub.sqlite3'}"
        return
    name = worker_database_name(POSTGRES_URL) + "_empty"  # type: ignore[arg-type]
    yield recreate_database(POSTGRES_URL, name)  # type: ignore[arg-type]
    drop_database(POSTGRES_URL, name)  # type: ignore[arg-type]


def load_snapshot(url: str, engine_type: str, release: str) -> None:
    """Make the database of ``url`` what ``release`` left: its schema and its
    list of applied migrations."""
    script = (SNAPSHOTS / f"{release}-{engine_type}.sql").read_text()
    if engine_type == "sqlite":
        connection = sqlite3.connect(url[len("sqlite:///"):])
        try:
            connection.executescript(script)
        finally:
            connection.close()
    else:
        execute(url, script)


@pytest.fixture
def previous_release_database(empty_database: str, engine_type: str) -> str:
    """A database as the previous release left it, ready to be migrated."""
    load_snapshot(empty_database, engine_type, PREVIOUS_RELEASE)
    return empty_database


def problems_of(url: str, engine_type: str) -> list[str]:
    return schema_problems(in_own_loop(lambda: read_schema(url)), ALL_TABLES, engine_type)


def applied_migrations(url: str) -> list[str]:
    """The hub's migrations piccolo lists as applied (plugins' have other app names)."""

    async def read() -> list[str]:
        rows = await read_rows(url, "SELECT name FROM migration WHERE app_name = 'hub' ORDER BY name")
        return [row["name"] for row in rows]

    return in_own_loop(read)


def migration_ids() -> list[str]:
    """The IDs of the hub's migration files, in the order piccolo runs them."""
    ids = []
    for path in MIGRATIONS.glob("hub_*.py"):
        for line in path.read_text().splitlines():
            if line.startswith("ID = "):
                ids.append(line.split('"')[1])
    return sorted(ids)


def test_an_empty_database_migrates_to_the_schema_of_the_tables(empty_database: str, engine_type: str):
    migrate_url(empty_database)
    assert problems_of(empty_database, engine_type) == []
    assert applied_migrations(empty_database) == migration_ids()


def test_the_previous_release_database_migrates_to_the_schema_of_the_tables(
    previous_release_database: str, engine_type: str
):
    before = applied_migrations(previous_release_database)
    assert before and set(before) <= set(migration_ids()), "the snapshot names migrations this code lacks"
    migrate_url(previous_release_database)
    assert problems_of(previous_release_database, engine_type) == []
    assert applied_migrations(previous_release_database) == migration_ids()


def test_migrating_a_migrated_database_again_changes_nothing(empty_database: str, engine_type: str):
    migrate_url(empty_database)
    schema = in_own_loop(lambda: read_schema(empty_database))
    migrate_url(empty_database)
    assert in_own_loop(lambda: read_schema(empty_database)) == schema
    assert applied_migrations(empty_database) == migration_ids()


def test_the_check_names_a_column_and_an_index_the_migrations_lack(empty_database: str, engine_type: str):
    """The harness itself: a schema that lost a column and an index is told apart."""
    migrate_url(empty_database)
    statements = ['DROP INDEX "hub_api_key_org"', 'ALTER TABLE "hub_product" DROP COLUMN "cover_md5"']
    if engine_type == "sqlite":
        connection = sqlite3.connect(empty_database[len("sqlite:///"):])
        try:
            for statement in statements:
                connection.execute(statement)
            connection.commit()
        finally:
            connection.close()
    else:
        execute(empty_database, "; ".join(statements))
    assert problems_of(empty_database, engine_type) == [
        "hub_api_key.org: no index",
        "hub_product.cover_md5: no such column",
    ]


def test_the_console_sessions_unused_csrf_column_is_dropped_and_sessions_are_kept(
    previous_release_database: str, engine_type: str
):
    """hub_2026_12_07t00_30_00: a session signed in under the previous
    release stays signed in; its never-read ``csrf`` column is gone."""
    insert = (
        "INSERT INTO hub_console_session (id, user_id, session_hash, org, csrf, ip, created_at, expires_at) "
        "VALUES ('csess_1', 'user_1', 'hash-1', 'audio-company', 'unused', '192.0.2.1', "
        "'2026-12-01 10:00:00+00:00', '2999-12-01 10:00:00+00:00')"
    )
    if engine_type == "sqlite":
        connection = sqlite3.connect(previous_release_database[len("sqlite:///"):])
        try:
            connection.execute(insert)
            connection.commit()
        finally:
            connection.close()
    else:
        execute(previous_release_database, insert)
    assert "csrf" in in_own_loop(lambda: read_schema(previous_release_database))["hub_console_session"].columns
    migrate_url(previous_release_database)
    columns = in_own_loop(lambda: read_schema(previous_release_database))["hub_console_session"].columns
    assert "csrf" not in columns and {"id", "user_id", "session_hash", "org", "ip"} <= set(columns)
    rows = in_own_loop(lambda: read_rows(previous_release_database, "SELECT id, org, ip FROM hub_console_session"))
    assert rows == [{"id": "csess_1", "org": "audio-company", "ip": "192.0.2.1"}]


def test_an_organization_named_by_its_id_gets_no_display_name_and_every_shop_an_empty_identity(
    previous_release_database: str, engine_type: str
):
    """hub_2026_12_08t00_20_00: ``init`` stored the id as the name when none
    was given; that name is cleared (buyers then see the hub's host, and the
    console asks for a name), a real name is kept, the new fields are ""."""
    insert = (
        "INSERT INTO hub_organization (id, name, created_at) VALUES "
        "('my-shop', 'my-shop', '2026-12-01 10:00:00+00:00'), ('kick', 'Kick Audio', '2026-12-01 10:00:00+00:00')"
    )
    if engine_type == "sqlite":
        connection = sqlite3.connect(previous_release_database[len("sqlite:///"):])
        try:
            connection.execute(insert)
            connection.commit()
        finally:
            connection.close()
    else:
        execute(previous_release_database, insert)
    migrate_url(previous_release_database)
    rows = in_own_loop(
        lambda: read_rows(
            previous_release_database,
            "SELECT id, name, support_email, sender_name, accent_color, logo_sha256, logo FROM hub_organization ORDER BY id",
        )
    )
    empty = {"support_email": "", "sender_name": "", "accent_color": "", "logo_sha256": "", "logo": ""}
    assert rows == [{"id": "kick", "name": "Kick Audio", **empty}, {"id": "my-shop", "name": "", **empty}]


def test_versions_buyers_were_served_count_as_released_under_rights_all(previous_release_database: str, engine_type: str):
    """hub_2026_12_08t00_50_00: the active version and the versions tokens
    deliver are released when they became ready, under ``all``; a ready
    version nobody was served stays unreleased; products get rights ``all``."""
    statements = [
        "INSERT INTO hub_product (id, org, slug, name, active_version) VALUES ('prod_1', 'o', 'pack', 'Pack', 'version_2')",
        "INSERT INTO hub_version (id, org, product, version, status, ready_at) VALUES "
        "('version_1', 'o', 'prod_1', '1.0.0', 'ready', '2026-11-01 10:00:00+00:00'), "
        "('version_2', 'o', 'prod_1', '2.0.0', 'ready', '2026-11-02 10:00:00+00:00'), "
        "('version_3', 'o', 'prod_1', '3.0.0', 'ready', '2026-11-03 10:00:00+00:00')",
        "INSERT INTO hub_download_token (id, org, product, version, token_hash) VALUES ('token_1', 'o', 'prod_1', 'version_1', 'h')",
    ]
    if engine_type == "sqlite":
        connection = sqlite3.connect(previous_release_database[len("sqlite:///"):])
        try:
            for statement in statements:
                connection.execute(statement)
            connection.commit()
        finally:
            connection.close()
    else:
        execute(previous_release_database, "; ".join(statements))
    migrate_url(previous_release_database)
    rows = in_own_loop(lambda: read_rows(
        previous_release_database,
        "SELECT id, update_rights, published_at IS NOT NULL AS released FROM hub_version ORDER BY id",
    ))
    assert [(r["id"], r["update_rights"], bool(r["released"])) for r in rows] == [
        ("version_1", "all", True), ("version_2", "all", True), ("version_3", None, False),
    ]
    product = in_own_loop(lambda: read_rows(previous_release_database, "SELECT update_rights, update_days FROM hub_product"))
    assert product == [{"update_rights": "all", "update_days": None}]
