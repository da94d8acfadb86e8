"""Provider references: the ids a payment provider gives a purchase, kept
by the core so that any payment plugin finds the purchase an event names.

A provider names one payment by several ids: Stripe a Checkout Session and
its PaymentIntent (which refunds and disputes name), PayPal an order and
its captures. A plugin hands them to the core with the purchase
(:attr:`hub.services.purchases.PurchaseIn.references`), or later with
:func:`record_reference`, and finds the purchase again with
:func:`find_purchase`: an indexed lookup on (org, provider, reference[,
kind]), never a search of the purchases' JSON metadata. The purchase's own
reference (``provider_ref``, the one it is recorded once under) is kept as
kind :data:`ORDER`.

Every reference of a purchase identifies its payment: a refund or dispute
(:mod:`hub.services.reversals`) may name any of them, whatever its kind.
A reference may pay for only some of the purchase's items (its
:attr:`ProviderRef.items`: a PayPal order's capture of one purchase unit);
a reversal of it then reverses those items only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from hub.errors import Invalid
from hub.secrets import new_id
from hub.tables import ProviderReference, Purchase

ORDER = "order"
"""The kind of a purchase's own reference (``Purchase.provider_ref``): the
provider's order, checkout session or payment the purchase is recorded under."""

MAX_KIND = 40
MAX_REFERENCE = 255


@dataclass(frozen=True)
class ProviderRef:
    """One id of a purchase at its provider.

    :param kind: the plugin's word for the id (``payment_intent``,
        ``capture``...), at most 40 characters.
    :param reference: the provider's id, at most 255 characters.
    """

    kind: str
    reference: str
    items: tuple[int, ...] = ()
    """The indexes (in :attr:`PurchaseIn.items <hub.services.purchases.PurchaseIn.items>`)
    of the items this id paid for, when it paid for only some of them;
    ``()``: the whole purchase."""


def check_reference(kind: str, reference: str) -> None:
    """:class:`Invalid` unless ``kind`` and ``reference`` fit the columns
    that keep them (a plugin's bug, told as such rather than truncated)."""
    if not isinstance(kind, str) or not 0 < len(kind) <= MAX_KIND:
        raise Invalid(f"A provider reference's kind must be 1 to {MAX_KIND} characters, got {kind!r}")
    if not isinstance(reference, str) or not 0 < len(reference) <= MAX_REFERENCE or "\x00" in reference:
        raise Invalid(f"A provider reference must be 1 to {MAX_REFERENCE} characters without NUL, got {reference[:80]!r}")


async def record_references(org: str, purchase_id: str, provider: str, references: Iterable[ProviderRef]) -> None:
    """Keep ``references`` as ids of ``purchase_id`` (in the caller's
    transaction, if any). A reference already kept, for this purchase or
    another one, is left as it is: the first purchase to claim an id keeps it."""
    wanted: dict[tuple[str, str], list[int]] = {}
    for ref in references:
        check_reference(ref.kind, ref.reference)
        wanted[(ref.kind, ref.reference)] = sorted({int(i) for i in ref.items})
    if not wanted:
        return
    held = await ProviderReference.select(ProviderReference.kind, ProviderReference.reference).where(
        ProviderReference.org == org,
        ProviderReference.provider == provider,
        ProviderReference.reference.is_in(sorted({reference for _, reference in wanted})),
    )
    new = sorted(set(wanted) - {(row["kind"], row["reference"]) for row in held})
    if new:
        await ProviderReference.insert(
            *(
                ProviderReference(
                    id=new_id("ref"), org=org, purchase=purchase_id, provider=provider, kind=kind, reference=reference,
                    items=wanted[(kind, reference)],
                )
                for kind, reference in new
            )
        )


async def record_reference(org: str, purchase_id: str, *, provider: str, kind: str, reference: str) -> None:
    """Keep one more id of ``purchase_id`` at ``provider`` (once): for an id
    the plugin learns after the purchase was recorded (Stripe's API telling
    which Checkout Session a PaymentIntent paid, say)."""
    await record_references(org, purchase_id, provider, [ProviderRef(kind, reference)])


async def find_purchases(org: str, *, provider: str, reference: str, kind: str | None = None) -> list[dict[str, Any]]:
    """Every purchase of ``org`` that ``reference`` (of ``kind``, or of any
    kind when None) identifies at ``provider``, oldest first."""
    conditions = [
        ProviderReference.org == org,
        ProviderReference.provider == provider,
        ProviderReference.reference == reference,
    ]
    if kind is not None:
        conditions.append(ProviderReference.kind == kind)
    rows = await ProviderReference.select(ProviderReference.purchase).where(*conditions)
    if not rows:
        return []
    return (
        await Purchase.select()
        .where(Purchase.org == org, Purchase.id.is_in(sorted({row["purchase"] for row in rows})))
        .order_by(Purchase.created_at)
        .output(load_json=True)
    )


async def find_purchase(org: str, *, provider: str, reference: str, kind: str | None = None) -> dict[str, Any] | None:
    """The purchase of ``org`` that ``reference`` identifies at ``provider``
    (the first recorded, should several share it), or None."""
    found = await find_purchases(org, provider=provider, reference=reference, kind=kind)
    return found[0] if found else None


async def references_of(purchase: dict[str, Any]) -> list[ProviderRef]:
    """Every id ``purchase`` is known by at its provider, its own reference included."""
    rows = (
        await ProviderReference.select(ProviderReference.kind, ProviderReference.reference, ProviderReference.items)
        .where(ProviderReference.purchase == purchase["id"])
        .output(load_json=True)
    )
    refs = {(row["kind"], row["reference"]): tuple(row["items"] or ()) for row in rows}
    refs.setdefault((ORDER, purchase["provider_ref"]), ())
    return [ProviderRef(kind, reference, items) for (kind, reference), items in sorted(refs.items())]
