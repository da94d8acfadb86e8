"""Settings → Shop (admins): the shop identity buyers see (display name,
logo, support email, sender name, accent colour); see :mod:`hub.services.shops`."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.response import Redirect

from hub.console.auth import Console
from hub.console.pages import page
from hub.context import Hub
from hub.errors import HubError
from hub.services import shops

FIELDS = ("name", "support_email", "sender_name", "accent_color")


def _shop_page(hub: Hub, console: Console, organization: dict, status: int = 200, **context) -> Response:
    return page(
        hub, console, "console/shop.html", title="Shop", section="settings", status=status,
        organization=organization, host=shops.host_name(hub.settings), max_kb=shops.LOGO_MAX_BYTES // 1024, **context,
    )


class ShopSettingsController(Controller):
    path = "/settings/shop"

    @get("/")
    async def shop(self, hub: Hub, console: Console, saved: str = "") -> Response:
        console.require("admin")
        return _shop_page(hub, console, await shops.organization(hub.settings, console.org), saved=bool(saved))

    @post("/", status_code=303)
    async def save(self, hub: Hub, console: Console, request: Request) -> Response:
        console.require("admin")
        form = await request.form()  # multipart: the logo is a file; the CSRF token was checked already
        changes: dict[str, object] = {
            field: value[:400] for field in FIELDS if isinstance(value := form.get(field), str)
        }
        upload = form.get("logo")
        if form.get("remove_logo") == "yes":
            changes["logo"] = b""
        elif isinstance(upload, UploadFile) and upload.filename:
            # One byte over the cap is enough to refuse it.
            changes["logo"] = await upload.read(shops.LOGO_MAX_BYTES + 1)
        try:
            await shops.update_organization(hub.settings, console.org, **changes)
        except HubError as problem:
            current = await shops.organization(hub.settings, console.org)
            entered = {"name": "name", "support_email": "supportEmail", "sender_name": "senderName", "accent_color": "accentColor"}
            shown = {**current, **{entered[f]: v for f, v in changes.items() if f in entered}}
            return _shop_page(hub, console, shown, status=problem.status_code, error=problem.message)
        await console.audit("organization.update", console.org, changed=sorted(changes))
        return Redirect("/console/settings/shop?saved=1", status_code=303)
