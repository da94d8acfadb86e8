"""The shop's identity: what buyers see instead of the organization's id.

- ``hub_organization.support_email``, ``sender_name``, ``accent_color``,
  ``logo_type``, ``logo_sha256`` (indexed: the logo is served by its hash)
  and ``logo`` (base64), all ``''`` for existing shops: unset.
- ``hub_organization.name`` becomes the display name buyers see. ``init``
  used to store the id there when no ``--name`` was given, so a name equal
  to the id is cleared: unset, the nudge on the console's overview asks for
  one, and buyers see the hub's host name rather than a slug meanwhile.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from hub.db.engines import migration_engine

ID = "2026-12-08T00:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "the shop's identity: support email, sender name, accent colour, logo"

COLUMNS = (
    """ALTER TABLE "hub_organization" ADD COLUMN "support_email" VARCHAR(320) NOT NULL DEFAULT ''""",
    """ALTER TABLE "hub_organization" ADD COLUMN "sender_name" VARCHAR(200) NOT NULL DEFAULT ''""",
    """ALTER TABLE "hub_organization" ADD COLUMN "accent_color" VARCHAR(7) NOT NULL DEFAULT ''""",
    """ALTER TABLE "hub_organization" ADD COLUMN "logo_type" VARCHAR(20) NOT NULL DEFAULT ''""",
    """ALTER TABLE "hub_organization" ADD COLUMN "logo_sha256" VARCHAR(64) NOT NULL DEFAULT ''""",
    """ALTER TABLE "hub_organization" ADD COLUMN "logo" TEXT NOT NULL DEFAULT ''""",
    'CREATE INDEX "hub_organization_logo_sha256" ON "hub_organization" ("logo_sha256")',
    'UPDATE "hub_organization" SET "name" = \'\' WHERE "name" = "id"',
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="hub", description=DESCRIPTION)

    async def add():
        engine = migration_engine()
        for ddl in COLUMNS:
            await engine.run_ddl(ddl)

    manager.add_raw(add)
    return manager
