"""An example Continuata Hub plugin: a log of sales, one JSON line each.

It shows the three things most plugins do: declare a setting, react to an
event, and add a route. Install it next to the hub (``pip install -e
examples/sales-log-plugin``) and it loads on the next start.
"""

from __future__ import annotations

import json
from pathlib import Path

from litestar import get

from hub.hookspecs import hookimpl
from hub.plugins import Setting

LOG_SETTING = "HUB_SALES_LOG_FILE"


@hookimpl
def hub_settings():
    return [Setting(LOG_SETTING, "the JSON-lines file each sale is appended to", default="sales.jsonl")]


def _log_path(hub) -> Path:
    return Path(hub.settings.extra.get(LOG_SETTING, "sales.jsonl"))


@hookimpl
def purchase_recorded(hub, purchase, tokens):
    # Called by the worker after the purchase is committed (never for a
    # replay); ``purchase`` is shaped as GET /api/purchases shows it.
    line = {
        "purchase": purchase["id"],
        "shop": purchase["orgId"],
        "provider": purchase["provider"],
        "amount": purchase["amount"],
        "currency": purchase["currency"],
        "tokens": len(tokens),
    }
    with _log_path(hub).open("a") as log:
        log.write(json.dumps(line) + "\n")


@hookimpl
def hub_routes(hub):
    @get("/plugins/sales-log/count", include_in_schema=False)
    async def count() -> dict:
        path = _log_path(hub)
        return {"sales": len(path.read_text().splitlines()) if path.exists() else 0}

    return [count]
