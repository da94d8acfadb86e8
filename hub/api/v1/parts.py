"""``/api/v1/tracks``, ``/offers`` and ``/rights``: what belongs to a product.

Each is created at its own collection with a ``product`` relationship (the
JSON:API way), read, updated and deleted at its own URL, and listed at the
product's related URL (``/api/v1/products/{id}/tracks``...).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, Response, delete, get, patch, post

from hub.api.v1 import schemas, shapes
from hub.api.v1.documents import document, read_document, read_query, read_resource
from hub.api.v1.schemas import documented
from hub.api.v1.shapes import Urls
from hub.context import Hub
from hub.services.accounts import Principal
from hub.services.catalog import parts as part_service
from hub.services.catalog.offers import OFFERS
from hub.services.catalog.parts import PartKind
from hub.services.catalog.rights import RIGHTS
from hub.services.catalog.tracks import TRACKS

PART_LINK_TYPES = {"product": "products"}
#: Shown in responses; a resource sent back unchanged is accepted.
READ_ONLY = ("createdAt", "updatedAt", "file-version")


def _read_part(document: dict, resource_type: str, kind: PartKind, part_id: str | None = None):
    return read_resource(
        document, resource_type, noun=f"a {kind.prefix}", attributes=kind.fields, read_only=READ_ONLY,
        link_types=PART_LINK_TYPES, resource_id=part_id,
    )


async def _create(hub: Hub, principal: Principal, request: Request, kind: PartKind, resource_type: str, shape) -> Response:
    read_query(request)
    resource = _read_part(await read_document(request), resource_type, kind)
    row = await part_service.create_part(kind, principal.org, resource.attributes, resource.links, checks=resource.checks)
    created = shape(Urls(hub.settings.public_url), row)
    self_link = created["links"]["self"]
    return document(created, links={"self": self_link}, status_code=201, headers={"Location": self_link})


async def _get(hub: Hub, principal: Principal, request: Request, kind: PartKind, part_id: str, shape) -> Response:
    query = read_query(request)
    resource = shape(Urls(hub.settings.public_url), await part_service.find_part(kind, principal.org, part_id))
    return document(resource, links={"self": resource["links"]["self"]}, query=query)


async def _update(
    hub: Hub, principal: Principal, request: Request, kind: PartKind, resource_type: str, part_id: str, shape
) -> Response:
    read_query(request)
    await part_service.find_part(kind, principal.org, part_id)
    resource = _read_part(await read_document(request), resource_type, kind, part_id)
    row = await part_service.update_part(
        kind, principal.org, part_id, resource.attributes, resource.links, checks=resource.checks
    )
    updated = shape(Urls(hub.settings.public_url), row)
    return document(updated, links={"self": updated["links"]["self"]})


async def _delete(principal: Principal, request: Request, kind: PartKind, part_id: str) -> None:
    read_query(request)
    principal.require("admin")
    await part_service.delete_part(kind, principal.org, part_id)


@dataclass(frozen=True)
class PartRoutes:
    """What tells the routes of tracks, offers and rights apart."""

    kind: PartKind
    resource_type: str  # "tracks"
    name: str  # "Track", in operationIds
    shape: Callable[[Urls, dict], dict[str, Any]]
    answer: type  # the document of one, for the OpenAPI schema


def part_controller(part: PartRoutes) -> type[Controller]:
    """The controller of one kind of part: create at the collection, read,
    update and delete at the part's own URL."""
    kind, resource_type, shape = part.kind, part.resource_type, part.shape
    noun = f"{'an' if kind.prefix[0] in 'aeiou' else 'a'} {kind.prefix}"

    class PartController(Controller):
        path = f"/{resource_type}"
        tags = ["v1 (JSON:API)"]

        @post("/", summary=f"Create {noun} of a product",
              **documented(f"v1Create{part.name}", writes=True, answer=part.answer, status_code=201))
        async def create_part(self, hub: Hub, principal: Principal, request: Request) -> Response:
            return await _create(hub, principal, request, kind, resource_type, shape)

        @get("/{part_id:str}", summary=f"Get {noun}", **documented(f"v1Get{part.name}", answer=part.answer))
        async def get_part(self, hub: Hub, principal: Principal, request: Request, part_id: str) -> Response:
            return await _get(hub, principal, request, kind, part_id, shape)

        @patch("/{part_id:str}", summary=f"Update {noun}",
               **documented(f"v1Update{part.name}", writes=True, answer=part.answer))
        async def update_part(self, hub: Hub, principal: Principal, request: Request, part_id: str) -> Response:
            return await _update(hub, principal, request, kind, resource_type, part_id, shape)

        @delete("/{part_id:str}", summary=f"Delete {noun} (admin)", status_code=204,
                **documented(f"v1Delete{part.name}", writes=True))
        async def delete_part(self, principal: Principal, request: Request, part_id: str) -> None:
            await _delete(principal, request, kind, part_id)

    PartController.__name__ = PartController.__qualname__ = f"{part.name}Controller"
    return PartController


TrackController = part_controller(PartRoutes(TRACKS, "tracks", "Track", shapes.track, schemas.V1TrackDocument))
OfferController = part_controller(PartRoutes(OFFERS, "offers", "Offer", shapes.offer, schemas.V1OfferDocument))
RightController = part_controller(PartRoutes(RIGHTS, "rights", "Right", shapes.right, schemas.V1RightDocument))
