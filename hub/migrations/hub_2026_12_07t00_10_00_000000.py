"""Payments in parts, and live or test mode.

- ``hub_provider_reference.items``: the purchase's items an id paid for,
  when it paid for only some of them (a PayPal order with several purchase
  units has one capture per unit); ``[]`` (every existing row) is the whole
  purchase. A refund of such an id revokes the tokens of its items only.
- ``hub_download_token.purchase_item``: the index of the purchase item a
  token delivers (None for tokens minted before, and for tokens not made
  for a purchase); ``hub_download_token.reversed_at``: when a reversal of
  part of the payment revoked the token, so that a cancelled refund gives
  back exactly what it took.
- ``hub_purchase.mode``: ``live``, or ``test`` for a payment made in the
  provider's test mode or sandbox. The hub did not tell them apart before,
  so every existing purchase is taken as ``live``, as it was treated.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.postgres import PostgresEngine

from hub.db.engines import migration_engine

ID = "2026-12-07T00:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "provider references' items, tokens' purchase item, purchases' mode"


def columns(timestamptz: str) -> tuple[str, ...]:
    return (
        """ALTER TABLE "hub_provider_reference" ADD COLUMN "items" JSON NOT NULL DEFAULT '[]'""",
        'ALTER TABLE "hub_download_token" ADD COLUMN "purchase_item" INTEGER DEFAULT null',
        f'ALTER TABLE "hub_download_token" ADD COLUMN "reversed_at" {timestamptz} DEFAULT null',
        """ALTER TABLE "hub_purchase" ADD COLUMN "mode" VARCHAR(10) NOT NULL DEFAULT 'live'""",
    )


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="hub", description=DESCRIPTION)

    async def add():
        engine = migration_engine()
        # The type names piccolo's own DDL gives a Timestamptz column.
        timestamptz = "TIMESTAMP WITH TIME ZONE" if isinstance(engine, PostgresEngine) else "TIMESTAMPTZ"
        for ddl in columns(timestamptz):
            await engine.run_ddl(ddl)

    manager.add_raw(add)
    return manager
