"""The piccolo app that owns the hub's tables and migrations."""

import os

from piccolo.conf.apps import AppConfig

from hub.tables import ALL_TABLES

APP_CONFIG = AppConfig(
    app_name="hub",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "migrations"),
    table_classes=ALL_TABLES,
    migration_dependencies=[],
    commands=[],
)
