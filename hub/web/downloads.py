"""``/download``: the buyer's page for a token, and the file downloads.

Opening the page, a ``HEAD``, and link-preview bots never spend a download;
the first file transfer of a new download session does (see
:mod:`hub.services.downloads`).
"""

from __future__ import annotations

import functools
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import quote

import msgspec
from litestar import Controller, Request, Response, get, route
from litestar.enums import HttpMethod
from litestar.openapi.datastructures import ResponseSpec
from litestar.response import Redirect
from litestar.types import ASGIApp

from hub.api.openapi import PublicOperation, PublicPageOperation, errors
from hub.api.schemas import DownloadPageAnswer, DownloadRefused
from hub.archive import archive_name, archive_size
from hub.client_ip import client_ip
from hub.clock import as_aware, iso
from hub.context import Hub
from hub.errors import NotFound
from hub.http_range import ByteRange, RangeNotSatisfiable, etag_for, if_range_allows_partial, parse_range
from hub.manifest import download_name
from hub.services import archives as archive_service
from hub.services import downloads as download_service
from hub.services.archives import RETRY_AFTER_SECONDS, Archive, ArchivePreparing, archive_of
from hub.services.licenses import licenses_of_token
from hub.services.tokens import Grant, LinkRefused, PurchaseOnHold, resolve_token
from hub.services.version_changes import changed_paths
from hub.storage.base import content_disposition_attachment
from hub.web.archive_response import ArchiveResponse
from hub.web.cookies import cookies_secure
from hub.web.file_response import BlobResponse

JSON_ENCODER = msgspec.json.Encoder()

# Link unfurlers and mail scanners fetch links to preview them; a file link
# opened by one is sent to the page instead, which spends nothing. Only the
# bots' own tokens: the in-app browsers of LINE, Snapchat, Teams or Viber put
# the app's name in a real buyer's User-Agent, and matching it would send
# that buyer back to the page on every click, never to the file. (LINE's
# previews come as facebookexternalhit, Teams' as SkypeUriPreview.)
PREVIEW_BOTS = re.compile(
    r"facebookexternalhit|Slackbot|Twitterbot|Discordbot|WhatsApp|TelegramBot|LinkedInBot|"
    r"SkypeUriPreview|Iframely|Embedly|redditbot|Applebot|Googlebot|bingbot|Google-PageRenderer|"
    r"Mattermost-Bot|Pinterestbot|vkShare|Snap URL Preview|ZoominfoBot",
    re.IGNORECASE,
)


def accepts_json(accept: str) -> bool:
    """Whether an ``Accept`` header asks for JSON rather than a page."""
    return "application/json" in accept and "text/html" not in accept


def wants_json(request: Request) -> bool:
    return accepts_json(request.headers.get("accept", ""))


@functools.lru_cache(maxsize=4096)
def file_path(file_id: str, path: str) -> str:
    """A file's download path (its name quoted), the same for every token."""
    return f"/download/files/{file_id}/{quote(path.rsplit('/', 1)[-1])}"


def _requested_range(request: Request, total: int, etag: str, modified: datetime) -> ByteRange | None:
    """The byte range a request asks for, or ``None`` for the whole: a
    ``Range`` counts only while ``If-Range`` (if sent) still names this
    representation. The one rule for a single file and for the ZIP.

    :raises RangeNotSatisfiable: a range outside ``total`` bytes.
    """
    if not if_range_allows_partial(request.headers.get("if-range"), etag, modified):
        return None
    return parse_range(request.headers.get("range"), total)


def _not_satisfiable(request: Request, unsatisfiable: RangeNotSatisfiable, size: str) -> ASGIApp:
    """The 416 answer, in the download surface's envelope."""
    return _asgi(
        request,
        Response(
            {"success": False, "error": f"Range not satisfiable: {size}"},
            status_code=416,
            headers={"Content-Range": unsatisfiable.content_range, "Accept-Ranges": "bytes"},
        ),
    )


def _asgi(request: Request, response: Response) -> ASGIApp:
    """A Litestar response as the ASGI app this handler returns."""
    return response.to_asgi_response(app=None, request=request)


def _session_key(request: Request, grant: Grant) -> download_service.SessionKey:
    return download_service.session_key(
        grant.token["id"],
        cookie=request.cookies.get(download_service.SESSION_COOKIE),
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent", ""),
    )


ERROR_HEADINGS = {
    404: "This download link is not valid",
    410: "This download link no longer works",
    403: "No downloads left on this link",
    416: "That part of the file does not exist",
    503: "Almost ready",
}


def download_error(request: Request, status: int, message: str, problems: list) -> Response:
    """Errors on download pages: a clear page for people, JSON for programs."""
    return _error_answer(request, status, message)


def refused_answer(request: Request, refused: LinkRefused) -> Response:
    """A link that no longer works (expired, revoked, used up): for people,
    a page naming the shop, saying what happened, and where to go next
    (``/my``, the shop's email); for programs, the usual JSON error."""
    return _error_answer(request, refused.status_code, refused.message, refused)


def _error_answer(request: Request, status: int, message: str, refused: LinkRefused | None = None) -> Response:
    path = request.scope.get("path", "")
    byte_route = "/download/files/" in path or "/download/archive/" in path
    if wants_json(request) or byte_route and "text/html" not in request.headers.get("accept", ""):
        return Response({"success": False, "error": message}, status_code=status)
    hub: Hub = request.app.state.hub
    html = hub.templates.get_template("download_error.html").render(
        heading=ERROR_HEADINGS.get(status, "Something went wrong"),
        message=message,
        reason=refused.reason if refused else None,
        shop=refused.shop if refused else None,
        expired_text=expires_text(refused.expired_at) if refused and refused.expired_at else None,
        my_url=hub.my_url,
    )
    return Response(html, status_code=status, media_type="text/html", headers={"Cache-Control": "no-store"})


def on_hold_answer(hub: Hub, request: Request, hold: PurchaseOnHold) -> Response:
    """403 for a purchase on hold: whom to contact, for people and programs."""
    headers = {"Cache-Control": "no-store"}
    if wants_json(request):
        answer = {"success": False, "error": hold.message, "purchaseStatus": "on_hold", "shop": hold.shop.name}
        return Response(answer, status_code=403, headers=headers)
    html = hub.templates.get_template("download_on_hold.html").render(
        shop=hold.shop, message=hold.message, my_url=hub.my_url
    )
    return Response(html, status_code=403, media_type="text/html", headers=headers)


@dataclass(frozen=True, slots=True)
class Page:
    """The download page's answer, as both its routes send it (the Litestar
    handler and :mod:`hub.bypasses.page_lane`)."""

    body: bytes
    media_type: str  # without charset: Litestar adds "; charset=utf-8" to text/*
    headers: dict[str, str]


def download_page(
    hub: Hub, grant: Grant, secret: str, *, as_json: bool, has_cookie: bool, secure: bool,
    licenses: list[dict[str, Any]] | None = None,
) -> Page:
    """The page of a valid grant: HTML, or JSON for programs; a session
    cookie for a client that has none (it keys the download sessions).
    ``licenses``: the item's license key, when its product is licensed
    (:func:`hub.services.licenses.licenses_of_token`)."""
    base, query = hub.settings.public_url, f"?token={quote(secret)}"
    files = [{**f, "url": base + file_path(f["id"], f["path"]) + query, "name": f["path"]} for f in grant.files]
    if as_json:
        body = JSON_ENCODER.encode(
            {
                "success": True,
                "data": {
                    "product": {
                        "id": grant.product["slug"],
                        "name": grant.product["name"],
                        "version": grant.version["version"],
                    },
                    "expiresAt": iso(grant.expires_at),
                    "maxDownloads": grant.token["max_downloads"],
                    "usedCount": grant.token["used_count"],
                    "downloadsLeft": grant.downloads_left,
                    "purchaseStatus": "paid" if grant.token["purchase"] else None,
                    "files": [
                        {"id": f["id"], "path": f["path"], "size": f["size"], "sha256": f["sha256"], "url": f["url"]}
                        for f in files
                    ],
                },
            }
        )
        media_type = "application/json"
    else:
        expires_at = grant.expires_at
        body = hub.templates.get_template("download.html").render(
            product=grant.product,
            version=grant.version,
            token=grant.token,
            downloads_left=grant.downloads_left,
            expires_at=expires_at,
            # Formatted here: a method call from a template costs Jinja a checked call.
            expires_iso=expires_at.isoformat(),
            expires_text=expires_text(expires_at),
            files=files,
            archive=_archive_button(grant, base, query),
            total_size=sum(f["size"] for f in files),
            session_hours=hub.settings.download_session_hours,
            shop=grant.shop,
            licenses=licenses or [],
            updates=updates_context(grant, base, query),
        ).encode()
        media_type = "text/html"
    # Security headers: hub.web.security_headers, for every answer.
    headers = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
    if not has_cookie:
        headers["Set-Cookie"] = session_cookie(hub, secure)
    return Page(body, media_type, headers)


def _archive_button(grant: Grant, base: str, query: str) -> dict[str, Any] | None:
    """The "Download all" button of a version of two files or more: the
    archive's link, file count and size (its size needs no CRC-32)."""
    own = archive_service.version_files(grant.files)
    if len(own) < 2:
        return None
    name = archive_name(grant.product["name"], grant.version["version"])
    return {
        "url": base + archive_path(name) + query,
        "count": len(own),
        "size": archive_size([(f["path"], f["size"]) for f in own]),
    }


def updates_context(grant: Grant, base: str, query: str) -> dict[str, Any] | None:
    """What ``_updates.html`` shows: the update rights ("updates until"),
    a newer version the rights do not cover, what changed since the
    previous version served, and the earlier versions with their files."""
    entitled = grant.entitlement
    if entitled is None:
        return None
    until = entitled.updates_until
    earlier = [
        {
            "version": version["version"],
            "files": [{**f, "url": base + file_path(f["id"], f["path"]) + query} for f in files],
        }
        for version, files in grant.earlier
    ]
    changes = None
    if grant.earlier:
        changes = changed_paths(grant.earlier[0][1], [f for f in grant.files if f.get("version")])
    return {
        "rights": entitled.rights.mode,
        "until": f"{until.day} {MONTHS[until.month - 1][:3]} {until.year}" if until else None,
        "newer": entitled.newer["version"] if entitled.newer else None,
        "previous": grant.earlier[0][0]["version"] if grant.earlier else None,
        "changes": changes,
        "earlier": earlier,
    }


MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


def expires_text(moment: datetime) -> str:
    """``05 March 2027, 14:30 UTC``: ``strftime("%d %B %Y, %H:%M UTC")``
    in English whatever the locale, at a sixth of its cost."""
    moment = moment.astimezone(UTC)
    return f"{moment.day:02d} {MONTHS[moment.month - 1]} {moment.year}, {moment.hour:02d}:{moment.minute:02d} UTC"


def session_cookie(hub: Hub, secure: bool) -> str:
    """A new download-session cookie (``Set-Cookie`` value); ``secure``:
    :func:`hub.web.cookies.cookies_secure` of the request."""
    cookie = (
        f"{download_service.SESSION_COOKIE}={secrets.token_urlsafe(18)}; HttpOnly; "
        f"Max-Age={hub.settings.download_session_hours * 3600}; Path=/download; SameSite=lax"
    )
    return cookie + "; Secure" if secure else cookie


class DownloadController(Controller):
    path = "/download"
    tags = ["Downloads"]

    @get(
        "/",
        summary="The download page of a token (HTML, or JSON for Accept: application/json)",
        operation_id="getDownloadPage",
        operation_class=PublicPageOperation,
        responses={
            200: ResponseSpec(data_container=DownloadPageAnswer, generate_examples=False, description="The page"),
            **errors(404, 410),
            403: ResponseSpec(
                data_container=DownloadRefused,
                generate_examples=False,
                description="No downloads left, or the purchase is on hold (disputed)",
            ),
        },
    )
    async def download_page(self, hub: Hub, request: Request, token: str | None = None) -> Response:
        # The plain case (a valid token with downloads left, ?token= alone)
        # is answered before routing, by hub.bypasses.page_lane, with the same
        # download_page(); every other one comes here.
        try:
            grant = await resolve_token(hub, token)
            # Only a used-up token asks whether this client has a session (it
            # still serves the session that used it up).
            has_session = grant.downloads_left == 0 and (
                await download_service.open_session(hub, grant.token["id"], _session_key(request, grant))
            ) is not None
            download_service.refuse_if_used_up(grant, has_session=has_session)
        except PurchaseOnHold as hold:
            return on_hold_answer(hub, request, hold)
        except LinkRefused as refused:
            return refused_answer(request, refused)
        assert token is not None  # resolve_token refuses a missing one
        page = download_page(
            hub, grant, token, as_json=wants_json(request), has_cookie=download_service.SESSION_COOKIE in request.cookies,
            secure=cookies_secure(request.scope, hub.settings.public_url),
            licenses=await licenses_of_token(hub, grant.token),
        )
        return Response(page.body, media_type=page.media_type, headers=page.headers)

    @route(
        "/files/{file_id:str}/{name:str}",
        http_method=[HttpMethod.GET, HttpMethod.HEAD],
        summary="Download one file (HTTP Range supported; HEAD spends nothing)",
        operation_id=lambda handler, method, path: "downloadFile" if method == HttpMethod.GET else "headDownloadFile",
        operation_class=PublicOperation,
        responses={
            200: ResponseSpec(data_container=bytes, generate_examples=False, media_type="application/octet-stream",
                              description="The whole file"),
            206: ResponseSpec(data_container=bytes, generate_examples=False, media_type="application/octet-stream",
                              description="The requested range (Range header)"),
            302: ResponseSpec(data_container=None, description="To a short-lived presigned URL of the blob store"),
            303: ResponseSpec(data_container=None, description="A link-preview bot is sent to the page (spends nothing)"),
            **errors(403, 404, 410, 416),
        },
    )
    async def download_file(self, hub: Hub, request: Request, file_id: str, name: str, token: str | None = None) -> ASGIApp:
        try:
            return await self._file_answer(hub, request, file_id, token)
        except LinkRefused as refused:
            return _asgi(request, refused_answer(request, refused))

    async def _file_answer(self, hub: Hub, request: Request, file_id: str, token: str | None) -> ASGIApp:
        """A file's bytes (or its headers, for HEAD), a range of them, or a redirect."""
        grant = await resolve_token(hub, token)
        file = grant.find_file(file_id)
        if file is None or file["status"] != "ready":
            raise NotFound("This file is not part of this download.")
        if PREVIEW_BOTS.search(request.headers.get("user-agent", "")):
            return _asgi(request, Redirect(f"/download?token={quote(token or '')}", status_code=303))

        total = file["size"]
        etag = etag_for(file["sha256"])
        last_modified = as_aware(grant.version["ready_at"] or grant.version["created_at"])
        try:
            byte_range = _requested_range(request, total, etag, last_modified)
        except RangeNotSatisfiable as unsatisfiable:
            return _not_satisfiable(request, unsatisfiable, f"the file is {total} bytes")
        start, end = (byte_range.start, byte_range.end) if byte_range else (0, total - 1)
        headers = _file_headers(file, etag, last_modified, byte_range)
        status = 206 if byte_range else 200
        if request.method == "HEAD":
            # Spends nothing, but answers what a GET would: a download manager
            # probing with HEAD must not be told 200 for a link it cannot use.
            open_session = await download_service.open_session(hub, grant.token["id"], _session_key(request, grant))
            download_service.refuse_if_used_up(grant, has_session=open_session is not None)
            return BlobResponse(
                blobs=hub.blobs, key=file["storage_key"], start=0, end=-1, status=status,
                headers=headers, whole_file=False, on_finish=None,
            )

        transfer = await download_service.start_transfer(
            hub,
            grant,
            file,
            _session_key(request, grant),
            ip=client_ip(request),
            user_agent=request.headers.get("user-agent", ""),
            start=start,
            end=end,
        )

        if hub.settings.download_redirect:
            url = await hub.blobs.presign_get(
                file["storage_key"], hub.settings.presign_expires, filename=_saved_name(file)
            )
            if url:
                await download_service.finish_transfer(hub, transfer, end - start + 1, True, redirected=True)
                return _asgi(request, Redirect(url, status_code=302))

        return BlobResponse(
            blobs=hub.blobs,
            key=file["storage_key"],
            start=start,
            end=end,
            status=status,
            headers=headers,
            whole_file=byte_range is None,
            on_finish=functools.partial(download_service.finish_transfer, hub, transfer),
        )


    @route(
        "/archive/{name:str}",
        http_method=[HttpMethod.GET, HttpMethod.HEAD],
        summary="Download every file of the version as one ZIP (HTTP Range supported; HEAD spends nothing)",
        description=(
            "The version's files with their folders, as one ZIP made on the fly: the same bytes on every "
            "request (STORE, entries in path order, the version's time), so Range, If-Range and the strong "
            "ETag work as for a single file. Spends one download under the same session rules as files. "
            "503 with Retry-After while the hub is still computing the CRC-32 of files uploaded before it "
            "recorded them. The name in the path is not checked; the archive is saved as "
            "'<product name> <version>.zip'."
        ),
        operation_id=lambda handler, method, path: "downloadArchive" if method == HttpMethod.GET else "headDownloadArchive",
        operation_class=PublicOperation,
        responses={
            200: ResponseSpec(data_container=bytes, generate_examples=False, media_type="application/zip",
                              description="The whole archive"),
            206: ResponseSpec(data_container=bytes, generate_examples=False, media_type="application/zip",
                              description="The requested range (Range header)"),
            303: ResponseSpec(data_container=None, description="A link-preview bot is sent to the page (spends nothing)"),
            **errors(403, 404, 410, 416, 503),
        },
    )
    async def download_archive(self, hub: Hub, request: Request, name: str, token: str | None = None) -> ASGIApp:
        try:
            return await self._archive_answer(hub, request, token)
        except LinkRefused as refused:
            return _asgi(request, refused_answer(request, refused))
        except ArchivePreparing as preparing:
            answer = _error_answer(request, 503, str(preparing))
            answer.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return _asgi(request, answer)

    async def _archive_answer(self, hub: Hub, request: Request, token: str | None) -> ASGIApp:
        """The archive's bytes (or its headers, for HEAD), or a range of them."""
        grant = await resolve_token(hub, token)
        if PREVIEW_BOTS.search(request.headers.get("user-agent", "")):
            return _asgi(request, Redirect(f"/download?token={quote(token or '')}", status_code=303))
        archive = await archive_of(hub, grant.product, grant.version, grant.files)
        total = archive.size
        try:
            byte_range = _requested_range(request, total, archive.etag, archive.modified)
        except RangeNotSatisfiable as unsatisfiable:
            return _not_satisfiable(request, unsatisfiable, f"the archive is {total} bytes")
        start, end = (byte_range.start, byte_range.end) if byte_range else (0, total - 1)
        headers = _archive_headers(archive, byte_range)
        status = 206 if byte_range else 200
        if request.method == "HEAD":
            open_session = await download_service.open_session(hub, grant.token["id"], _session_key(request, grant))
            download_service.refuse_if_used_up(grant, has_session=open_session is not None)
            return ArchiveResponse(
                blobs=hub.blobs, layout=archive.layout, start=0, end=-1, status=status, headers=headers, on_finish=None
            )
        # The archive is always served by the hub, presigned redirects or not:
        # no blob store holds it.
        transfer = await download_service.start_transfer(
            hub,
            grant,
            {"id": archive.id, "path": archive.name, "size": total, "sha256": ""},
            _session_key(request, grant),
            ip=client_ip(request),
            user_agent=request.headers.get("user-agent", ""),
            start=start,
            end=end,
            archive=True,
        )
        return ArchiveResponse(
            blobs=hub.blobs,
            layout=archive.layout,
            start=start,
            end=end,
            status=status,
            headers=headers,
            on_finish=functools.partial(download_service.finish_transfer, hub, transfer),
        )


def archive_path(name: str) -> str:
    """The version's ZIP's download path (its name quoted), the same for every token."""
    return f"/download/archive/{quote(name)}"


def _archive_headers(archive: Archive, byte_range: ByteRange | None) -> list[tuple[bytes, bytes]]:
    """An archive answer's headers (a GET's and a HEAD's alike)."""
    start, end = (byte_range.start, byte_range.end) if byte_range else (0, archive.size - 1)
    headers = [
        (b"content-type", b"application/zip"),
        (b"content-length", str(end - start + 1).encode()),
        (b"content-disposition", content_disposition_attachment(archive.name).encode()),
        (b"accept-ranges", b"bytes"),
        (b"etag", archive.etag.encode()),
        (b"last-modified", _http_date(archive.modified).encode()),
        (b"cache-control", b"private, no-transform"),
    ]
    if byte_range:
        headers.append((b"content-range", byte_range.content_range(archive.size).encode()))
    return headers


def _file_headers(file: dict, etag: str, last_modified: datetime, byte_range: ByteRange | None) -> list[tuple[bytes, bytes]]:
    """A file answer's headers (a GET's and a HEAD's alike)."""
    total = file["size"]
    start, end = (byte_range.start, byte_range.end) if byte_range else (0, total - 1)
    headers = [
        (b"content-type", b"application/octet-stream"),
        (b"content-length", str(end - start + 1 if total else 0).encode()),
        (b"content-disposition", content_disposition_attachment(_saved_name(file)).encode()),
        (b"accept-ranges", b"bytes"),
        (b"etag", etag.encode()),
        (b"last-modified", _http_date(last_modified).encode()),
        (b"cache-control", b"private, no-transform"),
    ]
    if byte_range:
        headers.append((b"content-range", byte_range.content_range(total).encode()))
    return headers


def _http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def _saved_name(file: dict[str, Any]) -> str:
    """The name a downloaded file is saved under: a version's file with its
    folders in its name (:func:`hub.manifest.download_name`); a media library
    file (no version) under its own file name, its directory being the
    library's filing, not part of what the buyer bought."""
    if file.get("version") is None:
        return file["path"].rsplit("/", 1)[-1]
    return download_name(file["path"])
