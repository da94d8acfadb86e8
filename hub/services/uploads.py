"""Multipart uploads of a version's files: initiate, parts, complete, abort.

Every step may be repeated, raced and interrupted. The README promises that
parts may be sent in parallel and sent again, and a shop's upload of many
gigabytes must survive a ``kill -9`` of the hub at any moment. So:

- Sending a part is an upsert: the same part sent ten times at once leaves
  one row, the last ETag.
- Completing is idempotent. The blob store writes the assembled blob whole
  or not at all and drops the parts only once the blob is in place; the hub
  then checks size and SHA-256 itself and marks the file ready and, with its
  last file, the version ready in one transaction. Calling ``complete``
  again after a crash at any point either finishes the job (assemble again,
  or verify the blob already assembled) or answers 409 naming the parts to
  send again, when the storage lost them. On a file already ready it gives
  the same answer again.
- Every storage failure and every race (a part or a completion racing an
  abort, two completions at once) answers a clear 4xx; a storage outage
  answers 503. Never a bare 500.

A file's ``upload_id`` stays on its row once the file is ready, so that a
retried ``complete`` (its first answer lost with the crash) still finds it.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from piccolo.columns.combination import And, Where

from hub import resources
from hub.clock import utcnow
from hub.context import Hub
from hub.errors import Conflict, HubError, Invalid, NotFound, Unavailable
from hub.faults import crash_point
from hub.manifest import normalize_path
from hub.plugins import records
from hub.plugins.events import VersionReady
from hub.secrets import new_id
from hub.services.entitlement import mark_released
from hub.services.events import emit
from hub.services.products import find_product, find_version
from hub.storage import BlobInfo, StorageError
from hub.tables import Product, UploadPart, Version, VersionFile

log = logging.getLogger("hub.uploads")

#: Storage error codes meaning "this multipart upload no longer exists"
#: (completed or aborted by a concurrent request, or by an earlier attempt).
_UPLOAD_GONE = {"NoSuchUpload"}
#: Storage error codes meaning "the parts listed do not match the stored ones".
_BAD_PARTS = {"InvalidPart", "InvalidPartOrder", "EntityTooSmall"}


def part_plan(size: int, part_size: int) -> list[tuple[int, int]]:
    """``(part_number, part_size)`` for every part of a file; one part at least."""
    count = max(1, math.ceil(size / part_size))
    return [(n, min(part_size, size - (n - 1) * part_size)) for n in range(1, count + 1)]


def _numbers(parts: list[int]) -> str:
    """``1, 2, 5`` (at most ten shown): parts named in an error message."""
    return ", ".join(map(str, parts[:10])) + ("…" if len(parts) > 10 else "")


async def _storage_failure(exc: StorageError, file: dict[str, Any], upload_id: str) -> HubError:
    """The answer for a storage error on an upload path.

    The hub's own record decides first: when the upload is no longer in
    progress, the error was a race with an abort or a rejection (which some
    S3 implementations answer with a 500 of their own), and the client gets
    a 409. Otherwise a wrong part list is the client's to fix (422), and
    anything else is an outage (503), worth a retry.
    """
    await _still_in_progress(file, upload_id)
    if exc.code in _UPLOAD_GONE:
        return Conflict(
            f"Upload {upload_id} is no longer in progress (completed or aborted meanwhile); "
            "GET it to see its state, or initiate the file's upload again"
        )
    if exc.code in _BAD_PARTS:
        return Invalid(f"The parts do not match what storage holds: {exc}", field="parts")
    return Unavailable(f"Storage is not available right now ({exc}); try again")


async def _file_for_upload(org: str, upload_id: str) -> dict[str, Any]:
    row = (
        await VersionFile.select(
            *VersionFile.all_columns(),
            VersionFile.version.org.as_alias("org"),
            VersionFile.version.status.as_alias("version_status"),
        )
        .where(VersionFile.upload_id == upload_id)
        .first()
    )
    if row is None or row["org"] != org:
        raise NotFound(f"Upload {upload_id} not found")
    return row


async def _still_in_progress(file: dict[str, Any], upload_id: str) -> dict[str, Any]:
    """The file's row again; Conflict when the upload was aborted, rejected
    or completed by a concurrent request since ``file`` was read."""
    row = await VersionFile.select().where(VersionFile.id == file["id"]).first()
    if row is None or row["upload_id"] != upload_id:
        raise Conflict(
            f"Upload {upload_id} is no longer in progress (aborted, or rejected by a failed check); "
            f"initiate the upload of {file['path']!r} again"
        )
    return row


async def describe_upload(hub: Hub, org: str, upload_id: str, *, presign: bool = False) -> dict[str, Any]:
    """The upload's plan: every part with its size, whether received, and a
    presigned URL when asked for and the blob store can make one."""
    file = await _file_for_upload(org, upload_id)
    done = file["status"] == "ready"
    received = {
        row["part_number"]: row
        for row in await UploadPart.select().where(
            UploadPart.file == file["id"], UploadPart.upload_id == upload_id
        )
    }
    parts = []
    for number, size in part_plan(file["size"], hub.settings.upload_part_size):
        part: dict[str, Any] = {"partNumber": number, "size": size, "received": done or number in received}
        if number in received:
            part["etag"] = received[number]["etag"]
        if presign and not done:
            try:
                part["url"] = await hub.blobs.presign_upload_part(
                    file["storage_key"], file["storage_upload_id"], number, hub.settings.presign_expires
                )
            except StorageError as exc:
                raise await _storage_failure(exc, file, upload_id) from exc
        parts.append(part)
    return {
        "id": upload_id,
        "fileId": file["id"],
        "path": file["path"],
        "size": file["size"],
        "sha256": file["sha256"],
        "status": "complete" if done else "uploading",
        "partSize": hub.settings.upload_part_size,
        "partCount": len(parts),
        "parts": parts,
    }


async def start_upload(hub: Hub, org: str, product_id: str, version: str, path: Any, *, presign: bool = False) -> dict[str, Any]:
    """Initiate (or resume) the multipart upload of one manifest file.

    Initiating a file that already has an upload in progress returns that
    upload with the parts received so far, so an interrupted client resumes
    instead of starting over.
    """
    product = await find_product(org, product_id)
    version_row = await find_version(product, version)
    if version_row["status"] == "ready":
        raise Conflict(f"Version {version} is ready and cannot be changed; create a new version")
    path = normalize_path(path)
    file = (
        await VersionFile.select()
        .where(VersionFile.version == version_row["id"], VersionFile.path == path)
        .first()
    )
    if file is None:
        raise NotFound(f"No file {path!r} in the manifest of version {version}", field="path")
    if file["status"] == "ready":
        await _finish_version_if_complete(hub, version_row["id"])  # repairs what an old crash left
        raise Conflict(f"File {path!r} of version {version} is already uploaded", field="path")
    if file["upload_id"] is None:
        try:
            storage_upload_id = await hub.blobs.create_multipart(file["storage_key"])
        except StorageError as exc:
            raise Unavailable(f"Storage is not available right now ({exc}); try again") from exc
        upload_id = new_id("upload")
        # Only one initiate may win; a loser drops its storage upload and
        # resumes the winner's.
        won = await VersionFile.update(
            {
                VersionFile.upload_id: upload_id,
                VersionFile.storage_upload_id: storage_upload_id,
                VersionFile.status: "uploading",
            }
        ).where(VersionFile.id == file["id"], VersionFile.upload_id.is_null()).returning(VersionFile.id)
        if not won:
            await hub.blobs.abort_multipart(file["storage_key"], storage_upload_id)
        await Version.update({Version.status: "uploading"}).where(
            Version.id == version_row["id"], Version.status == "pending"
        )
    file = await VersionFile.select(VersionFile.upload_id).where(VersionFile.id == file["id"]).first()
    assert file is not None  # a file is never deleted while its version is uploading
    return await describe_upload(hub, org, file["upload_id"], presign=presign)


async def upload_part(hub: Hub, org: str, upload_id: str, part_number: int, data: bytes) -> dict[str, Any]:
    """Store one part's bytes; sending the same part again (or many times at
    once) replaces it."""
    file = await _file_for_upload(org, upload_id)
    if file["status"] == "ready":
        raise Conflict(f"Upload {upload_id} is complete; {file['path']!r} cannot change")
    plan = dict(part_plan(file["size"], hub.settings.upload_part_size))
    if part_number not in plan:
        raise Invalid(f"partNumber must be from 1 to {len(plan)} for this file", field="partNumber")
    if len(data) != plan[part_number]:
        raise Invalid(
            f"Part {part_number} must be exactly {plan[part_number]} bytes; received {len(data)}", field="body"
        )
    try:
        etag = await hub.blobs.upload_part(file["storage_key"], file["storage_upload_id"], part_number, data)
    except StorageError as exc:
        raise await _storage_failure(exc, file, upload_id) from exc
    async with hub.db.write_transaction():
        # Locks the file's row, so an abort cannot slip in between the check
        # and the insert and leave a part behind for an upload that is gone.
        current = await VersionFile.update({VersionFile.upload_id: upload_id}).where(
            *_in_storage_upload(file, upload_id)
        ).returning(VersionFile.id)
        if not current:
            raise await _storage_failure(StorageError("gone", code="NoSuchUpload"), file, upload_id)
        await UploadPart.insert(
            UploadPart(file=file["id"], upload_id=upload_id, part_number=part_number, size=len(data), etag=etag)
        ).on_conflict(
            target=(UploadPart.file, UploadPart.upload_id, UploadPart.part_number),
            action="DO UPDATE",
            values=[UploadPart.size, UploadPart.etag],
        )
    return {"partNumber": part_number, "size": len(data), "etag": etag}


async def _reset_upload(hub: Hub, file: dict[str, Any], upload_id: str) -> bool:
    """Forget the upload (its parts too), so the file can be uploaded afresh;
    False when it was no longer this file's upload in progress."""
    async with hub.db.write_transaction():
        reset = await VersionFile.update(
            {VersionFile.upload_id: None, VersionFile.storage_upload_id: None, VersionFile.status: "pending"}
        ).where(
            VersionFile.id == file["id"], VersionFile.upload_id == upload_id, VersionFile.status != "ready"
        ).returning(VersionFile.id)
        await UploadPart.delete().where(UploadPart.file == file["id"], UploadPart.upload_id == upload_id)
    return bool(reset)


async def abort_upload(hub: Hub, org: str, upload_id: str) -> None:
    """Drop an upload and its parts; the file can be uploaded afresh."""
    file = await _file_for_upload(org, upload_id)
    if file["status"] == "ready":
        raise Conflict(f"Upload {upload_id} is complete and cannot be aborted")
    # The hub's record goes first: from then on, a part or a completion
    # racing this abort finds the upload gone in the database whatever
    # storage answers it. A crash before the storage abort leaves an
    # unreferenced storage upload (see the README on cleaning those up),
    # never a record pointing at nothing.
    if not await _reset_upload(hub, file, upload_id):
        # A concurrent completion won; the file is ready (or being reset by it).
        raise Conflict(f"Upload {upload_id} completed before it could be aborted")
    try:
        await hub.blobs.abort_multipart(file["storage_key"], file["storage_upload_id"])
    except StorageError as exc:
        log.warning("Upload %s is aborted, but its storage upload could not be dropped: %s", upload_id, exc)


async def complete_upload(hub: Hub, org: str, upload_id: str, client_parts: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Assemble the parts, verify size and SHA-256, and mark the file ready.

    ``client_parts`` (part numbers and ETags) is needed only when the client
    sent the parts straight to S3 through presigned URLs. A mismatch drops
    the assembled blob and leaves the file not ready, so the client can
    upload it again. Safe to call again, concurrently or after a crash at
    any point (see the module's docstring).
    """
    file = await _file_for_upload(org, upload_id)
    if file["status"] == "ready":
        # Completed before: this is a retry whose first answer was lost.
        version = await _finish_version_if_complete(hub, file["version"])
        return {"file": await _file_row(file["id"]), "version": version}
    plan = part_plan(file["size"], hub.settings.upload_part_size)
    etags = _listed_etags(client_parts) if client_parts is not None else await _received_etags(file, upload_id)
    missing = [number for number, _ in plan if number not in etags]
    if missing:
        await _still_in_progress(file, upload_id)  # not "missing" when an abort took them
        raise Invalid(f"Parts still missing for {file['path']!r}: {_numbers(missing)}", field="parts")

    crash_point("upload.before-assembling")
    blob = await _assemble(hub, file, upload_id, [(number, etags[number]) for number, _ in plan])
    crash_point("upload.assembled")
    problem, crc32 = await _check_blob(hub, file, upload_id, blob)
    if problem:
        await hub.blobs.delete(file["storage_key"])
        crash_point("upload.rejected")
        await _reset_upload(hub, file, upload_id)
        raise Invalid(f"Upload rejected, {problem}; upload the file again", field="sha256")
    crash_point("upload.verified")

    async with hub.db.write_transaction():
        # The file and (with its last file) the version become ready in one
        # transaction: a crash can never leave a version with every file in
        # and the version itself still "uploading". The version's row is
        # locked first, so two files completing at once cannot each miss
        # the other's (uncommitted) change and leave the version unfinished.
        await _lock_version(hub, file["version"])
        marked = await VersionFile.update({VersionFile.status: "ready", VersionFile.crc32: crc32}).where(
            VersionFile.id == file["id"], VersionFile.upload_id == upload_id
        ).returning(VersionFile.id)
        if not marked:
            raise Conflict(f"Upload {upload_id} was aborted while it completed; initiate it again")
        await UploadPart.delete().where(UploadPart.file == file["id"], UploadPart.upload_id == upload_id)
        crash_point("upload.file-ready")
        version = await _finish_version_if_complete(hub, file["version"])
    return {"file": await _file_row(file["id"]), "version": version}


def _listed_etags(client_parts: list[dict[str, Any]]) -> dict[int, str]:
    etags = {}
    for index, part in enumerate(client_parts):
        number, etag = part.get("partNumber"), part.get("etag")
        if not isinstance(number, int) or not isinstance(etag, str):
            raise Invalid(f"parts[{index}] needs partNumber and etag", field=f"parts[{index}]")
        etags[number] = etag
    return etags


async def _received_etags(file: dict[str, Any], upload_id: str) -> dict[int, str]:
    rows = await UploadPart.select().where(UploadPart.file == file["id"], UploadPart.upload_id == upload_id)
    return {row["part_number"]: row["etag"] for row in rows}


async def _assemble(hub: Hub, file: dict[str, Any], upload_id: str, parts: list[tuple[int, str]]) -> BlobInfo:
    """The assembled blob: assembled now, or by an earlier attempt.

    When storage no longer knows the multipart upload, an earlier attempt
    (one that crashed before it could answer, or a concurrent one) has
    assembled it already, and the blob is there to be verified. When the
    blob is not there either, storage lost the parts (an abort, a bucket
    lifecycle rule): a fresh storage upload takes their place and the
    client is told to send every part again.
    """
    try:
        return await hub.blobs.complete_multipart(file["storage_key"], file["storage_upload_id"], parts)
    except StorageError as exc:
        if exc.code not in _UPLOAD_GONE:
            raise await _storage_failure(exc, file, upload_id) from exc
    await _still_in_progress(file, upload_id)
    try:
        blob = await hub.blobs.stat(file["storage_key"])
    except StorageError as exc:
        raise await _storage_failure(exc, file, upload_id) from exc
    if blob is not None:
        return blob
    await _start_over_in_storage(hub, file, upload_id)
    every = [number for number, _ in part_plan(file["size"], hub.settings.upload_part_size)]
    raise Conflict(
        f"Storage no longer holds the parts of {file['path']!r}; send parts {_numbers(every)} again "
        f"(GET /api/uploads/{upload_id} lists them), then complete",
        field="parts",
    )


def _in_storage_upload(file: dict[str, Any], upload_id: str) -> tuple[Where | And, ...]:
    """Conditions: ``file`` is still in the hub's upload ``upload_id``, on the
    storage upload it was read with, and not ready (an abort, a start-over or
    a completion in between changes one of them)."""
    return (
        VersionFile.id == file["id"],
        VersionFile.upload_id == upload_id,
        VersionFile.storage_upload_id == file["storage_upload_id"],
        VersionFile.status != "ready",
    )


async def _start_over_in_storage(hub: Hub, file: dict[str, Any], upload_id: str) -> None:
    """Give the hub's upload a new, empty storage upload and forget its parts."""
    try:
        storage_upload_id = await hub.blobs.create_multipart(file["storage_key"])
    except StorageError as exc:
        raise await _storage_failure(exc, file, upload_id) from exc
    async with hub.db.write_transaction():
        moved = await VersionFile.update({VersionFile.storage_upload_id: storage_upload_id}).where(
            *_in_storage_upload(file, upload_id)
        ).returning(VersionFile.id)
        if moved:
            await UploadPart.delete().where(UploadPart.file == file["id"], UploadPart.upload_id == upload_id)
    if not moved:
        # A concurrent request got there first: keep its state, drop ours.
        await hub.blobs.abort_multipart(file["storage_key"], storage_upload_id)
        await _still_in_progress(file, upload_id)


async def _check_blob(hub: Hub, file: dict[str, Any], upload_id: str, blob: BlobInfo) -> tuple[str | None, int]:
    """What is wrong with the assembled blob (size, then SHA-256), or None;
    and its CRC-32, computed in the same reading as the SHA-256 (the
    version's ZIP, :mod:`hub.archive`, is laid out from it)."""
    if blob.size != file["size"]:
        return f"size mismatch for {file['path']!r}: the manifest says {file['size']} bytes, received {blob.size}", 0
    try:
        digests = await hub.blobs.digests(file["storage_key"])
    except StorageError as exc:  # e.g. a concurrent completion rejected and removed it
        raise await _storage_failure(exc, file, upload_id) from exc
    if digests.sha256 != file["sha256"]:
        return f"sha256 mismatch for {file['path']!r}: the manifest says {file['sha256']}, received {digests.sha256}", 0
    return None, digests.crc32


async def _lock_version(hub: Hub, version_id: str) -> None:
    """Hold the version's row until the transaction ends (SQLite's immediate
    transactions are serialized already)."""
    if not hub.db.is_sqlite:
        await Version.select(Version.id).where(Version.id == version_id).lock_rows("UPDATE")


async def _file_row(file_id: str) -> dict[str, Any] | None:
    return await VersionFile.select().where(VersionFile.id == file_id).first()


async def _finish_version_if_complete(hub: Hub, version_id: str) -> dict[str, Any] | None:
    """Mark the version ready once its last file is in (recording its
    ``version_ready`` event), and make it the product's active version when
    the product has none yet."""
    waiting = await VersionFile.count().where(VersionFile.version == version_id, VersionFile.status != "ready")
    if waiting == 0:
        became_ready = await Version.update({Version.status: "ready", Version.ready_at: utcnow()}).where(
            Version.id == version_id, Version.status != "ready"
        ).returning(Version.id)
        version = await Version.select().where(Version.id == version_id).first()
        assert version is not None  # the caller holds the version's row
        activated = await Product.update({Product.active_version: version_id, Product.updated_at: utcnow()}).where(
            Product.id == version["product"], Product.active_version.is_null()
        ).returning(Product.update_rights, Product.update_days)
        if activated:  # the product's first version: released now
            await mark_released(version_id, activated[0])
        if became_ready:

            async def product_record() -> records.Product:
                product = await Product.select().where(Product.id == version["product"]).output(load_json=True).first()
                assert product is not None  # a product with a version is never deleted
                active = await Version.select().where(Version.id == product["active_version"]).first()
                return resources.as_record(resources.product(product, active))

            async def version_record() -> records.Version:
                files = await VersionFile.select().where(VersionFile.version == version_id)
                return resources.as_record(resources.version({**version, "files": files}))

            await emit(hub, VersionReady(product=product_record, version=version_record), org=version["org"])
    return await Version.select().where(Version.id == version_id).first()
