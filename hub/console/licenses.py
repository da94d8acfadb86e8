"""Licenses: find keys (by key, buyer, product), see their machines,
disable or enable a key, free every seat of one; the public key that
verifies the shop's offline license files."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect

from hub.console.auth import Console
from hub.console.pages import page
from hub.context import Hub
from hub.services import licenses


class LicensesController(Controller):
    path = "/licenses"

    @get("/")
    async def licenses(self, hub: Hub, console: Console, q: str = "", status: str = "", offset: int = 0) -> Response:
        return await _licenses_page(hub, console, q, status, offset)

    @post("/", status_code=200)
    async def search(self, hub: Hub, console: Console, request: Request) -> Response:
        """The search form posts: a whole key typed into it must not end up
        in a URL (browser history, the access log)."""
        form = await console.form(request)
        return await _licenses_page(hub, console, form.get("q", ""), form.get("status", ""), 0)

    @post("/{license_id:str}/disable", status_code=303)
    async def disable(self, hub: Hub, console: Console, request: Request, license_id: str) -> Response:
        console.require("member")
        form = await console.form(request)
        await licenses.set_disabled(hub, console.org, license_id, True)
        await console.audit("license.disable", license_id)
        return Redirect(_back(form), status_code=303)

    @post("/{license_id:str}/enable", status_code=303)
    async def enable(self, hub: Hub, console: Console, request: Request, license_id: str) -> Response:
        console.require("member")
        form = await console.form(request)
        await licenses.set_disabled(hub, console.org, license_id, False)
        await console.audit("license.enable", license_id)
        return Redirect(_back(form), status_code=303)

    @post("/{license_id:str}/reset", status_code=303)
    async def reset(self, hub: Hub, console: Console, request: Request, license_id: str) -> Response:
        console.require("member")
        form = await console.form(request)
        freed = await licenses.reset_activations(hub, console.org, license_id)
        await console.audit("license.reset", license_id, machines=freed)
        return Redirect(_back(form), status_code=303)


async def _licenses_page(hub: Hub, console: Console, q: str, status: str, offset: int) -> Response:
    rows, total = await licenses.list_licenses(hub, console.org, query=q, status=status, offset=offset)
    _, public_key = await licenses.signing_key(hub, console.org)
    # A search for a whole key is not written back into the page (its
    # search box, its pager's and forms' links).
    shown = "" if licenses.well_formed(licenses.normalize_key(q)) else q
    return page(
        hub, console, "console/licenses.html", title="Licenses", section="licenses", licenses=rows, total=total,
        offset=offset, page_size=licenses.CONSOLE_PAGE_SIZE, query={"q": shown, "status": status},
        public_key=public_key, public_key_url=f"{hub.settings.public_url}/api/licenses/public-key?org={console.org}",
    )


def _back(form: dict[str, str]) -> str:
    """The list the form was posted from (its search kept), never elsewhere."""
    query = form.get("back", "")
    return "/console/licenses" + (query if query.startswith("?") and "//" not in query else "")
