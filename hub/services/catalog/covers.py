"""Cover art: an image a release shows, stored in the blob store under a
fresh name per upload (the public URL changes when the image does) and
served by :mod:`hub.web.covers`."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable
from typing import Any

from hub.context import Hub
from hub.datauri import DataUri, parse_data_uri
from hub.errors import Invalid

COVER_MAX_BYTES = 10 * 1024 * 1024
#: The image types a cover may have, their file extension and how their
#: bytes begin. SVG is refused: served from the hub's origin, its scripts
#: would run there.
COVER_TYPES: dict[str, tuple[str, Callable[[bytes], bool]]] = {
    "image/jpeg": ("jpg", lambda b: b.startswith(b"\xff\xd8\xff")),
    "image/png": ("png", lambda b: b.startswith(b"\x89PNG\r\n\x1a\n")),
    "image/gif": ("gif", lambda b: b[:6] in (b"GIF87a", b"GIF89a")),
    "image/webp": ("webp", lambda b: b[:4] == b"RIFF" and b[8:12] == b"WEBP"),
}
COVER_EXTENSIONS = {ext: mime for mime, (ext, _) in COVER_TYPES.items()}
COVER_FILE = re.compile(r"^[0-9a-f]{32}\.(?:jpg|png|gif|webp)$")


def check_cover(value: Any, field_name: str = "front-cover") -> DataUri:
    """A base64 data URI holding a JPEG, PNG, GIF or WebP image of at most 10 MiB."""
    cover = parse_data_uri(value, field=field_name, max_bytes=COVER_MAX_BYTES)
    mime = "image/jpeg" if cover.mime_type in ("image/jpg", "image/pjpeg") else cover.mime_type
    if mime not in COVER_TYPES:
        raise Invalid(f"{field_name} must be a JPEG, PNG, GIF or WebP image (data:image/jpeg;base64,...)", field=field_name)
    if not COVER_TYPES[mime][1](cover.data):
        raise Invalid(f"{field_name} does not hold a {mime} image", field=field_name)
    return DataUri(mime_type=mime, data=cover.data)


def cover_key(org: str, file_name: str) -> str:
    return f"orgs/{org}/covers/{file_name}"


def cover_file(key: str | None) -> tuple[str, str] | None:
    """``orgs/<org>/covers/<file>`` → (org, file name), the parts of its public URL."""
    if not key:
        return None
    _, org, _, file_name = key.split("/", 3)
    return org, file_name


async def store_cover(hub: Hub, org: str, cover: DataUri) -> tuple[str, str]:
    """Store the image under a fresh name; returns its key and MD5."""
    key = cover_key(org, f"{uuid.uuid4().hex}.{COVER_TYPES[cover.mime_type][0]}")
    await hub.blobs.put(key, cover.data, content_type=cover.mime_type)
    return key, hashlib.md5(cover.data).hexdigest()
