"""The sales log's first table.

The file name starts with the app's name: piccolo imports migrations by
file name, so a name of its own keeps it apart from the hub's. The table
is a frozen copy of ``hub_sales_log.tables.Sale`` as it was when this
migration was written (a later change to the table gets a migration of
its own), created by piccolo so each database gets its own DDL.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import BigInt, Integer, Timestamptz, Varchar
from piccolo.engine import engine_finder
from piccolo.table import Table

ID = "2026-12-01T00:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "sales_log_sale"


class Sale(Table, tablename="sales_log_sale"):
    purchase = Varchar(length=40, unique=True)
    org = Varchar(length=64, index=True)
    provider = Varchar(length=40)
    amount = BigInt(null=True, default=None)
    currency = Varchar(length=10, default="")
    tokens = Integer(default=0)
    recorded_at = Timestamptz()


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="sales_log", description=DESCRIPTION)

    async def create():
        Sale._meta.db = engine_finder()
        await Sale.create_table(if_not_exists=True)

    manager.add_raw(create)
    return manager
