"""Open problems a shop must look at: purchases that could not be fulfilled
(an unknown product or version, a bad email), emails that failed for good,
and payment events the hub could not act on — and their fixes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hub.clock import utcnow
from hub.context import Hub
from hub.db import UNIQUE_VIOLATIONS
from hub.email_address import check_email
from hub.errors import HubError, Invalid, NotFound
from hub.plugins.events import TokensMinted
from hub.services.events import emit
from hub.services.inbox import FAILED
from hub.services.products import find_product
from hub.services.purchases import parse_items
from hub.services.support import resend_delivery
from hub.services.tokens import TokenTerms, deliverable_version, mint_for_version, token_records
from hub.tables import DownloadToken, InboxEvent, OutboxMessage, Purchase

LIMIT = 100


async def unfulfilled_purchases(org: str) -> list[dict[str, Any]]:
    return (
        await Purchase.select()
        .where(Purchase.org == org, Purchase.problem != "", Purchase.status == "paid")
        .order_by(Purchase.created_at, ascending=False)
        .limit(LIMIT)
        .output(load_json=True)
    )


async def failed_emails(org: str) -> list[dict[str, Any]]:
    return (
        await OutboxMessage.select(
            OutboxMessage.id, OutboxMessage.kind, OutboxMessage.recipient, OutboxMessage.attempts,
            OutboxMessage.last_error, OutboxMessage.created_at, OutboxMessage.dedupe_key,
        )
        .where(OutboxMessage.org == org, OutboxMessage.status == "failed")
        .order_by(OutboxMessage.created_at, ascending=False)
        .limit(LIMIT)
    )


async def failed_payment_events(org: str) -> list[dict[str, Any]]:
    """Payment events the inbox gave up on (for ``org``, or not yet placed
    in any organization), with the reason."""
    return (
        await InboxEvent.select(
            InboxEvent.id, InboxEvent.provider, InboxEvent.event_id, InboxEvent.event_type, InboxEvent.attempts,
            InboxEvent.last_error, InboxEvent.outcome, InboxEvent.received_at,
        )
        .where(InboxEvent.org.is_in([org, ""]), InboxEvent.status == FAILED)
        .order_by(InboxEvent.received_at, ascending=False)
        .limit(LIMIT)
    )


async def retry_email(hub: Hub, org: str, message_id: str) -> None:
    """Send a failed email again now, with a fresh set of attempts."""
    retried = await OutboxMessage.update(
        {OutboxMessage.status: "pending", OutboxMessage.attempts: 0, OutboxMessage.next_attempt_at: utcnow(),
         OutboxMessage.claimed_until: None}
    ).where(OutboxMessage.org == org, OutboxMessage.id == message_id, OutboxMessage.status == "failed").returning(
        OutboxMessage.id
    )
    if not retried:
        raise NotFound(f"No failed email {message_id}")
    hub.outbox_wakeup.set()


async def fix_and_fulfil(hub: Hub, org: str, purchase_id: str, *, email: str, items: str) -> dict[str, Any]:
    """Correct a purchase's email and items (``product[@version]``, comma
    separated), mint the links it lacks, clear its problem and send the
    delivery email. Nothing changes when an item still cannot be delivered."""
    purchase = await Purchase.select().where(Purchase.org == org, Purchase.id == purchase_id).output(load_json=True).first()
    if purchase is None:
        raise NotFound(f"Purchase {purchase_id} not found")
    if purchase["status"] != "paid":
        raise Invalid(f"This purchase is {purchase['status']}: there is nothing to fulfil.")
    email = check_email(email, field="email")
    try:
        wanted = parse_items(items or "")
    except (ValueError, HubError) as problem:
        raise Invalid(f"items: {getattr(problem, 'message', problem)}", field="items") from None
    if not wanted:
        raise Invalid("Name at least one product, e.g. epic-drums or epic-drums@1.0.0", field="items")
    existing = await DownloadToken.select(DownloadToken.product.slug.as_alias("slug")).where(
        DownloadToken.purchase == purchase_id, DownloadToken.revoked_at.is_null()
    )
    have = {row["slug"] for row in existing}
    resolved: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for item in wanted:
        if item.product_id in have:
            continue
        try:
            product = await find_product(org, item.product_id)
            version = await deliverable_version(hub, product, item.version)
        except HubError as problem:
            raise Invalid(f"{item.product_id}: {problem.message}", field="items") from None
        resolved.append((product, version))
    async with hub.db.write_transaction():
        minted = []
        for product, version in resolved:
            _, token, _, _ = await mint_for_version(
                org, product, version,
                TokenTerms(
                    customer_email=email, ttl=timedelta(days=hub.settings.token_ttl_days),
                    metadata={"purchaseId": purchase_id, "provider": purchase["provider"], "fixedInConsole": True},
                    purchase=purchase_id,
                ),
            )
            minted.append(token["id"])
        if minted:
            await emit(hub, TokensMinted(tokens=lambda: token_records(hub, minted)), org=org)
        items_json: list[dict[str, Any]] = [{"productId": i.product_id, "version": i.version} for i in wanted]
        await Purchase.update({Purchase.problem: "", Purchase.items: items_json}).where(Purchase.id == purchase_id)
    await resend_delivery(hub, org, purchase_id, email)
    return {"purchase": purchase_id, "minted": len(resolved), "email": email}


WAITING_FOR_EMAIL = "waiting for the buyer's email"
"""How a payment plugin's problem starts when the provider named the buyer
only by an id it could not yet turn into an address (Paddle's customer)."""
NO_EMAIL = "no customer email: the links were not sent"


def _without_email_problems(problem: str) -> str:
    parts = [p for p in problem.split("; ") if p and p != NO_EMAIL and not p.startswith(WAITING_FOR_EMAIL)]
    return "; ".join(parts)


async def deliver_to_buyer(hub: Hub, org: str, purchase_id: str, email: str) -> str:
    """Give a purchase recorded without an email its buyer's address, and
    send its links there, once: a payment plugin that learns the address
    later (Paddle's customer, read again from its API) calls it on each
    retry, and only the first call sends (the delivery email's outbox key is
    the purchase's own). The "waiting for the buyer's email" and "no
    customer email" problems are cleared; any other problem stays. Returns
    a note for the event's outcome."""
    email = check_email(email, field="email")
    purchase = await Purchase.select().where(Purchase.org == org, Purchase.id == purchase_id).first()
    if purchase is None:
        raise NotFound(f"Purchase {purchase_id} not found")
    note = f"purchase {purchase_id} already had the buyer's email"
    if not purchase["customer_email"]:
        try:
            await resend_delivery(hub, org, purchase_id, email, dedupe_key=f"delivery:{purchase_id}")
            note = f"purchase {purchase_id}: links sent to the buyer's email"
        except UNIQUE_VIOLATIONS:
            pass  # a concurrent call sent it
        except Invalid:
            # Nothing to send (refunded, or every item unmapped): keep the address.
            async with hub.db.write_transaction():
                await Purchase.update({Purchase.customer_email: email}).where(
                    Purchase.id == purchase_id, Purchase.customer_email == ""
                )
                await DownloadToken.update({DownloadToken.customer_email: email}).where(
                    DownloadToken.purchase == purchase_id
                )
            note = f"purchase {purchase_id}: the buyer's email is kept; no working link to send"
    remaining = _without_email_problems(purchase["problem"])
    if remaining != purchase["problem"]:
        await Purchase.update({Purchase.problem: remaining}).where(Purchase.id == purchase_id)
    return note
