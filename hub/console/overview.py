"""The console's home page: the last 30 days at a glance."""

from __future__ import annotations

from litestar import Controller, Response, get

from hub.console.auth import Console
from hub.console.pages import page
from hub.context import Hub
from hub.services import dashboard, shops


class OverviewController(Controller):
    path = "/"

    @get("/")
    async def overview(self, hub: Hub, console: Console) -> Response:
        numbers = await dashboard.overview(console.org)
        shop = await shops.organization(hub.settings, console.org)
        return page(
            hub, console, "console/overview.html", title="Overview", section="overview",
            numbers=numbers, chart=dashboard.chart(numbers["days"]),
            # The nudge: buyers see the hub's host while the shop has no name.
            unnamed_as=shops.host_name(hub.settings) if not shop["name"] else "",
        )
