"""Reversals: what happens to a payment after it was made, whatever order
the provider reports it in.

A payment plugin translates a provider's refund or dispute event into a
:class:`ReversalIn` and calls :func:`record_reversal`. The reversal is kept
(once: a unique index) whether or not the purchase is known yet, and a
purchase's status is always *computed from all of its payment's
reversals*, folded in the order they happened at the provider — never
from the order the events arrived in
(:mod:`hub.services.purchase_statuses`). So a refund that arrives before
the payment, or a dispute's closing before its opening, ends in the same
state as the events in their natural order: :func:`purchase_status` is
called both when a reversal is recorded and when a purchase is recorded
(:mod:`hub.services.purchases`).

The kinds (:data:`KINDS`) and statuses are those of
:mod:`hub.services.purchase_statuses`, named here too for the plugins.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import datetime

from hub.clock import utcnow
from hub.context import Hub
from hub.secrets import new_id
from hub.services.events import emit
from hub.services.provider_refs import find_purchases
from hub.services.purchase_statuses import (  # noqa: F401  (the kinds and statuses: plugins' names)
    CHARGED_BACK,
    DISPUTE_LOST,
    DISPUTE_OPENED,
    DISPUTE_WON,
    KINDS,
    ON_HOLD,
    PAID,
    REFUND,
    REFUND_CANCELLED,
    REFUNDED,
    REVOKING,
    payment_refs_of,
    payment_status,
    purchase_status,
    status_after,
)
from hub.services.purchases import deliver_purchase, purchase_record
from hub.services.tokens import token_records
from hub.tables import DownloadToken, PaymentReversal, Purchase


@dataclass(frozen=True)
class ReversalIn:
    """A reversal in the hub's terms.

    :param payment_ref: the provider's reference of the payment: any of the
        purchase's provider references (see :mod:`hub.services.provider_refs`).
    :param kind: one of :data:`KINDS`.
    :param reference: the refund's or dispute's own id, so that a dispute's
        closing meets its opening (and a replay is recognised).
    :param occurred_at: when it happened at the provider (the event's time).
    """

    org: str
    provider: str
    payment_ref: str
    kind: str
    reference: str
    occurred_at: datetime


@dataclass(frozen=True)
class Transition:
    """A purchase's status changed; told to the plugins after the commit."""

    purchase: dict
    before: str
    after: str
    revoked_tokens: list[dict] = field(default_factory=list)
    minted_tokens: list[dict] = field(default_factory=list)
    """Tokens made now: a purchase restored before it was ever delivered."""


async def settle_status(hub: Hub, purchase: dict) -> Transition | None:
    """Bring ``purchase`` to the status its reversals give (in the caller's
    transaction): revoke its tokens, give them back, or deliver it for the
    first time. None when nothing changes."""
    before, after = purchase["status"], await purchase_status(purchase)
    if before == after:
        return None
    now = utcnow()
    changes: dict = {Purchase.status: after}
    revoked: list[dict] = []
    if after in REVOKING and before not in REVOKING:
        changes[Purchase.refunded_at] = now
        revoked = await DownloadToken.update({DownloadToken.revoked_at: now}).where(
            DownloadToken.purchase == purchase["id"], DownloadToken.revoked_at.is_null()
        ).returning(*DownloadToken.all_columns())
    elif before in REVOKING and after not in REVOKING:
        changes[Purchase.refunded_at] = None
        if purchase["refunded_at"] is not None:
            # Only the tokens the reversal revoked (at refunded_at), not one
            # the shop revoked earlier by hand.
            await DownloadToken.update({DownloadToken.revoked_at: None}).where(
                DownloadToken.purchase == purchase["id"], DownloadToken.revoked_at >= purchase["refunded_at"]
            )
    await Purchase.update(changes).where(Purchase.id == purchase["id"])
    purchase = await Purchase.select().where(Purchase.id == purchase["id"]).output(load_json=True).first()
    minted: list[dict] = []
    if after == PAID and purchase["delivered_at"] is None:
        # Recorded while refunded or on hold: its links were never made
        # (deliver_purchase records their tokens_minted event).
        minted = [token for _, token in await deliver_purchase(hub, purchase)]
        purchase = await Purchase.select().where(Purchase.id == purchase["id"]).output(load_json=True).first()
    await record_transition_event(hub, purchase, before, after, revoked)
    return Transition(purchase, before, after, revoked, minted)


async def record_transition_event(hub: Hub, purchase: dict, before: str, after: str, revoked: list[dict]) -> None:
    """Record the event of a status change (in its transaction):
    ``purchase_refunded``, ``purchase_suspended`` or ``purchase_restored``."""
    org = purchase["org"]

    def record() -> Awaitable[dict]:
        return purchase_record(org, purchase["id"])

    if after in REVOKING:
        if before not in REVOKING:
            await emit(
                hub, "purchase_refunded", org=org, purchase=record,
                revoked_tokens=lambda: token_records(hub, [token["id"] for token in revoked]),
            )
    elif after == ON_HOLD:
        await emit(hub, "purchase_suspended", org=org, purchase=record)
    else:
        await emit(hub, "purchase_restored", org=org, purchase=record)


async def announce_transition(hub: Hub, transition: Transition | None) -> None:
    """After the commit: wake the worker (an email or events may wait)."""
    if transition is None:
        return
    hub.outbox_wakeup.set()
    hub.events_wakeup.set()


async def record_reversal(hub: Hub, reversal: ReversalIn) -> str:
    """Keep ``reversal`` (once) and apply it to the purchases its payment
    made, if any are known yet; a note of what it did."""
    if reversal.kind not in KINDS:
        raise ValueError(f"Unknown reversal kind {reversal.kind!r}")
    transitions: list[Transition] = []
    async with hub.db.write_transaction():
        # Kept once: a replay (or a second event reporting the same refund)
        # finds the row and inserts nothing.
        await PaymentReversal.insert(
            PaymentReversal(
                id=new_id("reversal"),
                org=reversal.org,
                provider=reversal.provider,
                payment_ref=reversal.payment_ref,
                kind=reversal.kind,
                reference=reversal.reference,
                occurred_at=reversal.occurred_at,
                created_at=utcnow(),
            )
        ).on_conflict(action="DO NOTHING")
        purchases = await find_purchases(reversal.org, provider=reversal.provider, reference=reversal.payment_ref)
        for purchase in purchases:
            transition = await settle_status(hub, purchase)
            if transition:
                transitions.append(transition)
    for transition in transitions:
        await announce_transition(hub, transition)
    what = f"{reversal.kind} of {reversal.provider} payment {reversal.payment_ref}"
    if not purchases:
        return f"{what} kept: no purchase is known for it yet"
    states = ", ".join(f"purchase {t.purchase['id']} {t.before} → {t.after}" for t in transitions)
    return f"{what}: {states or 'no change'}"
