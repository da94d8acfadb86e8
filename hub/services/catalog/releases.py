"""Releases: a product seen as a music release.

A release is an ordinary product (same row, same public id, same status
rules) with release metadata: a UPC, credits, copyright lines, dates, cover
art, and links to a label, a language and a product type. The metadata's
field names (``upc-code``, ``copyright-line``...) are the keys stored in
``Product.release`` and the ``field`` of every error; a message starts with
its field (``upc-code is required``) so that each surface can word it its
own way. The status is the product's (``draft``, ``published``,
``archived``); a surface that calls it otherwise translates at its edge.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from piccolo.columns.combination import WhereRaw

from hub.clock import UTC, utcnow
from hub.context import Hub
from hub.datauri import DataUri
from hub.db import Database
from hub.errors import Conflict, Invalid, NotFound
from hub.services.catalog.checks import (
    Checker,
    check_boolean,
    check_custom_data,
    check_date,
    check_names,
    check_string,
    check_upc,
    check_year,
    required,
)
from hub.services.catalog.covers import check_cover, store_cover
from hub.services.catalog.labels import find_label, find_language, find_product_type
from hub.services.catalog.rows import OwnedTable, rows_by_id
from hub.services.products import (
    STATUSES,
    check_name,
    check_status,
    create_product,
    delete_product,
    find_product,
    slugify,
    update_product,
)
from hub.tables import Label, Language, Organization, Product, ProductType

TEXT_FIELDS = ("copyright-line", "production-line", "mastered-by", "label-internal-reference", "subtitle")
DATE_FIELDS = ("release-date", "original-release-date")
CREDIT_FIELDS = (
    "artist", "composer", "producer", "featuring", "remixer", "author",
    "lyricist", "performer", "arranger", "orchestra", "director",
)
#: Links to other resources: the table, the product column each is stored
#: in, and how to find one.
LINKS: dict[str, tuple[OwnedTable, str, Callable[[str, Any], Awaitable[dict[str, Any]]]]] = {
    "label": (Label, "label", find_label),
    "language": (Language, "language", find_language),
    "product-type": (ProductType, "product_type", find_product_type),
}
#: The fields of a release (links excluded), in the order errors are listed.
RELEASE_ATTRIBUTES = (
    "name", "is-compilation", "upc-code", "copyright-line", "production-line", "production-year", "status",
    "front-cover", "release-date", "original-release-date", "subtitle", "mastered-by", "label-internal-reference",
    *CREDIT_FIELDS, "custom-data",
)
#: Every field and link of a release in the seed's order: errors are listed so.
RELEASE_FIELDS = (*RELEASE_ATTRIBUTES, *LINKS)
REQUIRED_ON_CREATE = (
    "name", "upc-code", "copyright-line", "production-line", "production-year", "status", "artist",
    "label", "language",
)


@dataclass
class ReleaseChanges:
    """A checked release document: what to write, in the product's terms."""

    name: str | None = None
    status: str | None = None  # a product status
    columns: dict[str, Any] = field(default_factory=dict)  # upc_code, label, language, product_type
    release: dict[str, Any] = field(default_factory=dict)  # keys of Product.release
    cover: DataUri | None = None
    remove_cover: bool = False


def _check_field(changes: ReleaseChanges, name: str, value: Any, *, creating: bool) -> None:
    """Check one field and record it in ``changes``; raises Invalid."""
    if name == "name":
        changes.name = check_name(value)
    elif name == "status":
        if value is None:
            raise required(name)
        if creating and value != "draft":
            raise Invalid("status must be draft", field="status")
        changes.status = check_status(value, STATUSES, field="status")
    elif name == "upc-code":
        changes.columns["upc_code"] = check_upc(value)
    elif name in ("copyright-line", "production-line"):
        changes.release[name] = check_string(value, name, is_required=True)
    elif name in TEXT_FIELDS:
        changes.release[name] = check_string(value, name)
    elif name == "production-year":
        if value is None:
            raise required(name)
        changes.release[name] = check_year(value, name)
    elif name == "is-compilation":
        changes.release[name] = False if value is None and creating else check_boolean(value, name)
    elif name in DATE_FIELDS:
        changes.release[name] = None if value is None else check_date(value, name)
    elif name in CREDIT_FIELDS:
        changes.release[name] = check_names(value, name, is_required=name == "artist")
    elif name == "custom-data":
        changes.release[name] = check_custom_data(value, name)
    elif name == "front-cover":
        if value is None:
            changes.remove_cover = not creating
        else:
            changes.cover = check_cover(value, name)
    else:
        raise Invalid(f"{name} is not a field of a release", field=name)


async def _check_link(changes: ReleaseChanges, org: str, name: str, linked_id: Any) -> None:
    if name not in LINKS:
        raise Invalid(f"{name} is not a link of a release", field=name)
    _table, column, find = LINKS[name]
    if linked_id is None:
        if name in REQUIRED_ON_CREATE:
            raise required(name)
        changes.columns[column] = None
        return
    try:
        await find(org, linked_id)
    except NotFound:
        noun = name.replace("-", " ")
        raise Invalid(f"{name} must be an existing {noun}; there is no {noun} {linked_id}", field=name) from None
    changes.columns[column] = linked_id


async def check_release(
    org: str,
    fields: dict[str, Any],
    links: dict[str, Any],
    *,
    creating: bool,
    checks: Checker | None = None,
) -> ReleaseChanges:
    """Check a release's fields and links (name of :data:`LINKS` → the
    linked id, or None to unlink) and return what to write.

    On create every field of :data:`REQUIRED_ON_CREATE` must be there and
    the status must be ``draft``; on update only the fields present change.
    Raises :class:`~hub.errors.Problems` listing every problem, in the
    seed's order. A caller with problems of its own passes its ``checks``
    to get them all in one answer.
    """
    checks = checks or Checker()
    changes = ReleaseChanges()
    for name, value in fields.items():
        if not checks.failed(name):
            checks.run(_check_field, changes, name, value, creating=creating)
    for name, linked_id in links.items():
        if not checks.failed(name):
            await checks.wait(_check_link(changes, org, name, linked_id))
    if creating:
        changes.release.setdefault("is-compilation", False)
        for name in REQUIRED_ON_CREATE:
            if name not in fields and name not in links and not checks.failed(name):
                checks.errors.append(required(name))
    checks.raise_problems(order=RELEASE_FIELDS)
    return changes


async def _free_slug(org: str, name: str) -> str:
    """The slug of ``name``, or with the first free numeric suffix (``-2``...)."""
    base = slugify(name)
    # Slugs of names hold only [a-z0-9-]: no LIKE wildcard to escape.
    taken = set(
        await Product.select(Product.slug)
        .where(Product.org == org, Product.slug.like(f"{base[:90]}%"))
        .output(as_list=True)
    )
    if base not in taken:
        return base
    number = 2
    while True:
        suffix = f"-{number}"
        candidate = base[: 100 - len(suffix)].rstrip("-") + suffix
        if candidate not in taken:
            return candidate
        number += 1


async def _write_release(
    db: Database,
    org: str, product_id: str, changes: ReleaseChanges, cover: tuple[str, str] | None, *, creating: bool = False
) -> str | None:
    """Write ``changes`` to the product inside the caller's transaction;
    returns the key of the cover it replaced, if any."""
    query = Product.select(Product.id, Product.release, Product.cover_key, Product.created_at).where(
        Product.org == org, Product.slug == product_id
    )
    if not db.is_sqlite:
        # Concurrent updates of different fields must not lose each other's
        # metadata (SQLite's write transaction already serializes them).
        query = query.lock_rows()
    current = await query.output(load_json=True).first()
    if current is None:
        raise NotFound(f"Product {product_id} not found")
    core = {key: value for key, value in (("name", changes.name), ("status", changes.status)) if value is not None}
    if core and not creating:  # a new product already has its name and status
        await update_product(org, product_id, core)
    values: dict[Any, Any] = {getattr(Product, column): value for column, value in changes.columns.items()}
    if changes.release:
        values[Product.release] = {**(current["release"] or {}), **changes.release}
    if cover is not None:
        values[Product.cover_key], values[Product.cover_md5] = cover
    elif changes.remove_cover:
        values[Product.cover_key] = values[Product.cover_md5] = None
    if values:
        # A new product was created and updated at the same moment.
        values[Product.updated_at] = current["created_at"] if creating else utcnow()
        await Product.update(values).where(Product.id == current["id"])
    replaced = cover is not None or changes.remove_cover
    return current["cover_key"] if replaced else None


async def create_release(hub: Hub, org: str, changes: ReleaseChanges) -> dict[str, Any]:
    """Create the product of a checked release document (see
    :func:`check_release`); its id is its name's slug, made unique with a
    numeric suffix when taken."""
    cover = await store_cover(hub, org, changes.cover) if changes.cover else None
    try:
        for _attempt in range(5):
            try:
                async with hub.db.write_transaction():
                    slug = await _free_slug(org, changes.name or "")
                    await create_product(org, name=changes.name, slug=slug)
                    await _write_release(hub.db, org, slug, changes, cover, creating=True)
                return await find_product(org, slug)
            except Conflict as exc:
                if exc.field != "slug":
                    raise
                # Another request took this slug in between: try the next one.
        raise Conflict("Could not find a free id for this product; try again")
    except BaseException:
        # Nothing refers to the stored cover: do not leave it behind.
        if cover is not None:
            await hub.blobs.delete(cover[0])
        raise


async def update_release(hub: Hub, org: str, product_id: str, changes: ReleaseChanges) -> dict[str, Any]:
    """Apply a checked partial release document to the product."""
    await find_product(org, product_id)
    cover = await store_cover(hub, org, changes.cover) if changes.cover else None
    try:
        async with hub.db.write_transaction():
            replaced = await _write_release(hub.db, org, product_id, changes, cover)
    except BaseException:
        if cover is not None:
            await hub.blobs.delete(cover[0])
        raise
    if replaced:
        await hub.blobs.delete(replaced)
    return await find_product(org, product_id)


async def delete_release(hub: Hub, org: str, product_id: str) -> None:
    """Delete a product that is not active, with its files and cover."""
    try:
        await delete_product(hub, org, product_id)
    except Conflict as exc:
        # The core's rule, in the release's words.
        raise Conflict(f"Product {product_id} is active and cannot be deleted; archive it first") from exc


@dataclass
class ReleaseFilters:
    """Which releases a listing shows; None means no condition."""

    name: str | None = None  # contained in the name, ignoring case
    status: str | None = None  # a product status
    ids: list[str] | None = None
    label: str | None = None
    upc_code: str | None = None
    created_from: date | None = None  # inclusive days, UTC
    created_to: date | None = None


#: What a listing can be sorted by.
SORTABLE = {"name": Product.name, "created_at": Product.created_at, "updated_at": Product.updated_at,
            "upc_code": Product.upc_code, "status": Product.status}


async def list_releases(
    db: Database,
    org: str, filters: ReleaseFilters, *, order: Sequence[tuple[str, bool]] = (), limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """A page of the organization's products and the total matching count.

    ``order`` lists (key of :data:`SORTABLE`, ascending); newest first by default.
    """
    conditions: list[Any] = [Product.org == org]
    if filters.name:
        # instr/strpos, not LIKE: '%' and '_' in a searched name are letters.
        function = "instr" if db.is_sqlite else "strpos"
        conditions.append(WhereRaw(f'{function}(lower("hub_product"."name"), lower({{}})) > 0', filters.name))
    if filters.status is not None:
        conditions.append(Product.status == filters.status)
    if filters.ids is not None:
        conditions.append(Product.slug.is_in(filters.ids))
    if filters.label is not None:
        conditions.append(Product.label == filters.label)
    if filters.upc_code is not None:
        conditions.append(Product.upc_code == filters.upc_code)
    if filters.created_from is not None:
        conditions.append(Product.created_at >= datetime.combine(filters.created_from, datetime.min.time(), UTC))
    if filters.created_to is not None:
        day_after = datetime.combine(filters.created_to + timedelta(days=1), datetime.min.time(), UTC)
        conditions.append(Product.created_at < day_after)
    query = Product.select().where(*conditions).output(load_json=True)
    for name, ascending in order or [("created_at", False)]:
        query = query.order_by(SORTABLE[name], ascending=ascending)
    rows = await query.order_by(Product.id).limit(limit).offset(offset)
    return rows, await Product.count().where(*conditions)


async def linked(org: str, name: str, releases: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The rows the releases link to through ``name`` (a key of
    :data:`LINKS`), by id: one query for a whole page of releases."""
    table, column, _find = LINKS[name]
    return await rows_by_id(table, org, [release[column] for release in releases])


async def find_organization(org: str) -> dict[str, Any]:
    """The organization releases belong to (the JSON:API surface's company)."""
    row = await Organization.select().where(Organization.id == org).first()
    if row is None:
        raise NotFound(f"Organization {org} not found")
    return row
