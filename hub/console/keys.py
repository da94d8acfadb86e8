"""Settings → API keys: create (the secret shown once), label, role, revoke."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect

from hub.console.auth import Console
from hub.console.pages import FailedForm, confirm_page, needs_confirmation, page
from hub.context import Hub
from hub.errors import Invalid, NotFound
from hub.services.accounts import ROLES, create_api_key, list_api_keys, revoke_api_key


def _keys_page(hub: Hub, console: Console, keys: list[dict], **context) -> Response:
    return page(
        hub, console, "console/keys.html", title="API keys", section="settings", keys=keys, roles=ROLES, **context
    )


class ApiKeysController(Controller):
    path = "/settings/keys"

    @get("/")
    async def keys(self, hub: Hub, console: Console) -> Response:
        console.require("admin")
        return _keys_page(hub, console, await list_api_keys(console.org))

    @post("/", status_code=200)
    async def create(self, hub: Hub, console: Console, request: Request) -> Response:
        console.require("admin")
        form = await console.form(request)
        label = (form.get("label") or "").strip()[:200]
        try:
            secret, key = await create_api_key(console.org, form.get("role") or "", label=label)
        except Invalid as problem:
            return _keys_page(hub, console, await list_api_keys(console.org), failed=FailedForm.of("new", form, problem))
        await console.audit("api_key.create", key["id"], role=key["role"], label=label)
        return _keys_page(hub, console, await list_api_keys(console.org), new_key=key, secret=secret)

    @post("/{key_id:str}/revoke", status_code=303)
    async def revoke(self, hub: Hub, console: Console, request: Request, key_id: str) -> Response:
        console.require("admin")
        form = await console.form(request)
        key = next((k for k in await list_api_keys(console.org) if k["id"] == key_id), None)
        if key is None:
            raise NotFound(f"API key {key_id} not found")
        if needs_confirmation(form):
            name = f"“{key['label']}” ({key_id})" if key["label"] else key_id
            return confirm_page(
                hub, console, form, action=f"/console/settings/keys/{key_id}/revoke", title=f"Revoke the API key {name}",
                consequences=["Everything that uses this key (a storefront, a script, an integration) stops working at once.",
                              "It cannot be undone: a new key would have to be created and set up again."],
                button="Revoke the key", back="/console/settings/keys", section="settings",
            )
        await revoke_api_key(console.org, key_id)
        await console.audit("api_key.revoke", key_id)
        return Redirect("/console/settings/keys", status_code=303)
