"""The outbox's claims name the worker that holds them (``claimed_by``), so
that a restarted process takes back at once what its dead predecessor held
instead of waiting for the lease to run out."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-30T20:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "hub_outbox_claimed_by"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="hub", description=DESCRIPTION)

    async def add_column():
        # Plain SQL that SQLite and PostgreSQL both take; NULL: not claimed.
        await engine_finder().run_ddl('ALTER TABLE "hub_outbox_message" ADD COLUMN "claimed_by" VARCHAR(200) NULL')

    async def drop_column():
        await engine_finder().run_ddl('ALTER TABLE "hub_outbox_message" DROP COLUMN "claimed_by"')

    manager.add_raw(add_column)
    manager.add_raw_backwards(drop_column)
    return manager
