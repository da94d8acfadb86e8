"""What the API's handlers are given: the hub context and the caller."""

from __future__ import annotations

from litestar import Request
from litestar.datastructures import State
from litestar.di import Provide

from hub.api.audit_trail import remember_principal
from hub.context import Hub
from hub.services.accounts import Principal, authenticate


def provide_hub(state: State) -> Hub:
    return state.hub


async def provide_principal(request: Request, hub: Hub) -> Principal:
    """The API key's principal; 401 without a valid ``Authorization`` header.

    Reading needs any key; every write needs at least the ``member`` role
    (handlers ask for ``admin`` where they need it).

    It takes ``hub`` (for its database), which also keeps Litestar from
    resolving ``hub`` and ``principal`` side by side in a task group of
    their own on every request: one after the other costs nothing.
    """
    principal = await authenticate(hub.db, request.headers.get("authorization"))
    remember_principal(request.scope, principal)  # for the audit trail
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        principal.require("member")
    return principal


API_DEPENDENCIES = {
    "hub": Provide(provide_hub, sync_to_thread=False),
    "principal": Provide(provide_principal),
}
