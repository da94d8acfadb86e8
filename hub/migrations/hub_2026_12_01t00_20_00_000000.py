"""Partial indexes of the work tables' unfinished rows; media files by product.

The worker claims due rows of three work tables (the payment inbox, the
email outbox, event deliveries) many times a second. Their indexes held
every row, done or not, so a claim's cost grew with the history of the
table, and the inbox's check "no earlier event of this payment is
unfinished" looked at every event a payment ever had. These indexes hold
only the unfinished rows (``pending`` and claimed), which is what a claim
searches (:func:`hub.services.outbox.claim_rows` names the statuses as
literals so that both databases use them): a claim's cost follows the
backlog. SQLite and PostgreSQL both take ``CREATE INDEX … WHERE``.

The download page joins its product's media files; with the files indexed
by organization only, every page view read all of the shop's media library.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-01T00:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "partial indexes of the work tables' unfinished rows; media files by product"

INDEXES = (
    'CREATE INDEX IF NOT EXISTS "hub_inbox_event_unfinished" ON "hub_inbox_event" ("next_attempt_at")'
    " WHERE status IN ('pending', 'processing')",
    'CREATE INDEX IF NOT EXISTS "hub_inbox_event_unfinished_payment" ON "hub_inbox_event"'
    ' ("provider", "payment_key", "received_at") WHERE status IN (\'pending\', \'processing\')',
    'CREATE INDEX IF NOT EXISTS "hub_outbox_message_unfinished" ON "hub_outbox_message" ("next_attempt_at")'
    " WHERE status IN ('pending', 'sending')",
    'CREATE INDEX IF NOT EXISTS "hub_event_delivery_unfinished" ON "hub_event_delivery" ("next_attempt_at")'
    " WHERE status IN ('pending', 'sending')",
    'CREATE INDEX IF NOT EXISTS "hub_media_file_product" ON "hub_media_file" ("product")',
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="hub", description=DESCRIPTION)

    async def create():
        engine = engine_finder()
        assert engine is not None  # hub.db binds the engine before migrating
        for ddl in INDEXES:
            await engine.run_ddl(ddl)

    manager.add_raw(create)
    return manager
