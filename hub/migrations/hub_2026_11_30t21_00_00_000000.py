"""The console's tables: users, memberships, sessions, the sign-in throttle,
the audit log and invitations.

The tables are frozen copies of ``hub.tables`` as they were when this
migration was written (a later change to ``hub.tables`` needs a migration of
its own), created with piccolo's ``create_table`` so that the column types
are piccolo's on both SQLite and PostgreSQL.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import JSON, BigInt, Integer, Timestamptz, Varchar
from piccolo.engine import engine_finder
from piccolo.table import Table

ID = "2026-11-30T21:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "hub_console"


class ConsoleUser(Table, tablename="hub_console_user"):
    id = Varchar(length=40, primary_key=True)
    email = Varchar(length=320, unique=True)
    password_hash = Varchar(length=200, default="")
    created_at = Timestamptz()


class Membership(Table, tablename="hub_membership"):
    id = Varchar(length=40, primary_key=True)
    user_id = Varchar(length=40, index=True)
    org = Varchar(length=64, index=True)
    role = Varchar(length=20)
    created_at = Timestamptz()


class ConsoleSession(Table, tablename="hub_console_session"):
    id = Varchar(length=40, primary_key=True)
    user_id = Varchar(length=40, index=True)
    session_hash = Varchar(length=64, unique=True)
    org = Varchar(length=64, default="")
    csrf = Varchar(length=64)
    ip = Varchar(length=64, default="")
    created_at = Timestamptz()
    expires_at = Timestamptz()


class SignInThrottle(Table, tablename="hub_sign_in_throttle"):
    key = Varchar(length=400, primary_key=True)
    window_start = BigInt(default=0)
    attempts = Integer(default=0)


class AuditEntry(Table, tablename="hub_audit_entry"):
    id = Varchar(length=40, primary_key=True)
    org = Varchar(length=64, default="", index=True)
    actor = Varchar(length=400)
    action = Varchar(length=100)
    target = Varchar(length=400, default="")
    detail = JSON(default={})
    ip = Varchar(length=64, default="")
    created_at = Timestamptz(index=True)


class ConsoleInvite(Table, tablename="hub_console_invite"):
    id = Varchar(length=40, primary_key=True)
    user_id = Varchar(length=40, index=True)
    org = Varchar(length=64)
    link_hash = Varchar(length=64, unique=True)
    invited_by = Varchar(length=400, default="")
    created_at = Timestamptz()
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)


TABLES = [ConsoleUser, Membership, ConsoleSession, SignInThrottle, AuditEntry, ConsoleInvite]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="hub", description=DESCRIPTION)

    async def create_tables():
        engine = engine_finder()
        for table in TABLES:
            table._meta.db = engine
            await table.create_table(if_not_exists=True)
        await engine.run_ddl(
            'CREATE UNIQUE INDEX IF NOT EXISTS "hub_membership_user_org" ON "hub_membership" ("user_id", "org")'
        )

    async def drop_tables():
        engine = engine_finder()
        for table in reversed(TABLES):
            await engine.run_ddl(f'DROP TABLE IF EXISTS "{table._meta.tablename}"')

    manager.add_raw(create_tables)
    manager.add_raw_backwards(drop_tables)
    return manager
