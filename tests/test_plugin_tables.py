"""Plugins' own tables: ``continuata-hub migrate`` applies a plugin's piccolo
migrations after the hub's, and the plugin's data lands in its table; the
example plugin (``examples/sales-log-plugin``) shows it, on SQLite and
PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from piccolo.apps.migrations.tables import Migration
from piccolo.conf.apps import AppConfig

from hub.plugins import load_plugins, new_plugin_manager
from hub.plugins.hookspecs import hookimpl
from hub.plugins.tables import PluginTablesError, piccolo_apps
from hub.services.purchases import PurchaseIn, record_purchase
from hub.testing.app import hub_client, make_app, make_org, settings_for_tests
from hub.testing.events import events_settled
from tests.conftest import DATABASES
from tests.support.databases import empty_database_url
from tests.test_plugins import EXAMPLE, ROOT, example_installed  # noqa: F401 (a fixture)


def continuata_hub_migrate(database_url: str, site, data_dir) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(site), str(EXAMPLE), str(ROOT)]),
        "HUB_DATA_DIR": str(data_dir),
        "HUB_DATABASE_URL": database_url,
        "HUB_PLUGINS": "sales-log",
    }
    return subprocess.run(
        [sys.executable, "-m", "hub", "migrate"], env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("kind", DATABASES)
async def test_migrate_creates_the_example_plugins_table_and_its_sales_land_there(kind, tmp_path, example_installed):
    from hub_sales_log.tables import Sale

    async with empty_database_url(kind, tmp_path) as url:
        migrated = continuata_hub_migrate(url, example_installed, tmp_path / "cli-data")
        assert migrated.returncode == 0, migrated.stderr
        assert "Database migrated" in migrated.stdout

        settings = settings_for_tests(
            tmp_path / "data", database_url=url, extra={"HUB_SALES_LOG_FILE": str(tmp_path / "sales.jsonl")}
        )
        app = make_app(settings, entry_points="sales-log")
        async with hub_client(app) as client:
            ran = await Migration.select(Migration.name).where(Migration.app_name == "sales_log")
            assert [row["name"] for row in ran] == ["2026-12-01T00:00:00:000000"]  # by the CLI, once
            assert await Sale.count() == 0  # the table is there, empty

            await make_org("shop")
            order = PurchaseIn(org="shop", provider="api", provider_ref="o-1", customer_email="a@example.com", items=[], amount=500, currency="EUR")
            first = await record_purchase(app.state.hub, order)
            await record_purchase(app.state.hub, order)  # a replay announces nothing
            await events_settled(app.state.hub)

            rows = await Sale.select(Sale.purchase, Sale.org, Sale.provider, Sale.amount, Sale.currency, Sale.tokens)
            assert rows == [
                {"purchase": first.purchase["id"], "org": "shop", "provider": "api", "amount": 500, "currency": "EUR", "tokens": 0}
            ]
            assert (await client.get("/plugins/sales-log/count")).json() == {"sales": 1}


def test_a_plugin_app_needs_a_name_of_its_own():
    def plugin(name: str, app_name: str):
        class Plugin:
            @hookimpl
            def hub_piccolo_apps(self):
                return [AppConfig(app_name=app_name, migrations_folder_path=str(ROOT), table_classes=[])]

        return name, Plugin()

    manager = new_plugin_manager()
    for name, instance in (plugin("one", "acme"), plugin("two", "acme")):
        manager.register(instance, name=name)
    with pytest.raises(PluginTablesError, match="'two' declares the piccolo app 'acme', which plugin 'one' already uses"):
        piccolo_apps(manager)

    manager = new_plugin_manager()
    manager.register(plugin("sly", "hub")[1], name="sly")
    with pytest.raises(PluginTablesError, match="which the hub already uses"):
        piccolo_apps(manager)


def test_a_plugin_returning_one_app_instead_of_a_list_is_named():
    class Plugin:
        @hookimpl
        def hub_piccolo_apps(self):
            return AppConfig(app_name="acme", migrations_folder_path=str(ROOT), table_classes=[])

    manager = new_plugin_manager()
    manager.register(Plugin(), name="single")
    with pytest.raises(PluginTablesError, match="'single': hub_piccolo_apps must return a list of piccolo AppConfigs, got AppConfig"):
        piccolo_apps(manager)


def test_the_built_in_plugins_keep_no_tables_of_their_own():
    assert piccolo_apps(load_plugins("stripe,paypal,email")) == []
