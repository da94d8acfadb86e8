"""A purchase's status, computed from every reversal of its payment.

A payment's reversals (refunds, disputes: :mod:`hub.services.reversals`
keeps them) are folded in the order they happened at the provider, never in
the order the events arrived in, so the same reversals always give the same
status. Both recording a reversal and recording a purchase
(:mod:`hub.services.purchases`) ask here, and minting asks whether a
purchase is on hold (:mod:`hub.services.tokens`).

Statuses: ``paid``; ``on_hold`` (a dispute is open: the links answer 403
until it closes); ``refunded`` (fully refunded: the links are revoked);
``charged_back`` (a dispute was lost: the links are revoked). A refund
that fails or is cancelled, or a dispute won, gives access back.
"""

from __future__ import annotations

from collections.abc import Iterable

from hub.clock import as_aware
from hub.services.provider_refs import references_of
from hub.tables import PaymentReversal

REFUND = "refund"
REFUND_CANCELLED = "refund_cancelled"
DISPUTE_OPENED = "dispute_opened"
DISPUTE_WON = "dispute_won"
DISPUTE_LOST = "dispute_lost"
KINDS = (REFUND, REFUND_CANCELLED, DISPUTE_OPENED, DISPUTE_WON, DISPUTE_LOST)
# Two reversals stamped with the same second are folded cause first.
_RANK = {REFUND: 0, REFUND_CANCELLED: 1, DISPUTE_OPENED: 0, DISPUTE_WON: 1, DISPUTE_LOST: 1}

PAID = "paid"
ON_HOLD = "on_hold"
REFUNDED = "refunded"
CHARGED_BACK = "charged_back"
REVOKING = frozenset({REFUNDED, CHARGED_BACK})
"""Statuses whose purchase's tokens are revoked."""


def status_after(reversals: Iterable[dict]) -> str:
    """The status a payment's reversals (rows) leave its purchase in."""
    refunded = False
    disputes: dict[str, str] = {}
    for row in sorted(reversals, key=lambda r: (as_aware(r["occurred_at"]), _RANK[r["kind"]])):
        kind = row["kind"]
        if kind == REFUND:
            refunded = True
        elif kind == REFUND_CANCELLED:
            refunded = False
        elif kind == DISPUTE_OPENED:
            # An opening stamped after its own closing (clocks differ) does
            # not reopen it.
            disputes.setdefault(row["reference"], "open")
        else:
            disputes[row["reference"]] = "lost" if kind == DISPUTE_LOST else "won"
    if refunded:
        return REFUNDED
    if "lost" in disputes.values():
        return CHARGED_BACK
    if "open" in disputes.values():
        return ON_HOLD
    return PAID


async def payment_refs_of(purchase: dict) -> list[str]:
    """Every reference of ``purchase``'s payment (its provider references, of any kind)."""
    return sorted({ref.reference for ref in await references_of(purchase)})


async def payment_status(org: str, provider: str, payment_refs: list[str]) -> str:
    """The status every reversal of a payment (known by ``payment_refs``) gives it."""
    reversals = await PaymentReversal.select(
        PaymentReversal.kind, PaymentReversal.reference, PaymentReversal.occurred_at
    ).where(
        PaymentReversal.org == org,
        PaymentReversal.provider == provider,
        PaymentReversal.payment_ref.is_in(payment_refs),
    )
    return status_after(reversals)


async def purchase_status(purchase: dict) -> str:
    """The status ``purchase`` should have, from every reversal of its payment."""
    return await payment_status(purchase["org"], purchase["provider"], await payment_refs_of(purchase))
