"""Purchases: a paid order, recorded once, turned into download tokens and
a delivery email (unless a refund or dispute of its payment came first:
see :mod:`hub.services.reversals`).

:func:`record_purchase` writes the purchase, one token per item and the
delivery email (into the outbox) and its events (``purchase_recorded``,
``tokens_minted``: see :mod:`hub.services.events`) in one transaction, so a
crash leaves all of it or none; the same provider reference recorded again
yields the first purchase, unchanged, and no second email or event. The
worker tells the plugins and webhook endpoints after the commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from piccolo.columns import Column

from hub import resources
from hub.clock import iso, utcnow
from hub.context import Hub
from hub.db import UNIQUE_VIOLATIONS
from hub.email_address import check_email
from hub.emails import render_email
from hub.errors import HubError, Invalid
from hub.inputs import check_text
from hub.plugins import records
from hub.plugins.events import PurchaseRecorded, TokensMinted
from hub.plugins.records import JSONObject, email_purchase
from hub.sealing import Sealer
from hub.secrets import new_id
from hub.services.events import emit
from hub.services.licenses import licenses_of_purchases, mint_for_item
from hub.services.outbox import queue_email
from hub.services.products import find_product
from hub.services.provider_refs import ORDER, ProviderRef, record_references
from hub.services.purchase_statuses import PAID, REVOKING, payment_state
from hub.services.shops import email_brand, shop_identity
from hub.services.tokens import TokenTerms, deliverable_version, mint_for_version, token_records
from hub.tables import DownloadToken, Purchase

ATTEMPTS = 3
LIVE = "live"
TEST = "test"
"""A purchase's ``mode``: paid for real, or in a provider's test mode or sandbox."""


@dataclass(frozen=True)
class PurchaseItem:
    product_id: str
    version: str | None = None
    unmapped: str = ""
    """Set when a storefront's item maps to no hub product
    (:func:`hub.services.product_mappings.map_item`): the provider's words
    for it. The purchase is kept with a problem naming it (Problems, fix
    and fulfil), never lost."""


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
    metadata: JSONObject = field(default_factory=dict)
    references: tuple[ProviderRef, ...] = ()
    """The provider's other ids of this purchase (besides ``provider_ref``,
    kept as kind ``order``): a PaymentIntent, a capture... The core keeps
    them (:mod:`hub.services.provider_refs`); a refund or dispute may name
    any of them, and the plugin finds the purchase by them. An id that paid
    for only some of the items names them (:attr:`ProviderRef.items`): its
    refund revokes those items' tokens only."""
    livemode: bool = True
    """False for a payment made in the provider's test mode or sandbox
    (kept as the purchase's ``mode``)."""
    problem: str = ""
    """What the plugin already knows keeps the purchase from being
    fulfilled (Paddle's "waiting for the buyer's email"): shown in Problems
    with fix-and-fulfil, with what the core finds."""


@dataclass(frozen=True)
class RecordedPurchase:
    purchase: dict[str, Any]
    tokens: list[tuple[str, dict[str, Any]]]  # (secret, token row), only when just minted
    created: bool

    @property
    def note(self) -> str:
        """What recording did, in the words a payment plugin notes as the
        outcome of the event that reported the purchase."""
        purchase = self.purchase
        if not self.created:
            return f"purchase {purchase['id']} already recorded"
        note = f"recorded purchase {purchase['id']} ({purchase['status']}) with {len(self.tokens)} token(s)"
        if purchase["problem"]:
            note += f"; problem: {purchase['problem']}"
        return note


def parse_items(spec: str) -> list[PurchaseItem]:
    """``"drums-v1, pads@2.0.0"`` → items; the format shops put in provider
    metadata (Stripe's ``continuata_products``, PayPal's ``custom_id``)."""
    items = []
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        product_id, _, version = part.partition("@")
        items.append(PurchaseItem(product_id.strip(), version.strip() or None))
    return items


async def find_purchase(org: str, provider: str, provider_ref: str) -> dict[str, Any] | None:
    return (
        await Purchase.select()
        .where(Purchase.org == org, Purchase.provider == provider, Purchase.provider_ref == provider_ref)
        .output(load_json=True)
        .first()
    )


async def record_purchase(hub: Hub, order: PurchaseIn) -> RecordedPurchase:
    """Record ``order`` once, with its tokens and delivery email, atomically."""
    for attempt in range(ATTEMPTS):
        try:
            async with hub.db.write_transaction():
                result = await record_in_transaction(hub, order)
            break
        except UNIQUE_VIOLATIONS:
            # A concurrent delivery of the same order committed first; the
            # next attempt finds it.
            if attempt == ATTEMPTS - 1:
                raise
    await announce(hub, result)
    return result


async def record_in_transaction(hub: Hub, order: PurchaseIn) -> RecordedPurchase:
    """The body of :func:`record_purchase`, inside the caller's transaction.

    A reversal of the payment already kept (a refund or dispute that arrived
    first) decides the purchase's status at once: a purchase that starts
    refunded or on hold gets no links and no email until (and unless) it is
    restored. Raises a unique violation when a concurrent transaction
    recorded the same order first; the caller retries, and then finds it.
    """
    existing = await find_purchase(order.org, order.provider, order.provider_ref)
    if existing:
        return RecordedPurchase(existing, [], created=False)
    problem = order.problem.replace("\x00", "")[:1000]
    email = (order.customer_email or "").strip().lower()
    if email:
        try:
            email = check_email(email)
        except Invalid as refused:
            # A provider's odd email must not lose the purchase: it is kept
            # without delivery, and the problem (with its reason) shows in
            # GET /api/purchases.
            problem = "; ".join(filter(None, [problem, (
                f"the customer email {email[:100]!r} is not an address the hub can send to ({refused.message})"
            )]))
            email = ""
    purchase_id = new_id("purchase")
    new_purchase: dict[str, Any] = dict(
        org=order.org,
        provider=order.provider,
        provider_ref=order.provider_ref,
        customer_email=email,
        customer_name=order.customer_name,
        items=[
            {"productId": i.product_id, "version": i.version, **({"unmapped": i.unmapped} if i.unmapped else {})}
            for i in order.items
        ],
        amount=order.amount,
        currency=order.currency,
        status=PAID,
        problem=problem,
        metadata=order.metadata,
        created_at=utcnow(),
        mode=LIVE if order.livemode else TEST,
    )
    await Purchase.insert(Purchase(id=purchase_id, **new_purchase))
    references = [ProviderRef(ORDER, order.provider_ref), *order.references]
    await record_references(order.org, purchase_id, order.provider, references)
    state = await payment_state(order.org, order.provider, references, len(order.items))
    status = state.status
    minted: list[tuple[str, dict[str, Any]]] = []
    if status == PAID:
        minted = await deliver_purchase(hub, {**new_purchase, "id": purchase_id}, reversed_items=state.reversed_items)
    else:
        changes: dict[Column | str, Any] = {Purchase.status: status}
        if status in REVOKING:
            changes[Purchase.refunded_at] = utcnow()
        await Purchase.update(changes).where(Purchase.id == purchase_id)
    purchase = await Purchase.select().where(Purchase.id == purchase_id).output(load_json=True).first()
    assert purchase is not None  # inserted above, in this transaction
    await emit(
        hub,
        PurchaseRecorded(
            purchase=lambda: purchase_record(order.org, purchase_id),
            tokens=lambda: token_records(hub, [token["id"] for _, token in minted]),
        ),
        org=order.org,
    )
    return RecordedPurchase(purchase, minted, created=True)


async def deliver_purchase(
    hub: Hub, purchase: dict[str, Any], *, reversed_items: frozenset[int] = frozenset()
) -> list[tuple[str, dict[str, Any]]]:
    """Mint one token per item of a paid ``purchase`` and queue its delivery
    email (in the caller's transaction); mark it delivered. Items that cannot
    be delivered are noted in the purchase's ``problem``. The tokens of
    ``reversed_items`` (whose part of the payment was refunded before the
    purchase was recorded) are minted revoked and left out of the email: a
    cancelled refund gives them back (:mod:`hub.services.reversals`)."""
    problems = [purchase["problem"]] if purchase["problem"] else []
    email = purchase["customer_email"]
    minted: list[tuple[str, dict[str, Any]]] = []
    minted_records: list[records.Token] = []
    delivered: list[dict[str, Any]] = []
    if not purchase["items"]:
        problems.append("the order names no product")
    for index, item in enumerate(purchase["items"]):
        if item.get("unmapped"):
            problems.append(
                f"{item['unmapped']} is not mapped to a hub product (map it in Settings → Payments, then fix and fulfil)"
            )
            continue
        try:
            product = await find_product(purchase["org"], item["productId"])
            version = await deliverable_version(hub, product, item["version"])
        except HubError as problem:
            problems.append(f"{item['productId']}: {problem.message}")
            continue
        secret, token, _, _ = await mint_for_version(
            purchase["org"],
            product,
            version,
            TokenTerms(
                customer_email=email or None,
                ttl=timedelta(days=hub.settings.token_ttl_days),
                metadata={"purchaseId": purchase["id"], "provider": purchase["provider"]},
                purchase=purchase["id"],
                purchase_item=index,
            ),
        )
        # A licensed product's item gets its key with its token (once: a
        # unique index over the purchase and item).
        license_key = await mint_for_item(hub, purchase, index, product, revoked=index in reversed_items)
        if index in reversed_items:
            now = utcnow()
            await DownloadToken.update({DownloadToken.revoked_at: now, DownloadToken.reversed_at: now}).where(
                DownloadToken.id == token["id"]
            )
            token = {**token, "revoked_at": now, "reversed_at": now}
            minted.append((secret, token))
            minted_records.append(resources.as_record(resources.token(hub, token, product, version["version"])))
            continue
        minted.append((secret, token))
        minted_records.append(resources.as_record(resources.token(hub, token, product, version["version"])))
        delivered.append({"product": product, "version": version, "secret": secret, "token": token, "license": license_key})
    if not email and delivered:
        problems.append("no customer email: the links were not sent")
    # An id sent with a NUL character is named in the problem; a text
    # column cannot hold one on PostgreSQL, so it is written escaped.
    await Purchase.update(
        {Purchase.problem: "; ".join(problems).replace("\x00", "\\x00"), Purchase.delivered_at: utcnow()}
    ).where(Purchase.id == purchase["id"])
    if email and delivered:
        await queue_delivery_email(hub, purchase, delivered)
    if minted_records:
        await emit(hub, TokensMinted(tokens=minted_records), org=purchase["org"])
    return minted


async def purchase_record(org: str, purchase_id: str) -> records.Purchase:
    """A purchase as the API shows it (with its tokens): what hooks and
    webhooks receive."""
    rows, _ = await list_purchases(org, customer_email=None, limit=1, offset=0, purchase_id=purchase_id)
    return resources.as_record(resources.purchase(rows[0]))


async def queue_delivery_email(hub: Hub, purchase: dict[str, Any], delivered: list[dict[str, Any]]) -> None:
    shop = await shop_identity(hub.settings, purchase["org"])
    context = {
        "purchase": email_purchase(purchase),
        "shop": shop.name,
        "brand": email_brand(shop),
        "my_url": hub.my_url,
        "items": [
            {
                "product": d["product"]["name"],
                "version": d["version"]["version"],
                "url": hub.download_url(d["secret"]),
                "expires_at": iso(d["token"]["expires_at"]),
                "max_downloads": d["token"]["max_downloads"],
                "license_key": d["license"],
            }
            for d in delivered
        ],
    }
    rendered = await render_email(hub, "delivery", context, org=purchase["org"])
    await queue_email(
        hub,
        org=purchase["org"],
        kind="delivery",
        recipient=purchase["customer_email"],
        rendered=rendered,
        dedupe_key=f"delivery:{purchase['id']}",
        shop=shop,
    )


async def announce(hub: Hub, result: RecordedPurchase) -> None:
    """After the commit: wake the worker (email and events are waiting)."""
    if result.created:
        hub.outbox_wakeup.set()
        hub.events_wakeup.set()


async def list_purchases(
    org: str,
    *,
    customer_email: str | None,
    limit: int,
    offset: int,
    purchase_id: str | None = None,
    sealer: Sealer | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """A page of the organization's purchases, newest first, each with its
    ``tokens`` and ``licenses`` (their keys opened only when ``sealer`` is
    given: the shop's API shows them, hooks and webhooks never)."""
    conditions = [Purchase.org == org]
    if purchase_id:
        conditions.append(Purchase.id == purchase_id)
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
        by_purchase: dict[str, list[dict[str, Any]]] = {}
        for token in tokens:
            by_purchase.setdefault(token["purchase"], []).append(token)
        licenses = await licenses_of_purchases([r["id"] for r in rows], sealer)
        for row in rows:
            row["tokens"] = by_purchase.get(row["id"], [])
            row["licenses"] = licenses.get(row["id"], [])
    return rows, total
