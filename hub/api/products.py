"""``/api/products``: products, their versions, and their download tokens."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

import msgspec
from litestar import Controller, delete, get, patch, post
from litestar.params import Parameter

from hub import resources
from hub.api.openapi import KEYED, errors
from hub.api.schemas import (
    DeletedAnswer,
    ProductAnswer,
    ProductPageAnswer,
    TokenAnswer,
    TokenPageAnswer,
    VersionAnswer,
    VersionCreatedAnswer,
    VersionListAnswer,
    answer,
)
from hub.context import Hub
from hub.errors import Invalid
from hub.inputs import check_text, page_bounds
from hub.services import products as product_service
from hub.services import tokens as token_service
from hub.services import update_notices
from hub.services import versions as version_service
from hub.services.accounts import Principal

UNSET = msgspec.UNSET
Unset = msgspec.UnsetType


class ProductCreate(msgspec.Struct, rename="camel"):
    name: str
    slug: str | None = None
    description: str | None = None
    metadata: dict[str, Any] | None = None
    update_rights: Literal["all", "window", "none"] = msgspec.field(default="all")
    """Which new versions past buyers get: ``all`` (default), ``window``
    (those released within ``updateWindowDays`` days of the purchase) or
    ``none`` (buyers keep the version they bought)."""
    update_window_days: int | None = None


class ProductUpdate(msgspec.Struct, rename="camel"):
    """Only the fields present change; ``activeVersion`` takes a version string."""

    name: str | Unset = UNSET
    description: str | None | Unset = UNSET
    metadata: dict[str, Any] | None | Unset = UNSET
    status: Literal["draft", "published", "archived"] | Unset = UNSET
    active_version: str | None | Unset = UNSET
    update_rights: Literal["all", "window", "none"] | Unset = UNSET
    """Applies to versions released from now on; those released already
    keep the rights they were released under."""
    update_window_days: int | None | Unset = UNSET
    notify: bool | Unset = UNSET
    """With ``activeVersion``: email every buyer entitled to the version
    (once each; the worker's job, not this request's)."""
    note: str | None | Unset = UNSET
    """With ``notify``: the shop's note in the update email."""


class ManifestFile(msgspec.Struct):
    path: str
    size: int
    sha256: str


class VersionCreate(msgspec.Struct, rename="camel"):
    version: str
    files: list[ManifestFile]
    changelog: str | None = None


class TokenCreate(msgspec.Struct, rename="camel"):
    customer_email: str | None = None
    expires_at: datetime | None = None
    max_downloads: int | None = None
    metadata: dict[str, Any] | None = None
    version: str | None = None


async def mint_product_token(hub: Hub, principal: Principal, product_id: str, data: TokenCreate) -> TokenAnswer:
    """``POST /api/products/{id}/tokens``: the routed handler's work, and
    the minting lane's (:mod:`hub.bypasses.mint_lane`)."""
    secret, token, product, version = await token_service.mint_token(
        hub,
        principal.org,
        product_id,
        token_service.TokenTerms(
            customer_email=data.customer_email,
            expires_at=data.expires_at,
            ttl=timedelta(days=hub.settings.token_ttl_days),
            max_downloads=data.max_downloads,
            metadata=data.metadata,
        ),
        version=data.version,
    )
    return answer(TokenAnswer, {"token": resources.token(hub, token, product, version["version"], secret)})


async def _shape_product(row: dict[str, Any]) -> resources.Product:
    active = await product_service.active_versions([row["active_version"]])
    return resources.product(row, active.get(row["active_version"]))


class ProductController(Controller):
    path = "/api/products"
    tags = ["Products"]

    @get("/", summary="List products", operation_id="listProducts", responses=errors(*KEYED))
    async def list_products(
        self,
        hub: Hub,
        principal: Principal,
        status: Literal["draft", "published", "archived"] | None = None,
        search: str | None = None,
        limit: int = Parameter(default=50, description="Results per page (max 100)"),
        offset: int = Parameter(default=0, description="Pagination offset"),
    ) -> ProductPageAnswer:
        limit, offset = page_bounds(limit, offset)
        rows, total = await product_service.list_products(
            hub.db,
            principal.org, status=status, search=search, limit=limit, offset=offset
        )
        active = await product_service.active_versions([r["active_version"] for r in rows])
        return answer(
            ProductPageAnswer,
            {
                "products": [resources.product(r, active.get(r["active_version"])) for r in rows],
                "pagination": resources.pagination(total, limit, offset),
            },
        )

    @post("/", summary="Create a product (status draft)", operation_id="createProduct", responses=errors(*KEYED, 409))
    async def create_product(self, principal: Principal, data: ProductCreate) -> ProductAnswer:
        row = await product_service.create_product(
            principal.org, name=data.name, slug=data.slug, description=data.description, metadata=data.metadata,
            update_rights=data.update_rights, update_days=data.update_window_days,
        )
        return answer(ProductAnswer, {"product": await _shape_product(row)})

    @get("/{product_id:str}", summary="Get a product", operation_id="getProduct", responses=errors(*KEYED, 404))
    async def get_product(self, principal: Principal, product_id: str) -> ProductAnswer:
        row = await product_service.find_product(principal.org, product_id)
        return answer(ProductAnswer, {"product": await _shape_product(row)})

    @patch(
        "/{product_id:str}",
        summary="Update a product, publish it, or change its active version",
        operation_id="updateProduct",
        responses=errors(*KEYED, 404, 409),
    )
    async def update_product(self, hub: Hub, principal: Principal, product_id: str, data: ProductUpdate) -> ProductAnswer:
        changes = {
            key: value
            for key, value in msgspec.structs.asdict(data).items()
            if value is not UNSET and key not in ("notify", "note", "update_window_days")
        }
        if data.update_window_days is not UNSET:
            changes["update_days"] = data.update_window_days
        notify = data.notify is True
        if notify and not isinstance(data.active_version, str):
            raise Invalid("notify goes with activeVersion: the version to tell buyers about", field="notify")
        note = check_text(data.note if data.note is not UNSET else None, "note", max_length=5000) or ""
        row = await product_service.update_product(principal.org, product_id, changes)
        if notify and row["active_version"]:
            await update_notices.request_notices(hub, row, row["active_version"], note=note)
        return answer(ProductAnswer, {"product": await _shape_product(row)})

    @delete(
        "/{product_id:str}",
        summary="Delete a product that is not published (admin)",
        status_code=200,
        operation_id="deleteProduct",
        responses=errors(*KEYED, 404, 409, 503),
    )
    async def delete_product(self, hub: Hub, principal: Principal, product_id: str) -> DeletedAnswer:
        principal.require("admin")
        await product_service.delete_product(hub, principal.org, product_id)
        return answer(DeletedAnswer, {"deleted": product_id})

    # --- versions ------------------------------------------------------------

    @get(
        "/{product_id:str}/versions",
        summary="List a product's versions",
        operation_id="listProductVersions",
        responses=errors(*KEYED, 404),
    )
    async def list_versions(self, principal: Principal, product_id: str) -> VersionListAnswer:
        rows = await version_service.list_versions(principal.org, product_id)
        return answer(VersionListAnswer, {"versions": [resources.version(r) for r in rows]})

    @post(
        "/{product_id:str}/versions",
        summary="Create a version from a file manifest (status pending)",
        operation_id="createProductVersion",
        responses=errors(*KEYED, 404, 409),
    )
    async def create_version(self, hub: Hub, principal: Principal, product_id: str, data: VersionCreate) -> VersionCreatedAnswer:
        row = await version_service.create_version(
            hub,
            principal.org,
            product_id,
            version=data.version,
            changelog=data.changelog,
            files=[msgspec.structs.asdict(f) for f in data.files],
        )
        return answer(
            VersionCreatedAnswer, {"version": resources.version(row), "upload": {"partSize": hub.settings.upload_part_size}}
        )

    @get(
        "/{product_id:str}/versions/{version:str}",
        summary="Get a version with its files",
        operation_id="getProductVersion",
        responses=errors(*KEYED, 404),
    )
    async def get_version(self, principal: Principal, product_id: str, version: str) -> VersionAnswer:
        product = await product_service.find_product(principal.org, product_id)
        row = await version_service.version_detail(product, version)
        return answer(VersionAnswer, {"version": resources.version(row)})

    # --- tokens --------------------------------------------------------------

    @post(
        "/{product_id:str}/tokens",
        summary="Mint a download token",
        operation_id="createProductToken",
        responses=errors(*KEYED, 404, 409),
    )
    async def create_token(self, hub: Hub, principal: Principal, product_id: str, data: TokenCreate) -> TokenAnswer:
        return await mint_product_token(hub, principal, product_id, data)

    @get(
        "/{product_id:str}/tokens",
        summary="List a product's tokens (secrets are never shown again)",
        operation_id="listProductTokens",
        responses=errors(*KEYED, 404),
    )
    async def list_tokens(
        self,
        hub: Hub,
        principal: Principal,
        product_id: str,
        limit: int = Parameter(default=50, description="Results per page (max 100)"),
        offset: int = Parameter(default=0, description="Pagination offset"),
    ) -> TokenPageAnswer:
        limit, offset = page_bounds(limit, offset)
        rows, total, product = await token_service.list_tokens(principal.org, product_id, limit=limit, offset=offset)
        return answer(
            TokenPageAnswer,
            {
                "tokens": [resources.token(hub, r, product, r["version_name"]) for r in rows],
                "pagination": resources.pagination(total, limit, offset),
            },
        )

    @delete(
        "/{product_id:str}/tokens/{token_id:str}",
        summary="Revoke a token (admin)",
        status_code=200,
        operation_id="revokeProductToken",
        responses=errors(*KEYED, 404),
    )
    async def revoke_token(self, hub: Hub, principal: Principal, product_id: str, token_id: str) -> TokenAnswer:
        principal.require("admin")
        row = await token_service.revoke_token(hub, principal.org, product_id, token_id)
        product = await product_service.find_product(principal.org, product_id)
        version = await version_service.version_name(row["version"])
        return answer(TokenAnswer, {"token": resources.token(hub, row, product, version)})
