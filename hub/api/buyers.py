"""Buyers' personal data on request (admin only): export and erasure.

``GET /api/buyers/{email}/export`` answers everything the caller's
organization holds about one buyer; ``POST /api/buyers/{email}/erase``
revokes their links and anonymises their records, keeping amounts and dates
(see :mod:`hub.services.privacy`). Both are scoped to the API key's organization.
"""

from __future__ import annotations

import msgspec
from litestar import Controller, get, post

from hub.api.openapi import KEYED, errors
from hub.api.schemas import BuyerExportAnswer, ErasedAnswer, answer
from hub.context import Hub
from hub.services.accounts import Principal
from hub.services.privacy import erase_buyer, export_buyer


class EraseRequest(msgspec.Struct):
    """The erase route's body: nothing is needed (``{}`` or no body). It is
    declared so that a body, if sent, is read like every other JSON body
    (hub.inputs.decode_json: absurd nesting answers 400)."""


class BuyerController(Controller):
    path = "/api/buyers"
    tags = ["Buyers"]

    @get(
        "/{email:str}/export",
        summary="Everything held about one buyer (admin)",
        operation_id="exportBuyer",
        responses=errors(*KEYED),
    )
    async def export(self, principal: Principal, email: str) -> BuyerExportAnswer:
        principal.require("admin")
        return answer(BuyerExportAnswer, await export_buyer(principal.org, email))

    @post(
        "/{email:str}/erase",
        summary="Erase one buyer: revoke links, anonymise records (admin)",
        status_code=200,
        operation_id="eraseBuyer",
        responses=errors(*KEYED),
    )
    async def erase(self, hub: Hub, principal: Principal, email: str, data: EraseRequest | None = None) -> ErasedAnswer:
        principal.require("admin")
        return answer(ErasedAnswer, {"erased": await erase_buyer(hub.db, principal.org, email)})
