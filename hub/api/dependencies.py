"""What the API's handlers are given: the hub context and the caller."""

from __future__ import annotations

from litestar import Request
from litestar.di import Provide
from litestar.types import HTTPScope

from hub.api.audit_trail import remember_principal
from hub.context import Hub
from hub.services.accounts import Principal, authenticate


async def provide_principal(request: Request, hub: Hub) -> Principal:
    """The API key's principal; 401 without a valid ``Authorization`` header.

    Reading needs any key; every write needs at least the ``member`` role
    (handlers ask for ``admin`` where they need it).

    It takes ``hub`` (for its database), which also keeps Litestar from
    resolving ``hub`` and ``principal`` side by side in a task group of
    their own on every request: one after the other costs nothing.
    """
    return await api_principal(hub, request.scope, request.headers.get("authorization"))


async def api_principal(hub: Hub, scope: HTTPScope, authorization: str | None) -> Principal:
    """:func:`provide_principal`'s work, for the minting lane too
    (:mod:`hub.bypasses.mint_lane`), which answers before routing."""
    principal = await authenticate(hub.db, authorization)
    remember_principal(scope, principal)  # for the audit trail
    if scope["method"] not in ("GET", "HEAD", "OPTIONS"):
        principal.require("member")
    return principal


def api_dependencies(hub: Hub) -> dict[str, Provide]:
    """The handlers' ``hub`` and ``principal``. ``hub`` is the app's own,
    handed over by a provider without parameters: Litestar then neither
    reads the app's state nor checks arguments for it on every request."""

    def provide_hub() -> Hub:
        return hub

    return {"hub": Provide(provide_hub, sync_to_thread=False), "principal": Provide(provide_principal)}
