"""Reversals: what happens to a payment after it was made, whatever order
the provider reports it in.

A payment plugin translates a provider's refund or dispute event into a
:class:`ReversalIn` and calls :func:`record_reversal`. The reversal is kept
(once: a unique index) whether or not the purchase is known yet, and a
purchase's status is always *computed from all of its payment's
reversals*, folded in the order they happened at the provider — never
from the order the events arrived in. So a refund that arrives before the
payment, or a dispute's closing before its opening, ends in the same state
as the events in their natural order: :func:`purchase_state`
(:mod:`hub.services.purchase_statuses`, where the statuses and the payment
in parts are described) is called both when a reversal is recorded and
when a purchase is recorded (:mod:`hub.services.purchases`). Here the
state is applied: tokens revoked or given back, the events told.

The kinds (:data:`KINDS`) and statuses are those of
:mod:`hub.services.purchase_statuses`, named here too for the plugins.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from piccolo.columns import Column
from piccolo.columns.combination import And, Where

from hub.clock import utcnow
from hub.context import Hub
from hub.plugins import records
from hub.plugins.events import PurchaseRefunded, PurchaseRestored, PurchaseSuspended, TokenRevoked
from hub.secrets import new_id
from hub.services.events import emit
from hub.services.licenses import settle_licenses
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
    PaymentState,
    payment_state,
    purchase_state,
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
    """A purchase's status changed, or some of its items' tokens were
    revoked or given back (a reversal of part of its payment); told to the
    plugins after the commit."""

    purchase: dict[str, Any]
    before: str
    after: str
    revoked_tokens: list[dict[str, Any]] = field(default_factory=list)
    minted_tokens: list[dict[str, Any]] = field(default_factory=list)
    """Tokens made now: a purchase restored before it was ever delivered."""
    restored_tokens: list[dict[str, Any]] = field(default_factory=list)
    """Tokens given back now, in a purchase that stays paid (the part of
    the payment they were revoked for was not reversed after all)."""


async def settle_status(hub: Hub, purchase: dict[str, Any]) -> Transition | None:
    """Bring ``purchase`` to the state its reversals give (in the caller's
    transaction): revoke its tokens (all, or those of the items a reversal
    of part of the payment took back), give them back, or deliver it for
    the first time. None when nothing changes."""

    state = await purchase_state(purchase)
    before, after = purchase["status"], state.status
    now = utcnow()
    revoked: list[dict[str, Any]] = []
    if before != after:
        changes: dict[Column | str, Any] = {Purchase.status: after}
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
    part_revoked, restored = ([], []) if after in REVOKING else await settle_items(purchase, state, now)
    if before == after and not part_revoked and not restored:
        return None
    fresh = await Purchase.select().where(Purchase.id == purchase["id"]).output(load_json=True).first()
    assert fresh is not None  # purchases are never deleted
    purchase = fresh
    minted: list[dict[str, Any]] = []
    if after == PAID and purchase["delivered_at"] is None:
        # Recorded while refunded or on hold: its links were never made
        # (deliver_purchase records their tokens_minted event).
        minted = [token for _, token in await deliver_purchase(hub, purchase, reversed_items=state.reversed_items)]
        fresh = await Purchase.select().where(Purchase.id == purchase["id"]).output(load_json=True).first()
        assert fresh is not None
        purchase = fresh
    # The purchase's license keys follow its status (revoked, on hold, active).
    await settle_licenses(hub, purchase, after, state.reversed_items)
    if before != after:
        await record_transition_event(hub, purchase, before, after, revoked)
    await record_part_revocations(hub, purchase["org"], part_revoked)
    return Transition(purchase, before, after, revoked + part_revoked, minted, restored)


async def settle_items(purchase: dict[str, Any], state: PaymentState, now: datetime) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Revoke the tokens of the items a reversal of part of the payment took
    back, and give back those revoked for a part no longer reversed (in the
    caller's transaction); the tokens revoked and restored now."""
    reversed_items = sorted(state.reversed_items)
    revoked: list[dict[str, Any]] = []
    if reversed_items:
        revoked = await DownloadToken.update({DownloadToken.revoked_at: now, DownloadToken.reversed_at: now}).where(
            DownloadToken.purchase == purchase["id"],
            DownloadToken.purchase_item.is_in(reversed_items),
            DownloadToken.revoked_at.is_null(),
        ).returning(*DownloadToken.all_columns())
    given_back: Where | And = DownloadToken.reversed_at.is_not_null()
    if reversed_items:
        given_back &= DownloadToken.purchase_item.not_in(reversed_items)
    restored = await DownloadToken.update({DownloadToken.revoked_at: None, DownloadToken.reversed_at: None}).where(
        DownloadToken.purchase == purchase["id"], given_back
    ).returning(*DownloadToken.all_columns())
    return revoked, restored


async def record_part_revocations(hub: Hub, org: str, revoked: list[dict[str, Any]]) -> None:
    """A ``token_revoked`` event for each token a reversal of part of a
    payment revoked (in its transaction): the purchase stays paid, so no
    ``purchase_refunded`` tells of them."""

    for token in revoked:

        async def record(token_id: str = token["id"]) -> records.Token:
            return (await token_records(hub, [token_id]))[0]

        await emit(hub, TokenRevoked(token=record), org=org)


async def record_transition_event(hub: Hub, purchase: dict[str, Any], before: str, after: str, revoked: list[dict[str, Any]]) -> None:
    """Record the event of a status change (in its transaction):
    ``purchase_refunded``, ``purchase_suspended`` or ``purchase_restored``."""
    # Both modules import this one.

    org = purchase["org"]

    def record() -> Awaitable[records.Purchase]:
        return purchase_record(org, purchase["id"])

    if after in REVOKING:
        if before not in REVOKING:
            await emit(
                hub,
                PurchaseRefunded(
                    purchase=record, revoked_tokens=lambda: token_records(hub, [token["id"] for token in revoked])
                ),
                org=org,
            )
    elif after == ON_HOLD:
        await emit(hub, PurchaseSuspended(purchase=record), org=org)
    else:
        await emit(hub, PurchaseRestored(purchase=record), org=org)


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
    states = ", ".join(describe(t) for t in transitions)
    return f"{what}: {states or 'no change'}"


def describe(transition: Transition) -> str:
    """A transition in a note's words: ``purchase p paid → refunded``, or
    for a purchase that stays in its status ``purchase p stays paid, 1
    token(s) of the reversed items revoked``."""
    if transition.before != transition.after:
        return f"purchase {transition.purchase['id']} {transition.before} → {transition.after}"
    changes = []
    if transition.revoked_tokens:
        changes.append(f"{len(transition.revoked_tokens)} token(s) of the reversed items revoked")
    if transition.restored_tokens:
        changes.append(f"{len(transition.restored_tokens)} token(s) given back")
    return f"purchase {transition.purchase['id']} stays {transition.after}, " + ", ".join(changes)
