"""The payment inbox: webhook events stored before they are processed;
payment reversals kept until their purchase is known; a purchase's
payment references; ``hub_purchase.delivered_at``.

The tables are created from snapshots of their definitions (below, frozen
as they were when this migration was written), so piccolo writes the DDL
each database needs. The old replay guard ``hub_webhook_event`` moves into
the inbox as events already processed (``done``), so that a provider's
replay of an old event is still recognised, and is then dropped.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import Integer, Text, Timestamptz, Varchar
from piccolo.engine import engine_finder
from piccolo.table import Table

ID = "2026-11-30T20:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "hub_payment_inbox"


class InboxEvent(Table, tablename="hub_inbox_event"):
    id = Varchar(length=40, primary_key=True)
    provider = Varchar(length=40)
    event_id = Varchar(length=255)
    event_type = Varchar(length=100, default="")
    org = Varchar(length=64, default="")
    payment_key = Varchar(length=255, default="")
    sealed_payload = Text(default="")
    status = Varchar(length=20, default="pending", index=True)
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz()
    claimed_until = Timestamptz(null=True, default=None)
    last_error = Text(default="")
    outcome = Text(default="")
    received_at = Timestamptz()
    processed_at = Timestamptz(null=True, default=None)


class PaymentReversal(Table, tablename="hub_payment_reversal"):
    id = Varchar(length=40, primary_key=True)
    org = Varchar(length=64)
    provider = Varchar(length=40)
    payment_ref = Varchar(length=255)
    kind = Varchar(length=20)
    reference = Varchar(length=255, default="")
    occurred_at = Timestamptz()
    created_at = Timestamptz()


class PurchasePayment(Table, tablename="hub_purchase_payment"):
    id = Varchar(length=40, primary_key=True)
    purchase = Varchar(length=40, index=True)
    org = Varchar(length=64)
    provider = Varchar(length=40)
    payment_ref = Varchar(length=255)


TABLES = (InboxEvent, PaymentReversal, PurchasePayment)
INDEXES = (
    'CREATE UNIQUE INDEX IF NOT EXISTS "hub_inbox_event_provider_event" ON "hub_inbox_event" ("provider", "event_id")',
    'CREATE INDEX IF NOT EXISTS "hub_inbox_event_payment" ON "hub_inbox_event" ("provider", "payment_key")',
    'CREATE INDEX IF NOT EXISTS "hub_inbox_event_due" ON "hub_inbox_event" ("next_attempt_at")',
    'CREATE UNIQUE INDEX IF NOT EXISTS "hub_payment_reversal_unique" ON "hub_payment_reversal" '
    '("org", "provider", "payment_ref", "kind", "reference")',
    'CREATE INDEX IF NOT EXISTS "hub_purchase_payment_ref" ON "hub_purchase_payment" ("org", "provider", "payment_ref")',
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="hub", description=DESCRIPTION)

    async def create():
        engine = engine_finder()
        for table in TABLES:
            table._meta.db = engine
            await table.create_table(if_not_exists=True)
        for statement in INDEXES:
            await engine.run_ddl(statement)
        await engine.run_ddl('ALTER TABLE "hub_purchase" ADD COLUMN "delivered_at" TIMESTAMPTZ NULL')
        # Every purchase recorded so far was delivered when it was recorded.
        await engine.run_ddl('UPDATE "hub_purchase" SET "delivered_at" = "created_at"')
        # Each purchase's own reference identifies its payment.
        await engine.run_ddl(
            'INSERT INTO "hub_purchase_payment" ("id", "purchase", "org", "provider", "payment_ref") '
            "SELECT 'pay_' || \"id\", \"id\", \"org\", \"provider\", \"provider_ref\" FROM \"hub_purchase\""
        )
        await engine.run_ddl(
            'INSERT INTO "hub_inbox_event" ("id", "provider", "event_id", "event_type", "org", "payment_key", '
            '"sealed_payload", "status", "attempts", "next_attempt_at", "last_error", "outcome", "received_at", '
            '"processed_at") SELECT "id", "provider", "event_id", "event_type", "org", \'\', \'\', \'done\', 1, '
            '"received_at", \'\', "outcome", "received_at", "received_at" FROM "hub_webhook_event"'
        )
        await engine.run_ddl('DROP TABLE "hub_webhook_event"')

    manager.add_raw(create)
    return manager
