"""Purchases: a paid order, recorded once, turned into download tokens.

Payment plugins (and the API) hand :func:`record_purchase` a normalized
:class:`PurchaseIn`; the purchase and one token per item are written in one
transaction, so a crash leaves either all of it or none. The same provider
reference recorded twice yields the first purchase again, unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from hub.clock import utcnow
from hub.context import Hub
from hub.db import UNIQUE_VIOLATIONS, write_transaction
from hub.errors import HubError
from hub.inputs import check_text
from hub.secrets import new_id
from hub.services.products import find_product
from hub.services.tokens import deliverable_version, mint_for_version
from hub.tables import DownloadToken, Purchase


@dataclass(frozen=True)
class PurchaseItem:
    product_id: str
    version: str | None = None


@dataclass(frozen=True)
class PurchaseIn:
    """A paid order in the hub's terms, whatever provider it came from."""

    org: str
    provider: str
    provider_ref: str
    customer_email: str
    items: list[PurchaseItem]
    customer_name: str = ""
    amount: int | None = None
    currency: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RecordedPurchase:
    purchase: dict
    tokens: list[tuple[str, dict]]  # (secret, token row), only when just minted
    created: bool


async def record_purchase(hub: Hub, order: PurchaseIn) -> RecordedPurchase:
    """Record ``order`` once and mint its tokens, atomically.

    An item naming an unknown product, or one with nothing to deliver, does
    not lose the purchase: it is recorded with the problem in ``problem``.
    """
    existing = await _find(order)
    if existing:
        return RecordedPurchase(existing, [], created=False)
    purchase_id = new_id("purchase")
    problems: list[str] = []
    minted: list[tuple[str, dict]] = []
    try:
        async with write_transaction(hub.engine):
            await Purchase.insert(
                Purchase(
                    id=purchase_id,
                    org=order.org,
                    provider=order.provider,
                    provider_ref=order.provider_ref,
                    customer_email=order.customer_email.strip().lower(),
                    customer_name=order.customer_name,
                    items=[{"productId": i.product_id, "version": i.version} for i in order.items],
                    amount=order.amount,
                    currency=order.currency,
                    status="paid",
                    metadata=order.metadata,
                    created_at=utcnow(),
                )
            )
            for item in order.items:
                try:
                    product = await find_product(order.org, item.product_id)
                    version = await deliverable_version(product, item.version)
                except HubError as problem:
                    problems.append(f"{item.product_id}: {problem.message}")
                    continue
                secret, token, _, _ = await mint_for_version(
                    order.org,
                    product,
                    version,
                    customer_email=order.customer_email or None,
                    ttl=timedelta(days=hub.settings.token_ttl_days),
                    metadata={"purchaseId": purchase_id, "provider": order.provider},
                    purchase=purchase_id,
                )
                minted.append((secret, token))
            if problems:
                await Purchase.update({Purchase.problem: "; ".join(problems)}).where(Purchase.id == purchase_id)
    except UNIQUE_VIOLATIONS:
        # A concurrent delivery of the same order won the insert.
        existing = await _find(order)
        if existing is None:
            raise
        return RecordedPurchase(existing, [], created=False)
    purchase = await Purchase.select().where(Purchase.id == purchase_id).output(load_json=True).first()
    return RecordedPurchase(purchase, minted, created=True)


async def _find(order: PurchaseIn) -> dict | None:
    return (
        await Purchase.select()
        .where(
            Purchase.org == order.org,
            Purchase.provider == order.provider,
            Purchase.provider_ref == order.provider_ref,
        )
        .output(load_json=True)
        .first()
    )


async def list_purchases(
    org: str, *, customer_email: str | None, limit: int, offset: int
) -> tuple[list[dict], int]:
    conditions = [Purchase.org == org]
    if customer_email:
        check_text(customer_email, "customerEmail", max_length=320)
        conditions.append(Purchase.customer_email == customer_email.strip().lower())
    rows = (
        await Purchase.select()
        .where(*conditions)
        .order_by(Purchase.created_at, ascending=False)
        .limit(limit)
        .offset(offset)
        .output(load_json=True)
    )
    total = await Purchase.count().where(*conditions)
    if rows:
        tokens = await DownloadToken.select(
            DownloadToken.id,
            DownloadToken.purchase,
            DownloadToken.product.slug.as_alias("product_id"),
            DownloadToken.version.version.as_alias("version_name"),
            DownloadToken.expires_at,
            DownloadToken.max_downloads,
            DownloadToken.used_count,
            DownloadToken.revoked_at,
        ).where(DownloadToken.purchase.is_in([r["id"] for r in rows]))
        by_purchase: dict[str, list[dict]] = {}
        for token in tokens:
            by_purchase.setdefault(token["purchase"], []).append(token)
        for row in rows:
            row["tokens"] = by_purchase.get(row["id"], [])
    return rows, total
