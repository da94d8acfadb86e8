"""The integration endpoints of the custom-integration guide (seed 001)."""

from __future__ import annotations

from datetime import timedelta

import msgspec
from litestar import Controller, get, post
from litestar.params import Parameter
from litestar.response import Stream

from hub.api import shapes
from hub.inputs import page_bounds
from hub.clock import iso_millis
from hub.context import Hub
from hub.errors import Conflict, NotFound
from hub.services import purchases as purchase_service
from hub.services import reports as report_service
from hub.services import tokens as token_service
from hub.services.accounts import Principal


class DownloadUrlRequest(msgspec.Struct, rename="camel"):
    product_id: str
    version: str | None = None


class IntegrationController(Controller):
    path = "/api"
    tags = ["Integration"]

    @post("/generate-download-url", summary="Mint a 24-hour download link", status_code=200)
    async def generate_download_url(self, hub: Hub, principal: Principal, data: DownloadUrlRequest) -> dict:
        try:
            secret, token, product, version = await token_service.mint_token(
                principal.org,
                data.product_id,
                version=data.version,
                ttl=timedelta(hours=hub.settings.integration_token_hours),
            )
        except (NotFound, Conflict) as missing:
            raise NotFound(f"No active manifest for {data.product_id}@{data.version or 'active'}") from missing
        return {
            "success": True,
            "productId": product["slug"],
            "version": version["version"],
            "downloadToken": secret,
            "downloadUrl": hub.download_url(secret),
            "expiresAt": iso_millis(token["expires_at"]),
        }

    @get("/purchases", summary="List the organization's purchases")
    async def list_purchases(
        self,
        principal: Principal,
        customer_email: str | None = Parameter(query="customerEmail", default=None),
        limit: int = Parameter(default=50, description="Results per page (max 100)"),
        offset: int = Parameter(default=0, description="Pagination offset"),
    ) -> dict:
        limit, offset = page_bounds(limit, offset)
        rows, total = await purchase_service.list_purchases(
            principal.org, customer_email=customer_email, limit=limit, offset=offset
        )
        return {
            "success": True,
            "data": {
                "purchases": [shapes.purchase(r) for r in rows],
                "pagination": shapes.pagination(total, limit, offset),
            },
        }

    @get("/reports/downloads", summary="Download sessions report as CSV (admin)", media_type="text/csv")
    async def downloads_report(
        self,
        principal: Principal,
        from_: str | None = Parameter(query="from", default=None),
        to: str | None = Parameter(query="to", default=None),
    ) -> Stream:
        principal.require("admin")
        start = report_service.parse_day(from_, "from")
        end = report_service.parse_day(to, "to")
        lines = await report_service.download_sessions_csv(principal.org, start, end)
        filename = f"download-sessions-{start or 'all'}-{end or 'all'}.csv"
        return Stream(
            lines,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
