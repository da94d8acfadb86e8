"""The integration endpoints of the custom-integration guide (seed 001)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import msgspec
from litestar import Controller, Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter
from litestar.response import Stream

from hub import resources
from hub.api.openapi import KEYED, errors
from hub.api.schemas import DownloadLink, PurchasePageAnswer, PurchaseRecordedAnswer, answer
from hub.clock import iso_millis
from hub.context import Hub
from hub.email_address import check_email
from hub.errors import Conflict, Invalid, NotFound
from hub.inputs import check_text, page_bounds
from hub.services import purchases as purchase_service
from hub.services import reports as report_service
from hub.services import tokens as token_service
from hub.services.accounts import Principal


class DownloadUrlRequest(msgspec.Struct, rename="camel"):
    product_id: str
    version: str | None = None


class PurchaseItemIn(msgspec.Struct, rename="camel"):
    product_id: str
    version: str | None = None


class PurchaseCreate(msgspec.Struct, rename="camel"):
    """A purchase your own checkout recorded (provider ``api``)."""

    reference: str
    customer_email: str
    items: list[PurchaseItemIn]
    customer_name: str | None = None
    amount: int | None = None
    currency: str | None = None
    metadata: dict[str, Any] | None = None


async def mint_download_link(hub: Hub, principal: Principal, data: DownloadUrlRequest) -> DownloadLink:
    """``POST /api/generate-download-url``: the routed handler's work, and
    the minting lane's (:mod:`hub.bypasses.mint_lane`)."""
    try:
        secret, token, product, version = await token_service.mint_token(
            hub,
            principal.org,
            data.product_id,
            token_service.TokenTerms(ttl=timedelta(hours=hub.settings.integration_token_hours)),
            version=data.version,
        )
    except (NotFound, Conflict) as missing:
        raise NotFound(f"No active manifest for {data.product_id}@{data.version or 'active'}") from missing
    return DownloadLink(
        success=True,
        product_id=product["slug"],
        version=version["version"],
        download_token=secret,
        download_url=hub.download_url(secret),
        expires_at=iso_millis(token["expires_at"]),
    )


class IntegrationController(Controller):
    path = "/api"
    tags = ["Integration"]

    @post(
        "/generate-download-url",
        summary="Mint a 24-hour download link",
        description="Answers flat, not wrapped in `data` (as the custom-integration seed shows): "
        "`success`, `productId`, `version`, `downloadToken`, `downloadUrl`, `expiresAt`.",
        status_code=200,
        operation_id="generateDownloadUrl",
        responses=errors(*KEYED, 404),
    )
    async def generate_download_url(self, hub: Hub, principal: Principal, data: DownloadUrlRequest) -> DownloadLink:
        return await mint_download_link(hub, principal, data)

    @get(
        "/purchases",
        summary="List the organization's purchases",
        operation_id="listPurchases",
        responses=errors(*KEYED),
    )
    async def list_purchases(
        self,
        hub: Hub,
        principal: Principal,
        customer_email: str | None = Parameter(query="customerEmail", default=None),
        limit: int = Parameter(default=50, description="Results per page (max 100)"),
        offset: int = Parameter(default=0, description="Pagination offset"),
    ) -> PurchasePageAnswer:
        limit, offset = page_bounds(limit, offset)
        rows, total = await purchase_service.list_purchases(
            principal.org, customer_email=customer_email, limit=limit, offset=offset, sealer=hub.sealer
        )
        return answer(
            PurchasePageAnswer,
            {
                "purchases": [resources.purchase(r) for r in rows],
                "pagination": resources.pagination(total, limit, offset),
            },
        )

    @post(
        "/purchases",
        summary="Record a purchase: tokens for its items and the delivery email",
        description="201 with the new purchase and its links (shown this once); "
        "200 with the purchase as it is when its `reference` was already recorded.",
        operation_id="createPurchase",
        responses={
            200: ResponseSpec(
                data_container=PurchaseRecordedAnswer,
                generate_examples=False,
                description="Already recorded under this reference: nothing changed",
            ),
            **errors(*KEYED, 404, 409),
        },
    )
    async def create_purchase(
        self, hub: Hub, principal: Principal, data: PurchaseCreate
    ) -> Response[PurchaseRecordedAnswer]:
        reference = check_text(data.reference, "reference", max_length=255, required=True)
        if data.metadata is not None and not isinstance(data.metadata, dict):
            raise Invalid("metadata must be an object", field="metadata")
        result = await purchase_service.record_purchase(
            hub,
            purchase_service.PurchaseIn(
                org=principal.org,
                provider="api",
                provider_ref=reference,
                customer_email=check_email(data.customer_email),
                customer_name=check_text(data.customer_name, "customerName", max_length=300) or "",
                items=[purchase_service.PurchaseItem(i.product_id, i.version) for i in data.items],
                amount=data.amount,
                currency=(check_text(data.currency, "currency", max_length=10) or "").lower(),
                metadata=data.metadata or {},
            ),
        )
        rows, _ = await purchase_service.list_purchases(
            principal.org, customer_email=None, limit=1, offset=0, purchase_id=result.purchase["id"], sealer=hub.sealer
        )
        shaped = resources.purchase(rows[0])
        if result.created:
            # The links, shown this once (only hashes are stored).
            links = {token["id"]: secret for secret, token in result.tokens}
            for token in shaped.tokens:
                secret = links.get(token.id)
                token.token, token.download_url = secret, hub.download_url(secret) if secret else None
        return Response(
            answer(PurchaseRecordedAnswer, {"purchase": shaped, "created": result.created}),
            status_code=201 if result.created else 200,
        )

    @get(
        "/reports/downloads",
        summary="Download sessions report as CSV (admin)",
        media_type="text/csv",
        operation_id="getDownloadsReport",
        responses={
            200: ResponseSpec(
                data_container=str, generate_examples=False, media_type="text/csv", description="The report, one session a line"
            ),
            **errors(*KEYED),
        },
    )
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
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
