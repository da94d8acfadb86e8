"""What belongs to one release: tracks, offers and rights, each a
:class:`PartKind` (:mod:`~hub.services.catalog.tracks`,
:mod:`~hub.services.catalog.offers`, :mod:`~hub.services.catalog.rights`)
created, read, updated, listed and deleted by the same functions here."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from hub.clock import utcnow
from hub.errors import Invalid, NotFound
from hub.secrets import new_id
from hub.services.catalog.checks import Checker, required, unknown_field
from hub.services.catalog.rows import find_owned
from hub.services.products import find_product
from hub.tables import Offer, Product, Right, Track, VersionFile


@dataclass(frozen=True)
class PartKind:
    """Tracks, offers or rights: rows that belong to one release."""

    table: type[Track] | type[Offer] | type[Right]
    noun: str
    prefix: str
    fields: tuple[str, ...]
    """The fields, in the order their errors are listed."""
    required: tuple[str, ...]
    """The fields a new one must have."""
    check: Callable[[Checker, dict[str, Any], dict[str, Any], dict[str, Any] | None], Awaitable[dict[Any, Any]]]
    """(checks, product, fields, current row or None on create) → the
    column values to write; problems go to ``checks``."""
    order: tuple[str, ...]
    """The columns a product's parts are listed by."""
    has_file: bool = False
    """True for tracks: a row shows the path and version of its audio file."""


def require_fields(checks: Checker, names: Sequence[str], fields: dict[str, Any], current: dict[str, Any] | None) -> None:
    """On create (no current row), every field of ``names`` must be given."""
    if current is None:
        for name in names:
            if name not in fields and not checks.failed(name):
                checks.errors.append(required(name))


def refuse_field(checks: Checker, name: str, noun: str) -> None:
    """``name`` is not a field of this kind of part."""
    checks.errors.append(unknown_field(name, noun))


async def _with_context(kind: PartKind, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add what a row shows beyond its columns: its product's public id and,
    for a track, the path and version of its file."""
    if not rows:
        return rows
    slugs = await Product.select(Product.id, Product.slug).where(Product.id.is_in(sorted({r["product"] for r in rows})))
    slug_of = {r["id"]: r["slug"] for r in slugs}
    files: dict[str, dict[str, Any]] = {}
    file_ids = sorted({r["file"] for r in rows if r.get("file")})
    if file_ids:
        found = await VersionFile.select(
            VersionFile.id, VersionFile.path, VersionFile.version.version.as_alias("version_name")
        ).where(VersionFile.id.is_in(file_ids))
        files = {f["id"]: f for f in found}
    for row in rows:
        row["product_slug"] = slug_of.get(row["product"])
        if kind.has_file:
            file = files.get(row["file"] or "")
            row["file_path"] = file["path"] if file else None
            row["file_version"] = file["version_name"] if file else None
    return rows


async def find_part(kind: PartKind, org: str, part_id: Any) -> dict[str, Any]:
    row = await find_owned(kind.table, kind.noun, org, part_id)
    row = (await kind.table.select().where(kind.table.id == row["id"]).output(load_json=True))[0]
    return (await _with_context(kind, [row]))[0]


async def list_parts(kind: PartKind, org: str, product_ids: Sequence[str]) -> list[dict[str, Any]]:
    """The parts of the given products (internal ids), in their order."""
    if not product_ids:
        return []
    table = kind.table
    query = table.select().where(table.org == org, table.product.is_in(list(product_ids))).output(load_json=True)
    for column in kind.order:
        query = query.order_by(getattr(table, column))
    return await _with_context(kind, await query.order_by(table.id))


async def _part_product(org: str, product_id: Any) -> dict[str, Any]:
    """The product a new part is for; an unknown one is an invalid input."""
    if product_id is None:
        raise required("product")
    if isinstance(product_id, str):
        try:
            return await find_product(org, product_id)
        except NotFound:
            pass
    raise Invalid(f"product must be an existing product; there is no product {product_id}", field="product")


def _part_links(checks: Checker, kind: PartKind, links: dict[str, Any], *, creating: bool) -> None:
    for name in links:
        if name == "product" and not creating:
            checks.errors.append(Invalid(f"product cannot be changed: create a new {kind.prefix} for the other product", field=name))
        elif name != "product":
            checks.errors.append(Invalid(f"{name} is not a link of a {kind.prefix}", field=name))


async def create_part(
    kind: PartKind, org: str, fields: dict[str, Any], links: dict[str, Any], *, checks: Checker | None = None
) -> dict[str, Any]:
    """Create a track, offer or right of the product ``links["product"]``
    (its public id). Raises :class:`~hub.errors.Problems` listing every problem."""
    checks = checks or Checker()
    _part_links(checks, kind, links, creating=True)
    product = None if checks.failed("product") else await checks.wait(_part_product(org, links.get("product")))
    if product is not None:
        values = await kind.check(checks, product, fields, None)
    else:
        values = {}
        require_fields(checks, kind.required, fields, None)
    checks.raise_problems(order=(*kind.fields, "product"))
    assert product is not None  # raise_problems raised when the product was missing
    part_id = new_id(kind.prefix)
    row = {column._meta.name: value for column, value in values.items()}
    # kind.table is one of three tables: the row is built by the class it is inserted into.
    await kind.table.insert(kind.table(id=part_id, org=org, product=product["id"], created_at=utcnow(), **row))  # type: ignore[arg-type]
    return await find_part(kind, org, part_id)


async def update_part(
    kind: PartKind, org: str, part_id: Any, fields: dict[str, Any], links: dict[str, Any], *, checks: Checker | None = None
) -> dict[str, Any]:
    """Change the fields present in ``fields``; the product stays."""
    current = await find_owned(kind.table, kind.noun, org, part_id)
    product = await Product.select().where(Product.id == current["product"]).first()
    assert product is not None  # the part's foreign key keeps its product
    checks = checks or Checker()
    _part_links(checks, kind, links, creating=False)
    values = await kind.check(checks, product, fields, current)
    checks.raise_problems(order=(*kind.fields, "product"))
    if values:
        await kind.table.update(values).where(kind.table.id == current["id"])
    return await find_part(kind, org, part_id)


async def delete_part(kind: PartKind, org: str, part_id: Any) -> None:
    current = await find_owned(kind.table, kind.noun, org, part_id)
    await kind.table.delete().where(kind.table.id == current["id"])
