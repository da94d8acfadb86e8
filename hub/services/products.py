"""Products: the catalog of an organization."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from piccolo.columns import JSON
from piccolo.columns.combination import Or, Where

from hub.clock import utcnow
from hub.context import Hub
from hub.db import UNIQUE_VIOLATIONS, Database, fetch_bound, load_json_columns
from hub.errors import Conflict, Invalid, NotFound
from hub.inputs import check_text, names_nothing
from hub.secrets import new_id
from hub.services.entitlement import check_update_rights, mark_released
from hub.tables import DownloadToken, MediaFile, Product, Version, VersionFile

STATUSES = ("draft", "published", "archived")
SLUG = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")


def slugify(name: str) -> str:
    """``Epic Drum Kit Vol. 2`` → ``epic-drum-kit-vol-2``."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:100].rstrip("-") or new_id("product").replace("_", "-")


def check_name(name: Any, field: str = "name") -> str:
    return check_text(name, field, max_length=300, required=True).strip()


def check_description(description: Any, field: str = "description") -> str:
    return check_text(description, field, max_length=100_000) or ""


def check_status(status: Any, allowed: tuple[str, ...] = STATUSES, field: str = "status") -> str:
    if status not in allowed:
        raise Invalid(f"{field} must be one of {', '.join(allowed)}", field=field)
    checked: str = status
    return checked


PRODUCT_COLUMNS = tuple(c._meta.db_column_name for c in Product._meta.columns)
"""A product's columns, in the order piccolo's ``Product.select()`` reads them."""
_PRODUCT_JSON = tuple(c._meta.db_column_name for c in Product._meta.columns if isinstance(c, JSON))
_PRODUCT_BY_SLUG = (
    f"SELECT {', '.join(PRODUCT_COLUMNS)} FROM {Product._meta.tablename} WHERE org = {{}} AND slug = {{}}"
)
_OWN_NAMES = tuple((name, name) for name in PRODUCT_COLUMNS)


def product_row(row: dict[str, Any], names: tuple[tuple[str, str], ...] = _OWN_NAMES) -> dict[str, Any]:
    """A product as :func:`find_product` returns it (JSON columns decoded),
    from a raw row; ``names`` pairs each of the row's keys with its column
    (a joined read names them ``p_<column>``, say)."""
    return load_json_columns({column: row[key] for key, column in names}, _PRODUCT_JSON)


async def find_product(org: str, product_id: str) -> dict[str, Any]:
    """The product with public id ``product_id`` in ``org``, or :class:`NotFound`.

    Another organization's product is "not found" too: tenants never learn
    of each other.
    """
    rows = []
    if not names_nothing(product_id):
        # Most API calls start here: one raw statement built once (on the
        # unique (org, slug) index), through the engine the table is bound
        # to (hub.db's), instead of piccolo building a select every time.
        rows = await fetch_bound(Product, _PRODUCT_BY_SLUG, org, product_id)
    if not rows:
        raise NotFound(f"Product {product_id} not found")
    return product_row(rows[0])


async def active_versions(version_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Summaries of the given versions, keyed by id (one query for a page)."""
    ids = [v for v in version_ids if v]
    if not ids:
        return {}
    rows = await Version.select(
        Version.id, Version.version, Version.size, Version.file_count, Version.status
    ).where(Version.id.is_in(ids))
    return {row["id"]: row for row in rows}


async def list_products(
    db: Database,
    org: str, *, status: str | None, search: str | None, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """A page of products, newest first, and the total matching count."""
    conditions: list[Where | Or] = [Product.org == org]
    if status is not None:
        conditions.append(Product.status == check_status(status))
    if search:
        check_text(search, "search", max_length=200)
        pattern = f"%{search}%"
        # SQLite's LIKE is already case-insensitive (ASCII); piccolo warns
        # on every ILIKE there, so each database gets its own operator.
        if db.is_sqlite:
            conditions.append(Product.name.like(pattern) | Product.description.like(pattern))
        else:
            conditions.append(Product.name.ilike(pattern) | Product.description.ilike(pattern))
    query = Product.select().where(*conditions).output(load_json=True)
    rows = await query.order_by(Product.created_at, ascending=False).order_by(Product.id).limit(limit).offset(offset)
    total = await Product.count().where(*conditions)
    return rows, total


async def create_product(
    org: str, *, name: Any, slug: Any = None, description: Any = None, metadata: Any = None,
    update_rights: Any = "all", update_days: Any = None,
) -> dict[str, Any]:
    name = check_name(name)
    update_rights, update_days = check_update_rights(update_rights, update_days)
    if slug is None:
        slug = slugify(name)
    elif not isinstance(slug, str) or not SLUG.match(slug):
        raise Invalid(
            "slug must be 1-100 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit",
            field="slug",
        )
    description = check_description(description)
    if metadata is not None and not isinstance(metadata, dict):
        raise Invalid("metadata must be an object", field="metadata")
    now = utcnow()
    product = Product(
        id=new_id("prod"),
        org=org,
        slug=slug,
        name=name,
        description=description,
        status="draft",
        metadata=metadata or {},
        active_version=None,
        created_at=now,
        updated_at=now,
        update_rights=update_rights,
        update_days=update_days,
    )
    if await Product.exists().where(Product.org == org, Product.slug == slug):
        raise Conflict(f"A product with id {slug} already exists", field="slug")
    try:
        await Product.insert(product)
    except UNIQUE_VIOLATIONS as exc:  # lost a race with another insert of the same slug
        raise Conflict(f"A product with id {slug} already exists", field="slug") from exc
    return await find_product(org, slug)


_VERSION_COLUMNS = tuple(c._meta.db_column_name for c in Version._meta.columns)
_VERSION_BY_NAME = (
    f"SELECT {', '.join(_VERSION_COLUMNS)} FROM {Version._meta.tablename} WHERE product = {{}} AND version = {{}}"
)


async def find_version(product: dict[str, Any], version: str) -> dict[str, Any]:
    """The version named ``version`` of ``product``, or :class:`NotFound`
    (one raw statement built once, as :func:`find_product`)."""
    rows = []
    if not names_nothing(version):
        rows = await fetch_bound(Version, _VERSION_BY_NAME, product["id"], version)
    if not rows:
        raise NotFound(f"Version {version} of product {product['slug']} not found")
    return rows[0]


async def update_product(org: str, product_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    """Apply a partial update; only the keys present in ``changes`` change.

    A version made active for the first time is released
    (:func:`hub.services.entitlement.mark_released`) under the product's
    update rights as they are after this update; ``update_rights`` and
    ``update_days`` apply to the versions released from then on."""
    product = await find_product(org, product_id)
    values: dict[Any, Any] = {}
    if "update_rights" in changes or "update_days" in changes:
        rights = changes.get("update_rights", product["update_rights"])
        days = changes["update_days"] if "update_days" in changes else (
            product["update_days"] if rights == product["update_rights"] else None
        )
        rights, days = check_update_rights(rights, days)
        values[Product.update_rights], values[Product.update_days] = rights, days
        product = {**product, "update_rights": rights, "update_days": days}
    released = None
    if "name" in changes:
        values[Product.name] = check_name(changes["name"])
    if "description" in changes:
        values[Product.description] = check_description(changes["description"])
    if "metadata" in changes:
        if not isinstance(changes["metadata"], dict | None):
            raise Invalid("metadata must be an object", field="metadata")
        values[Product.metadata] = changes["metadata"] or {}
    if "status" in changes:
        values[Product.status] = check_status(changes["status"])
    if "active_version" in changes:
        wanted = changes["active_version"]
        if wanted is None:
            values[Product.active_version] = None
        else:
            if not isinstance(wanted, str):
                raise Invalid("activeVersion must be a version string such as 1.0.0", field="activeVersion")
            version = await find_version(product, wanted)
            if version["status"] != "ready":
                raise Conflict(
                    f"Version {wanted} is {version['status']}, not ready: upload every file before activating it",
                    field="activeVersion",
                )
            values[Product.active_version] = version["id"]
            released = version["id"]
    if values:
        values[Product.updated_at] = utcnow()
        await Product.update(values).where(Product.id == product["id"])
    if released is not None:
        await mark_released(released, product)
    return await find_product(org, product_id)


async def times_sold(org: str, product: dict[str, Any]) -> int:
    """How many links were ever made for ``product`` (each sale makes one,
    and so does a link minted through the API): a product never sold has none."""
    count: int = await DownloadToken.count().where(DownloadToken.org == org, DownloadToken.product == product["id"])
    return count


async def delete_product(hub: Hub, org: str, product_id: str) -> None:
    """Delete a product that is not published, then its blobs (its files,
    media and cover): the rows go first, so a failure while deleting blobs
    leaves unreachable bytes at worst, never a row pointing at none."""
    product = await find_product(org, product_id)
    if product["status"] == "published":
        raise Conflict(f"Product {product_id} is published and cannot be deleted; archive it first")
    keys = await VersionFile.select(VersionFile.storage_key).where(
        VersionFile.version.product == product["id"]
    ).output(as_list=True)
    media = await MediaFile.select(MediaFile.storage_key).where(MediaFile.product == product["id"]).output(as_list=True)
    await Product.delete().where(Product.id == product["id"])
    for key in [*keys, *media, *([product["cover_key"]] if product["cover_key"] else [])]:
        await hub.blobs.delete(key)
