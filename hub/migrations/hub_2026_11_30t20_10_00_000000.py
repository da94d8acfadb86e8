"""Durable events: the event log, deliveries owed to plugins and webhook
endpoints, the endpoints and their attempt log; an organization's contact
email (where the hub writes to the shop's admins).

The tables are created from snapshots of their columns (this file does not
import ``hub.tables``, which keeps changing), so that piccolo writes the DDL
each database needs.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import JSON, Integer, Text, Timestamptz, Varchar
from piccolo.engine import engine_finder
from piccolo.table import Table

ID = "2026-11-30T20:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "hub_durable_events_and_webhook_endpoints"


class Event(Table, tablename="hub_event"):
    id = Varchar(length=40, primary_key=True)
    org = Varchar(length=64, default="", index=True)
    kind = Varchar(length=20)
    type = Varchar(length=60)
    payload = JSON(default={})
    created_at = Timestamptz(index=True)


class EventDelivery(Table, tablename="hub_event_delivery"):
    id = Varchar(length=40, primary_key=True)
    org = Varchar(length=64, default="", index=True)
    event = Varchar(length=40, index=True)
    target = Varchar(length=120)
    endpoint = Varchar(length=40, null=True, default=None, index=True)
    status = Varchar(length=20, default="pending", index=True)
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(index=True)
    claimed_until = Timestamptz(null=True, default=None)
    last_error = Text(default="")
    created_at = Timestamptz()
    delivered_at = Timestamptz(null=True, default=None)


class WebhookEndpoint(Table, tablename="hub_webhook_endpoint"):
    id = Varchar(length=40, primary_key=True)
    org = Varchar(length=64, index=True)
    url = Varchar(length=2000)
    events = JSON(default=[])
    description = Text(default="")
    sealed_secret = Text()
    previous_sealed_secret = Text(default="")
    previous_secret_until = Timestamptz(null=True, default=None)
    status = Varchar(length=20, default="enabled")
    disabled_reason = Text(default="")
    failing_since = Timestamptz(null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class WebhookAttempt(Table, tablename="hub_webhook_attempt"):
    id = Varchar(length=40, primary_key=True)
    endpoint = Varchar(length=40, index=True)
    delivery = Varchar(length=40, index=True)
    event = Varchar(length=40)
    attempted_at = Timestamptz()
    status_code = Integer(null=True, default=None)
    latency_ms = Integer(default=0)
    response_excerpt = Text(default="")
    error = Text(default="")


TABLES = [Event, EventDelivery, WebhookEndpoint, WebhookAttempt]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="hub", description=DESCRIPTION)

    async def create():
        engine = engine_finder()
        for table in TABLES:
            table._meta.db = engine
            await table.create_table(if_not_exists=True)
        await engine.run_ddl(
            'CREATE UNIQUE INDEX IF NOT EXISTS "hub_event_delivery_event_target" '
            'ON "hub_event_delivery" ("event", "target")'
        )
        await engine.run_ddl(
            "ALTER TABLE \"hub_organization\" ADD COLUMN \"contact_email\" VARCHAR(320) NOT NULL DEFAULT ''"
        )

    async def drop():
        engine = engine_finder()
        for table in reversed(TABLES):
            await engine.run_ddl(f'DROP TABLE IF EXISTS "{table._meta.tablename}"')
        await engine.run_ddl('ALTER TABLE "hub_organization" DROP COLUMN "contact_email"')

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
