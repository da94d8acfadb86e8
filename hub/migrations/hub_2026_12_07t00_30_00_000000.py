"""The console session's unused ``csrf`` column is dropped.

Every console session was given a random ``csrf`` value that nothing ever
read: the console's forms are checked by a signed double-submit cookie
(:mod:`hub.web.csrf`), rotated at sign-in and sign-out. A column that looks
like a CSRF secret but protects nothing only misleads. SQLite (3.35 and
later) and PostgreSQL both take ``ALTER TABLE … DROP COLUMN``; the column
has no index.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from hub.db.engines import migration_engine

ID = "2026-12-07T00:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "drop the console session's unused csrf column"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="hub", description=DESCRIPTION)

    async def drop():
        await migration_engine().run_ddl('ALTER TABLE "hub_console_session" DROP COLUMN "csrf"')

    manager.add_raw(drop)
    return manager
