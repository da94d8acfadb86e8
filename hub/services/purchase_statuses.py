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

A payment in parts: a provider reference may pay for only some of the
purchase's items (:attr:`hub.services.provider_refs.ProviderRef.items`, a
PayPal order's capture of one purchase unit). Each such part folds its own
reversals: a part refunded (or its dispute lost) takes back its items only,
and the purchase stays ``paid`` (:class:`PaymentState`'s
``reversed_items``) until every item is reversed, when it is ``refunded``
(or ``charged_back``) as a whole; a dispute open on a part puts the whole
purchase on hold. A reversal of a reference that pays for the whole
purchase reverses the whole purchase.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from hub.clock import as_aware
from hub.services.provider_refs import ProviderRef, references_of
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


@dataclass(frozen=True)
class PaymentState:
    """What a payment's reversals leave its purchase in.

    :param status: the purchase's status.
    :param reversed_items: the indexes of the items whose part of the
        payment was refunded or lost while the purchase as a whole was not
        (their tokens are revoked, the others' are not).
    """

    status: str
    reversed_items: frozenset[int] = frozenset()


def status_after(reversals: Iterable[dict[str, Any]]) -> str:
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


def state_after(reversals: Iterable[dict[str, Any]], parts: Mapping[str, Iterable[int]], item_count: int) -> PaymentState:
    """The state a payment's reversals (rows with their ``payment_ref``)
    leave a purchase of ``item_count`` items in, where ``parts`` names the
    references that paid for only some items (reference → item indexes);
    the reversals of any other reference are of the whole payment."""
    whole: list[dict[str, Any]] = []
    by_part: dict[str, list[dict[str, Any]]] = {}
    for row in reversals:
        if parts.get(row["payment_ref"]):
            by_part.setdefault(row["payment_ref"], []).append(row)
        else:
            whole.append(row)
    status = status_after(whole)
    reversed_items: set[int] = set()
    lost = held = False
    for reference, rows in by_part.items():
        part = status_after(rows)
        if part in REVOKING:
            reversed_items.update(i for i in parts[reference] if 0 <= i < item_count)
            lost = lost or part == CHARGED_BACK
        held = held or part == ON_HOLD
    reversed_frozen = frozenset(reversed_items)
    if status in REVOKING:
        return PaymentState(status, reversed_frozen)
    if item_count and len(reversed_items) == item_count:
        # Every part reversed: nothing of the purchase is paid any more.
        return PaymentState(CHARGED_BACK if lost else REFUNDED, reversed_frozen)
    if status == ON_HOLD or held:
        return PaymentState(ON_HOLD, reversed_frozen)
    return PaymentState(PAID, reversed_frozen)


async def payment_state(org: str, provider: str, references: Iterable[ProviderRef], item_count: int) -> PaymentState:
    """The state every reversal of a payment (known by ``references``)
    gives its purchase of ``item_count`` items."""
    parts: dict[str, set[int]] = {}
    whole: set[str] = set()
    for ref in references:
        if ref.items:
            parts.setdefault(ref.reference, set()).update(ref.items)
        else:
            whole.add(ref.reference)
    # An id kept once for the whole payment and once for a part is the whole.
    scoped = {reference: items for reference, items in parts.items() if reference not in whole}
    reversals = await PaymentReversal.select(
        PaymentReversal.payment_ref, PaymentReversal.kind, PaymentReversal.reference, PaymentReversal.occurred_at
    ).where(
        PaymentReversal.org == org,
        PaymentReversal.provider == provider,
        PaymentReversal.payment_ref.is_in(sorted(whole | set(scoped))),
    )
    return state_after(reversals, scoped, item_count)


async def purchase_state(purchase: dict[str, Any]) -> PaymentState:
    """The state ``purchase`` should be in, from every reversal of its payment."""
    return await payment_state(
        purchase["org"], purchase["provider"], await references_of(purchase), len(purchase["items"] or ())
    )
