"""The API's changes in the audit log.

An ASGI middleware, so that every API surface (``/api``, ``/api/v1``,
``/api/v2``) is covered without each controller remembering to: a request
that changes something (POST, PUT, PATCH, DELETE), made with an API key and
answered with success, leaves one audit row naming the key, the method and
the path, and the client's address. One row per action: an uploaded file
is recorded once, by its completion (its start and its parts are steps of
that one change; parts alone would write hundreds of rows).

The key is found through ``scope["state"]``, where the ``principal``
dependency leaves it (:func:`remember_principal`).
"""

from __future__ import annotations

import logging
from typing import TypeGuard

from litestar.types import ASGIApp, HTTPScope, Message, Receive, Scope, Send

from hub.services.accounts import Principal
from hub.services.audit import audit, key_actor

log = logging.getLogger("hub")

CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
STATE_KEY = "hub_principal"


def remember_principal(scope: Scope, principal: Principal) -> None:
    scope.setdefault("state", {})[STATE_KEY] = principal


def _audited(scope: Scope) -> TypeGuard[HTTPScope]:
    path = scope.get("path", "")
    return (
        scope["type"] == "http"
        and scope.get("method") in CHANGING
        and (path == "/api" or path.startswith("/api/"))
        and "/parts/" not in path
        and not (scope.get("method") == "POST" and path.endswith("/uploads"))
    )


def audit_trail_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if not _audited(scope):
            await app(scope, receive, send)
            return
        status = 0

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await app(scope, receive, watch)
        await record_api_change(scope, status)

    return middleware


async def record_api_change(scope: HTTPScope, status: int) -> None:
    """The audit row of an answered API change (the key's, when one was
    used and the answer was a success); also for the minting lane
    (:mod:`hub.bypasses.mint_lane`), which answers before routing."""
    principal = scope.get("state", {}).get(STATE_KEY)
    if principal is None or not 200 <= status < 400:
        return
    client = scope.get("client")
    try:
        await audit(
            org=principal.org, actor=key_actor(principal.key_id), action=f"api.{scope['method'].lower()}",
            target=scope["path"][:400], detail={"status": status}, ip=client[0] if client else "",
        )
    except Exception:  # the change is done and answered; a lost audit row is logged, never raised
        log.exception("Could not write the audit row of %s %s", scope["method"], scope["path"])
