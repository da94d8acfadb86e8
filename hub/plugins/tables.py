"""Plugins' own tables: each plugin may keep its data in tables of its own,
with its own piccolo migrations, as pretix's plugins own their models.

A plugin returns piccolo ``AppConfig``s from the ``hub_piccolo_apps`` hook;
:func:`hub.db.migrate` applies their migrations after the hub's own, under
the same migration lock (so several processes starting at once migrate
once), and binds their tables to the hub's database
(:meth:`hub.db.Database.add_tables`). The hub keeps which
of a plugin's migrations ran in piccolo's own ``migration`` table, under the
plugin's ``app_name``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import pluggy
from piccolo.apps.migrations.commands.base import MigrationResult
from piccolo.apps.migrations.commands.forwards import ForwardsMigrationManager
from piccolo.conf.apps import AppConfig

if TYPE_CHECKING:
    from hub.db import Database

HUB_APP = "hub"


class PluginTablesError(RuntimeError):
    """A plugin declared piccolo apps the hub cannot migrate; the message names it."""


def piccolo_apps(plugins: pluggy.PluginManager) -> list[AppConfig]:
    """Every ``AppConfig`` the loaded plugins declare, in load order; each
    app name once, and none of them the hub's."""
    apps: list[AppConfig] = []
    seen: dict[str, str] = {}
    for impl in plugins.hook.hub_piccolo_apps.get_hookimpls():
        declared = impl.function() or []
        if not isinstance(declared, Iterable):
            raise PluginTablesError(
                f"Plugin {impl.plugin_name!r}: hub_piccolo_apps must return a list of piccolo AppConfigs, "
                f"got {type(declared).__name__}"
            )
        for app in declared:
            if not isinstance(app, AppConfig):
                raise PluginTablesError(
                    f"Plugin {impl.plugin_name!r}: hub_piccolo_apps must return piccolo AppConfigs, got {type(app).__name__}"
                )
            if app.app_name == HUB_APP or app.app_name in seen:
                owner = "the hub" if app.app_name == HUB_APP else f"plugin {seen[app.app_name]!r}"
                raise PluginTablesError(
                    f"Plugin {impl.plugin_name!r} declares the piccolo app {app.app_name!r}, "
                    f"which {owner} already uses: give it a name of its own"
                )
            seen[app.app_name] = impl.plugin_name
            apps.append(app)
    return apps


async def migrate_apps(db: Database, apps: Sequence[AppConfig]) -> MigrationResult:
    """Bind the apps' tables to ``db`` (now and whenever it binds its own)
    and apply each app's pending migrations, in order; the caller holds the
    migration lock (see :meth:`hub.db.Database.migrate`), and piccolo's
    migration table exists already."""
    db.add_tables(*(table for app in apps for table in app.table_classes))
    for app in apps:
        result = await ForwardsMigrationManager(app_name=app.app_name).run_migrations(app)
        if not result.success:
            return MigrationResult(success=False, message=f"{app.app_name}: {result.message}")
    return MigrationResult(success=True, message="Migration succeeded")
