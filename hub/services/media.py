"""The media library: files an organization attaches to its products.

The v2 product downloads surface adds a file to a product as a data URI.
Each file lives in the organization's media library, named by a *content
URI* directory (``~/content/images/products``) and a file name, both unique
together inside the organization; the bytes go to the blob store under
``orgs/<org>/media/<random>``. A download token for the product delivers
these files beside its version's files (see :func:`deliverable_media_files`).

Nothing is stored until every input has passed: a request refused with 413
or 422 leaves neither a blob nor a row behind.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
import unicodedata
import uuid
from collections.abc import Mapping
from typing import Any

from hub.clock import utcnow
from hub.context import Hub
from hub.datauri import parse_data_uri
from hub.db import UNIQUE_VIOLATIONS
from hub.errors import Conflict, Invalid
from hub.secrets import new_id
from hub.services.products import find_product
from hub.settings import Settings
from hub.tables import MediaFile

DEFAULT_MAX_FILE_BYTES = Settings().v2_max_file_bytes

CONTENT_ROOT = "~/content"
# The seed's own example writes the tilde as U+02DC SMALL TILDE (a word
# processor's "smart" tilde); clients copy it, so it means "~".
SMALL_TILDE = "\u02dc"
MAX_DIRECTORY_LENGTH = 500  # MediaFile.directory
MAX_FILENAME_BYTES = 255  # the usual file-system limit, within MediaFile.filename
MAX_MIME_LENGTH = 200  # MediaFile.mime_type

# Extensions for names made from a bare data URI. Explicit for the types
# shops upload: ``mimetypes`` answers from the host's mime.types, so the
# same upload could be named differently on two machines (``.jpe``...).
EXTENSIONS: Mapping[str, str] = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "image/svg+xml": ".svg",
    "audio/mpeg": ".mp3",
    "audio/wav": ".wav",
    "audio/wave": ".wav",
    "audio/x-wav": ".wav",
    "audio/flac": ".flac",
    "audio/x-flac": ".flac",
    "audio/aiff": ".aiff",
    "audio/x-aiff": ".aiff",
    "audio/ogg": ".ogg",
    "audio/mp4": ".m4a",
    "video/mp4": ".mp4",
    "video/quicktime": ".mov",
    "video/webm": ".webm",
    "application/pdf": ".pdf",
    "application/zip": ".zip",
    "application/epub+zip": ".epub",
    "application/json": ".json",
    "text/plain": ".txt",
    "text/markdown": ".md",
    "text/csv": ".csv",
}
FALLBACK_EXTENSION = ".bin"
SAFE_EXTENSION = re.compile(r"^\.[A-Za-z0-9]{1,10}$")

DOCUMENT_TYPES = frozenset(
    {
        "application/pdf",
        "application/epub+zip",
        "application/rtf",
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.ms-powerpoint",
    }
)
DOCUMENT_PREFIXES = ("text/", "application/vnd.openxmlformats-officedocument.", "application/vnd.oasis.opendocument.")


def max_file_bytes(settings: Any) -> int:
    """The largest decoded file the v2 surface accepts (``HUB_V2_MAX_FILE_BYTES``)."""
    limit: int = settings.v2_max_file_bytes
    return limit


def request_body_limit(max_bytes: int) -> int:
    """The largest request body that can carry a file of ``max_bytes``.

    Base64 takes 4 characters per 3 bytes; the slack covers the JSON around
    the data URI (its header, the file name, the directory) and encoders
    that escape ``/`` as ``\\/`` (PHP's default), which costs about 1.6% of
    a base64 payload on average; 1/16 leaves room to spare.
    """
    encoded = 4 * -(-max_bytes // 3)
    return encoded + encoded // 16 + 64 * 1024


def extension_for(mime_type: str) -> str:
    """``.png`` for ``image/png``: the table above, then ``mimetypes``, then ``.bin``."""
    if mime_type in EXTENSIONS:
        return EXTENSIONS[mime_type]
    guessed = mimetypes.guess_extension(mime_type, strict=False)
    return guessed if guessed and SAFE_EXTENSION.match(guessed) else FALLBACK_EXTENSION


def directory_for(mime_type: str) -> str:
    """The library folder a file of ``mime_type`` goes to when none is given."""
    if mime_type.startswith("image/"):
        return f"{CONTENT_ROOT}/images"
    if mime_type.startswith("audio/"):
        return f"{CONTENT_ROOT}/audio"
    if mime_type.startswith("video/"):
        return f"{CONTENT_ROOT}/video"
    if mime_type in DOCUMENT_TYPES or mime_type.startswith(DOCUMENT_PREFIXES):
        return f"{CONTENT_ROOT}/documents"
    return f"{CONTENT_ROOT}/files"


def _has_control_characters(value: str) -> bool:
    return any(unicodedata.category(ch) == "Cc" for ch in value)


def check_directory(value: Any, field: str = "file.directory") -> str:
    """A content URI inside ``~/content``, normalized: ``˜/content//images/./x/``
    becomes ``~/content/images/x``.

    Refused rather than repaired: anything outside ``~/content``, ``..``
    (even one that would stay inside), backslashes, NUL and other control
    characters.
    """
    if not isinstance(value, str):
        raise Invalid(f"{field} must be a content URI string starting with {CONTENT_ROOT}", field=field)
    if "\\" in value or _has_control_characters(value):
        raise Invalid(f"{field} must not contain backslashes or control characters", field=field)
    if value.startswith(SMALL_TILDE):
        value = "~" + value[1:]
    segments = unicodedata.normalize("NFC", value).split("/")
    if segments[:2] != ["~", "content"]:
        raise Invalid(f"{field} must be a content URI starting with {CONTENT_ROOT}, not {value!r}", field=field)
    inner = [s for s in segments[2:] if s not in ("", ".")]
    if any(set(s) == {"."} for s in inner):
        raise Invalid(f"{field} must not climb out of {CONTENT_ROOT} ('..'): {value!r}", field=field)
    if any(len(s.encode("utf-8")) > MAX_FILENAME_BYTES for s in inner):
        raise Invalid(f"{field} has a folder name longer than {MAX_FILENAME_BYTES} bytes", field=field)
    directory = "/".join([CONTENT_ROOT, *inner])
    if len(directory) > MAX_DIRECTORY_LENGTH:
        raise Invalid(f"{field} must be at most {MAX_DIRECTORY_LENGTH} characters", field=field)
    return directory


def check_filename(value: Any, field: str = "file.filename") -> str:
    """A plain file name: no folders, no ``.``/``..``, no control characters,
    no surrounding spaces, at most 255 bytes of UTF-8 (NFC-normalized, so
    that names that look alike are the same name)."""
    if not isinstance(value, str):
        raise Invalid(f"{field} must be a file name string", field=field)
    name = unicodedata.normalize("NFC", value)
    if "/" in name or "\\" in name:
        raise Invalid(f"{field} must be a file name without folders (no '/' or '\\'): {value!r}", field=field)
    if _has_control_characters(name):
        raise Invalid(f"{field} must not contain control characters", field=field)
    if name in ("", ".", "..") or name != name.strip():
        raise Invalid(f"{field} must be a file name such as cover.png, not {value!r}", field=field)
    if len(name.encode("utf-8")) > MAX_FILENAME_BYTES:
        raise Invalid(f"{field} must be at most {MAX_FILENAME_BYTES} bytes long", field=field)
    return name


async def add_media_file(
    hub: Hub,
    org: str,
    product_id: str,
    *,
    src: Any,
    filename: Any = None,
    directory: Any = None,
    max_bytes: int,
    src_field: str = "file",
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Store a data URI in ``org``'s media library, attached to the product;
    returns ``(media file row, product row)``.

    Without ``filename`` the file is named by the md5 of its contents and an
    extension for its MIME type; without ``directory`` it goes to the folder
    of its MIME type (:func:`directory_for`). The directory and file name
    together are unique in the organization: a clash is a :class:`Conflict`.
    """
    product = await find_product(org, product_id)
    if directory is not None:
        directory = check_directory(directory)
    if filename is not None:
        filename = check_filename(filename)
    uri = parse_data_uri(src, field=src_field, max_bytes=max_bytes)
    if len(uri.mime_type) > MAX_MIME_LENGTH:
        raise Invalid(f"{src_field} has a MIME type longer than {MAX_MIME_LENGTH} characters", field=src_field)
    md5 = hashlib.md5(uri.data, usedforsecurity=False).hexdigest()
    filename = filename or md5 + extension_for(uri.mime_type)
    directory = directory or directory_for(uri.mime_type)
    taken = Conflict(f"A file named {filename} already exists in {directory}", field="file.filename")
    # Checked before the bytes are written so a clash stores nothing; the
    # unique index settles the race between two requests for the same name.
    if await MediaFile.exists().where(
        MediaFile.org == org, MediaFile.directory == directory, MediaFile.filename == filename
    ):
        raise taken
    row = {
        "id": new_id("media"),
        "org": org,
        "product": product["id"],
        "directory": directory,
        "filename": filename,
        "mime_type": uri.mime_type,
        "size": len(uri.data),
        "md5": md5,
        "sha256": hashlib.sha256(uri.data).hexdigest(),
        "storage_key": f"orgs/{org}/media/{uuid.uuid4().hex}",
        "created_at": utcnow(),
    }
    await hub.blobs.put(row["storage_key"], uri.data, content_type=uri.mime_type)
    try:
        await MediaFile.insert(MediaFile(**row))
    except BaseException as exc:
        # No row, no blob: a failed insert must not leave orphaned bytes.
        await hub.blobs.delete(row["storage_key"])
        if isinstance(exc, UNIQUE_VIOLATIONS):
            raise taken from exc
        raise
    return row, product


def media_path(directory: str, filename: str) -> str:
    """Where a media file appears among a download's files:
    ``~/content/images/products`` + ``cover.png`` → ``media/images/products/cover.png``."""
    inner = directory[len(CONTENT_ROOT):].strip("/")
    return "/".join(p for p in ("media", inner, filename) if p)


def deliverable_media_file(row: dict[str, Any]) -> dict[str, Any]:
    """A media file row (``id``, ``directory``, ``filename``, ``size``,
    ``sha256``, ``storage_key``) shaped like a version's file row (same keys,
    ``status`` ready)."""
    return {
        "id": row["id"],
        "version": None,
        "path": media_path(row["directory"], row["filename"]),
        "size": row["size"],
        "sha256": row["sha256"],
        "storage_key": row["storage_key"],
        "status": "ready",
        "upload_id": None,
        "storage_upload_id": None,
    }


async def deliverable_media_files(org: str, product_pk: str) -> list[dict[str, Any]]:
    """The product's media files shaped like a version's file rows, sorted
    by path, for a download grant."""
    rows = await MediaFile.select().where(MediaFile.org == org, MediaFile.product == product_pk)
    return sorted(map(deliverable_media_file, rows), key=lambda f: f["path"])
