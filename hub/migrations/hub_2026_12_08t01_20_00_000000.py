"""Console "forgot password" links (``hub_console_password_reset``) and
shops' email wording (``hub_email_template``).

One row per link sent (by the person from the sign-in page, or by an admin
from the members page): only the hash of its secret, unique, its person,
when it expires (30 minutes) and when it was used (once). The table is
created from a snapshot of its definition (frozen as it was when this
migration was written), so piccolo writes the DDL each database needs.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import Text, Timestamptz, Varchar
from piccolo.engine import engine_finder
from piccolo.table import Table

ID = "2026-12-08T01:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "hub_console_password_reset, hub_email_template"


class ConsolePasswordReset(Table, tablename="hub_console_password_reset"):
    id = Varchar(length=40, primary_key=True)
    user_id = Varchar(length=40, index=True)
    link_hash = Varchar(length=64, unique=True)
    requested_by = Varchar(length=400, default="")
    created_at = Timestamptz()
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)


class EmailTemplate(Table, tablename="hub_email_template"):
    id = Varchar(length=40, primary_key=True)
    org = Varchar(length=64)
    kind = Varchar(length=40)
    subject = Text(default="")
    text = Text(default="")
    html = Text(default="")
    updated_by = Varchar(length=400, default="")
    updated_at = Timestamptz()


UNIQUE_INDEX = 'CREATE UNIQUE INDEX IF NOT EXISTS "hub_email_template_unique" ON "hub_email_template" ("org", "kind")'


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="hub", description=DESCRIPTION)

    async def create():
        engine = engine_finder()
        assert engine is not None  # hub.db binds the engine before migrating
        for table in (ConsolePasswordReset, EmailTemplate):
            table._meta.db = engine
            await table.create_table(if_not_exists=True)
        await engine.run_ddl(UNIQUE_INDEX)

    manager.add_raw(create)
    return manager
