"""The schema a database really has, read from the database itself, and
how it differs from what the piccolo tables of ``hub.tables`` expect.

The migration tests (``tests/migrations``) migrate a database and then ask
:func:`schema_problems`: every table and column of the tables must exist with
a compatible type (same base type, same ``VARCHAR`` length, same
nullability), every ``index=True`` / ``unique=True`` column must have its
index, and no column the tables lack may be left behind. A change to
``hub.tables`` without its migration fails there, on both databases.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from piccolo.columns import JSON, JSONB, BigInt, ForeignKey, Integer, Serial, SmallInt, Text, Timestamptz, Varchar
from piccolo.columns.base import Column
from piccolo.table import Table


@dataclass
class DbColumn:
    type: str  # canonical: VARCHAR, TEXT, INTEGER, BIGINT, TIMESTAMPTZ, JSON...
    length: int | None
    nullable: bool


@dataclass
class DbTable:
    columns: dict[str, DbColumn] = field(default_factory=dict)
    #: index name → (column names, unique), unique constraints included
    indexes: dict[str, tuple[tuple[str, ...], bool]] = field(default_factory=dict)


Schema = dict[str, DbTable]

# PostgreSQL's information_schema names → the names piccolo's DDL uses.
_POSTGRES_TYPES = {
    "character varying": "VARCHAR",
    "text": "TEXT",
    "integer": "INTEGER",
    "bigint": "BIGINT",
    "smallint": "SMALLINT",
    "timestamp with time zone": "TIMESTAMPTZ",
    "json": "JSON",
    "jsonb": "JSONB",
    "boolean": "BOOLEAN",
}


def _sqlite_path(url: str) -> str:
    return url[len("sqlite:///"):]


def read_sqlite_schema(url: str) -> Schema:
    """The tables, columns and indexes of a SQLite file."""
    connection = sqlite3.connect(_sqlite_path(url))
    try:
        schema: Schema = {}
        names = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for name in names:
            table = schema[name] = DbTable()
            for _, column, declared, notnull, _, pk in connection.execute(f'PRAGMA table_info("{name}")'):
                base, _, rest = declared.upper().partition("(")
                length = int(rest.rstrip(")")) if rest else None
                # SQLite allows NULL in a primary key other than INTEGER's;
                # piccolo's DDL says NOT NULL for every one it makes.
                table.columns[column] = DbColumn(base.strip(), length, not notnull and not (pk and base == "INTEGER"))
            for _, index, is_unique, _, _ in connection.execute(f'PRAGMA index_list("{name}")'):
                columns = tuple(row[2] for row in connection.execute(f'PRAGMA index_info("{index}")'))
                table.indexes[index] = (columns, bool(is_unique))
        return schema
    finally:
        connection.close()


async def read_postgres_schema(url: str) -> Schema:
    """The tables, columns and indexes of the ``public`` schema of a
    PostgreSQL database."""
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        schema: Schema = {}
        for row in await connection.fetch(
            "SELECT table_name, column_name, data_type, character_maximum_length, is_nullable "
            "FROM information_schema.columns WHERE table_schema = 'public'"
        ):
            table = schema.setdefault(row["table_name"], DbTable())
            table.columns[row["column_name"]] = DbColumn(
                _POSTGRES_TYPES.get(row["data_type"], row["data_type"].upper()),
                row["character_maximum_length"],
                row["is_nullable"] == "YES",
            )
        for row in await connection.fetch(
            "SELECT t.relname AS table_name, i.relname AS index_name, x.indisunique AS is_unique, "
            "ARRAY(SELECT a.attname FROM unnest(x.indkey) WITH ORDINALITY k(attnum, n) "
            "      JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.n) AS columns "
            "FROM pg_index x JOIN pg_class t ON t.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid "
            "JOIN pg_namespace s ON s.oid = t.relnamespace WHERE s.nspname = 'public'"
        ):
            schema[row["table_name"]].indexes[row["index_name"]] = (tuple(row["columns"]), row["is_unique"])
        return schema
    finally:
        await connection.close()


async def read_rows(url: str, sql: str) -> list[dict]:
    """The rows of a query, on either database."""
    if urlsplit(url).scheme == "sqlite":
        connection = sqlite3.connect(_sqlite_path(url))
        connection.row_factory = sqlite3.Row
        try:
            return [dict(row) for row in connection.execute(sql)]
        finally:
            connection.close()
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        return [dict(row) for row in await connection.fetch(sql)]
    finally:
        await connection.close()


async def read_schema(url: str) -> Schema:
    if urlsplit(url).scheme == "sqlite":
        return read_sqlite_schema(url)
    return await read_postgres_schema(url)


def expected_type(column: Column, engine_type: str) -> tuple[str, int | None]:
    """The base type and length piccolo's DDL gives ``column`` on an engine."""
    if isinstance(column, ForeignKey):
        column = column._foreign_key_meta.resolved_target_column
    if isinstance(column, Varchar):
        return "VARCHAR", column.length
    if isinstance(column, Serial):
        return "INTEGER", None
    if isinstance(column, BigInt):  # before Integer: BigInt is one
        return ("INTEGER" if engine_type == "sqlite" else "BIGINT"), None
    if isinstance(column, SmallInt):
        return ("INTEGER" if engine_type == "sqlite" else "SMALLINT"), None
    if isinstance(column, Integer):
        return "INTEGER", None
    if isinstance(column, JSONB):
        return "JSONB", None
    if isinstance(column, JSON):
        return "JSON", None
    for kind, name in ((Text, "TEXT"), (Timestamptz, "TIMESTAMPTZ")):
        if isinstance(column, kind):
            return name, None
    raise TypeError(f"tests/support/schema.py does not know piccolo's {type(column).__name__} yet: add it")


def schema_problems(schema: Schema, tables: list[type[Table]], engine_type: str) -> list[str]:
    """What in ``schema`` does not match ``tables``, one line each; ``[]`` when
    every table, column and declared index is there as the tables say."""
    problems = []
    for table in tables:
        name = table._meta.tablename
        found = schema.get(name)
        if found is None:
            problems.append(f"{name}: no such table")
            continue
        for column in table._meta.columns:
            column_name = column._meta.db_column_name
            db_column = found.columns.get(column_name)
            if db_column is None:
                problems.append(f"{name}.{column_name}: no such column")
                continue
            want = expected_type(column, engine_type)
            if (db_column.type, db_column.length) != want:
                problems.append(f"{name}.{column_name}: {db_column.type}({db_column.length}), the table says {want[0]}({want[1]})")
            nullable = column._meta.null and not column._meta.primary_key
            if db_column.nullable != nullable:
                problems.append(f"{name}.{column_name}: {'NULL' if db_column.nullable else 'NOT NULL'} in the database")
            single = {columns for columns, unique in found.indexes.values() if len(columns) == 1 and (unique or not column._meta.unique)}
            if (column._meta.index or column._meta.unique) and (column_name,) not in single:
                kind = "unique index" if column._meta.unique else "index"
                problems.append(f"{name}.{column_name}: no {kind}")
        known = {column._meta.db_column_name for column in table._meta.columns}
        for column_name in sorted(set(found.columns) - known):
            problems.append(f"{name}.{column_name}: in the database, not in the table")
    return problems
