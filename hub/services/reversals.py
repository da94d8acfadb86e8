"""Reversals: what happens to a payment after it was made, whatever order
the provider reports it in.

A payment plugin translates a provider's refund or dispute event into a
:class:`ReversalIn` and calls :func:`record_reversal`. The reversal is kept
(once: a unique index) whether or not the purchase is known yet, and a
purchase's status is always *computed from all of its payment's
reversals*, folded in the order they happened at the provider — never
from the order the events arrived in. So a refund that arrives before the
payment, or a dispute's closing before its opening, ends in the same state
as the events in their natural order: :func:`purchase_state` is called
both when a reversal is recorded and when a purchase is recorded
(:mod:`hub.services.purchases`).

Statuses: ``paid``; ``on_hold`` (a dispute is open: the links answer 403
until it closes); ``refunded`` (fully refunded: the links are revoked);
``charged_back`` (a dispute was lost: the links are revoked). A refund
that fails or is cancelled, or a dispute won, gives access back.

A payment in parts: a provider reference may pay for only some of the
purchase's items (:attr:`hub.services.provider_refs.ProviderRef.items`, a
PayPal order's capture of one purchase unit). Each such part folds its own
reversals: a part refunded (or its dispute lost) revokes the tokens of its
items only, and the purchase stays ``paid`` (:class:`PaymentState`'s
``reversed_items``) until every item is reversed, when it is ``refunded``
(or ``charged_back``) as a whole; a dispute open on a part puts the whole
purchase on hold. A reversal of a reference that pays for the whole
purchase reverses the whole purchase, as before.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from hub.clock import as_aware, utcnow
from hub.context import Hub
from hub.secrets import new_id
from hub.event_types import PurchaseRefunded, PurchaseRestored, PurchaseSuspended, TokenRevoked
from hub.services.events import emit
from hub.services.provider_refs import ProviderRef, find_purchases, references_of
from hub.tables import DownloadToken, PaymentReversal, Purchase

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
class PaymentState:
    """What a payment's reversals leave its purchase in.

    :param status: the purchase's status.
    :param reversed_items: the indexes of the items whose part of the
        payment was refunded or lost while the purchase as a whole was not
        (their tokens are revoked, the others' are not).
    """

    status: str
    reversed_items: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Transition:
    """A purchase's status changed, or some of its items' tokens were
    revoked or given back (a reversal of part of its payment); told to the
    plugins after the commit."""

    purchase: dict
    before: str
    after: str
    revoked_tokens: list[dict] = field(default_factory=list)
    minted_tokens: list[dict] = field(default_factory=list)
    """Tokens made now: a purchase restored before it was ever delivered."""
    restored_tokens: list[dict] = field(default_factory=list)
    """Tokens given back now, in a purchase that stays paid (the part of
    the payment they were revoked for was not reversed after all)."""


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


def state_after(reversals: Iterable[dict], parts: Mapping[str, Iterable[int]], item_count: int) -> PaymentState:
    """The state a payment's reversals (rows with their ``payment_ref``)
    leave a purchase of ``item_count`` items in, where ``parts`` names the
    references that paid for only some items (reference → item indexes);
    the reversals of any other reference are of the whole payment."""
    whole: list[dict] = []
    by_part: dict[str, list[dict]] = {}
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


async def purchase_state(purchase: dict) -> PaymentState:
    """The state ``purchase`` should be in, from every reversal of its payment."""
    return await payment_state(
        purchase["org"], purchase["provider"], await references_of(purchase), len(purchase["items"] or ())
    )


async def settle_status(hub: Hub, purchase: dict) -> Transition | None:
    """Bring ``purchase`` to the state its reversals give (in the caller's
    transaction): revoke its tokens (all, or those of the items a reversal
    of part of the payment took back), give them back, or deliver it for
    the first time. None when nothing changes."""
    from hub.services.purchases import deliver_purchase  # purchases imports this module

    state = await purchase_state(purchase)
    before, after = purchase["status"], state.status
    now = utcnow()
    revoked: list[dict] = []
    if before != after:
        changes: dict = {Purchase.status: after}
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
    purchase = await Purchase.select().where(Purchase.id == purchase["id"]).output(load_json=True).first()
    minted: list[dict] = []
    if after == PAID and purchase["delivered_at"] is None:
        # Recorded while refunded or on hold: its links were never made
        # (deliver_purchase records their tokens_minted event).
        minted = [token for _, token in await deliver_purchase(hub, purchase, reversed_items=state.reversed_items)]
        purchase = await Purchase.select().where(Purchase.id == purchase["id"]).output(load_json=True).first()
    if before != after:
        await record_transition_event(hub, purchase, before, after, revoked)
    await record_part_revocations(hub, purchase["org"], part_revoked)
    return Transition(purchase, before, after, revoked + part_revoked, minted, restored)


async def settle_items(purchase: dict, state: PaymentState, now: datetime) -> tuple[list[dict], list[dict]]:
    """Revoke the tokens of the items a reversal of part of the payment took
    back, and give back those revoked for a part no longer reversed (in the
    caller's transaction); the tokens revoked and restored now."""
    reversed_items = sorted(state.reversed_items)
    revoked: list[dict] = []
    if reversed_items:
        revoked = await DownloadToken.update({DownloadToken.revoked_at: now, DownloadToken.reversed_at: now}).where(
            DownloadToken.purchase == purchase["id"],
            DownloadToken.purchase_item.is_in(reversed_items),
            DownloadToken.revoked_at.is_null(),
        ).returning(*DownloadToken.all_columns())
    given_back = DownloadToken.reversed_at.is_not_null()
    if reversed_items:
        given_back &= DownloadToken.purchase_item.not_in(reversed_items)
    restored = await DownloadToken.update({DownloadToken.revoked_at: None, DownloadToken.reversed_at: None}).where(
        DownloadToken.purchase == purchase["id"], given_back
    ).returning(*DownloadToken.all_columns())
    return revoked, restored


async def record_part_revocations(hub: Hub, org: str, revoked: list[dict]) -> None:
    """A ``token_revoked`` event for each token a reversal of part of a
    payment revoked (in its transaction): the purchase stays paid, so no
    ``purchase_refunded`` tells of them."""
    from hub.services.tokens import token_records  # tokens imports purchases, which imports this module

    for token in revoked:

        async def record(token_id: str = token["id"]) -> dict:
            return (await token_records(hub, [token_id]))[0]

        await emit(hub, TokenRevoked(token=record), org=org)


async def record_transition_event(hub: Hub, purchase: dict, before: str, after: str, revoked: list[dict]) -> None:
    """Record the event of a status change (in its transaction):
    ``purchase_refunded``, ``purchase_suspended`` or ``purchase_restored``."""
    # Both modules import this one.
    from hub.services.purchases import purchase_record
    from hub.services.tokens import token_records

    org = purchase["org"]

    def record() -> Awaitable[dict]:
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
