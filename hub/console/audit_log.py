"""Settings → audit log: who changed what, for admins."""

from __future__ import annotations

from litestar import Controller, Response, get

from hub.console.auth import Console
from hub.console.pages import page
from hub.context import Hub
from hub.services.audit import audit_log


class AuditLogController(Controller):
    path = "/settings/audit"

    @get("/")
    async def entries(self, hub: Hub, console: Console) -> Response:
        console.require("admin")
        return page(
            hub, console, "console/audit.html", title="Audit log", section="settings", entries=await audit_log(console.org)
        )
