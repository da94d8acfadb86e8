"""License keys: a product's license settings, the keys, their activations,
and each organization's signing key for offline license files.

Each table is written out below as a frozen piccolo table (a copy of
``hub.tables`` as it is now, not an import: this file must create these
tables whatever ``hub.tables`` becomes), created with piccolo's
``create_table``; the unique indexes over several columns follow with
``CREATE UNIQUE INDEX``, which SQLite and PostgreSQL both take:

- ``hub_license_key_purchase_item``: one key per purchase item, so that a
  purchase delivered twice (a replay, a restore) mints no second key;
  imported keys have no purchase (NULLs never collide);
- ``hub_license_activation_fingerprint``: a machine is active once per key,
  so two concurrent activations of one fingerprint take one seat.
"""

from __future__ import annotations

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import Integer, Text, Timestamptz, Varchar
from piccolo.table import Table

from hub.db.engines import migration_engine

ID = "2026-12-08T00:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "license keys: hub_license_policy, hub_license_key, hub_license_activation, hub_signing_key"


class LicensePolicy(Table, tablename="hub_license_policy"):
    id = Varchar(length=40, primary_key=True)
    org = Varchar(length=64, index=True)
    product = Varchar(length=40, unique=True)
    activation_limit = Integer(null=True, default=None)
    expiry_days = Integer(null=True, default=None)
    seat_releases = Integer(default=3)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class LicenseKey(Table, tablename="hub_license_key"):
    id = Varchar(length=40, primary_key=True)
    org = Varchar(length=64, index=True)
    product = Varchar(length=40, index=True)
    purchase = Varchar(length=40, null=True, default=None, index=True)
    purchase_item = Integer(null=True, default=None)
    key_hash = Varchar(length=64, unique=True)
    key_sealed = Text()
    key_hint = Varchar(length=16, default="")
    customer_email = Varchar(length=320, default="", index=True)
    status = Varchar(length=20, default="active")
    disabled_at = Timestamptz(null=True, default=None)
    activation_limit = Integer(null=True, default=None)
    activations = Integer(default=0)
    expires_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()
    last_seen_at = Timestamptz(null=True, default=None)
    last_ip = Varchar(length=64, default="")


class LicenseActivation(Table, tablename="hub_license_activation"):
    id = Varchar(length=40, primary_key=True)
    org = Varchar(length=64, index=True)
    license = Varchar(length=40, index=True)
    fingerprint = Varchar(length=200)
    name = Varchar(length=200, default="")
    created_at = Timestamptz()
    last_seen_at = Timestamptz()
    last_ip = Varchar(length=64, default="")


class SigningKey(Table, tablename="hub_signing_key"):
    org = Varchar(length=64, primary_key=True)
    public_key = Varchar(length=64)
    private_sealed = Text()
    created_at = Timestamptz()


TABLES: list[type[Table]] = [LicensePolicy, LicenseKey, LicenseActivation, SigningKey]

INDEXES = (
    'CREATE UNIQUE INDEX IF NOT EXISTS "hub_license_key_purchase_item" ON "hub_license_key" ("purchase", "purchase_item")',
    'CREATE UNIQUE INDEX IF NOT EXISTS "hub_license_activation_fingerprint" '
    'ON "hub_license_activation" ("license", "fingerprint")',
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="hub", description=DESCRIPTION)

    async def create() -> None:
        engine = migration_engine()
        for table in TABLES:
            table._meta.db = engine
            await table.create_table(if_not_exists=True)
        for ddl in INDEXES:
            await engine.run_ddl(ddl)

    async def drop() -> None:
        engine = migration_engine()
        for table in reversed(TABLES):
            await engine.run_ddl(f'DROP TABLE IF EXISTS "{table._meta.tablename}"')

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
