"""A grant's version as one ZIP: what it holds, its ETag and name, and the
worker's backfill of the CRC-32s its layout needs.

The archive (:mod:`hub.archive`) holds the version's own files (not the
product's media library files), in path order, with their folders. Its
layout needs every file's CRC-32: recorded at upload beside the SHA-256
(:mod:`hub.services.uploads`), and filled in by the worker
(:func:`fill_missing_crc32`) for files uploaded before the hub recorded it.
Until a version's files all have theirs, :func:`archive_of` answers
:class:`ArchivePreparing` and the route says "being prepared, try again in a
minute" (``503`` with ``Retry-After``): reading gigabytes to compute them in
a buyer's request would hold the request for minutes.

Spending: an archive transfer is a transfer like a file's
(:func:`hub.services.downloads.start_transfer`), of a file whose id is
:func:`archive_id` and whose size is the archive's; the session's coverage
rules make a resumed or split archive one delivery of all its files.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hub.archive import ArchiveEntry, ArchiveLayout, archive_etag, archive_name, archive_size, layout_archive
from hub.clock import as_aware
from hub.context import Hub
from hub.db import ImmutableRows
from hub.storage import StorageError
from hub.tables import DownloadToken, VersionFile

log = logging.getLogger("hub.archives")

ARCHIVE_PREFIX = "zip_"
BACKFILL_BATCH = 20
RETRY_AFTER_SECONDS = 60

_LAYOUTS = ImmutableRows(32)  # by ETag: an ETag names one layout for good


class ArchivePreparing(Exception):
    """Some file of the version has no CRC-32 yet (the worker is filling it in)."""

    message = "The ZIP of all files is being prepared. Try again in a minute."


@dataclass(frozen=True, slots=True)
class Archive:
    """A version's archive: its id (:func:`archive_id`), the name it is
    saved under, its strong ETag, its time and its layout."""

    id: str
    name: str
    etag: str
    modified: datetime
    layout: ArchiveLayout
    file_count: int

    @property
    def size(self) -> int:
        return self.layout.size


def archive_id(version_id: str) -> str:
    """The id an archive's transfers record as their ``file``."""
    return ARCHIVE_PREFIX + version_id


def version_of_archive(file_id: str) -> str | None:
    """The version id of an archive id; None for a file's id."""
    return file_id[len(ARCHIVE_PREFIX):] if file_id.startswith(ARCHIVE_PREFIX) else None


def archive_time(version: dict[str, Any]) -> datetime:
    """The archive's time (every entry's, and its ``Last-Modified``): when
    the version became ready, else when it was made; UTC, whole seconds."""
    return as_aware(version["ready_at"] or version["created_at"]).astimezone(UTC).replace(microsecond=0)


def version_files(files: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The files of a grant that go in the archive: the version's own."""
    return [f for f in files if f.get("version") is not None and f["status"] == "ready"]


async def archive_of(hub: Hub, product: dict[str, Any], version: dict[str, Any], files: list[dict[str, Any]]) -> Archive:
    """The archive of ``product``'s ``version`` holding ``files`` (a
    grant's files; only the version's own are taken).

    Raises :class:`ArchivePreparing` while some file has no CRC-32 yet.
    """
    own = version_files(files)
    if any(f["crc32"] is None for f in own):
        own = await _with_fresh_crc32(hub, version, own)
    entries = [ArchiveEntry(f["path"], f["size"], f["crc32"], f["storage_key"]) for f in own]
    moment = archive_time(version)
    etag = archive_etag(version["id"], entries, moment)
    layout = _LAYOUTS.get(etag)
    if layout is None:
        layout = layout_archive(entries, moment.replace(tzinfo=None))
        _LAYOUTS.put(etag, layout)
    name = archive_name(product["name"], version["version"])
    return Archive(archive_id(version["id"]), name, etag, moment, layout, len(entries))


async def _with_fresh_crc32(hub: Hub, version: dict[str, Any], files: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``files`` with the CRC-32s the database holds now (the process keeps
    a ready version's rows, read maybe before the worker filled them in);
    the memo is brought up to date once they are all there."""
    rows = await VersionFile.select(VersionFile.id, VersionFile.crc32).where(VersionFile.version == version["id"])
    crc32 = {row["id"]: row["crc32"] for row in rows}
    fresh = [{**f, "crc32": crc32.get(f["id"])} for f in files]
    if any(f["crc32"] is None for f in fresh):
        raise ArchivePreparing(ArchivePreparing.message)
    cached = hub.db.ready_versions.get(version["id"])
    if cached is not None:
        cached_version, cached_files = cached
        hub.db.ready_versions.put(version["id"], (cached_version, [{**f, "crc32": crc32.get(f["id"])} for f in cached_files]))
    return fresh


@dataclass(frozen=True, slots=True)
class ArchiveSummary:
    """What a "Download all" button says: the archive's name, file count and size."""

    name: str
    count: int
    size: int


async def archive_summaries(token_ids: list[str]) -> dict[str, ArchiveSummary]:
    """The archive of each token's version, by token id, for the versions
    of two files or more (the size needs no CRC-32): two queries."""
    if not token_ids:
        return {}
    tokens = await DownloadToken.select(
        DownloadToken.id,
        DownloadToken.version,
        DownloadToken.product.name.as_alias("product_name"),
        DownloadToken.version.version.as_alias("version_name"),
    ).where(DownloadToken.id.is_in(token_ids))
    files: dict[str, list[tuple[str, int]]] = {}
    versions = list({token["version"] for token in tokens})
    for row in await VersionFile.select(VersionFile.version, VersionFile.path, VersionFile.size).where(
        VersionFile.version.is_in(versions)
    ) if versions else []:
        files.setdefault(row["version"], []).append((row["path"], row["size"]))
    return {
        token["id"]: ArchiveSummary(
            archive_name(token["product_name"], token["version_name"]),
            len(files[token["version"]]),
            archive_size(files[token["version"]]),
        )
        for token in tokens
        if len(files.get(token["version"], ())) >= 2
    }


async def fill_missing_crc32(hub: Hub, batch: int = BACKFILL_BATCH) -> int:
    """Record the CRC-32 of up to ``batch`` ready files that have none
    (uploaded before the hub recorded it) by reading their blobs; how many
    it tried. Idempotent: a file's CRC-32 is a function of its bytes, so
    two workers filling in the same file write the same value, and a file
    that has one is never read again. A blob that cannot be read is logged
    and left for the next pass (so a pass that only meets those says 0)."""
    rows = await VersionFile.select(VersionFile.id, VersionFile.storage_key, VersionFile.path).where(
        VersionFile.crc32.is_null(), VersionFile.status == "ready"
    ).order_by(VersionFile.id).limit(batch)
    done = 0
    for row in rows:
        try:
            digests = await hub.blobs.digests(row["storage_key"])
        except StorageError as problem:
            log.warning("The CRC-32 of %s (%s) cannot be computed yet: %s", row["id"], row["path"], problem)
            continue
        async with hub.db.write_transaction():
            await VersionFile.update({VersionFile.crc32: digests.crc32}).where(
                VersionFile.id == row["id"], VersionFile.crc32.is_null()
            )
        done += 1
    return done
