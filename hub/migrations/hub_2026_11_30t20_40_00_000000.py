"""Facts every process of one installation must agree on (the secret key's
fingerprint): a small name → value table."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow

ID = "2026-11-30T20:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "hub_instance_fact"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="hub", description=DESCRIPTION)
    manager.add_table(class_name="InstanceFact", tablename="hub_instance_fact", schema=None, columns=None)
    columns = [
        ("name", Varchar, {"length": 64, "default": "", "null": False, "primary_key": True}),
        ("value", Text, {"default": "", "null": False}),
        ("created_at", Timestamptz, {"default": TimestamptzNow(), "null": False}),
    ]
    for name, column_class, params in columns:
        manager.add_column(
            table_class_name="InstanceFact",
            tablename="hub_instance_fact",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params={"unique": False, "index": False, "secret": False, "primary_key": False, **params},
            schema=None,
        )
    return manager
