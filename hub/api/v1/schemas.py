"""The v1 documents as types, for the OpenAPI schema.

msgspec Structs with the seed's wire names (hyphenated attributes,
``createdAt``), one per resource type, tagged by ``type`` as JSON:API tags
resource objects. The controllers build documents with :mod:`.shapes` and
declare these as what they answer (``Response[ProductDocument]``);
tests/v1/test_openapi.py checks every answer against them, so the two
cannot drift apart.

Every attribute and relationship is optional in a response: a sparse
fieldset (``fields[products]=name``) leaves the others out. Request
documents are declared in :data:`REQUEST_BODIES`; the controllers read them
themselves (:mod:`.documents`) to report every problem at once in JSON:API's
``errors``, so Litestar does not decode them.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, Literal

import msgspec
from litestar.openapi.datastructures import ResponseSpec
from msgspec import UNSET, UnsetType, field

from hub.api.request_bodies import body_operation
from hub.api.v1.errors import MEDIA_TYPE

# --- pieces ------------------------------------------------------------------


class V1JsonApi(msgspec.Struct):
    version: Literal["1.0"]


class V1SelfLink(msgspec.Struct):
    self: str


class V1RelationshipLinks(msgspec.Struct):
    related: str
    self: str | UnsetType = UNSET


class V1RelatedLink(msgspec.Struct):
    related: str


class V1Identifier(msgspec.Struct):
    """A resource identifier: ``{"type": "labels", "id": "label_..."}``."""

    type: str
    id: str


class V1ToOne(msgspec.Struct):
    links: V1RelationshipLinks
    data: V1Identifier | None | UnsetType = UNSET


class V1ToMany(msgspec.Struct):
    links: V1RelationshipLinks
    data: list[V1Identifier] | UnsetType = UNSET


class V1PageInfo(msgspec.Struct):
    current_page: int = field(name="currentPage")
    from_: int | None = field(name="from")
    last_page: int = field(name="lastPage")
    per_page: int = field(name="perPage")
    to: int | None
    total: int


class V1PageMeta(msgspec.Struct):
    page: V1PageInfo


class V1PageLinks(msgspec.Struct):
    first: str
    last: str
    prev: str | UnsetType = UNSET
    next: str | UnsetType = UNSET


# --- resources -----------------------------------------------------------------

Names = list[str] | None


class V1ProductAttributes(msgspec.Struct, rename="kebab"):
    name: str | UnsetType = UNSET
    is_compilation: bool | None | UnsetType = UNSET
    upc_code: str | None | UnsetType = UNSET
    copyright_line: str | None | UnsetType = UNSET
    production_line: str | None | UnsetType = UNSET
    production_year: int | None | UnsetType = UNSET
    status: Literal["draft", "active", "archived"] | UnsetType = UNSET
    cover_url: str | None | UnsetType = UNSET
    release_date: str | None | UnsetType = UNSET
    original_release_date: str | None | UnsetType = UNSET
    mastered_by: str | None | UnsetType = UNSET
    label_internal_reference: str | None | UnsetType = UNSET
    subtitle: str | None | UnsetType = UNSET
    front_cover_md5: str | None | UnsetType = UNSET
    artist: Names | UnsetType = UNSET
    composer: Names | UnsetType = UNSET
    producer: Names | UnsetType = UNSET
    featuring: Names | UnsetType = UNSET
    remixer: Names | UnsetType = UNSET
    author: Names | UnsetType = UNSET
    lyricist: Names | UnsetType = UNSET
    performer: Names | UnsetType = UNSET
    arranger: Names | UnsetType = UNSET
    orchestra: Names | UnsetType = UNSET
    director: Names | UnsetType = UNSET
    custom_data: list[Any] | dict[str, Any] | None | UnsetType = UNSET
    created_at: str | UnsetType = field(default=UNSET, name="createdAt")
    updated_at: str | UnsetType = field(default=UNSET, name="updatedAt")


class V1ProductRelationships(msgspec.Struct, rename="kebab"):
    company: V1ToOne | UnsetType = UNSET
    label: V1ToOne | UnsetType = UNSET
    product_type: V1ToOne | UnsetType = UNSET
    language: V1ToOne | UnsetType = UNSET
    offers: V1ToMany | UnsetType = UNSET
    tracks: V1ToMany | UnsetType = UNSET
    rights: V1ToMany | UnsetType = UNSET


class V1Product(msgspec.Struct, tag_field="type", tag="products"):
    id: str
    links: V1SelfLink
    attributes: V1ProductAttributes | UnsetType = UNSET
    relationships: V1ProductRelationships | UnsetType = UNSET


class V1NamedAttributes(msgspec.Struct):
    name: str | UnsetType = UNSET
    created_at: str | UnsetType = field(default=UNSET, name="createdAt")


class V1Company(msgspec.Struct, tag_field="type", tag="companies"):
    id: str
    links: V1SelfLink
    attributes: V1NamedAttributes | UnsetType = UNSET


class V1Label(msgspec.Struct, tag_field="type", tag="labels"):
    id: str
    links: V1SelfLink
    attributes: V1NamedAttributes | UnsetType = UNSET


class V1ProductType(msgspec.Struct, tag_field="type", tag="product-types"):
    id: str
    links: V1SelfLink
    attributes: V1NamedAttributes | UnsetType = UNSET


class V1LanguageAttributes(msgspec.Struct):
    code: str | UnsetType = UNSET
    name: str | UnsetType = UNSET
    created_at: str | UnsetType = field(default=UNSET, name="createdAt")


class V1Language(msgspec.Struct, tag_field="type", tag="languages"):
    id: str
    links: V1SelfLink
    attributes: V1LanguageAttributes | UnsetType = UNSET


class V1ProductLinkage(msgspec.Struct):
    links: V1RelatedLink
    data: V1Identifier


class V1BelongsTo(msgspec.Struct):
    product: V1ProductLinkage | UnsetType = UNSET


class V1TrackAttributes(msgspec.Struct, rename="kebab"):
    title: str | UnsetType = UNSET
    isrc: str | None | UnsetType = UNSET
    position: int | UnsetType = UNSET
    duration: int | None | UnsetType = UNSET
    artists: list[str] | UnsetType = UNSET
    file: str | None | UnsetType = UNSET
    file_version: str | None | UnsetType = UNSET
    created_at: str | UnsetType = field(default=UNSET, name="createdAt")


class V1Track(msgspec.Struct, tag_field="type", tag="tracks"):
    id: str
    links: V1SelfLink
    attributes: V1TrackAttributes | UnsetType = UNSET
    relationships: V1BelongsTo | UnsetType = UNSET


class V1OfferAttributes(msgspec.Struct, rename="kebab"):
    price: int | UnsetType = UNSET
    currency: str | UnsetType = UNSET
    territories: list[str] | UnsetType = UNSET
    start_date: str | None | UnsetType = UNSET
    created_at: str | UnsetType = field(default=UNSET, name="createdAt")


class V1Offer(msgspec.Struct, tag_field="type", tag="offers"):
    id: str
    links: V1SelfLink
    attributes: V1OfferAttributes | UnsetType = UNSET
    relationships: V1BelongsTo | UnsetType = UNSET


class V1RightAttributes(msgspec.Struct, rename="kebab"):
    territory: str | UnsetType = UNSET
    holder: str | UnsetType = UNSET
    right_type: str | UnsetType = UNSET
    created_at: str | UnsetType = field(default=UNSET, name="createdAt")


class V1Right(msgspec.Struct, tag_field="type", tag="rights"):
    id: str
    links: V1SelfLink
    attributes: V1RightAttributes | UnsetType = UNSET
    relationships: V1BelongsTo | UnsetType = UNSET


V1Resource = V1Product | V1Company | V1Label | V1Language | V1ProductType | V1Track | V1Offer | V1Right


# --- response documents ----------------------------------------------------------


class V1ProductDocument(msgspec.Struct):
    data: V1Product
    jsonapi: V1JsonApi
    links: V1SelfLink
    included: list[V1Resource] | UnsetType = UNSET


class V1ProductList(msgspec.Struct):
    data: list[V1Product]
    meta: V1PageMeta
    jsonapi: V1JsonApi
    links: V1PageLinks
    included: list[V1Resource] | UnsetType = UNSET


class V1RelatedDocument(msgspec.Struct):
    """A product's related resources: one (or null) or a list."""

    data: V1Resource | list[V1Resource] | None
    jsonapi: V1JsonApi
    links: V1SelfLink


class V1RelationshipLinkage(msgspec.Struct):
    self: str
    related: str


class V1RelationshipDocument(msgspec.Struct):
    data: V1Identifier | list[V1Identifier] | None
    jsonapi: V1JsonApi
    links: V1RelationshipLinkage


# One document and one list shape per resource, written out (no docstrings:
# the OpenAPI schema names them and nothing more) so that type checkers see
# them as the classes they are.


class V1LabelDocument(msgspec.Struct):
    data: V1Label
    jsonapi: V1JsonApi
    links: V1SelfLink


class V1LabelList(msgspec.Struct):
    data: list[V1Label]
    meta: V1PageMeta
    jsonapi: V1JsonApi
    links: V1PageLinks


class V1LanguageDocument(msgspec.Struct):
    data: V1Language
    jsonapi: V1JsonApi
    links: V1SelfLink


class V1LanguageList(msgspec.Struct):
    data: list[V1Language]
    meta: V1PageMeta
    jsonapi: V1JsonApi
    links: V1PageLinks


class V1ProductTypeDocument(msgspec.Struct):
    data: V1ProductType
    jsonapi: V1JsonApi
    links: V1SelfLink


class V1ProductTypeList(msgspec.Struct):
    data: list[V1ProductType]
    meta: V1PageMeta
    jsonapi: V1JsonApi
    links: V1PageLinks


class V1CompanyDocument(msgspec.Struct):
    data: V1Company
    jsonapi: V1JsonApi
    links: V1SelfLink


class V1TrackDocument(msgspec.Struct):
    data: V1Track
    jsonapi: V1JsonApi
    links: V1SelfLink


class V1OfferDocument(msgspec.Struct):
    data: V1Offer
    jsonapi: V1JsonApi
    links: V1SelfLink


class V1RightDocument(msgspec.Struct):
    data: V1Right
    jsonapi: V1JsonApi
    links: V1SelfLink


# --- errors ------------------------------------------------------------------------


class V1ErrorSource(msgspec.Struct):
    """A JSON pointer into the request document, or the query parameter at fault."""

    pointer: str | UnsetType = UNSET
    parameter: str | UnsetType = UNSET


class V1Error(msgspec.Struct):
    detail: str
    status: str
    title: str
    source: V1ErrorSource | UnsetType = UNSET


class V1Errors(msgspec.Struct):
    """JSON:API's error document: one error object per problem."""

    jsonapi: V1JsonApi
    errors: list[V1Error]


# --- request documents ---------------------------------------------------------------


class V1LinkageIn(msgspec.Struct):
    data: V1Identifier | None


class V1ProductAttributesIn(msgspec.Struct, rename="kebab"):
    """Writable attributes; ``front-cover`` is a base64 data URI of the
    cover (JPEG, PNG, GIF or WebP, at most 10 MiB)."""

    name: str | UnsetType = UNSET
    is_compilation: bool | None | UnsetType = UNSET
    upc_code: str | UnsetType = UNSET
    copyright_line: str | UnsetType = UNSET
    production_line: str | UnsetType = UNSET
    production_year: int | UnsetType = UNSET
    status: Literal["draft", "active", "archived"] | UnsetType = UNSET
    front_cover: str | None | UnsetType = UNSET
    release_date: str | None | UnsetType = UNSET
    original_release_date: str | None | UnsetType = UNSET
    subtitle: str | None | UnsetType = UNSET
    mastered_by: str | None | UnsetType = UNSET
    label_internal_reference: str | None | UnsetType = UNSET
    artist: list[str] | UnsetType = UNSET
    composer: Names | UnsetType = UNSET
    producer: Names | UnsetType = UNSET
    featuring: Names | UnsetType = UNSET
    remixer: Names | UnsetType = UNSET
    author: Names | UnsetType = UNSET
    lyricist: Names | UnsetType = UNSET
    performer: Names | UnsetType = UNSET
    arranger: Names | UnsetType = UNSET
    orchestra: Names | UnsetType = UNSET
    director: Names | UnsetType = UNSET
    custom_data: list[Any] | dict[str, Any] | None | UnsetType = UNSET


class V1ProductRelationshipsIn(msgspec.Struct, rename="kebab"):
    label: V1LinkageIn | UnsetType = UNSET
    language: V1LinkageIn | UnsetType = UNSET
    product_type: V1LinkageIn | UnsetType = UNSET


class V1ProductIn(msgspec.Struct):
    type: Literal["products"]
    attributes: V1ProductAttributesIn
    relationships: V1ProductRelationshipsIn | UnsetType = UNSET


class V1ProductUpdateIn(msgspec.Struct):
    type: Literal["products"]
    id: str
    attributes: V1ProductAttributesIn | UnsetType = UNSET
    relationships: V1ProductRelationshipsIn | UnsetType = UNSET


class V1NameIn(msgspec.Struct):
    name: str


class V1LanguageIn(msgspec.Struct):
    code: str
    name: str


class V1PartOf(msgspec.Struct):
    product: V1LinkageIn


class V1TrackAttributesIn(msgspec.Struct):
    title: str | UnsetType = UNSET
    position: int | UnsetType = UNSET
    isrc: str | None | UnsetType = UNSET
    duration: int | None | UnsetType = UNSET
    artists: list[str] | UnsetType = UNSET
    file: str | None | UnsetType = UNSET


class V1OfferAttributesIn(msgspec.Struct, rename="kebab"):
    price: int | UnsetType = UNSET
    currency: str | UnsetType = UNSET
    territories: list[str] | UnsetType = UNSET
    start_date: str | UnsetType = UNSET


class V1RightAttributesIn(msgspec.Struct, rename="kebab"):
    territory: str | UnsetType = UNSET
    holder: str | UnsetType = UNSET
    right_type: str | UnsetType = UNSET


def _create_doc(name: str, resource_type: str, attributes: type, *, part: bool = False) -> type:
    fields: list[tuple] = [("type", Literal[resource_type]), ("attributes", attributes)]
    if part:
        fields.append(("relationships", V1PartOf))
    resource = msgspec.defstruct(f"{name}Resource", fields)
    return msgspec.defstruct(name, [("data", resource)])


def _update_doc(name: str, resource_type: str, attributes: type) -> type:
    resource = msgspec.defstruct(
        f"{name}Resource",
        [("type", Literal[resource_type]), ("id", str), ("attributes", attributes | UnsetType, UNSET)],
    )
    return msgspec.defstruct(name, [("data", resource)])


#: The request document of each v1 write, by operationId.
REQUEST_BODIES: dict[str, type] = {
    "v1CreateProduct": msgspec.defstruct("V1CreateProductRequest", [("data", V1ProductIn)]),
    "v1UpdateProduct": msgspec.defstruct("V1UpdateProductRequest", [("data", V1ProductUpdateIn)]),
    "v1CreateLabel": _create_doc("V1CreateLabelRequest", "labels", V1NameIn),
    "v1CreateLanguage": _create_doc("V1CreateLanguageRequest", "languages", V1LanguageIn),
    "v1CreateProductType": _create_doc("V1CreateProductTypeRequest", "product-types", V1NameIn),
    "v1CreateTrack": _create_doc("V1CreateTrackRequest", "tracks", V1TrackAttributesIn, part=True),
    "v1UpdateTrack": _update_doc("V1UpdateTrackRequest", "tracks", V1TrackAttributesIn),
    "v1CreateOffer": _create_doc("V1CreateOfferRequest", "offers", V1OfferAttributesIn, part=True),
    "v1UpdateOffer": _update_doc("V1UpdateOfferRequest", "offers", V1OfferAttributesIn),
    "v1CreateRight": _create_doc("V1CreateRightRequest", "rights", V1RightAttributesIn, part=True),
    "v1UpdateRight": _update_doc("V1UpdateRightRequest", "rights", V1RightAttributesIn),
}


# --- OpenAPI wiring ----------------------------------------------------------------------


READ_ERRORS = (400, 401, 403, 404, 406, 415, 422)
WRITE_ERRORS = (*READ_ERRORS, 409, 413)


def error_responses(statuses: tuple[int, ...] = READ_ERRORS) -> dict[int, ResponseSpec]:
    """JSON:API's error document for each status a v1 route can answer."""
    return {
        status: ResponseSpec(
            data_container=V1Errors, media_type=MEDIA_TYPE, description=HTTPStatus(status).phrase, generate_examples=False
        )
        for status in statuses
    }


def documented(
    operation_id: str, *, writes: bool = False, answer: type | None = None, status_code: int = 200
) -> dict[str, Any]:
    """The OpenAPI keywords of a v1 route: its operationId, its error
    responses, for a write its request document, and ``answer``, the
    document it answers with ``status_code`` (for routes whose return
    annotation cannot name it)."""
    responses = error_responses(WRITE_ERRORS if writes else READ_ERRORS)
    if answer is not None:
        responses[status_code] = ResponseSpec(
            data_container=answer, media_type=MEDIA_TYPE, description=HTTPStatus(status_code).phrase,
            generate_examples=False,
        )
    keywords: dict[str, Any] = {"operation_id": operation_id, "media_type": MEDIA_TYPE, "responses": responses}
    if operation_id in REQUEST_BODIES:
        keywords["operation_class"] = body_operation(REQUEST_BODIES[operation_id], MEDIA_TYPE)
    return keywords
