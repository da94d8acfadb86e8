"""The plugin's piccolo app: its tables and migrations, which the hub
applies (``continuata-hub migrate``, and every start) after its own."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from hub_sales_log.tables import Sale

APP_CONFIG = AppConfig(
    app_name="sales_log",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[Sale],
    migration_dependencies=[],
    commands=[],
)
