"""Every download link of a shop, with or without a purchase, and sending a
product from the console.

The console's Links view lists the organization's download tokens: those
of purchases and those minted through the API with no purchase at all (the
README's first example), found by buyer and product. A link is revoked,
extended and sent again from there (:mod:`hub.services.support` does the
work; a link without a purchase is sent on its own).

Sending a product (a comp copy, a manual order, a replacement) records a
purchase with provider ``console``, a reason and an optional amount: the
same purchase, tokens and delivery email as a paid order. The form carries
a ``send_id`` made when it was shown: it is the purchase's provider
reference, so a form submitted twice sends once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from hub.clock import as_aware, iso, utcnow
from hub.context import Hub
from hub.email_address import check_email
from hub.emails import render_email
from hub.errors import Conflict, Invalid, NotFound, Problems
from hub.plugins.events import TokensMinted
from hub.plugins.records import email_purchase
from hub.secrets import new_id
from hub.services.events import emit
from hub.services.outbox import queue_email
from hub.services.products import find_product
from hub.services.purchases import PurchaseIn, PurchaseItem, RecordedPurchase, record_purchase
from hub.services.support import new_link, resend_delivery, token_of
from hub.services.tokens import deliverable_version, token_records
from hub.tables import DownloadToken, Organization, Product

PAGE_SIZE = 50
CONSOLE_PROVIDER = "console"
MAX_REASON = 500
SEND_ID = re.compile(r"send_[0-9a-f]{20}")


def new_send_id() -> str:
    """The id a send form carries, so that submitting it twice sends once."""
    return new_id("send")


async def search_links(org: str, *, buyer: str = "", product: str = "", offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """The organization's links, newest first, whose buyer's address
    contains ``buyer`` and whose product's id (slug) is ``product``."""
    conditions: list[Any] = [DownloadToken.org == org]
    buyer = (buyer or "").strip().lower()[:320]
    if buyer:
        escaped = buyer.replace("\\", "").replace("%", "").replace("_", "\\_")
        conditions.append(DownloadToken.customer_email.like(f"%{escaped}%"))
    if product:
        found = await Product.select(Product.id).where(Product.org == org, Product.slug == product[:100]).first()
        if found is None:
            return [], 0
        conditions.append(DownloadToken.product == found["id"])
    rows = (
        await DownloadToken.select(
            *DownloadToken.all_columns(exclude=[DownloadToken.token_hash, DownloadToken.metadata]),
            DownloadToken.product.name.as_alias("product_name"),
            DownloadToken.product.slug.as_alias("product_slug"),
            DownloadToken.version.version.as_alias("version_name"),
        )
        .where(*conditions)
        .order_by(DownloadToken.created_at, ascending=False)
        .order_by(DownloadToken.id, ascending=False)
        .limit(PAGE_SIZE)
        .offset(max(0, offset))
        .output(load_json=True)
    )
    now = utcnow()
    for row in rows:
        limit = row["max_downloads"]
        row["downloads_left"] = None if limit is None else max(0, limit - row["used_count"])
        row["expired"] = as_aware(row["expires_at"]) <= now
    return rows, await DownloadToken.count().where(*conditions)


async def send_link(hub: Hub, org: str, token_id: str, email: str | None = None) -> str:
    """Email the link again (a new secret of the same token), to ``email``
    when given; a purchase's link goes with the rest of its purchase, as
    its delivery email. Returns the address written to."""
    token = await token_of(org, None, token_id)
    if token["purchase"]:
        return await resend_delivery(hub, org, token["purchase"], email)
    recipient = check_email(email, field="email") if email else token["customer_email"]
    if not recipient:
        raise Invalid("This link has no email address: enter one to send it to.", field="email")
    if token["revoked_at"] is not None or as_aware(token["expires_at"]) <= utcnow():
        raise Invalid("This link is revoked or expired: restore or extend it first.")
    names = await DownloadToken.select(
        DownloadToken.product.name.as_alias("product"), DownloadToken.version.version.as_alias("version")
    ).where(DownloadToken.id == token_id).first()
    shop = await Organization.select(Organization.name).where(Organization.id == org).first()
    async with hub.db.write_transaction():
        if recipient != token["customer_email"]:
            await DownloadToken.update({DownloadToken.customer_email: recipient}).where(DownloadToken.id == token_id)
        item = {
            "product": names["product"] if names else "", "version": names["version"] if names else "",
            "url": hub.download_url(await new_link(token)),
            "expires_at": iso(token["expires_at"]), "max_downloads": token["max_downloads"],
        }
        await emit(hub, TokensMinted(tokens=lambda: token_records(hub, [token_id])), org=org)
        purchase = email_purchase({"id": token_id, "provider": "api", "customer_email": recipient})
        context = {"purchase": purchase, "shop": shop["name"] if shop else org, "my_url": hub.my_url, "items": [item]}
        rendered = await render_email(hub, "delivery", context, org=org)
        await queue_email(
            hub, org=org, kind="delivery", recipient=recipient, rendered=rendered,
            dedupe_key=f"resend-link:{token_id}:{new_id('send')}",
        )
    hub.outbox_wakeup.set()
    return recipient


@dataclass(frozen=True)
class Sending:
    """What the console's "send a product" form asks for."""

    product: str
    email: str
    reason: str
    amount: str = ""
    currency: str = ""
    send_id: str = ""
    sent_by: str = ""


def _cents(amount: str, currency: str) -> tuple[int | None, str]:
    """An optional amount in the currency's main unit ("19.00") as cents."""
    amount, currency = amount.strip(), currency.strip().lower()
    if not amount:
        return None, ""
    try:
        value = Decimal(amount)
    except InvalidOperation:
        raise Invalid("amount must be a number such as 19.00, or empty", field="amount") from None
    if not value.is_finite() or value < 0 or value > 1_000_000 or value != value.quantize(Decimal("0.01")):
        raise Invalid("amount must be a number such as 19.00 (at most two decimals), or empty", field="amount")
    if not re.fullmatch(r"[a-z]{3}", currency):
        raise Invalid("currency must be a three-letter code such as EUR when an amount is given", field="currency")
    return int(value * 100), currency


async def send_product(hub: Hub, org: str, sending: Sending) -> RecordedPurchase:
    """Record a purchase with provider ``console`` of one product for
    ``sending.email``, with its links and delivery email (once per
    ``send_id``: the same form submitted again finds the first one)."""
    problems: list[Invalid] = []
    product: dict[str, Any] | None = None
    try:
        product = await find_product(org, sending.product)
        if product["status"] == "archived":
            raise Conflict(f"{product['name']} is archived: publish it again to send it")
        await deliverable_version(hub, product, None)
    except NotFound:
        problems.append(Invalid("Choose a product of this shop", field="product"))
    except Conflict as refused:
        problems.append(Invalid(refused.message, field="product"))
    email = ""
    try:
        email = check_email((sending.email or "").strip(), field="email")
    except Invalid:
        problems.append(Invalid("email must be an email address, like buyer@example.com", field="email"))
    reason = (sending.reason or "").strip()
    if not reason:
        problems.append(Invalid("Say why you send it (a comp copy, a replacement...): it is kept with the purchase", field="reason"))
    elif len(reason) > MAX_REASON:
        problems.append(Invalid(f"The reason must have at most {MAX_REASON} characters", field="reason"))
    amount, currency = None, ""
    try:
        amount, currency = _cents(sending.amount, sending.currency)
    except Invalid as refused:
        problems.append(refused)
    if problems:
        raise Problems(problems)
    assert product is not None
    send_id = sending.send_id if SEND_ID.fullmatch(sending.send_id or "") else new_send_id()
    return await record_purchase(
        hub,
        PurchaseIn(
            org=org, provider=CONSOLE_PROVIDER, provider_ref=send_id, customer_email=email,
            items=[PurchaseItem(product["slug"])], amount=amount, currency=currency,
            metadata={"reason": reason, "sentBy": sending.sent_by},
        ),
    )
