"""``/covers/<org>/<file>``: cover art, public, as a storefront shows it.

A cover's file name is a random UUID chosen when it was uploaded and its
bytes never change (a new cover gets a new name), so the answer may be
cached forever and the name serves as its ETag. The content type comes from
the extension, which the hub chose from the checked image type; ``nosniff``
keeps browsers from reading it as anything else.
"""

from __future__ import annotations

from litestar import Request, Response, route
from litestar.enums import HttpMethod
from litestar.types import ASGIApp

from hub.context import Hub
from hub.errors import NotFound
from hub.services.accounts import ORG_ID
from hub.services.catalog.covers import COVER_EXTENSIONS, COVER_FILE, cover_key
from hub.web.file_response import BlobResponse


@route(
    "/covers/{org:str}/{file_name:str}",
    http_method=[HttpMethod.GET, HttpMethod.HEAD],
    summary="A product's cover image (public)",
    include_in_schema=False,
)
async def get_cover(hub: Hub, request: Request, org: str, file_name: str) -> ASGIApp:
    if not ORG_ID.match(org) or not COVER_FILE.match(file_name):
        raise NotFound("Cover not found")
    key = cover_key(org, file_name)
    blob = await hub.blobs.stat(key)
    if blob is None:
        raise NotFound("Cover not found")
    etag = f'"{file_name.split(".")[0]}"'
    common = [
        (b"etag", etag.encode()),
        (b"cache-control", b"public, max-age=31536000, immutable"),
        (b"x-content-type-options", b"nosniff"),
    ]
    if etag in [tag.strip() for tag in request.headers.get("if-none-match", "").split(",")]:
        return Response(None, status_code=304, headers={k.decode(): v.decode() for k, v in common}).to_asgi_response(
            app=None, request=request
        )
    headers = [
        (b"content-type", COVER_EXTENSIONS[file_name.rsplit(".", 1)[1]].encode()),
        (b"content-length", str(blob.size).encode()),
        *common,
    ]
    return BlobResponse(
        blobs=hub.blobs,
        key=key,
        start=0,
        end=blob.size - 1 if request.method == "GET" else -1,
        status=200,
        headers=headers,
        whole_file=request.method == "GET",
        on_finish=None,
    )
