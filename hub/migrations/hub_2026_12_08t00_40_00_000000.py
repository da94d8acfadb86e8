"""Provider product mappings: ``hub_product_mapping``.

A storefront (Shopify, Paddle, Lemon Squeezy) names what it sold by its own
product, variant or SKU; a mapping row says which hub product that is, per
organization and provider. Unique per (org, provider, kind, external_id).
The table is created from a snapshot of its definition (frozen as it was
when this migration was written), so piccolo writes the DDL each database
needs.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import Timestamptz, Varchar
from piccolo.engine import engine_finder
from piccolo.table import Table

ID = "2026-12-08T00:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "hub_product_mapping"


class ProductMapping(Table, tablename="hub_product_mapping"):
    id = Varchar(length=40, primary_key=True)
    org = Varchar(length=64)
    provider = Varchar(length=40)
    kind = Varchar(length=20)
    external_id = Varchar(length=255)
    product = Varchar(length=100)
    created_at = Timestamptz()


UNIQUE_INDEX = (
    'CREATE UNIQUE INDEX IF NOT EXISTS "hub_product_mapping_unique" ON "hub_product_mapping" '
    '("org", "provider", "kind", "external_id")'
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="hub", description=DESCRIPTION)

    async def create():
        engine = engine_finder()
        assert engine is not None  # hub.db binds the engine before migrating
        ProductMapping._meta.db = engine
        await ProductMapping.create_table(if_not_exists=True)
        await engine.run_ddl(UNIQUE_INDEX)

    manager.add_raw(create)
    return manager
