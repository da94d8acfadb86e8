"""JSON:API 1.0 on the wire: media types, request documents, query
parameters, pagination and response documents.

Everything here is about the format, nothing about products: the
controllers hand it resource objects and get back clean attributes and
linked ids.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from hub.api.v1.errors import JSONAPI, MEDIA_TYPE, NotAcceptable, UnsupportedMediaType
from hub.errors import BadRequest, Conflict, Forbidden, Invalid
from hub.inputs import MAX_OFFSET, decode_json
from hub.services.catalog.checks import Checker

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
#: A cover of 10 MiB is 14 MiB of base64; the rest of a document is small.
MAX_BODY_BYTES = 16 * 1024 * 1024
MAX_PARAMETER_LENGTH = 300


# --- content negotiation -----------------------------------------------------


def _media_type(value: str) -> tuple[str, list[str]]:
    """``application/vnd.api+json; ext=x`` → (the type, its parameters)."""
    media, *params = [part.strip() for part in value.split(";")]
    return media.lower(), [p for p in params if p]


def negotiate(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """JSON:API 1.0 content negotiation, a guard on every v1 route.

    415 when a request body is not ``application/vnd.api+json`` exactly
    (media type parameters included); 406 when ``Accept`` names the JSON:API
    media type only with parameters. A quality weight (``q=``) is not a
    media type parameter (RFC 9110) and does not count.
    """
    accepted = ",".join(connection.headers.getall("accept", []))
    if accepted.strip():
        jsonapi = []
        for item in accepted.split(","):
            media, params = _media_type(item)
            if media == MEDIA_TYPE:
                weight = next((i for i, p in enumerate(params) if p.lower().startswith("q=")), len(params))
                jsonapi.append(params[:weight])
        if jsonapi and all(jsonapi):
            raise NotAcceptable(
                f"Accept names {MEDIA_TYPE} only with media type parameters; accept {MEDIA_TYPE} as it is"
            )
    has_body = connection.scope.get("method") in ("POST", "PATCH", "PUT") or (
        connection.headers.get("content-length", "0") not in ("", "0") or "transfer-encoding" in connection.headers
    )
    if has_body:
        content_type = connection.headers.get("content-type")
        media, params = _media_type(content_type or "")
        if media != MEDIA_TYPE or params:
            shown = f"is {content_type}" if content_type else "is missing"
            raise UnsupportedMediaType(
                f"Content-Type {shown}: send the request document as {MEDIA_TYPE}, without media type parameters"
            )


# --- request documents -------------------------------------------------------


@dataclass
class ResourceInput:
    """A resource object of a request: its attributes, the ids it links to
    (relationship name → id, or None to unlink), and the problems found in
    its relationships so far (handed on to the service's checks)."""

    attributes: dict[str, Any]
    links: dict[str, Any]
    checks: Checker = field(default_factory=Checker)


async def read_document(request: Request) -> dict[str, Any]:
    """The request body as a JSON:API document holding one resource object."""
    body = await request.body()
    document = decode_json(body)
    if not isinstance(document, dict) or not isinstance(document.get("data"), dict):
        raise BadRequest("The request document must have a data member holding a resource object", field="data")
    return document


def read_resource(
    document: dict[str, Any],
    resource_type: str,
    *,
    noun: str,
    attributes: tuple[str, ...],
    read_only: tuple[str, ...] = ("createdAt", "updatedAt"),
    link_types: dict[str, str] | None = None,
    fixed_links: dict[str, str] | None = None,
    resource_id: str | None = None,
) -> ResourceInput:
    """Check the resource object's own members and read its linkage.

    ``attributes`` are the attributes that can be written; ``read_only``
    ones (shown in responses) are ignored when a client sends a resource
    back unchanged; any other is refused by name. ``link_types`` maps each
    relationship that can be written to the type it links to;
    ``fixed_links`` names relationships that are shown but not written here,
    with the reason; any other relationship is refused by name. Problems
    with members go to the resource's ``checks``, refused together with the
    service's. ``resource_id`` is the id in the URL of an update; a create
    must not carry an id (client-generated ids are not supported).
    """
    link_types = link_types or {}
    fixed_links = fixed_links or {}
    data = document["data"]
    kind = data.get("type")
    if not isinstance(kind, str):
        raise BadRequest(f"type is required and must be the string {resource_type}", field="type")
    if kind != resource_type:
        raise Conflict(f"type must be {resource_type} at this endpoint, not {kind}", field="type")
    if resource_id is None:
        if "id" in data:
            raise Forbidden("id must not be sent: the server chooses the ids of new resources", field="id")
    elif not isinstance(data.get("id"), str):
        raise BadRequest(f"id is required in an update and must be the string {resource_id}", field="id")
    elif data["id"] != resource_id:
        raise Conflict(f"id must be {resource_id}, the id in the URL, not {data['id']}", field="id")
    sent_attributes = data.get("attributes", {})
    relationships = data.get("relationships", {})
    if not isinstance(sent_attributes, dict):
        raise BadRequest("attributes must be an object", field="attributes")
    if not isinstance(relationships, dict):
        raise BadRequest("relationships must be an object", field="relationships")
    resource = ResourceInput(attributes={}, links={})
    for name, value in sent_attributes.items():
        if name in attributes:
            resource.attributes[name] = value
        elif name not in read_only:
            resource.checks.errors.append(Invalid(f"{name} is not an attribute of {noun}", field=f"attributes/{name}"))
    for name, relationship in relationships.items():
        if name in fixed_links:
            resource.checks.errors.append(
                Invalid(f"{name} cannot be set on {noun}: {fixed_links[name]}", field=f"relationships/{name}")
            )
            continue
        if name not in link_types:
            resource.checks.errors.append(
                Invalid(f"{name} is not a relationship of {noun}", field=f"relationships/{name}")
            )
            continue
        linkage = relationship.get("data", ...) if isinstance(relationship, dict) else ...
        expected = link_types[name]
        if linkage is None:
            resource.links[name] = None
        elif isinstance(linkage, dict) and linkage.get("type") == expected and isinstance(linkage.get("id"), str):
            resource.links[name] = linkage["id"]
        else:
            resource.checks.errors.append(
                Invalid(f'{name} must be {{"data": {{"type": "{expected}", "id": "..."}}}} or {{"data": null}}', field=name)
            )
    return resource


# --- query parameters ----------------------------------------------------------


@dataclass(frozen=True)
class Page:
    number: int = 1
    size: int = PAGE_SIZE

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


@dataclass
class Query:
    """The JSON:API query parameters of a request, checked."""

    filters: dict[str, str] = field(default_factory=dict)
    page: Page = field(default_factory=Page)
    include: list[str] = field(default_factory=list)
    sort: list[tuple[str, bool]] = field(default_factory=list)
    fields: dict[str, set[str]] = field(default_factory=dict)
    items: list[tuple[str, str]] = field(default_factory=list)
    """Every parameter but the page, as sent: carried over into page links."""


def _family(key: str) -> tuple[str, str | None]:
    """``filter[name]`` → ("filter", "name"); ``include`` → ("include", None)."""
    if key.endswith("]") and "[" in key:
        family, _, member = key[:-1].partition("[")
        return family, member
    return key, None


def _positive(key: str, value: str) -> int:
    if not value.isascii() or not value.isdigit() or int(value) < 1:
        raise BadRequest(f"{key} must be a positive whole number", field=key)
    return int(value)


def read_query(
    request: Request,
    *,
    filters: tuple[str, ...] = (),
    paginated: bool = False,
    includes: tuple[str, ...] = (),
    sorts: Collection[str] = (),
) -> Query:
    """Check the query parameters against what the endpoint supports: JSON:API
    asks for 400 on anything else rather than silently ignoring it."""
    query = Query()
    number, size = 1, PAGE_SIZE
    for key, value in request.query_params.items():
        family, member = _family(key)
        if len(value) > MAX_PARAMETER_LENGTH or "\x00" in value:
            raise BadRequest(f"{key} must be at most {MAX_PARAMETER_LENGTH} characters, without NUL", field=key)
        if family == "page" and paginated and member in ("number", "size"):
            if member == "number":
                number = _positive(key, value)
            else:
                size = min(_positive(key, value), MAX_PAGE_SIZE)
            continue
        if family == "filter" and member in filters:
            query.filters[member] = value
        elif key == "include" and includes:
            query.include = [name for name in value.split(",") if name]
            unknown = [name for name in query.include if name not in includes]
            if unknown:
                raise BadRequest(
                    f"include cannot include {', '.join(unknown)}; it takes {', '.join(includes)}", field=key
                )
        elif key == "sort" and sorts:
            for name in value.split(","):
                ascending = not name.startswith("-")
                if name.lstrip("-") not in sorts:
                    raise BadRequest(f"sort cannot sort by {name!r}; it takes {', '.join(sorts)}", field=key)
                query.sort.append((name.lstrip("-"), ascending))
        elif family == "fields" and member:
            query.fields[member] = {name for name in value.split(",") if name}
        else:
            supported = [f"filter[{f}]" for f in filters] + (["page[number]", "page[size]"] if paginated else [])
            supported += (["include"] if includes else []) + (["sort"] if sorts else []) + ["fields[TYPE]"]
            raise BadRequest(
                f"{key} is not supported by this endpoint; it takes {', '.join(supported)}",
                field=f"query/{key}",
            )
        query.items.append((key, value))
    if (number - 1) * size > MAX_OFFSET:
        raise BadRequest("page[number] is too large", field="page[number]")
    query.page = Page(number, size)
    return query


# --- response documents ----------------------------------------------------------


def sparse(resource: dict[str, Any], fields: dict[str, set[str]]) -> dict[str, Any]:
    """The resource with only the fields ``fields[<type>]`` asked for."""
    wanted = fields.get(resource["type"])
    if wanted is None:
        return resource
    resource = dict(resource)
    for member in ("attributes", "relationships"):
        if member in resource:
            kept = {k: v for k, v in resource[member].items() if k in wanted}
            if kept:
                resource[member] = kept
            else:
                del resource[member]
    return resource


def document(
    data: Any,
    *,
    links: dict[str, Any] | None = None,
    meta: dict[str, Any] | None = None,
    included: list[dict[str, Any]] | None = None,
    query: Query | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """A top-level document: ``data``, [``included``], [``meta``], ``jsonapi``, ``links``."""
    fields = query.fields if query else {}
    if fields:
        if isinstance(data, list):
            data = [sparse(r, fields) for r in data]
        elif isinstance(data, dict) and "type" in data:
            data = sparse(data, fields)
        included = [sparse(r, fields) for r in included] if included is not None else None
    content: dict[str, Any] = {"data": data}
    if included is not None:
        content["included"] = included
    if meta is not None:
        content["meta"] = meta
    content["jsonapi"] = JSONAPI
    if links is not None:
        content["links"] = links
    return Response(content, status_code=status_code, media_type=MEDIA_TYPE, headers=headers)


def _page_url(base: str, query: Query, number: int) -> str:
    # The seed writes brackets as they are; values are percent-encoded.
    params = [f"page[number]={number}", f"page[size]={query.page.size}"]
    params += [f"{key}={quote(value, safe=',-')}" for key, value in query.items]
    return f"{base}?{'&'.join(params)}"


def paginate(base: str, query: Query, total: int, count: int) -> tuple[dict[str, Any], dict[str, str]]:
    """The ``meta`` and ``links`` of a page of ``count`` rows out of ``total``."""
    page = query.page
    last = max(1, math.ceil(total / page.size))
    first_row = page.offset + 1 if count else None
    meta = {
        "page": {
            "currentPage": page.number,
            "from": first_row,
            "lastPage": last,
            "perPage": page.size,
            "to": page.offset + count if count else None,
            "total": total,
        }
    }
    links = {"first": _page_url(base, query, 1), "last": _page_url(base, query, last)}
    if page.number > 1:
        links["prev"] = _page_url(base, query, min(page.number - 1, last))
    if page.number < last:
        links["next"] = _page_url(base, query, page.number + 1)
    return meta, links
