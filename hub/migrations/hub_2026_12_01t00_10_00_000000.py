"""Provider references: ``hub_provider_reference`` replaces
``hub_purchase_payment``.

A purchase's ids at its payment provider (its order or checkout session, a
payment, a capture...) are kept with a ``kind``, so that a plugin finds the
purchase an event names with an indexed lookup instead of searching the
purchases' JSON metadata. The rows of ``hub_purchase_payment`` move over:
a purchase's own reference (``hub_purchase.provider_ref``) as kind
``order``, its other payment references as kind ``payment``; a reference
held twice is kept once. The table is created from a snapshot of its
definition (frozen as it was when this migration was written), so piccolo
writes the DDL each database needs.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import Varchar
from piccolo.engine import engine_finder
from piccolo.table import Table

ID = "2026-12-01T00:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "hub_provider_reference"


class ProviderReference(Table, tablename="hub_provider_reference"):
    id = Varchar(length=40, primary_key=True)
    org = Varchar(length=64)
    purchase = Varchar(length=40, index=True)
    provider = Varchar(length=40)
    kind = Varchar(length=40)
    reference = Varchar(length=255)


# (org, provider, reference) first: the index also serves a lookup by
# reference whatever its kind (a refund names a payment, not its kind).
UNIQUE_INDEX = (
    'CREATE UNIQUE INDEX IF NOT EXISTS "hub_provider_reference_unique" ON "hub_provider_reference" '
    '("org", "provider", "reference", "kind")'
)
# "WHERE true" lets SQLite parse ON CONFLICT after INSERT ... SELECT.
MOVE_PAYMENT_REFERENCES = (
    'INSERT INTO "hub_provider_reference" ("id", "org", "purchase", "provider", "kind", "reference") '
    'SELECT pp."id", pp."org", pp."purchase", pp."provider", '
    "CASE WHEN p.\"provider_ref\" = pp.\"payment_ref\" THEN 'order' ELSE 'payment' END, pp.\"payment_ref\" "
    'FROM "hub_purchase_payment" pp LEFT JOIN "hub_purchase" p ON p."id" = pp."purchase" '
    'WHERE true ORDER BY pp."id" ON CONFLICT DO NOTHING'
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="hub", description=DESCRIPTION)

    async def create():
        engine = engine_finder()
        assert engine is not None  # hub.db binds the engine before migrating
        ProviderReference._meta.db = engine
        await ProviderReference.create_table(if_not_exists=True)
        await engine.run_ddl(UNIQUE_INDEX)
        await engine.run_ddl(MOVE_PAYMENT_REFERENCES)
        await engine.run_ddl('DROP TABLE "hub_purchase_payment"')

    manager.add_raw(create)
    return manager
