"""A file's CRC-32, and the size of a transferred archive.

- ``hub_version_file.crc32``: the CRC-32 of the file's bytes, recorded at
  upload beside the SHA-256 (one reading of the blob computes both). The
  version's ZIP (:mod:`hub.archive`) is laid out from it. Files uploaded
  before have none (NULL): the worker reads their blobs and fills it in
  (:func:`hub.services.archives.fill_missing_crc32`).
- ``hub_file_transfer.archive_size``: for a transfer of a version's ZIP,
  the archive's size (no table holds it; a file's size is on its row), so
  that a session's coverage of the archive can be worked out; NULL for
  files, as every existing row is.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.postgres import PostgresEngine

from hub.db.engines import migration_engine

ID = "2026-12-08T00:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "version files' crc32, file transfers' archive_size"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="hub", description=DESCRIPTION)

    async def add():
        engine = migration_engine()
        # The type names piccolo's own DDL gives a BigInt column.
        bigint = "BIGINT" if isinstance(engine, PostgresEngine) else "INTEGER"
        await engine.run_ddl(f'ALTER TABLE "hub_version_file" ADD COLUMN "crc32" {bigint} DEFAULT null')
        await engine.run_ddl(f'ALTER TABLE "hub_file_transfer" ADD COLUMN "archive_size" {bigint} DEFAULT null')

    manager.add_raw(add)
    return manager
