"""Versions and the multipart uploads that fill them.

A version is created with its manifest (paths, sizes, SHA-256 digests) and
starts ``pending``. Each file is then uploaded in parts (initiate, parts,
complete); the hub checks the assembled size and digest itself, because
object stores do not. When every file is in, the version is ``ready``,
immutable, and becomes the product's active version if it has none.
"""

from __future__ import annotations

import math
from typing import Any

from hub.clock import utcnow
from hub.context import Hub
from hub.db import UNIQUE_VIOLATIONS, write_transaction
from hub.errors import Conflict, Invalid, NotFound
from hub.inputs import check_text
from hub.manifest import check_sha256, check_version_string, normalize_path
from hub.secrets import new_id
from hub.services.products import find_product, find_version
from hub.tables import Product, UploadPart, Version, VersionFile

MAX_FILES = 10_000
MAX_FILE_SIZE = 5 * 1024**4  # 5 TiB, S3's largest object


def _check_manifest(files: Any) -> list[dict]:
    if not isinstance(files, list) or not files:
        raise Invalid("files must list at least one file", field="files")
    if len(files) > MAX_FILES:
        raise Invalid(f"files may list at most {MAX_FILES} files", field="files")
    seen: set[str] = set()
    manifest = []
    for index, entry in enumerate(files):
        where = f"files[{index}]"
        if not isinstance(entry, dict):
            raise Invalid(f"{where} must be an object with path, size and sha256", field=where)
        path = normalize_path(entry.get("path"), field=f"{where}.path")
        if path in seen:
            raise Invalid(f"{where}.path {path!r} appears twice in the manifest", field=f"{where}.path")
        seen.add(path)
        size = entry.get("size")
        if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= MAX_FILE_SIZE:
            raise Invalid(f"{where}.size must be a whole number of bytes from 0 to 5 TiB", field=f"{where}.size")
        sha256 = check_sha256(entry.get("sha256"), field=f"{where}.sha256")
        manifest.append({"path": path, "size": size, "sha256": sha256})
    return manifest


async def create_version(hub: Hub, org: str, product_id: str, *, version: Any, changelog: Any, files: Any) -> dict:
    """Create a ``pending`` version with its manifest; bytes come later."""
    product = await find_product(org, product_id)
    version = check_version_string(version)
    changelog = check_text(changelog, "changelog", max_length=100_000)
    manifest = _check_manifest(files)
    if await Version.exists().where(Version.product == product["id"], Version.version == version):
        raise Conflict(f"Version {version} of product {product_id} already exists", field="version")
    version_id = new_id("version")
    now = utcnow()
    try:
        async with write_transaction(hub.engine):
            await Version.insert(
                Version(
                    id=version_id,
                    org=org,
                    product=product["id"],
                    version=version,
                    changelog=changelog or "",
                    status="pending",
                    size=sum(f["size"] for f in manifest),
                    file_count=len(manifest),
                    created_at=now,
                )
            )
            rows = []
            for entry in manifest:
                file_id = new_id("file")
                rows.append(
                    VersionFile(
                        id=file_id,
                        version=version_id,
                        path=entry["path"],
                        size=entry["size"],
                        sha256=entry["sha256"],
                        storage_key=f"orgs/{org}/files/{file_id}",
                        status="pending",
                    )
                )
            await VersionFile.insert(*rows)
    except UNIQUE_VIOLATIONS as exc:
        raise Conflict(f"Version {version} of product {product_id} already exists", field="version") from exc
    return await version_detail(product, version)


async def version_detail(product: dict, version: str) -> dict:
    """A version with its files, as the API shows it."""
    row = await find_version(product, version)
    row["files"] = await VersionFile.select().where(VersionFile.version == row["id"]).order_by(VersionFile.path)
    return row


async def list_versions(org: str, product_id: str) -> list[dict]:
    product = await find_product(org, product_id)
    return await Version.select().where(Version.product == product["id"]).order_by(Version.created_at, ascending=False)


# --- uploads -----------------------------------------------------------------


def part_plan(size: int, part_size: int) -> list[tuple[int, int]]:
    """``(part_number, part_size)`` for every part of a file; one part at least."""
    count = max(1, math.ceil(size / part_size))
    return [(n, min(part_size, size - (n - 1) * part_size)) for n in range(1, count + 1)]


async def _file_for_upload(org: str, upload_id: str) -> dict:
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


async def describe_upload(hub: Hub, org: str, upload_id: str, *, presign: bool = False) -> dict:
    """The upload's plan: every part with its size, whether received, and a
    presigned URL when asked for and the blob store can make one."""
    file = await _file_for_upload(org, upload_id)
    received = {
        row["part_number"]: row
        for row in await UploadPart.select().where(
            UploadPart.file == file["id"], UploadPart.upload_id == upload_id
        )
    }
    parts = []
    for number, size in part_plan(file["size"], hub.settings.upload_part_size):
        part: dict[str, Any] = {"partNumber": number, "size": size, "received": number in received}
        if number in received:
            part["etag"] = received[number]["etag"]
        if presign:
            part["url"] = await hub.blobs.presign_upload_part(
                file["storage_key"], file["storage_upload_id"], number, hub.settings.presign_expires
            )
        parts.append(part)
    return {
        "id": upload_id,
        "fileId": file["id"],
        "path": file["path"],
        "size": file["size"],
        "sha256": file["sha256"],
        "partSize": hub.settings.upload_part_size,
        "partCount": len(parts),
        "parts": parts,
    }


async def start_upload(hub: Hub, org: str, product_id: str, version: str, path: Any, *, presign: bool = False) -> dict:
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
        raise Conflict(f"File {path!r} of version {version} is already uploaded", field="path")
    if file["upload_id"] is None:
        storage_upload_id = await hub.blobs.create_multipart(file["storage_key"])
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
    return await describe_upload(hub, org, file["upload_id"], presign=presign)


async def upload_part(hub: Hub, org: str, upload_id: str, part_number: int, data: bytes) -> dict:
    """Store one part's bytes; sending the same part again replaces it."""
    file = await _file_for_upload(org, upload_id)
    plan = dict(part_plan(file["size"], hub.settings.upload_part_size))
    if part_number not in plan:
        raise Invalid(f"partNumber must be from 1 to {len(plan)} for this file", field="partNumber")
    if len(data) != plan[part_number]:
        raise Invalid(
            f"Part {part_number} must be exactly {plan[part_number]} bytes; received {len(data)}", field="body"
        )
    etag = await hub.blobs.upload_part(file["storage_key"], file["storage_upload_id"], part_number, data)
    await UploadPart.delete().where(
        UploadPart.file == file["id"], UploadPart.upload_id == upload_id, UploadPart.part_number == part_number
    )
    await UploadPart.insert(
        UploadPart(file=file["id"], upload_id=upload_id, part_number=part_number, size=len(data), etag=etag)
    )
    return {"partNumber": part_number, "size": len(data), "etag": etag}


async def _reset_upload(file: dict, upload_id: str) -> None:
    await UploadPart.delete().where(UploadPart.file == file["id"], UploadPart.upload_id == upload_id)
    await VersionFile.update(
        {VersionFile.upload_id: None, VersionFile.storage_upload_id: None, VersionFile.status: "pending"}
    ).where(VersionFile.id == file["id"])


async def abort_upload(hub: Hub, org: str, upload_id: str) -> None:
    """Drop an upload and its parts; the file can be uploaded afresh."""
    file = await _file_for_upload(org, upload_id)
    await hub.blobs.abort_multipart(file["storage_key"], file["storage_upload_id"])
    await _reset_upload(file, upload_id)


async def complete_upload(hub: Hub, org: str, upload_id: str, client_parts: list[dict] | None = None) -> dict:
    """Assemble the parts, verify size and SHA-256, and mark the file ready.

    ``client_parts`` (part numbers and ETags) is needed only when the client
    sent the parts straight to S3 through presigned URLs. A mismatch drops
    the assembled blob and leaves the file not ready, so the client can
    upload it again.
    """
    file = await _file_for_upload(org, upload_id)
    plan = part_plan(file["size"], hub.settings.upload_part_size)
    if client_parts is not None:
        etags = {}
        for index, part in enumerate(client_parts):
            number, etag = part.get("partNumber"), part.get("etag")
            if not isinstance(number, int) or not isinstance(etag, str):
                raise Invalid(f"parts[{index}] needs partNumber and etag", field=f"parts[{index}]")
            etags[number] = etag
    else:
        etags = {
            row["part_number"]: row["etag"]
            for row in await UploadPart.select().where(
                UploadPart.file == file["id"], UploadPart.upload_id == upload_id
            )
        }
    missing = [number for number, _ in plan if number not in etags]
    if missing:
        shown = ", ".join(map(str, missing[:10])) + ("…" if len(missing) > 10 else "")
        raise Invalid(f"Parts still missing for {file['path']!r}: {shown}", field="parts")
    blob = await hub.blobs.complete_multipart(
        file["storage_key"], file["storage_upload_id"], [(number, etags[number]) for number, _ in plan]
    )
    problem = None
    if blob.size != file["size"]:
        problem = f"size mismatch for {file['path']!r}: the manifest says {file['size']} bytes, received {blob.size}"
    else:
        digest = await hub.blobs.sha256(file["storage_key"])
        if digest != file["sha256"]:
            problem = f"sha256 mismatch for {file['path']!r}: the manifest says {file['sha256']}, received {digest}"
    if problem:
        await hub.blobs.delete(file["storage_key"])
        await _reset_upload(file, upload_id)
        raise Invalid(f"Upload rejected, {problem}; upload the file again", field="sha256")

    await UploadPart.delete().where(UploadPart.file == file["id"], UploadPart.upload_id == upload_id)
    await VersionFile.update(
        {VersionFile.status: "ready", VersionFile.upload_id: None, VersionFile.storage_upload_id: None}
    ).where(VersionFile.id == file["id"])
    version = await _finish_version_if_complete(file["version"])
    file = await VersionFile.select().where(VersionFile.id == file["id"]).first()
    return {"file": file, "version": version}


async def _finish_version_if_complete(version_id: str) -> dict:
    """Mark the version ready once its last file is in, and make it the
    product's active version when the product has none yet."""
    waiting = await VersionFile.count().where(VersionFile.version == version_id, VersionFile.status != "ready")
    if waiting == 0:
        await Version.update({Version.status: "ready", Version.ready_at: utcnow()}).where(
            Version.id == version_id, Version.status != "ready"
        )
        version = await Version.select().where(Version.id == version_id).first()
        await Product.update({Product.active_version: version_id, Product.updated_at: utcnow()}).where(
            Product.id == version["product"], Product.active_version.is_null()
        )
    return await Version.select().where(Version.id == version_id).first()
