"""``GET /api/me``: who the API key is.

SDKs call it once to check that the key belongs to the organization the
integrator configured (``org_id``), so a key of the wrong shop fails loudly
at the first call instead of silently minting tokens for another catalogue.
"""

from __future__ import annotations

from litestar import get

from hub.api.openapi import errors
from hub.api.schemas import MeAnswer, answer
from hub.services.accounts import Principal, describe_principal


@get(
    "/api/me",
    summary="The API key's organization and role",
    tags=["Account"],
    operation_id="getMe",
    responses=errors(401, 403),
)
async def me(principal: Principal) -> MeAnswer:
    return answer(MeAnswer, await describe_principal(principal))
