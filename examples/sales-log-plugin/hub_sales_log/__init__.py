"""An example Continuata Hub plugin: a log of sales, kept in its own table.

It shows what most plugins do: declare a setting (a JSON-lines copy of the
log, for a spreadsheet), react to an event, add a route, and keep its data
in a table of its own, with its own piccolo migration, which ``continuata-hub migrate`` (and every start of the hub)
applies after the hub's (:mod:`hub_sales_log.piccolo_app`). Install it next
to the hub (``pip install -e examples/sales-log-plugin``) and it loads on
the next start.
"""

from __future__ import annotations

import json
from pathlib import Path

from litestar import get

from hub.plugin_api import Setting, hookimpl, utcnow
from hub_sales_log.piccolo_app import APP_CONFIG
from hub_sales_log.tables import Sale

LOG_SETTING = "HUB_SALES_LOG_FILE"


@hookimpl
def hub_settings():
    return [Setting(LOG_SETTING, "the JSON-lines file each sale is appended to", default="sales.jsonl")]


@hookimpl
def hub_piccolo_apps():
    return [APP_CONFIG]


@hookimpl
async def purchase_recorded(hub, purchase, tokens):
    # Called by the worker after the purchase is committed (never for a
    # replay); ``purchase`` is shaped as GET /api/purchases shows it. The
    # worker may call it again after a failure: the purchase's id is unique
    # in the table, so a second call adds nothing.
    added = await Sale.insert(
        Sale(
            purchase=purchase["id"],
            org=purchase["orgId"],
            provider=purchase["provider"],
            amount=purchase["amount"],
            currency=purchase["currency"] or "",
            tokens=len(tokens),
            recorded_at=utcnow(),
        )
    ).on_conflict(action="DO NOTHING").returning(Sale.id)
    if added:  # the copy for a spreadsheet; the table is the log
        path = hub.settings.extra.get(LOG_SETTING) or "sales.jsonl"
        line = {
            "purchase": purchase["id"],
            "shop": purchase["orgId"],
            "provider": purchase["provider"],
            "amount": purchase["amount"],
            "currency": purchase["currency"],
            "tokens": len(tokens),
        }
        with Path(path).open("a") as log:
            log.write(json.dumps(line) + "\n")


@hookimpl
def hub_routes(hub):
    @get("/plugins/sales-log/count", include_in_schema=False)
    async def count() -> dict:
        return {"sales": await Sale.count()}

    return [count]
