"""Claims of the payment inbox and of event deliveries name their worker.

The email outbox's claims named the worker holding them (``claimed_by``:
``host/pid/nonce``), so that a worker starting after a crash took a dead
process's messages back at once; the inbox's and event deliveries' claims
did not, and a payment whose processing a crash interrupted waited for its
five-minute lease to end. Both tables get the column
(:class:`hub.services.work_queue.WorkQueue` stamps and reads it); rows
claimed before it existed keep NULL and wait for their lease, as before.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from hub.db.engines import migration_engine

ID = "2026-12-07T00:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "claimed_by on hub_inbox_event and hub_event_delivery"

COLUMNS = (
    'ALTER TABLE "hub_inbox_event" ADD COLUMN "claimed_by" VARCHAR(200) NULL DEFAULT NULL',
    'ALTER TABLE "hub_event_delivery" ADD COLUMN "claimed_by" VARCHAR(200) NULL DEFAULT NULL',
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="hub", description=DESCRIPTION)

    async def add():
        engine = migration_engine()
        for ddl in COLUMNS:
            await engine.run_ddl(ddl)

    manager.add_raw(add)
    return manager
