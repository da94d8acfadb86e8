"""``POST /api/v2/products/{productId}/downloads.json``: add a Product Download.

The body is read here rather than by Litestar: a data URI can be tens of
megabytes, so the route lifts Litestar's 10 MB cap and enforces its own,
derived from ``HUB_V2_MAX_FILE_BYTES``, before and while reading (a body
announced too large is refused unread; one without a Content-Length is cut
off as soon as it passes the limit).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
from litestar import Controller, Request, Response, post

from hub.api.v2.schemas import V2ProductDownloadCreated, documented
from hub.clock import iso
from hub.context import Hub
from hub.errors import Invalid, NotFound, PayloadTooLarge
from hub.inputs import decode_json
from hub.requests import read_body
from hub.services import media as media_service
from hub.services.accounts import Principal
from hub.services.products import find_product

SCOPE = "products"


def _too_large(limit: int) -> Callable[[int | None], PayloadTooLarge]:
    """The refusal of a body larger than ``limit``, in the v2 words."""
    return lambda _declared: PayloadTooLarge(
        f"The request body is larger than the {limit} bytes allowed; "
        "make the file smaller or ask the hub's operator to raise HUB_V2_MAX_FILE_BYTES",
        field="file",
    )


def _blank_to_none(value: Any) -> Any:
    """Optional properties sent empty (``""``, as forms do) count as absent."""
    return None if value is None or value == "" else value


def file_inputs(body: bytes) -> dict[str, Any]:
    """``data.file`` as keyword arguments of :func:`media_service.add_media_file`:
    a bare data URI, or a Content URI request object ``{src, filename, directory}``."""
    payload = decode_json(body)
    payload = {} if payload is None else payload
    if not isinstance(payload, dict):
        raise Invalid("The request body must be a JSON object holding a data object", field="data")
    data = payload.get("data")
    if data is None:
        raise Invalid("data is required", field="data")
    if not isinstance(data, dict):
        raise Invalid("data must be an object holding the Product Download", field="data")
    file = _blank_to_none(data.get("file"))
    if file is None:
        raise Invalid("file is required", field="file")
    if isinstance(file, str):
        return {"src": file, "src_field": "file"}
    if not isinstance(file, dict):
        raise Invalid("file must be a data URI or an object with src, filename and directory", field="file")
    src = _blank_to_none(file.get("src"))
    if src is None:
        raise Invalid("file.src is required", field="file.src")
    return {
        "src": src,
        "src_field": "file.src",
        "filename": _blank_to_none(file.get("filename")),
        "directory": _blank_to_none(file.get("directory")),
    }


def product_download(row: dict, product: dict) -> dict:
    """A media file as the v2 surface shows it: the Product Download object."""
    return {
        "id": row["id"],
        "productId": product["slug"],
        "file": {
            "filename": row["filename"],
            "directory": row["directory"],
            "mimeType": row["mime_type"],
            "size": row["size"],
            "md5": row["md5"],
            "sha256": row["sha256"],
        },
        "createdAt": iso(row["created_at"]),
    }


class ProductDownloadController(Controller):
    tags = ["Product downloads (v2)"]

    @post(
        "/api/v2/products/{product_id:str}/downloads.json",
        summary="Add a Product Download (a data URI) to a product's media library",
        description=(
            'JSON body: {"data": {"file": "data:<type>;base64,..."}} or '
            '{"data": {"file": {"src": "data:...", "filename": "cover.png", "directory": "~/content/images"}}}. '
            "Needs the products scope. See docs/api-v2.md."
        ),
        status_code=201,
        request_max_body_size=None,  # enforced by read_body, from HUB_V2_MAX_FILE_BYTES
        **documented("v2CreateProductDownload"),
    )
    async def add_product_download(
        self, hub: Hub, principal: Principal, request: Request, product_id: str
    ) -> Response[V2ProductDownloadCreated]:
        principal.require_scope(SCOPE)
        max_bytes = media_service.max_file_bytes(hub.settings)
        # Known before a byte of a possibly large body is read.
        try:
            await find_product(principal.org, product_id)
        except NotFound as missing:
            raise NotFound(missing.message, field="productId") from None
        limit = media_service.request_body_limit(max_bytes)
        inputs = file_inputs(await read_body(request, limit, _too_large(limit)))
        row, product = await media_service.add_media_file(
            hub, principal.org, product_id, max_bytes=max_bytes, **inputs
        )
        created = {"success": True, "status": 201, "data": product_download(row, product)}
        return Response(msgspec.convert(created, V2ProductDownloadCreated), status_code=201)
