"""Where product files live: the local disk or an S3-compatible bucket.

The rest of the hub talks only to ``BlobStore``; ``create_blob_store`` picks
the backend from configuration.
"""

from __future__ import annotations

from pathlib import Path

from .base import BlobDigests, BlobInfo, BlobStore, StorageError, content_disposition_attachment, validate_key
from .local import LocalBlobStore
from .s3 import S3BlobStore, S3Config

__all__ = [
    "BlobDigests",
    "BlobInfo",
    "BlobStore",
    "LocalBlobStore",
    "S3BlobStore",
    "S3Config",
    "StorageError",
    "content_disposition_attachment",
    "create_blob_store",
    "validate_key",
]


def create_blob_store(kind: str, *, data_dir: Path, s3: S3Config | None) -> BlobStore:
    """Build (but do not start) the configured backend.

    ``"local"`` keeps blobs in ``<data_dir>/blobs`` so they never mix with the
    database or other files in the data directory; ``"s3"`` needs ``s3``.
    """
    if kind == "local":
        return LocalBlobStore(Path(data_dir) / "blobs")
    if kind == "s3":
        if s3 is None:
            raise ValueError("storage kind 's3' needs an S3Config")
        return S3BlobStore(s3)
    raise ValueError(f"unknown storage kind {kind!r} (expected 'local' or 's3')")
