"""The storage interface every blob backend implements.

Product files can be many gigabytes, so the interface is built around
multipart uploads (resumable, parallel, optionally straight to S3 through
presigned URLs) and ranged, chunked reads (resumable downloads in constant
memory). Keys are opaque, hub-generated strings such as
``orgs/acme/files/3f2a...``; they are validated anyway because a key ends up
as a filesystem path on the local backend.
"""

from __future__ import annotations

import abc
import hashlib
import zlib
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from urllib.parse import quote

__all__ = [
    "BlobDigests",
    "BlobInfo",
    "BlobStore",
    "StorageError",
    "content_disposition_attachment",
    "validate_key",
    "validate_part_number",
]

#: S3 caps object keys at 1024 bytes of UTF-8; enforcing it everywhere keeps
#: the local and S3 backends interchangeable.
MAX_KEY_BYTES = 1024
#: S3 part numbers run from 1 to 10,000; the local backend follows suit.
MAX_PART_NUMBER = 10_000


class StorageError(Exception):
    """A storage operation failed (missing blob or upload, backend error...).

    ``code`` carries the backend's error code when there is one (for example
    ``"NoSuchUpload"`` or ``"NoSuchKey"``) so callers can map it to an HTTP
    status without parsing the message.
    """

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class BlobInfo:
    """What the hub needs to know about a stored blob."""

    key: str
    size: int


@dataclass(frozen=True)
class BlobDigests:
    """A blob's SHA-256 (hex) and CRC-32, computed in one reading of it."""

    sha256: str
    crc32: int


def validate_key(key: str) -> str:
    """Return ``key`` unchanged, or raise ValueError if it is unsafe.

    Rejected: empty keys, a leading ``/``, backslashes, NUL, empty / ``.`` /
    ``..`` segments (so no trailing or doubled slashes either), a first
    segment starting with ``.`` (reserved for backend bookkeeping such as
    ``.multipart``) and keys longer than S3's 1024-byte limit.
    """
    if not isinstance(key, str) or not key:
        raise ValueError("storage key must be a non-empty string")
    if key.startswith("/"):
        raise ValueError(f"storage key must not start with '/': {key!r}")
    if "\\" in key or "\x00" in key:
        raise ValueError(f"storage key must not contain a backslash or NUL: {key!r}")
    segments = key.split("/")
    if any(seg in ("", ".", "..") for seg in segments):
        raise ValueError(f"storage key has an empty, '.' or '..' segment: {key!r}")
    if segments[0].startswith("."):
        raise ValueError(f"storage key's first segment must not start with '.': {key!r}")
    if len(key.encode("utf-8")) > MAX_KEY_BYTES:
        raise ValueError(f"storage key is longer than {MAX_KEY_BYTES} bytes")
    return key


def validate_part_number(part_number: int) -> int:
    """Part numbers follow S3: integers from 1 to 10,000."""
    if (
        not isinstance(part_number, int)
        or isinstance(part_number, bool)
        or not 1 <= part_number <= MAX_PART_NUMBER
    ):
        raise ValueError(f"part number must be 1..{MAX_PART_NUMBER}, got {part_number!r}")
    return part_number


def validate_parts(parts: list[tuple[int, str]]) -> None:
    """Completion lists must be non-empty and strictly ascending, as S3 demands."""
    if not parts:
        raise ValueError("cannot complete a multipart upload without parts")
    previous = 0
    for part_number, _etag in parts:
        validate_part_number(part_number)
        if part_number <= previous:
            raise ValueError("parts must be listed in strictly ascending part-number order")
        previous = part_number


def validate_range(start: int, end: int) -> None:
    """``end`` is inclusive, as in an HTTP Range header."""
    if start < 0 or end < start:
        raise ValueError(f"invalid byte range {start}-{end}")


# RFC 5987 attr-char minus ALPHA / DIGIT (which quote() never escapes).
_ATTR_CHAR_SAFE = "!#$&+-.^_`|~"


def content_disposition_attachment(filename: str) -> str:
    """Build an RFC 6266 ``attachment`` header value for ``filename``.

    Browsers that understand ``filename*`` get the exact UTF-8 name; older
    clients get an ASCII fallback with quotes, backslashes and control or
    non-ASCII characters replaced by ``_``.
    """
    fallback = "".join(
        ch if 0x20 <= ord(ch) < 0x7F and ch not in '"\\' else "_" for ch in filename
    ) or "download"
    encoded = quote(filename, safe=_ATTR_CHAR_SAFE, encoding="utf-8")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"


class BlobStore(abc.ABC):
    """Abstract blob store; see ``LocalBlobStore`` and ``S3BlobStore``.

    Lifecycle: call ``start()`` once when the app starts and ``close()`` when
    it stops. Every key argument is checked with ``validate_key`` and every
    failure of the backend surfaces as ``StorageError``.
    """

    #: ``"local"`` or ``"s3"``.
    kind: str

    @abc.abstractmethod
    async def start(self) -> None:
        """Acquire long-lived resources (directories, the S3 client, the bucket)."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Release what ``start()`` acquired."""

    @abc.abstractmethod
    async def create_multipart(self, key: str) -> str:
        """Begin a multipart upload for ``key`` and return its upload id."""

    @abc.abstractmethod
    async def upload_part(self, key: str, upload_id: str, part_number: int, data: bytes) -> str:
        """Store one part and return its ETag; re-sending a part number replaces it."""

    @abc.abstractmethod
    async def presign_upload_part(
        self, key: str, upload_id: str, part_number: int, expires_in: int
    ) -> str | None:
        """A URL the client can PUT the part to directly, or None if parts must go through the hub."""

    @abc.abstractmethod
    async def complete_multipart(
        self, key: str, upload_id: str, parts: list[tuple[int, str]]
    ) -> BlobInfo:
        """Assemble ``parts`` (``(part_number, etag)``, ascending) into the blob at ``key``."""

    @abc.abstractmethod
    async def abort_multipart(self, key: str, upload_id: str) -> None:
        """Discard an upload and its parts; aborting an unknown upload is not an error."""

    @abc.abstractmethod
    async def put(self, key: str, data: bytes, content_type: str | None = None) -> BlobInfo:
        """Store a small blob in one request (cover images and the like)."""

    @abc.abstractmethod
    async def stat(self, key: str) -> BlobInfo | None:
        """Size of the blob at ``key``, or None if there is none."""

    @abc.abstractmethod
    async def sha256(self, key: str) -> str:
        """Hex SHA-256 of the blob, computed by streaming it in constant memory."""

    async def digests(self, key: str) -> BlobDigests:
        """SHA-256 and CRC-32 of the blob, in one streaming pass (constant
        memory). This default reads it through :meth:`open_range`; the
        built-in backends override it with their own reading."""
        info = await self.stat(key)
        if info is None:
            raise StorageError(f"no blob at {key!r}", code="NoSuchKey")
        sha, crc = hashlib.sha256(), 0
        if info.size:
            async for chunk in self.open_range(key, 0, info.size - 1):
                sha.update(chunk)
                crc = zlib.crc32(chunk, crc)
        return BlobDigests(sha.hexdigest(), crc)

    @abc.abstractmethod
    def open_range(
        self, key: str, start: int, end: int, chunk_size: int = 1 << 20
    ) -> AsyncGenerator[bytes, None]:
        """Yield the bytes ``start..end`` (inclusive) in chunks of at most ``chunk_size``.

        An async generator: a reader that stops early calls ``aclose()``
        (:mod:`hub.web.file_response` does), which releases the file or the
        S3 body at once."""

    @abc.abstractmethod
    async def delete(self, key: str) -> None:
        """Remove the blob; deleting a missing blob is not an error."""

    @abc.abstractmethod
    async def presign_get(
        self, key: str, expires_in: int, filename: str | None = None
    ) -> str | None:
        """A time-limited download URL (as an attachment named ``filename``), or None."""

    @abc.abstractmethod
    def local_path(self, key: str) -> str | None:
        """Absolute filesystem path of the blob for zero-copy sending, or None."""
