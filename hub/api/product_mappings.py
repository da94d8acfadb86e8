"""``/api/product-mappings``: which hub product a storefront's product,
variant or SKU is (admin keys; see :mod:`hub.services.product_mappings`)."""

from __future__ import annotations

import msgspec
from litestar import Controller, delete, get, post
from litestar.params import Parameter

from hub.api.openapi import KEYED, errors
from hub.api.schemas import Answer, DeletedAnswer, Wire, answer
from hub.services import product_mappings as mapping_service
from hub.services.accounts import Principal


class ProductMapping(Wire):
    """A storefront's ``kind`` (``product``, ``variant`` or ``sku``)
    ``externalId`` at ``provider`` (``shopify``, ``paddle``,
    ``lemonsqueezy``...) delivers the hub product ``product`` (its slug)."""

    id: str
    provider: str
    kind: str
    external_id: str = msgspec.field(name="externalId")
    product: str


class ProductMappingCreate(msgspec.Struct, rename="camel"):
    provider: str
    kind: str
    external_id: str
    product: str


class ProductMappingList(Wire):
    mappings: list[ProductMapping]


class ProductMappingData(Wire):
    mapping: ProductMapping


class ProductMappingListAnswer(Answer):
    data: ProductMappingList


class ProductMappingAnswer(Answer):
    data: ProductMappingData


def _shown(mapping: mapping_service.Mapping) -> dict[str, str]:
    return {"id": mapping.id, "provider": mapping.provider, "kind": mapping.kind,
            "externalId": mapping.external_id, "product": mapping.product}


class ProductMappingController(Controller):
    path = "/api/product-mappings"
    tags = ["Payments"]

    @get("/", summary="List the storefront product mappings (admin)", operation_id="listProductMappings",
         responses=errors(*KEYED))
    async def list_mappings(
        self, principal: Principal,
        provider: str | None = Parameter(default=None, description="Only this provider's mappings (shopify...)"),
    ) -> ProductMappingListAnswer:
        principal.require("admin")
        mappings = await mapping_service.list_mappings(principal.org, provider)
        return answer(ProductMappingListAnswer, {"mappings": [_shown(m) for m in mappings]})

    @post("/", summary="Map a storefront's product, variant or SKU to a hub product (admin)",
          operation_id="createProductMapping", responses=errors(*KEYED, 404, 409))
    async def create_mapping(self, principal: Principal, data: ProductMappingCreate) -> ProductMappingAnswer:
        principal.require("admin")
        mapping = await mapping_service.add_mapping(
            principal.org, provider=data.provider, kind=data.kind, external_id=data.external_id, product=data.product
        )
        return answer(ProductMappingAnswer, {"mapping": _shown(mapping)})

    @delete("/{mapping_id:str}", summary="Delete a product mapping (admin)", status_code=200,
            operation_id="deleteProductMapping", responses=errors(*KEYED, 404))
    async def delete_mapping(self, principal: Principal, mapping_id: str) -> DeletedAnswer:
        principal.require("admin")
        await mapping_service.delete_mapping(principal.org, mapping_id)
        return answer(DeletedAnswer, {"deleted": mapping_id})
