"""``/api/v1/labels``, ``/languages``, ``/product-types`` and ``/companies``:
what a product links to. Labels, languages and product types are listed,
read and created; a company is the API key's own organization."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Controller, Request, Response, get, post

from hub.api.v1 import schemas, shapes
from hub.api.v1.documents import (
    document,
    paginate,
    read_document,
    read_query,
    read_resource,
)
from hub.api.v1.schemas import documented
from hub.api.v1.shapes import Urls
from hub.context import Hub
from hub.errors import NotFound
from hub.services.accounts import Principal
from hub.services.catalog import labels as label_service
from hub.services.catalog.releases import find_organization

Shape = Callable[[Urls, dict], dict[str, Any]]


async def _list(
    hub: Hub, request: Request, resource_type: str, rows_page: Callable[..., Awaitable[tuple[list[dict], int]]], shape: Shape, org: str
) -> Response:
    query = read_query(request, paginated=True)
    rows, total = await rows_page(org, limit=query.page.size, offset=query.page.offset)
    urls = Urls(hub.settings.public_url)
    meta, links = paginate(urls.collection(resource_type), query, total, len(rows))
    return document([shape(urls, row) for row in rows], meta=meta, links=links, query=query)


async def _get(hub: Hub, request: Request, row: dict, shape: Shape) -> Response:
    query = read_query(request)
    resource = shape(Urls(hub.settings.public_url), row)
    return document(resource, links={"self": resource["links"]["self"]}, query=query)


async def _create(
    hub: Hub,
    request: Request,
    resource_type: str,
    noun: str,
    fields: tuple[str, ...],
    create: Callable[..., Awaitable[dict]],
    shape: Shape,
    org: str,
) -> Response:
    read_query(request)
    resource = read_resource(await read_document(request), resource_type, noun=noun, attributes=fields)
    row = await create(org, resource.attributes, checks=resource.checks)
    created = shape(Urls(hub.settings.public_url), row)
    self_link = created["links"]["self"]
    return document(created, links={"self": self_link}, status_code=201, headers={"Location": self_link})


class LabelController(Controller):
    path = "/labels"
    tags = ["v1 (JSON:API)"]

    @get("/", summary="List labels", **documented("v1ListLabels"))
    async def list_labels(self, hub: Hub, principal: Principal, request: Request) -> Response[schemas.V1LabelList]:
        return await _list(hub, request, "labels", label_service.list_labels, shapes.label, principal.org)

    @post("/", summary="Create a label", **documented("v1CreateLabel", writes=True))
    async def create_label(self, hub: Hub, principal: Principal, request: Request) -> Response[schemas.V1LabelDocument]:
        return await _create(hub, request, "labels", "a label", label_service.LABEL_FIELDS, label_service.create_label, shapes.label, principal.org)

    @get("/{label_id:str}", summary="Get a label", **documented("v1GetLabel"))
    async def get_label(
        self, hub: Hub, principal: Principal, request: Request, label_id: str
    ) -> Response[schemas.V1LabelDocument]:
        return await _get(hub, request, await label_service.find_label(principal.org, label_id), shapes.label)


class LanguageController(Controller):
    path = "/languages"
    tags = ["v1 (JSON:API)"]

    @get("/", summary="List languages", **documented("v1ListLanguages"))
    async def list_languages(self, hub: Hub, principal: Principal, request: Request) -> Response[schemas.V1LanguageList]:
        return await _list(hub, request, "languages", label_service.list_languages, shapes.language, principal.org)

    @post("/", summary="Create a language", **documented("v1CreateLanguage", writes=True))
    async def create_language(
        self, hub: Hub, principal: Principal, request: Request
    ) -> Response[schemas.V1LanguageDocument]:
        return await _create(
            hub, request, "languages", "a language", label_service.LANGUAGE_FIELDS, label_service.create_language, shapes.language, principal.org
        )

    @get("/{language_id:str}", summary="Get a language", **documented("v1GetLanguage"))
    async def get_language(
        self, hub: Hub, principal: Principal, request: Request, language_id: str
    ) -> Response[schemas.V1LanguageDocument]:
        return await _get(hub, request, await label_service.find_language(principal.org, language_id), shapes.language)


class ProductTypeController(Controller):
    path = "/product-types"
    tags = ["v1 (JSON:API)"]

    @get("/", summary="List product types", **documented("v1ListProductTypes"))
    async def list_product_types(
        self, hub: Hub, principal: Principal, request: Request
    ) -> Response[schemas.V1ProductTypeList]:
        return await _list(hub, request, "product-types", label_service.list_product_types, shapes.product_type, principal.org)

    @post("/", summary="Create a product type", **documented("v1CreateProductType", writes=True))
    async def create_product_type(
        self, hub: Hub, principal: Principal, request: Request
    ) -> Response[schemas.V1ProductTypeDocument]:
        return await _create(
            hub, request, "product-types", "a product type", label_service.PRODUCT_TYPE_FIELDS, label_service.create_product_type, shapes.product_type,
            principal.org,
        )

    @get("/{product_type_id:str}", summary="Get a product type", **documented("v1GetProductType"))
    async def get_product_type(
        self, hub: Hub, principal: Principal, request: Request, product_type_id: str
    ) -> Response[schemas.V1ProductTypeDocument]:
        row = await label_service.find_product_type(principal.org, product_type_id)
        return await _get(hub, request, row, shapes.product_type)


@get(
    "/companies/{company_id:str}", summary="Get the API key's company", tags=["v1 (JSON:API)"],
    **documented("v1GetCompany"),
)
async def get_company(
    hub: Hub, principal: Principal, request: Request, company_id: str
) -> Response[schemas.V1CompanyDocument]:
    """Only the caller's own organization exists here: another is not found."""
    if company_id != principal.org:
        raise NotFound(f"Company {company_id} not found")
    return await _get(hub, request, await find_organization(principal.org), shapes.company)
