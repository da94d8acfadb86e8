"""Buyers' personal data on request (admin only): export and erasure.

``GET /api/buyers/{email}/export`` answers everything the caller's
organization holds about one buyer; ``POST /api/buyers/{email}/erase``
revokes their links and anonymises their records, keeping amounts and dates
(see :mod:`hub.services.privacy`). Both are scoped to the API key's organization.
"""

from __future__ import annotations

from litestar import Controller, get, post

from hub.services.accounts import Principal
from hub.services.privacy import erase_buyer, export_buyer


class BuyerController(Controller):
    path = "/api/buyers"
    tags = ["Buyers"]

    @get("/{email:str}/export", summary="Everything held about one buyer (admin)")
    async def export(self, principal: Principal, email: str) -> dict:
        principal.require("admin")
        return {"success": True, "data": await export_buyer(principal.org, email)}

    @post("/{email:str}/erase", summary="Erase one buyer: revoke links, anonymise records (admin)", status_code=200)
    async def erase(self, principal: Principal, email: str) -> dict:
        principal.require("admin")
        return {"success": True, "data": {"erased": await erase_buyer(principal.org, email)}}
