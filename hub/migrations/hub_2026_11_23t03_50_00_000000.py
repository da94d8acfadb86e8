"""Unique indexes over several columns, in SQL both SQLite and PostgreSQL accept."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-23T03:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "hub_unique_indexes"

UNIQUE_INDEXES = {
    "hub_product_org_slug": ("hub_product", ("org", "slug")),
    "hub_version_product_version": ("hub_version", ("product", "version")),
    "hub_version_file_version_path": ("hub_version_file", ("version", "path")),
    "hub_upload_part_file_upload_part": ("hub_upload_part", ("file", "upload_id", "part_number")),
    "hub_purchase_org_provider_ref": ("hub_purchase", ("org", "provider", "provider_ref")),
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="hub", description=DESCRIPTION)

    async def create_indexes():
        engine = engine_finder()
        for name, (table, columns) in UNIQUE_INDEXES.items():
            column_list = ", ".join(f'"{c}"' for c in columns)
            await engine.run_ddl(f'CREATE UNIQUE INDEX IF NOT EXISTS "{name}" ON "{table}" ({column_list})')

    async def drop_indexes():
        engine = engine_finder()
        for name in UNIQUE_INDEXES:
            await engine.run_ddl(f'DROP INDEX IF EXISTS "{name}"')

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
