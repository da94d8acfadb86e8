"""Blob storage in an S3-compatible bucket (AWS S3, MinIO, R2, B2, moto...).

One aiobotocore client is opened in ``start()`` and reused for the app's
lifetime: clients own an HTTP connection pool, and creating one per request
would cost a TLS handshake and a credential lookup each time. Large uploads
can bypass the hub entirely through presigned part URLs, and downloads
through presigned GET URLs.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import aioboto3
from aiobotocore.config import AioConfig
from botocore.exceptions import BotoCoreError, ClientError

from hub.faults import crash_point

from .base import (
    BlobDigests,
    BlobInfo,
    BlobStore,
    StorageError,
    content_disposition_attachment,
    validate_key,
    validate_part_number,
    validate_parts,
    validate_range,
)

__all__ = ["S3BlobStore", "S3Config"]

#: HEAD responses carry no body, so a missing object shows up as a bare status.
_MISSING_CODES = {"404", "NoSuchKey", "NotFound"}
_MISSING_BUCKET_CODES = {"404", "NoSuchBucket", "NotFound"}


@dataclass(frozen=True)
class S3Config:
    """Where and how to reach the bucket.

    Credentials left as None fall back to botocore's usual chain (environment,
    instance profile...). ``prefix`` namespaces every key inside a shared
    bucket. ``addressing_style`` is ``"auto"``, ``"path"`` or ``"virtual"``;
    most self-hosted S3 clones want ``"path"``.
    """

    bucket: str
    endpoint_url: str | None = None
    region: str = "us-east-1"
    access_key_id: str | None = None
    secret_access_key: str | None = field(default=None, repr=False)
    prefix: str = ""
    addressing_style: Literal["auto", "path", "virtual"] = "auto"


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class S3BlobStore(BlobStore):
    """Stores blobs as objects in one bucket, under ``config.prefix``."""

    kind = "s3"

    def __init__(self, config: S3Config, *, session: aioboto3.Session | None = None) -> None:
        """``session`` lets several stores share one botocore session and thus its
        parsed service models (tests start a store per test; building a fresh
        session costs ~0.1 s). Credentials always come from ``config``."""
        self.config = config
        self._session = session
        prefix = config.prefix.strip("/")
        self._prefix = f"{prefix}/" if prefix else ""
        self._stack: AsyncExitStack | None = None
        self._client: Any = None

    # -- helpers -----------------------------------------------------------

    def _key(self, key: str) -> str:
        return self._prefix + validate_key(key)

    @property
    def _s3(self) -> Any:
        if self._client is None:
            raise StorageError("S3 blob store used before start() or after close()")
        return self._client

    @staticmethod
    def _translate(exc: Exception, action: str, key: str | None = None) -> StorageError:
        """Build a StorageError with a readable message from a botocore exception."""
        where = f" for {key!r}" if key is not None else ""
        if isinstance(exc, ClientError):
            code = _error_code(exc)
            message = exc.response.get("Error", {}).get("Message") or str(exc)
            return StorageError(f"S3 {action}{where} failed: {code}: {message}", code=code or None)
        return StorageError(f"S3 {action}{where} failed: {exc}")

    @contextmanager
    def _errors(self, action: str, key: str | None = None) -> Iterator[None]:
        """Re-raise botocore exceptions from the block as StorageError."""
        try:
            yield
        except (ClientError, BotoCoreError) as exc:
            raise self._translate(exc, action, key) from exc

    # -- lifecycle ---------------------------------------------------------

    async def start(self) -> None:
        if self._client is not None:
            return
        cfg = self.config
        client_config = AioConfig(
            # Without this, presigned URLs for a custom endpoint come out as
            # legacy SigV2 (?AWSAccessKeyId=...&Signature=...), which R2 and
            # every AWS region launched since 2014 refuse.
            signature_version="s3v4",
            s3={"addressing_style": cfg.addressing_style},
            # botocore >= 1.36 sends CRC32 checksums (aws-chunked trailers) on
            # every upload by default; several S3-compatible services reject
            # them, and parts PUT through presigned URLs carry none anyway.
            # Only checksum where the API demands it.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        session = self._session or aioboto3.Session()
        stack = AsyncExitStack()
        try:
            self._client = await stack.enter_async_context(
                session.client(
                    "s3",
                    endpoint_url=cfg.endpoint_url,
                    region_name=cfg.region,
                    aws_access_key_id=cfg.access_key_id,
                    aws_secret_access_key=cfg.secret_access_key,
                    config=client_config,
                )
            )
            await self._ensure_bucket()
        except BaseException:
            self._client = None
            await stack.aclose()
            raise
        self._stack = stack

    async def _ensure_bucket(self) -> None:
        bucket = self.config.bucket
        try:
            await self._s3.head_bucket(Bucket=bucket)
            return
        except ClientError as exc:
            if _error_code(exc) not in _MISSING_BUCKET_CODES:
                raise self._translate(exc, f"checking bucket {bucket!r}") from exc
        except BotoCoreError as exc:
            raise self._translate(exc, f"checking bucket {bucket!r}") from exc
        params: dict[str, Any] = {"Bucket": bucket}
        if self.config.region != "us-east-1":
            # us-east-1 is the one region that rejects an explicit constraint.
            params["CreateBucketConfiguration"] = {"LocationConstraint": self.config.region}
        try:
            await self._s3.create_bucket(**params)
        except ClientError as exc:
            # Another worker may have created it between our HEAD and PUT.
            if _error_code(exc) != "BucketAlreadyOwnedByYou":
                raise self._translate(exc, f"creating bucket {bucket!r}") from exc
        except BotoCoreError as exc:
            raise self._translate(exc, f"creating bucket {bucket!r}") from exc

    async def close(self) -> None:
        stack, self._stack, self._client = self._stack, None, None
        if stack is not None:
            await stack.aclose()

    # -- multipart ---------------------------------------------------------

    async def create_multipart(self, key: str) -> str:
        with self._errors("create_multipart_upload", key):
            resp = await self._s3.create_multipart_upload(
                Bucket=self.config.bucket, Key=self._key(key)
            )
        return resp["UploadId"]

    async def upload_part(self, key: str, upload_id: str, part_number: int, data: bytes) -> str:
        full_key = self._key(key)
        validate_part_number(part_number)
        try:
            with self._errors(f"upload_part {part_number}", key):
                resp = await self._s3.upload_part(
                    Bucket=self.config.bucket,
                    Key=full_key,
                    UploadId=upload_id,
                    PartNumber=part_number,
                    Body=data,
                )
        except StorageError as exc:
            raise await self._explain_upload_failure(exc, key, upload_id) from exc
        return resp["ETag"]

    async def _explain_upload_failure(self, exc: StorageError, key: str, upload_id: str) -> StorageError:
        """``exc``, or NoSuchUpload when the multipart upload is gone.

        Some S3 implementations (moto among them) answer a part or a
        completion for an upload aborted meanwhile with a bare 500 instead
        of NoSuchUpload; asking for the upload's parts tells the two apart,
        so that the caller can answer a race as a race, not as an outage.
        """
        if exc.code == "NoSuchUpload":
            return exc
        try:
            with self._errors("list_parts", key):
                await self._s3.list_parts(
                    Bucket=self.config.bucket, Key=self._key(key), UploadId=upload_id, MaxParts=1
                )
        except StorageError as probe:
            if probe.code == "NoSuchUpload":
                return StorageError(f"S3 upload {upload_id!r} for {key!r} no longer exists", code="NoSuchUpload")
        return exc

    async def presign_upload_part(
        self, key: str, upload_id: str, part_number: int, expires_in: int
    ) -> str | None:
        full_key = self._key(key)
        validate_part_number(part_number)
        with self._errors("presigning upload_part", key):
            return await self._s3.generate_presigned_url(
                "upload_part",
                Params={
                    "Bucket": self.config.bucket,
                    "Key": full_key,
                    "UploadId": upload_id,
                    "PartNumber": part_number,
                },
                ExpiresIn=expires_in,
            )

    async def complete_multipart(
        self, key: str, upload_id: str, parts: list[tuple[int, str]]
    ) -> BlobInfo:
        full_key = self._key(key)
        validate_parts(parts)
        try:
            with self._errors("complete_multipart_upload", key):
                await self._s3.complete_multipart_upload(
                    Bucket=self.config.bucket,
                    Key=full_key,
                    UploadId=upload_id,
                    MultipartUpload={
                        "Parts": [{"PartNumber": n, "ETag": etag} for n, etag in parts]
                    },
                )
        except StorageError as exc:
            raise await self._explain_upload_failure(exc, key, upload_id) from exc
        # The completion response has no size; one HEAD is cheap next to the upload.
        info = await self.stat(key)
        if info is None:
            raise StorageError(f"S3 object {key!r} missing right after completing its upload")
        return info

    async def abort_multipart(self, key: str, upload_id: str) -> None:
        full_key = self._key(key)
        try:
            with self._errors("abort_multipart_upload", key):
                await self._s3.abort_multipart_upload(
                    Bucket=self.config.bucket, Key=full_key, UploadId=upload_id
                )
        except StorageError as exc:
            if exc.code != "NoSuchUpload":  # already gone: aborting is idempotent
                raise

    # -- whole blobs -------------------------------------------------------

    async def put(self, key: str, data: bytes, content_type: str | None = None) -> BlobInfo:
        params: dict[str, Any] = {"Bucket": self.config.bucket, "Key": self._key(key), "Body": data}
        if content_type:
            params["ContentType"] = content_type
        with self._errors("put_object", key):
            await self._s3.put_object(**params)
        return BlobInfo(key=key, size=len(data))

    async def stat(self, key: str) -> BlobInfo | None:
        full_key = self._key(key)
        try:
            with self._errors("head_object", key):
                resp = await self._s3.head_object(Bucket=self.config.bucket, Key=full_key)
        except StorageError as exc:
            if exc.code in _MISSING_CODES:
                return None
            raise
        return BlobInfo(key=key, size=int(resp["ContentLength"]))

    async def sha256(self, key: str) -> str:
        return (await self.digests(key)).sha256

    async def digests(self, key: str) -> BlobDigests:
        h, crc = hashlib.sha256(), 0
        async for chunk in self._stream(key, None, "hashing"):
            h.update(chunk)
            crc = zlib.crc32(chunk, crc)
            crash_point("storage.hashing")
        return BlobDigests(h.hexdigest(), crc)

    async def open_range(
        self, key: str, start: int, end: int, chunk_size: int = 1 << 20
    ) -> AsyncGenerator[bytes, None]:
        """Stream ``start..end`` with one ranged GET; chunks may be shorter than ``chunk_size``."""
        validate_range(start, end)
        if chunk_size <= 0:
            raise ValueError("chunk_size must be positive")
        async for chunk in self._stream(key, f"bytes={start}-{end}", "get_object", chunk_size):
            yield chunk

    async def _stream(
        self, key: str, byte_range: str | None, action: str, chunk_size: int = 1 << 20
    ) -> AsyncIterator[bytes]:
        params: dict[str, Any] = {"Bucket": self.config.bucket, "Key": self._key(key)}
        if byte_range:
            params["Range"] = byte_range
        with self._errors(action, key):
            resp = await self._s3.get_object(**params)
            body = resp["Body"]
            # Entering the body releases the pooled connection on exit, even
            # when the consumer stops early (client disconnected mid-download).
            # body.read() checks Content-Length and maps network errors to
            # botocore exceptions, which _errors turns into StorageError.
            async with body:
                while chunk := await body.read(chunk_size):
                    yield chunk

    async def delete(self, key: str) -> None:
        full_key = self._key(key)
        with self._errors("delete_object", key):
            await self._s3.delete_object(Bucket=self.config.bucket, Key=full_key)

    async def presign_get(
        self, key: str, expires_in: int, filename: str | None = None
    ) -> str | None:
        params: dict[str, Any] = {"Bucket": self.config.bucket, "Key": self._key(key)}
        if filename:
            params["ResponseContentDisposition"] = content_disposition_attachment(filename)
        with self._errors("presigning get_object", key):
            return await self._s3.generate_presigned_url(
                "get_object", Params=params, ExpiresIn=expires_in
            )

    def local_path(self, key: str) -> str | None:
        """S3 objects have no local path; the HTTP layer streams or redirects instead."""
        return None
