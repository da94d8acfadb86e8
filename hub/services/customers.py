"""Customers: the shop's buyers by email address, each with their number of
purchases, what they paid in each currency and their last purchase; and a
customer's page. Counted in the database, grouped by address."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from piccolo.query.functions.aggregate import Count, Max, Sum

from hub.clock import as_aware
from hub.tables import Purchase

PAGE_SIZE = 50
PAID = "paid"


def _when(value: Any) -> datetime | None:
    """A MAX() of a timestamp: a datetime on PostgreSQL, text on SQLite."""
    if value is None or isinstance(value, datetime):
        return as_aware(value) if value else None
    return as_aware(datetime.fromisoformat(str(value)))


async def list_customers(org: str, *, search: str = "", offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """The organization's buyers by email address (alphabetical), whose
    address contains ``search``: one page from ``offset``, and how many in all.
    ``totals`` sums the paid purchases per currency (refunded and disputed
    ones are not money kept)."""
    conditions: list[Any] = [Purchase.org == org, Purchase.customer_email != ""]
    search = (search or "").strip().lower()[:320]
    if search:
        escaped = search.replace("\\", "").replace("%", "").replace("_", "\\_")
        conditions.append(Purchase.customer_email.like(f"%{escaped}%"))
    rows = (
        await Purchase.select(
            Purchase.customer_email, Count(alias="purchases"), Max(Purchase.created_at, alias="last_purchase")
        )
        .where(*conditions)
        .group_by(Purchase.customer_email)
        .order_by(Purchase.customer_email)
        .limit(PAGE_SIZE)
        .offset(max(0, offset))
    )
    everyone = await Purchase.select(Purchase.customer_email).where(*conditions).distinct()
    emails = [r["customer_email"] for r in rows]
    totals: dict[str, dict[str, int]] = defaultdict(dict)
    if emails:
        sums = (
            await Purchase.select(Purchase.customer_email, Purchase.currency, Sum(Purchase.amount, alias="total"))
            .where(Purchase.org == org, Purchase.customer_email.is_in(emails), Purchase.status == PAID,
                   Purchase.amount.is_not_null())
            .group_by(Purchase.customer_email, Purchase.currency)
        )
        for s in sums:
            totals[s["customer_email"]][s["currency"] or ""] = int(s["total"] or 0)
    customers = [
        {"email": r["customer_email"], "purchases": int(r["purchases"]), "last_purchase": _when(r["last_purchase"]),
         "totals": dict(sorted(totals[r["customer_email"]].items()))}
        for r in rows
    ]
    return customers, len(everyone)


async def customer(org: str, email: str) -> dict[str, Any] | None:
    """One buyer: their figures and every purchase, newest first (None: no purchase has this address)."""
    email = (email or "").strip().lower()[:320]
    purchases = (
        await Purchase.select()
        .where(Purchase.org == org, Purchase.customer_email == email)
        .order_by(Purchase.created_at, ascending=False)
        .output(load_json=True)
    )
    if not email or not purchases:
        return None
    totals: dict[str, int] = defaultdict(int)
    for p in purchases:
        if p["status"] == PAID and p["amount"] is not None:
            totals[p["currency"] or ""] += p["amount"]
    return {"email": email, "purchases": purchases, "totals": dict(sorted(totals.items())),
            "last_purchase": as_aware(purchases[0]["created_at"])}
