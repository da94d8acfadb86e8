"""What event hooks and webhooks receive: records shaped like the main API.

Events go through the database (and webhooks through the network) as JSON,
so a record is a plain dict; these ``TypedDict`` classes document its keys,
for readers and for a plugin author's editor::

    from hub.records import Purchase

    @hookimpl
    def purchase_recorded(purchase: Purchase, tokens):
        print(purchase["customerEmail"])

Times are ISO 8601 strings in UTC (``2026-01-31T12:00:00Z``); a missing
value is ``None``, never ``""``; a product is named by its slug, a version
by its version string; no secret or hash ever appears.
"""

from __future__ import annotations

from typing import Any, TypedDict


class ProductRef(TypedDict):
    id: str  # the product's slug
    name: str
    version: str


class Token(TypedDict):
    """A download token, as the tokens API lists it (without its secret)."""

    id: str
    expiresAt: str
    maxDownloads: int | None
    usedCount: int
    customerEmail: str | None
    metadata: dict[str, Any]
    revoked: bool
    revokedAt: str | None
    createdAt: str
    purchaseId: str | None
    product: ProductRef


class PurchaseToken(TypedDict):
    id: str
    productId: str
    version: str
    expiresAt: str
    maxDownloads: int | None
    usedCount: int
    revoked: bool


class Purchase(TypedDict):
    """A purchase, as ``GET /api/purchases`` shows it."""

    id: str
    orgId: str
    provider: str
    providerRef: str
    customerEmail: str
    customerName: str
    items: list[dict[str, Any]]
    amount: int | None
    currency: str
    status: str
    problem: str | None
    metadata: dict[str, Any]
    createdAt: str
    tokens: list[PurchaseToken]


class File(TypedDict):
    """A file being downloaded (a version's file or a media library file)."""

    id: str
    path: str
    size: int
    sha256: str


class Email(TypedDict):
    """An email the hub gave up sending."""

    id: str
    kind: str
    recipient: str
    attempts: int
    error: str
    createdAt: str | None
