"""Purchase support: finding a purchase and what support staff do to it.

What the console's purchase pages show (a purchase with its links, download
sessions and emails) and do: resend the delivery email (to the same or a
corrected address), a fresh link, a later expiry, a higher or reset
download limit, revoke and restore. Download-link secrets are stored only
as hashes, so every link sent again is a new secret of the same token
(:class:`hub.tables.TokenLink`): it spends from the same counter and stops
with the token.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from hub.clock import as_aware, iso, utcnow
from hub.context import Hub
from hub.email_address import check_email
from hub.emails import render_email
from hub.errors import Invalid, NotFound
from hub.plugins.events import TokensMinted
from hub.plugins.records import email_purchase
from hub.secrets import DOWNLOAD_TOKEN_PREFIX, hash_secret, new_id, new_secret
from hub.services.events import emit
from hub.services.outbox import queue_email
from hub.services.reports import _csv_line as csv_line
from hub.services.reports import parse_day, within_days
from hub.services.shops import email_brand, shop_identity
from hub.services.tokens import token_records
from hub.tables import DownloadSession, DownloadToken, OutboxMessage, Purchase, TokenLink

PAGE_SIZE = 50
CSV_PAGE = 1000
MAX_EXTENSION_DAYS = 3650
MAX_DOWNLOAD_LIMIT = 1_000_000


def _purchase_conditions(
    org: str, *, text: str = "", provider: str = "", status: str = "", since: str | None = None, until: str | None = None
) -> list[Any]:
    conditions: list[Any] = [Purchase.org == org]
    text = (text or "").strip()[:320]
    if text:
        conditions.append(
            (Purchase.customer_email == text.lower()) | (Purchase.provider_ref == text) | (Purchase.id == text)
        )
    if provider:
        conditions.append(Purchase.provider == provider[:40])
    if status:
        conditions.append(Purchase.status == status[:20])
    conditions += within_days(Purchase.created_at, parse_day(since, "since"), parse_day(until, "until"))
    return conditions


async def search_purchases(
    org: str,
    *,
    text: str = "",
    provider: str = "",
    status: str = "",
    since: str | None = None,
    until: str | None = None,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """Purchases matching a buyer email, provider reference or purchase id
    (``text``), a provider, a status and a date range (inclusive, UTC)."""
    conditions = _purchase_conditions(org, text=text, provider=provider, status=status, since=since, until=until)
    rows = (
        await Purchase.select()
        .where(*conditions)
        .order_by(Purchase.created_at, ascending=False)
        .limit(PAGE_SIZE)
        .offset(max(0, offset))
        .output(load_json=True)
    )
    return rows, await Purchase.count().where(*conditions)


PURCHASE_CSV_COLUMNS = [
    "purchase_id", "created_at", "provider", "reference", "customer_email", "customer_name", "items", "amount",
    "currency", "status", "mode", "problem",
]


def purchases_csv(
    org: str, *, text: str = "", provider: str = "", status: str = "", since: str | None = None, until: str | None = None
) -> AsyncIterator[str]:
    """CSV lines of the purchases the Purchases page's filters find (all of
    them, oldest first, read a page at a time; ``amount`` in the currency's
    main unit). Bad filters are refused here, before the first line."""
    conditions = _purchase_conditions(org, text=text, provider=provider, status=status, since=since, until=until)

    async def lines() -> AsyncIterator[str]:
        yield csv_line(PURCHASE_CSV_COLUMNS)
        offset = 0
        while True:
            rows = (
                await Purchase.select()
                .where(*conditions)
                .order_by(Purchase.created_at)
                .order_by(Purchase.id)
                .limit(CSV_PAGE)
                .offset(offset)
                .output(load_json=True)
            )
            for row in rows:
                items = " ".join(
                    i.get("productId", "") + (f"@{i['version']}" if i.get("version") else "") for i in row["items"] or []
                )
                amount = f"{row['amount'] / 100:.2f}" if row["amount"] is not None else ""
                yield csv_line([
                    row["id"], iso(row["created_at"]), row["provider"], row["provider_ref"], row["customer_email"],
                    row["customer_name"], items, amount, (row["currency"] or "").upper(), row["status"], row["mode"],
                    row["problem"],
                ])
            if len(rows) < CSV_PAGE:
                return
            offset += CSV_PAGE

    return lines()


async def purchase_filters(org: str) -> dict[str, list[str]]:
    """The providers and statuses the organization's purchases have (for the filters)."""
    providers = await Purchase.select(Purchase.provider).where(Purchase.org == org).distinct()
    statuses = await Purchase.select(Purchase.status).where(Purchase.org == org).distinct()
    return {"providers": sorted(r["provider"] for r in providers), "statuses": sorted(r["status"] for r in statuses)}


async def _purchase(org: str, purchase_id: str) -> dict[str, Any]:
    row = await Purchase.select().where(Purchase.org == org, Purchase.id == purchase_id).output(load_json=True).first()
    if row is None:
        raise NotFound(f"Purchase {purchase_id} not found")
    return row


async def _tokens(purchase_id: str) -> list[dict[str, Any]]:
    tokens = await DownloadToken.select(
        *DownloadToken.all_columns(exclude=[DownloadToken.token_hash]),
        DownloadToken.product.name.as_alias("product_name"),
        DownloadToken.product.slug.as_alias("product_slug"),
        DownloadToken.version.version.as_alias("version_name"),
    ).where(DownloadToken.purchase == purchase_id).order_by(DownloadToken.created_at).output(load_json=True)
    now = utcnow()
    for token in tokens:
        limit = token["max_downloads"]
        token["downloads_left"] = None if limit is None else max(0, limit - token["used_count"])
        token["expired"] = as_aware(token["expires_at"]) <= now
    return tokens


def _email_keys(purchase_id: str) -> Any:
    return (OutboxMessage.dedupe_key == f"delivery:{purchase_id}") | OutboxMessage.dedupe_key.like(
        f"resend:{purchase_id}:%"
    )


async def purchase_detail(org: str, purchase_id: str) -> dict[str, Any]:
    """A purchase with its links, their download sessions and its emails."""
    purchase = await _purchase(org, purchase_id)
    tokens = await _tokens(purchase_id)
    sessions = []
    if tokens:
        sessions = (
            await DownloadSession.select(
                *DownloadSession.all_columns(exclude=[DownloadSession.session_key]),
                DownloadSession.token.product.name.as_alias("product_name"),  # type: ignore[union-attr]  # piccolo types a column reached through a foreign key as Column | Any
            )
            .where(DownloadSession.token.is_in([t["id"] for t in tokens]))
            .order_by(DownloadSession.started_at, ascending=False)
            .limit(200)
        )
    emails = (
        await OutboxMessage.select(
            OutboxMessage.id, OutboxMessage.kind, OutboxMessage.recipient, OutboxMessage.status, OutboxMessage.attempts,
            OutboxMessage.last_error, OutboxMessage.created_at, OutboxMessage.sent_at,
        )
        .where(OutboxMessage.org == org, _email_keys(purchase_id))
        .order_by(OutboxMessage.created_at, ascending=False)
    )
    return {"purchase": purchase, "tokens": tokens, "sessions": sessions, "emails": emails}


async def token_of(org: str, purchase_id: str | None, token_id: str) -> dict[str, Any]:
    """The organization's token ``token_id``, of purchase ``purchase_id``
    (None: with or without a purchase, as the Links view finds them)."""
    conditions = [DownloadToken.org == org, DownloadToken.id == token_id]
    if purchase_id is not None:
        conditions.append(DownloadToken.purchase == purchase_id)
    row = await DownloadToken.select().where(*conditions).output(load_json=True).first()
    if row is None:
        raise NotFound(f"Link {token_id} not found" + (f" in purchase {purchase_id}" if purchase_id else ""))
    return row


async def new_link(token: dict[str, Any]) -> str:
    """A new secret for ``token`` (valid as long as the token); the secret."""
    secret = new_secret(DOWNLOAD_TOKEN_PREFIX)
    await TokenLink.insert(
        TokenLink(
            id=new_id("link"), token=token["id"], link_hash=hash_secret(secret),
            expires_at=as_aware(token["expires_at"]), created_at=utcnow(),
        )
    )
    return secret


async def resend_delivery(
    hub: Hub, org: str, purchase_id: str, email: str | None = None, *, dedupe_key: str | None = None
) -> str:
    """Send the purchase's links again (new secrets of its live tokens), to
    ``email`` when given (which then becomes the purchase's address, so the
    buyer's ``/my`` page finds it). Returns the address written to.

    :param dedupe_key: the outbox key of the email (a fresh one by default,
        so support can send again): a key already used raises a unique
        violation, and nothing of this call is written."""
    purchase = await _purchase(org, purchase_id)
    recipient = check_email(email, field="email") if email else purchase["customer_email"]
    if not recipient:
        raise Invalid("This purchase has no email address: enter one to send the links to.", field="email")
    tokens = [t for t in await _tokens(purchase_id) if t["revoked_at"] is None and not t["expired"]]
    if not tokens:
        raise Invalid("This purchase has no working link to send: restore or extend one first.")
    shop = await shop_identity(hub.settings, org)
    async with hub.db.write_transaction():
        if recipient != purchase["customer_email"]:
            await Purchase.update({Purchase.customer_email: recipient}).where(Purchase.id == purchase_id)
            await DownloadToken.update({DownloadToken.customer_email: recipient}).where(DownloadToken.purchase == purchase_id)
            purchase["customer_email"] = recipient
        items = []
        await emit(hub, TokensMinted(tokens=lambda: token_records(hub, [token["id"] for token in tokens])), org=org)
        for token in tokens:
            items.append(
                {
                    "product": token["product_name"], "version": token["version_name"],
                    "url": hub.download_url(await new_link(token)),
                    "expires_at": iso(token["expires_at"]), "max_downloads": token["max_downloads"],
                }
            )
        context = {"purchase": email_purchase(purchase), "shop": shop.name, "brand": email_brand(shop), "my_url": hub.my_url, "items": items}
        rendered = await render_email(hub, "delivery", context, org=org)
        await queue_email(
            hub, org=org, kind="delivery", recipient=recipient, rendered=rendered,
            dedupe_key=dedupe_key or f"resend:{purchase_id}:{new_id('send')}", shop=shop,
        )
    hub.outbox_wakeup.set()
    return recipient


async def fresh_link(hub: Hub, org: str, purchase_id: str | None, token_id: str) -> str:
    """A new download link for one of the purchase's tokens (shown to support, once)."""
    token = await token_of(org, purchase_id, token_id)
    async with hub.db.write_transaction():
        secret = await new_link(token)
        await emit(hub, TokensMinted(tokens=lambda: token_records(hub, [token_id])), org=org)
    return hub.download_url(secret)


async def extend_expiry(hub: Hub, org: str, purchase_id: str | None, token_id: str, days: Any) -> None:
    """Move the link's expiry ``days`` later (counted from now when it has
    already expired); its extra links follow."""
    try:
        days = int(days)
    except (TypeError, ValueError):
        days = 0
    if not 1 <= days <= MAX_EXTENSION_DAYS:
        raise Invalid(f"days must be a whole number from 1 to {MAX_EXTENSION_DAYS}", field="days")
    token = await token_of(org, purchase_id, token_id)
    expires = max(as_aware(token["expires_at"]), utcnow()) + timedelta(days=days)
    async with hub.db.write_transaction():
        await DownloadToken.update({DownloadToken.expires_at: expires}).where(DownloadToken.id == token_id)
        await TokenLink.update({TokenLink.expires_at: expires}).where(TokenLink.token == token_id)


async def set_download_limit(org: str, purchase_id: str | None, token_id: str, limit: Any) -> None:
    """A new download limit (blank: unlimited); downloads already used still count."""
    await token_of(org, purchase_id, token_id)
    if limit in (None, ""):
        value = None
    else:
        try:
            value = int(limit)
        except (TypeError, ValueError):
            value = 0
        if not 1 <= value <= MAX_DOWNLOAD_LIMIT:
            raise Invalid(f"The limit must be blank (unlimited) or a whole number from 1 to {MAX_DOWNLOAD_LIMIT}", field="limit")
    await DownloadToken.update({DownloadToken.max_downloads: value}).where(DownloadToken.id == token_id)


async def reset_downloads(org: str, purchase_id: str | None, token_id: str) -> None:
    """Forget the downloads used: the whole limit is available again."""
    await token_of(org, purchase_id, token_id)
    await DownloadToken.update({DownloadToken.used_count: 0}).where(DownloadToken.id == token_id)


async def set_revoked(org: str, purchase_id: str | None, token_id: str, revoked: bool) -> None:
    """Revoke a link (it stops at once, with its extra links) or restore it."""
    await token_of(org, purchase_id, token_id)
    await DownloadToken.update({DownloadToken.revoked_at: utcnow() if revoked else None}).where(DownloadToken.id == token_id)
