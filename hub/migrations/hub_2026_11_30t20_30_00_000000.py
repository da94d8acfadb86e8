"""Rate limits counted by one conditional write, and /my sign-in requests
prepared by the worker (see hub.services.rate_limits and buyers)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-30T20:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "hub_rate_limit_and_sign_in_state"

FORWARDS = [
    'CREATE TABLE IF NOT EXISTS "hub_rate_limit" ('
    '"bucket" VARCHAR(64) PRIMARY KEY, "hits" INTEGER NOT NULL DEFAULT 0, "window_ends" BIGINT NOT NULL)',
    'CREATE INDEX IF NOT EXISTS "hub_rate_limit_window_ends" ON "hub_rate_limit" ("window_ends")',
    # Rows made before this migration already hold a real link.
    'ALTER TABLE "hub_buyer_sign_in" ADD COLUMN "state" VARCHAR(20) NOT NULL DEFAULT \'sent\'',
    'CREATE INDEX IF NOT EXISTS "hub_buyer_sign_in_state" ON "hub_buyer_sign_in" ("state")',
]
BACKWARDS = [
    'DROP INDEX IF EXISTS "hub_buyer_sign_in_state"',
    'ALTER TABLE "hub_buyer_sign_in" DROP COLUMN "state"',
    'DROP TABLE IF EXISTS "hub_rate_limit"',
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="hub", description=DESCRIPTION)

    async def run(statements: list[str]) -> None:
        engine = engine_finder()
        for statement in statements:
            await engine.run_ddl(statement)

    async def create():
        await run(FORWARDS)

    async def drop():
        await run(BACKWARDS)

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
