"""``/api/v1/products``: releases, their relationships, and compound documents.

The same products as ``/api/products``: a product's v1 id is its slug, v1's
``active`` is the main API's ``published``, and release metadata lives on
the product row (see :mod:`hub.services.catalog.releases`).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from litestar import Controller, Request, Response, delete, get, patch, post

from hub.api.v1 import schemas, shapes
from hub.api.v1.documents import (
    MAX_BODY_BYTES,
    Query,
    ResourceInput,
    document,
    paginate,
    read_document,
    read_query,
    read_resource,
)
from hub.api.v1.schemas import documented
from hub.api.v1.shapes import PRODUCT_LINK_TYPES, PRODUCT_RELATIONSHIPS, TO_MANY, Urls
from hub.context import Hub
from hub.errors import BadRequest, Invalid, NotFound
from hub.services.accounts import Principal
from hub.services.catalog import releases as release_service
from hub.services.catalog.checks import check_date
from hub.services.catalog.offers import OFFERS
from hub.services.catalog.parts import list_parts
from hub.services.catalog.releases import RELEASE_ATTRIBUTES, ReleaseFilters
from hub.services.catalog.rights import RIGHTS
from hub.services.catalog.tracks import TRACKS
from hub.services.products import check_status, find_product

FILTERS = ("name", "status", "id", "label-id", "upc-code", "created-at-gte", "created-at-lte", "has-send-tasks")
INCLUDES = tuple(PRODUCT_RELATIONSHIPS)
#: ``sort`` names and the catalog's sort keys.
SORTS = {"name": "name", "createdAt": "created_at", "updatedAt": "updated_at", "upc-code": "upc_code",
         "status": "status"}
TO_ONE_SHAPES = {"label": shapes.label, "language": shapes.language, "product-type": shapes.product_type}
PART_KINDS = {"tracks": (TRACKS, shapes.track), "offers": (OFFERS, shapes.offer), "rights": (RIGHTS, shapes.right)}
#: What a product document shows but does not write: ignored when sent back.
READ_ONLY = ("cover-url", "front-cover-md5", "createdAt", "updatedAt")
#: Relationships of a product that are not set through the product.
FIXED_LINKS = {
    "company": "the company is the API key's organization",
    "tracks": "create tracks with POST /api/v1/tracks",
    "offers": "create offers with POST /api/v1/offers",
    "rights": "create rights with POST /api/v1/rights",
}


def _day(key: str, value: str):
    try:
        return date.fromisoformat(check_date(value, key))
    except Invalid as exc:
        raise BadRequest(exc.message, field=key) from None


def _status_in(value: object, *, creating: bool) -> object:
    """v1's ``status`` in the product's terms (``active`` is ``published``).
    On create the catalog refuses anything but a draft in its own words; on
    update a status v1 does not have is refused here, in v1's."""
    if not creating and value is not None:
        check_status(value, tuple(shapes.RELEASE_STATUSES), field="status")
    return shapes.RELEASE_STATUSES.get(value, value) if isinstance(value, str) else value


def _release_fields(resource: ResourceInput, *, creating: bool) -> dict:
    """The resource's attributes as the catalog's release fields."""
    fields = dict(resource.attributes)
    if "status" in fields:
        status = resource.checks.run(_status_in, fields["status"], creating=creating)
        if resource.checks.failed("status"):
            del fields["status"]
        else:
            fields["status"] = status
    return fields


def _read_product(document: dict, *, product_id: str | None = None) -> ResourceInput:
    return read_resource(
        document, "products", noun="a product", attributes=RELEASE_ATTRIBUTES, read_only=READ_ONLY,
        link_types=PRODUCT_LINK_TYPES, fixed_links=FIXED_LINKS, resource_id=product_id,
    )


def release_filters(query: Query) -> ReleaseFilters:
    """``filter[...]`` parameters as the catalog's filters; a value that
    cannot mean anything is a 400 naming the parameter."""
    given = query.filters
    filters = ReleaseFilters()
    if given.get("name"):
        filters.name = given["name"]
    if "status" in given:
        if given["status"] not in shapes.RELEASE_STATUSES:
            raise BadRequest("filter[status] must be one of draft, active, archived", field="filter[status]")
        filters.status = shapes.RELEASE_STATUSES[given["status"]]
    if "id" in given:
        filters.ids = [i for i in given["id"].split(",") if i]
    if "label-id" in given:
        filters.label = given["label-id"]
    if "upc-code" in given:
        filters.upc_code = given["upc-code"]
    if "created-at-gte" in given:
        filters.created_from = _day("filter[created-at-gte]", given["created-at-gte"])
    if "created-at-lte" in given:
        filters.created_to = _day("filter[created-at-lte]", given["created-at-lte"])
    return filters


def has_send_tasks(query: Query) -> bool:
    """``filter[has-send-tasks]``: the seed's platform sends releases to
    stores; the hub has no send tasks, so ``true`` matches nothing."""
    value = query.filters.get("has-send-tasks")
    flags = {"true": True, "1": True, "false": False, "0": False}
    if value is not None and value not in flags:
        raise BadRequest("filter[has-send-tasks] must be true or false", field="filter[has-send-tasks]")
    return bool(value is not None and flags[value])


async def related(
    urls: Urls, org: str, rows: list[dict], names: list[str]
) -> tuple[dict[str, dict[str, Any]], dict[tuple[str, str], dict]]:
    """What the products of ``rows`` link to through ``names``: per product
    id, each relationship's linkage; and every linked resource, once."""
    linkage: dict[str, dict[str, Any]] = {row["slug"]: {} for row in rows}
    resources: dict[tuple[str, str], dict] = {}

    def keep(resource: dict) -> dict[str, str]:
        resources.setdefault((resource["type"], resource["id"]), resource)
        return shapes.identifier(resource)

    for name in names:
        if name == "company":
            organization = await release_service.find_organization(org)
            for row in rows:
                linkage[row["slug"]][name] = keep(shapes.company(urls, organization))
        elif name in TO_ONE_SHAPES:
            column = release_service.LINKS[name][1]
            found = await release_service.linked(org, name, rows)
            for row in rows:
                target = found.get(row[column] or "")
                linkage[row["slug"]][name] = keep(TO_ONE_SHAPES[name](urls, target)) if target else None
        else:
            kind, shape = PART_KINDS[name]
            by_product: dict[str, list[dict]] = defaultdict(list)
            for part in await list_parts(kind, org, [row["id"] for row in rows]):
                by_product[part["product"]].append(keep(shape(urls, part)))
            for row in rows:
                linkage[row["slug"]][name] = by_product[row["id"]]
    return linkage, resources


async def _product_document(urls: Urls, org: str, row: dict, query: Query, status_code: int = 200) -> Response:
    linkage, resources = await related(urls, org, [row], query.include)
    self_link = urls.resource("products", row["slug"])
    return document(
        shapes.product(urls, row, linkage[row["slug"]]),
        included=list(resources.values()) if query.include else None,
        links={"self": self_link},
        query=query,
        status_code=status_code,
        headers={"Location": self_link} if status_code == 201 else None,
    )


def _relationship_name(name: str) -> str:
    if name not in PRODUCT_RELATIONSHIPS:
        raise NotFound(f"Products have no relationship {name}; they have {', '.join(PRODUCT_RELATIONSHIPS)}")
    return name


class ProductController(Controller):
    path = "/products"
    tags = ["v1 (JSON:API)"]

    @get("/", summary="List products (filters, pagination, include)", **documented("v1ListProducts"))
    async def list_products(self, hub: Hub, principal: Principal, request: Request) -> Response[schemas.V1ProductList]:
        query = read_query(request, filters=FILTERS, paginated=True, includes=INCLUDES, sorts=SORTS)
        filters = release_filters(query)
        order = [(SORTS[name], ascending) for name, ascending in query.sort]
        rows: list[dict]
        if has_send_tasks(query):
            rows, total = [], 0
        else:
            rows, total = await release_service.list_releases(
                hub.db, principal.org, filters, order=order, limit=query.page.size, offset=query.page.offset
            )
        urls = Urls(hub.settings.public_url)
        linkage, resources = await related(urls, principal.org, rows, query.include)
        meta, links = paginate(urls.collection("products"), query, total, len(rows))
        return document(
            [shapes.product(urls, row, linkage[row["slug"]]) for row in rows],
            included=list(resources.values()) if query.include else None,
            meta=meta,
            links=links,
            query=query,
        )

    @post(
        "/", summary="Create a product (status draft)", request_max_body_size=MAX_BODY_BYTES,
        **documented("v1CreateProduct", writes=True),
    )
    async def create_product(self, hub: Hub, principal: Principal, request: Request) -> Response[schemas.V1ProductDocument]:
        query = read_query(request, includes=INCLUDES)
        resource = _read_product(await read_document(request))
        changes = await release_service.check_release(
            principal.org, _release_fields(resource, creating=True), resource.links, creating=True, checks=resource.checks
        )
        row = await release_service.create_release(hub, principal.org, changes)
        return await _product_document(Urls(hub.settings.public_url), principal.org, row, query, status_code=201)

    @get("/{product_id:str}", summary="Get a product", **documented("v1GetProduct"))
    async def get_product(
        self, hub: Hub, principal: Principal, request: Request, product_id: str
    ) -> Response[schemas.V1ProductDocument]:
        query = read_query(request, includes=INCLUDES)
        row = await find_product(principal.org, product_id)
        return await _product_document(Urls(hub.settings.public_url), principal.org, row, query)

    @patch(
        "/{product_id:str}", summary="Update a product", request_max_body_size=MAX_BODY_BYTES,
        **documented("v1UpdateProduct", writes=True),
    )
    async def update_product(
        self, hub: Hub, principal: Principal, request: Request, product_id: str
    ) -> Response[schemas.V1ProductDocument]:
        query = read_query(request, includes=INCLUDES)
        await find_product(principal.org, product_id)
        resource = _read_product(await read_document(request), product_id=product_id)
        changes = await release_service.check_release(
            principal.org, _release_fields(resource, creating=False), resource.links, creating=False, checks=resource.checks
        )
        row = await release_service.update_release(hub, principal.org, product_id, changes)
        return await _product_document(Urls(hub.settings.public_url), principal.org, row, query)

    @delete(
        "/{product_id:str}", summary="Delete a product that is not active (admin)", status_code=204,
        **documented("v1DeleteProduct", writes=True),
    )
    async def delete_product(self, hub: Hub, principal: Principal, request: Request, product_id: str) -> None:
        read_query(request)
        principal.require("admin")
        await release_service.delete_release(hub, principal.org, product_id)

    @get("/{product_id:str}/{name:str}", summary="A product's related resources", **documented("v1GetProductRelated"))
    async def get_related(
        self, hub: Hub, principal: Principal, request: Request, product_id: str, name: str
    ) -> Response[schemas.V1RelatedDocument]:
        name = _relationship_name(name)
        query = read_query(request)
        row = await find_product(principal.org, product_id)
        urls = Urls(hub.settings.public_url)
        linkage, resources = await related(urls, principal.org, [row], [name])
        link = linkage[row["slug"]][name]
        if name in TO_MANY:
            data: Any = [resources[(i["type"], i["id"])] for i in link]
        else:
            data = resources[(link["type"], link["id"])] if link else None
        return document(data, links={"self": urls.related(row["slug"], name)}, query=query)

    @get(
        "/{product_id:str}/relationships/{name:str}", summary="A product's relationship linkage",
        **documented("v1GetProductRelationship"),
    )
    async def get_relationship(
        self, hub: Hub, principal: Principal, request: Request, product_id: str, name: str
    ) -> Response[schemas.V1RelationshipDocument]:
        name = _relationship_name(name)
        read_query(request)
        row = await find_product(principal.org, product_id)
        urls = Urls(hub.settings.public_url)
        linkage, _ = await related(urls, principal.org, [row], [name])
        return document(
            linkage[row["slug"]][name],
            links={"self": urls.relationship(row["slug"], name), "related": urls.related(row["slug"], name)},
        )
