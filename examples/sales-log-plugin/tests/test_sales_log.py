"""The sales log, tested the way any plugin can be: with the hub's test kit
(``pip install 'continuata-hub[testing]'``), no hub source needed."""

from __future__ import annotations

import json

import hub_sales_log

from hub.plugin_api import PurchaseIn, PurchaseItemIn, record_purchase
from hub.testing.app import hub_client, make_app, make_org, settings_for_tests
from hub.testing.events import events_settled
from hub.testing.mailbox import CapturedMailbox
from hub.testing.products import ready_product


async def test_each_sale_is_logged_once_and_counted(tmp_path):
    log = tmp_path / "sales.jsonl"
    settings = settings_for_tests(tmp_path / "data", extra={"HUB_SALES_LOG_FILE": str(log)})
    mailbox = CapturedMailbox()
    # The plugin under test, passed directly: no installed plugin loads.
    app = make_app(settings, plugins=[("sales-log", hub_sales_log), ("mailbox", mailbox)], entry_points="none")
    async with hub_client(app) as client:
        headers = await make_org("shop")
        await ready_product(client, headers, slug="pack")
        order = PurchaseIn(
            org="shop", provider="api", provider_ref="order-1", customer_email="ada@example.com",
            items=[PurchaseItemIn("pack")], amount=500, currency="usd",
        )
        recorded = await record_purchase(app.state.hub, order)
        await record_purchase(app.state.hub, order)  # a replay is not a second sale
        await events_settled(app.state.hub)

        assert [json.loads(line) for line in log.read_text().splitlines()] == [
            {"purchase": recorded.purchase["id"], "shop": "shop", "provider": "api", "amount": 500, "currency": "usd", "tokens": 1}
        ]
        assert (await client.get("/plugins/sales-log/count")).json() == {"sales": 1}
        [delivery] = await mailbox.wait_for(1)  # rendered by the hub, without the SMTP plugin
        assert delivery["To"] == "ada@example.com"


async def test_the_log_file_defaults_to_sales_jsonl(tmp_path):
    app = make_app(settings_for_tests(tmp_path / "data"), plugins=[("sales-log", hub_sales_log)], entry_points="none")
    assert app.state.hub.settings.extra["HUB_SALES_LOG_FILE"] == "sales.jsonl"
