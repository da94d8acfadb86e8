"""Updates for past buyers: update rights, release times, update notices.

A product gets its update rights (``update_rights``: ``all``, ``window``
with ``update_days``, or ``none``; ``all`` is what every existing product
keeps). A version gets its release (``published_at``, set when it first
becomes the product's active version) and the rights in force then, which
decide which past buyers it reaches (:mod:`hub.services.entitlement`).
Existing active versions, and the versions tokens deliver, count as
released when they became ready, under ``all``.

Three tables are created from snapshots of their definitions (frozen as
they were when this migration was written), so piccolo writes the DDL
each database needs: a publication's notifying job
(``hub_update_publication``), one notice per buyer address and version
(``hub_update_notice``, unique), and the addresses that unsubscribed from
an organization's update emails (``hub_update_unsubscribe``, unique).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import Integer, Text, Timestamptz, Varchar
from piccolo.engine.postgres import PostgresEngine
from piccolo.table import Table

from hub.db.engines import migration_engine

ID = "2026-12-08T00:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "update rights, version releases, update notices and unsubscribes"


class UpdatePublication(Table, tablename="hub_update_publication"):
    id = Varchar(length=40, primary_key=True)
    org = Varchar(length=64, index=True)
    product = Varchar(length=40)
    version = Varchar(length=40, unique=True)
    note = Text(default="")
    buyers = Integer(default=0)
    queued = Integer(default=0)
    cursor = Varchar(length=320, default="")
    status = Varchar(length=20, default="pending", index=True)
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz()
    claimed_until = Timestamptz(null=True, default=None)
    claimed_by = Varchar(length=200, null=True, default=None)
    last_error = Text(default="")
    created_at = Timestamptz()
    finished_at = Timestamptz(null=True, default=None)


class UpdateNotice(Table, tablename="hub_update_notice"):
    id = Varchar(length=40, primary_key=True)
    org = Varchar(length=64)
    version = Varchar(length=40, index=True)
    email = Varchar(length=320)
    message = Varchar(length=40, default="")
    created_at = Timestamptz()


class UpdateUnsubscribe(Table, tablename="hub_update_unsubscribe"):
    id = Varchar(length=40, primary_key=True)
    org = Varchar(length=64)
    email = Varchar(length=320)
    created_at = Timestamptz()


def columns(timestamptz: str) -> tuple[str, ...]:
    return (
        """ALTER TABLE "hub_product" ADD COLUMN "update_rights" VARCHAR(10) NOT NULL DEFAULT 'all'""",
        'ALTER TABLE "hub_product" ADD COLUMN "update_days" INTEGER DEFAULT null',
        f'ALTER TABLE "hub_version" ADD COLUMN "published_at" {timestamptz} DEFAULT null',
        'ALTER TABLE "hub_version" ADD COLUMN "update_rights" VARCHAR(10) DEFAULT null',
        'ALTER TABLE "hub_version" ADD COLUMN "update_days" INTEGER DEFAULT null',
    )


INDEXES = (
    'CREATE UNIQUE INDEX IF NOT EXISTS "hub_update_notice_unique" ON "hub_update_notice" ("org", "version", "email")',
    'CREATE UNIQUE INDEX IF NOT EXISTS "hub_update_unsubscribe_unique" ON "hub_update_unsubscribe" ("org", "email")',
    'CREATE INDEX IF NOT EXISTS "hub_version_published" ON "hub_version" ("product", "published_at")',
)

# What buyers were served before: the active versions and the versions
# tokens deliver, released when they became ready, under ``all``.
RELEASED = (
    """UPDATE "hub_version" SET "published_at" = COALESCE("ready_at", "created_at"), "update_rights" = 'all' """
    """WHERE "status" = 'ready' AND "published_at" IS NULL AND ("id" IN (SELECT "active_version" FROM "hub_product" """
    """WHERE "active_version" IS NOT NULL) OR "id" IN (SELECT "version" FROM "hub_download_token"))"""
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="hub", description=DESCRIPTION)

    async def add():
        engine = migration_engine()
        # The type names piccolo's own DDL gives a Timestamptz column.
        timestamptz = "TIMESTAMP WITH TIME ZONE" if isinstance(engine, PostgresEngine) else "TIMESTAMPTZ"
        for ddl in columns(timestamptz):
            await engine.run_ddl(ddl)
        for table in (UpdatePublication, UpdateNotice, UpdateUnsubscribe):
            table._meta.db = engine
            await table.create_table(if_not_exists=True)
        for ddl in INDEXES:
            await engine.run_ddl(ddl)
        await engine.run_ddl(RELEASED)

    manager.add_raw(add)
    return manager
