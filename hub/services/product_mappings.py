"""Provider product mappings: which hub product a storefront's item is.

Shopify, Paddle and Lemon Squeezy name what they sold by their own ids: a
product, a variant (a Shopify variant, a Lemon Squeezy variant, a Paddle
price's product) or a SKU. The shop maps them to hub products once, in the
console (Settings → Payments) or the main API (``/api/product-mappings``),
and a payment plugin asks :func:`map_item` for each item of an order.

:func:`map_item` tries, in order: a mapping of the variant, of the
product, of the SKU; then, with no mapping at all, the SKU or the
custom-data value the plugin passes when it *is* a hub product's slug (a
shop that gives its storefront items the hub's slugs maps nothing). An item
none of these names is still kept, as an *unmapped* item: the purchase is
recorded with a problem that names the provider's ids and shows in
Problems with fix-and-fulfil, never lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hub.clock import utcnow
from hub.db import UNIQUE_VIOLATIONS
from hub.errors import Conflict, Invalid, NotFound
from hub.secrets import new_id
from hub.services.products import find_product
from hub.services.purchases import PurchaseItem
from hub.tables import Product, ProductMapping

PRODUCT = "product"
VARIANT = "variant"
SKU = "sku"
MAPPING_KINDS = (VARIANT, PRODUCT, SKU)
"""What a mapping names at its provider, in the order :func:`map_item` tries them."""
MAX_PROVIDER = 40
MAX_EXTERNAL_ID = 255


@dataclass(frozen=True)
class Mapping:
    """One mapping, as the API and console show it."""

    id: str
    provider: str
    kind: str
    external_id: str
    product: str


def _row(row: dict[str, Any]) -> Mapping:
    return Mapping(row["id"], row["provider"], row["kind"], row["external_id"], row["product"])


def _clean(value: object) -> str | None:
    """A provider id as text (Shopify and Lemon Squeezy send numbers)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip() and "\x00" not in value:
        return value.strip()[:MAX_EXTERNAL_ID]
    return None


def unmapped_label(provider: str, *, product_id: object = None, variant_id: object = None, sku: object = None,
                   name: object = None) -> str:
    """How an unmapped item is named in its purchase and its problem."""
    parts = [f"{word} {text}" for word, value in (("product", product_id), ("variant", variant_id), ("SKU", sku))
             if (text := _clean(value))]
    shown = f" {_clean(name)!r}" if _clean(name) else ""
    return f"{provider} item{shown} ({', '.join(parts) or 'no id'})"


async def map_item(
    org: str,
    provider: str,
    *,
    product_id: object = None,
    variant_id: object = None,
    sku: object = None,
    custom: object = None,
    name: object = None,
) -> PurchaseItem:
    """The hub product a storefront item is, as a purchase item.

    :param provider: the plugin's provider name (``shopify``).
    :param product_id: the provider's product id (text or number).
    :param variant_id: the provider's variant (or price) id.
    :param sku: the item's SKU.
    :param custom: a value the buyer's checkout carried (Lemon Squeezy's
        ``custom_data``), taken as a hub slug (``slug`` or ``slug@version``).
    :param name: the item's title at the provider, for the problem's words.
    :returns: the mapped item; or, when nothing maps it, an item whose
        :attr:`~hub.services.purchases.PurchaseItem.unmapped` names it (the
        purchase is kept with a problem, shown in Problems).
    """
    wanted = [(kind, text) for kind, value in ((VARIANT, variant_id), (PRODUCT, product_id), (SKU, sku))
              if (text := _clean(value))]
    if wanted:
        rows = await ProductMapping.select(ProductMapping.kind, ProductMapping.external_id, ProductMapping.product).where(
            ProductMapping.org == org,
            ProductMapping.provider == provider,
            ProductMapping.external_id.is_in(sorted({text for _, text in wanted})),
        )
        found = {(row["kind"], row["external_id"]): row["product"] for row in rows}
        for key in wanted:
            if key in found:
                return PurchaseItem(found[key])
    for candidate in (_clean(sku), _clean(custom)):
        if candidate:
            slug, _, version = candidate.partition("@")
            if await Product.exists().where(Product.org == org, Product.slug == slug.strip()):
                return PurchaseItem(slug.strip(), version.strip() or None)
    label = unmapped_label(provider, product_id=product_id, variant_id=variant_id, sku=sku, name=name)
    return PurchaseItem(label, unmapped=label)


def _check(provider: str, kind: str, external_id: str) -> None:
    if not isinstance(provider, str) or not 0 < len(provider) <= MAX_PROVIDER or not provider.replace("-", "").isalnum():
        raise Invalid(f"provider must be a payment plugin's name such as shopify, got {str(provider)[:60]!r}",
                      field="provider")
    if kind not in MAPPING_KINDS:
        raise Invalid(f"kind must be one of {', '.join(MAPPING_KINDS)}, got {str(kind)[:40]!r}", field="kind")
    if _clean(external_id) is None or len(external_id.strip()) > MAX_EXTERNAL_ID:
        raise Invalid(f"externalId must be the provider's id, 1 to {MAX_EXTERNAL_ID} characters", field="externalId")


async def list_mappings(org: str, provider: str | None = None) -> list[Mapping]:
    """The organization's mappings (of one provider, or all), by provider, kind and id."""
    conditions = [ProductMapping.org == org]
    if provider:
        conditions.append(ProductMapping.provider == provider)
    rows = await ProductMapping.select().where(*conditions).order_by(ProductMapping.provider).order_by(
        ProductMapping.kind
    ).order_by(ProductMapping.external_id)
    return [_row(row) for row in rows]


async def add_mapping(org: str, *, provider: str, kind: str, external_id: str, product: str) -> Mapping:
    """Map ``provider``'s ``kind`` ``external_id`` to the hub product
    ``product`` (its slug, which must exist). :class:`Conflict` when that id
    is mapped already (delete the mapping first)."""
    _check(provider, kind, external_id)
    slug = (product or "").strip()
    await find_product(org, slug)  # NotFound names it
    row: dict[str, Any] = dict(
        id=new_id("map"), org=org, provider=provider, kind=kind, external_id=external_id.strip(), product=slug,
        created_at=utcnow(),
    )
    try:
        await ProductMapping.insert(ProductMapping(**row))
    except UNIQUE_VIOLATIONS:
        raise Conflict(f"{provider} {kind} {external_id.strip()} is mapped already: delete that mapping first") from None
    return _row(row)


async def delete_mapping(org: str, mapping_id: str) -> None:
    """Forget one mapping; :class:`NotFound` when ``org`` has no such mapping."""
    deleted = await ProductMapping.delete().where(ProductMapping.org == org, ProductMapping.id == mapping_id).returning(
        ProductMapping.id
    )
    if not deleted:
        raise NotFound(f"No product mapping {mapping_id}")
