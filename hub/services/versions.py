"""Versions and the multipart uploads that fill them.

A version is created with its manifest (paths, sizes, SHA-256 digests) and
starts ``pending``. Each file is then uploaded in parts (initiate, parts,
complete: :mod:`hub.services.uploads`); the hub checks the assembled size and
digest itself, because object stores do not. When every file is in, the
version is ``ready``, immutable, and becomes the product's active version if
it has none.
"""

from __future__ import annotations

from typing import Any

from hub.clock import utcnow
from hub.context import Hub
from hub.db import UNIQUE_VIOLATIONS
from hub.errors import Conflict, Invalid
from hub.inputs import check_text
from hub.manifest import check_sha256, check_version_string, normalize_path
from hub.secrets import new_id
from hub.services.products import find_product, find_version
from hub.tables import DownloadToken, Version, VersionFile

MAX_FILES = 10_000
MAX_FILE_SIZE = 5 * 1024**4  # 5 TiB, S3's largest object


def _check_manifest(files: Any) -> list[dict[str, Any]]:
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


async def create_version(hub: Hub, org: str, product_id: str, *, version: Any, changelog: Any, files: Any) -> dict[str, Any]:
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
        async with hub.db.write_transaction():
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


async def version_detail(product: dict[str, Any], version: str) -> dict[str, Any]:
    """A version with its files, as the API shows it."""
    row = await find_version(product, version)
    row["files"] = await VersionFile.select().where(VersionFile.version == row["id"]).order_by(VersionFile.path)
    return row


async def list_versions(org: str, product_id: str) -> list[dict[str, Any]]:
    product = await find_product(org, product_id)
    return await Version.select().where(Version.product == product["id"]).order_by(Version.created_at, ascending=False)


async def version_name(version_id: str) -> str:
    """The version string (``1.0.0``) of the version ``version_id``: what the
    API shows where a row holds only the version's id."""
    row = await Version.select(Version.version).where(Version.id == version_id).first()
    return row["version"] if row else ""


async def deletion_blocker(product: dict[str, Any], version: dict[str, Any]) -> str:
    """Why ``version`` cannot be deleted, in words, or "" when it can: the
    version buyers get now, or one a link delivers (a purchase is entitled
    to it), stays."""
    if version["id"] == product["active_version"]:
        return f"Version {version['version']} is the active version: buyers get it. Make another version active first."
    links = await DownloadToken.count().where(DownloadToken.version == version["id"])
    if links:
        return f"Version {version['version']} is delivered by {links} link{'' if links == 1 else 's'}: buyers are entitled to it."
    return ""


async def delete_version(hub: Hub, org: str, product_id: str, version: str) -> dict[str, Any]:
    """Delete a version no purchase or link is entitled to, then the bytes
    no other version shares (rows first: a failure while deleting blobs
    leaves unreachable bytes at worst). Returns the deleted version."""
    product = await find_product(org, product_id)
    row = await find_version(product, version)
    blocker = await deletion_blocker(product, row)
    if blocker:
        raise Conflict(blocker)
    keys = await VersionFile.select(VersionFile.storage_key).where(VersionFile.version == row["id"]).output(as_list=True)
    async with hub.db.write_transaction():
        if await DownloadToken.exists().where(DownloadToken.version == row["id"]):  # minted meanwhile
            raise Conflict(f"Version {version} was just delivered by a link; it stays")
        await Version.delete().where(Version.id == row["id"])
    shared = set(await VersionFile.select(VersionFile.storage_key).where(VersionFile.storage_key.is_in(keys)).output(as_list=True)) if keys else set()
    for key in keys:
        if key and key not in shared:
            await hub.blobs.delete(key)
    return row
