"""Console "forgot password" links: ``hub_console_password_reset``.

One row per link sent (by the person from the sign-in page, or by an admin
from the members page): only the hash of its secret, unique, its person,
when it expires (30 minutes) and when it was used (once). The table is
created from a snapshot of its definition (frozen as it was when this
migration was written), so piccolo writes the DDL each database needs.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import Timestamptz, Varchar
from piccolo.engine import engine_finder
from piccolo.table import Table

ID = "2026-12-08T01:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "hub_console_password_reset"


class ConsolePasswordReset(Table, tablename="hub_console_password_reset"):
    id = Varchar(length=40, primary_key=True)
    user_id = Varchar(length=40, index=True)
    link_hash = Varchar(length=64, unique=True)
    requested_by = Varchar(length=400, default="")
    created_at = Timestamptz()
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="hub", description=DESCRIPTION)

    async def create():
        engine = engine_finder()
        assert engine is not None  # hub.db binds the engine before migrating
        ConsolePasswordReset._meta.db = engine
        await ConsolePasswordReset.create_table(if_not_exists=True)

    manager.add_raw(create)
    return manager
