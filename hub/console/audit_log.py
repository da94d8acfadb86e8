"""Settings → audit log: who changed what, for admins; paged, and narrowed
by person or key, action and days. Keys are named by their labels."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get

from hub.console.auth import Console
from hub.console.pages import page
from hub.context import Hub
from hub.services.accounts import list_api_keys
from hub.services.audit import CLI_ACTOR, PAGE_SIZE, AuditFilter, audit_actions, audit_log, key_actor, user_actor
from hub.services.people import members
from hub.services.reports import parse_day


async def actor_names(org: str) -> dict[str, str]:
    """Each actor the log can name, as people read it: a person by email,
    a key by its label (or its id, when it has none), the command line."""
    names = {user_actor(m["email"]): m["email"] for m in await members(org)}
    for key in await list_api_keys(org):
        names[key_actor(key["id"])] = f"API key “{key['label']}”" if key["label"] else f"API key {key['id']}"
    names[CLI_ACTOR] = "Command line"
    return names


def actor_name(names: dict[str, str], actor: str) -> str:
    """``actor`` as people read it (a former member or key: its raw name)."""
    if actor in names:
        return names[actor]
    return actor.removeprefix("user:")


class AuditLogController(Controller):
    path = "/settings/audit"

    @get("/")
    async def entries(
        self, hub: Hub, console: Console, who: str = "", action: str = "", since: str = "", until: str = "", offset: int = 0
    ) -> Response:
        console.require("admin")
        where = AuditFilter(actor=who.strip(), action=action.strip(), since=parse_day(since, "since"), until=parse_day(until, "until"))
        rows, total = await audit_log(console.org, where=where, offset=max(0, offset))
        names = await actor_names(console.org)
        entries: list[dict[str, Any]] = [{**row, "who": actor_name(names, row["actor"])} for row in rows]
        return page(
            hub, console, "console/audit.html", title="Audit log", section="settings", entries=entries, total=total,
            offset=max(0, offset), page_size=PAGE_SIZE, actors=names, actions=await audit_actions(console.org),
            query={"who": who, "action": action, "since": since, "until": until},
        )
