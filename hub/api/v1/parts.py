"""``/api/v1/tracks``, ``/offers`` and ``/rights``: what belongs to a product.

Each is created at its own collection with a ``product`` relationship (the
JSON:API way), read, updated and deleted at its own URL, and listed at the
product's related URL (``/api/v1/products/{id}/tracks``...).
"""

from __future__ import annotations

from litestar import Controller, Request, Response, delete, get, patch, post

from hub.api.v1 import schemas, shapes
from hub.api.v1.schemas import documented
from hub.api.v1.documents import document, read_document, read_query, read_resource
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


class TrackController(Controller):
    path = "/tracks"
    tags = ["v1 (JSON:API)"]

    @post("/", summary="Create a track of a product", **documented("v1CreateTrack", writes=True))
    async def create_track(self, hub: Hub, principal: Principal, request: Request) -> Response[schemas.V1TrackDocument]:
        return await _create(hub, principal, request, TRACKS, "tracks", shapes.track)

    @get("/{track_id:str}", summary="Get a track", **documented("v1GetTrack"))
    async def get_track(
        self, hub: Hub, principal: Principal, request: Request, track_id: str
    ) -> Response[schemas.V1TrackDocument]:
        return await _get(hub, principal, request, TRACKS, track_id, shapes.track)

    @patch("/{track_id:str}", summary="Update a track", **documented("v1UpdateTrack", writes=True))
    async def update_track(
        self, hub: Hub, principal: Principal, request: Request, track_id: str
    ) -> Response[schemas.V1TrackDocument]:
        return await _update(hub, principal, request, TRACKS, "tracks", track_id, shapes.track)

    @delete(
        "/{track_id:str}", summary="Delete a track (admin)", status_code=204,
        **documented("v1DeleteTrack", writes=True),
    )
    async def delete_track(self, principal: Principal, request: Request, track_id: str) -> None:
        await _delete(principal, request, TRACKS, track_id)


class OfferController(Controller):
    path = "/offers"
    tags = ["v1 (JSON:API)"]

    @post("/", summary="Create an offer of a product", **documented("v1CreateOffer", writes=True))
    async def create_offer(self, hub: Hub, principal: Principal, request: Request) -> Response[schemas.V1OfferDocument]:
        return await _create(hub, principal, request, OFFERS, "offers", shapes.offer)

    @get("/{offer_id:str}", summary="Get an offer", **documented("v1GetOffer"))
    async def get_offer(
        self, hub: Hub, principal: Principal, request: Request, offer_id: str
    ) -> Response[schemas.V1OfferDocument]:
        return await _get(hub, principal, request, OFFERS, offer_id, shapes.offer)

    @patch("/{offer_id:str}", summary="Update an offer", **documented("v1UpdateOffer", writes=True))
    async def update_offer(
        self, hub: Hub, principal: Principal, request: Request, offer_id: str
    ) -> Response[schemas.V1OfferDocument]:
        return await _update(hub, principal, request, OFFERS, "offers", offer_id, shapes.offer)

    @delete(
        "/{offer_id:str}", summary="Delete an offer (admin)", status_code=204,
        **documented("v1DeleteOffer", writes=True),
    )
    async def delete_offer(self, principal: Principal, request: Request, offer_id: str) -> None:
        await _delete(principal, request, OFFERS, offer_id)


class RightController(Controller):
    path = "/rights"
    tags = ["v1 (JSON:API)"]

    @post("/", summary="Create a right of a product", **documented("v1CreateRight", writes=True))
    async def create_right(self, hub: Hub, principal: Principal, request: Request) -> Response[schemas.V1RightDocument]:
        return await _create(hub, principal, request, RIGHTS, "rights", shapes.right)

    @get("/{right_id:str}", summary="Get a right", **documented("v1GetRight"))
    async def get_right(
        self, hub: Hub, principal: Principal, request: Request, right_id: str
    ) -> Response[schemas.V1RightDocument]:
        return await _get(hub, principal, request, RIGHTS, right_id, shapes.right)

    @patch("/{right_id:str}", summary="Update a right", **documented("v1UpdateRight", writes=True))
    async def update_right(
        self, hub: Hub, principal: Principal, request: Request, right_id: str
    ) -> Response[schemas.V1RightDocument]:
        return await _update(hub, principal, request, RIGHTS, "rights", right_id, shapes.right)

    @delete(
        "/{right_id:str}", summary="Delete a right (admin)", status_code=204,
        **documented("v1DeleteRight", writes=True),
    )
    async def delete_right(self, principal: Principal, request: Request, right_id: str) -> None:
        await _delete(principal, request, RIGHTS, right_id)
