"""The main API's envelopes and request bodies: what each operation answers.

The resources themselves (a product, a token, a purchase...) are the
core's, one shape each (:mod:`hub.resources`); this module wraps them in the
main API's envelopes and declares the request bodies and the answers that
are this API's own. These ``msgspec.Struct`` types are the public contract
the OpenAPI schema (``/schema/openapi.json``) shows and a generated client
is typed from. Wire names are the seeds' (camelCase through
``rename="camel"``); Python names stay snake_case.

The envelope: every answer of the main API is ``{"success": true, "data":
…}``, except ``POST /api/generate-download-url``, which answers its fields
flat beside ``"success"`` as the custom-integration seed shows
(:class:`DownloadLink`). Errors are ``{"success": false, "error": "…"}``
(:class:`hub.api.errors.ErrorBody`).
"""

from __future__ import annotations

from typing import Any, Literal, TypeVar

import msgspec
from msgspec import UNSET, UnsetType

from hub.resources import (  # noqa: F401  (re-exported: the envelopes' contents)
    DeliveryAttempt,
    Pagination,
    Product,
    ProductStatus,
    Purchase,
    PurchaseItem,
    PurchaseRecord,
    PurchaseToken,
    Timestamp,
    Token,
    TokenProduct,
    Version,
    VersionFile,
    VersionSummary,
    WebhookDelivery,
    WebhookEndpoint,
)


class Wire(msgspec.Struct, rename="camel"):
    """A JSON object of the main API (camelCase on the wire). Fields that
    may be absent (``UNSET``) come last in each class."""


# --- products and versions ---------------------------------------------------







class ProductPage(Wire):
    products: list[Product]
    pagination: Pagination


class ProductData(Wire):
    product: Product


class Deleted(Wire):
    deleted: str


class VersionList(Wire):
    versions: list[Version]


class UploadPlan(Wire):
    part_size: int


class VersionCreated(Wire):
    version: Version
    upload: UploadPlan


class VersionData(Wire):
    version: Version


# --- tokens ------------------------------------------------------------------




class TokenData(Wire):
    token: Token


class TokenPage(Wire):
    tokens: list[Token]
    pagination: Pagination


class DownloadLink(Wire):
    """``POST /api/generate-download-url``'s answer: flat, not wrapped in
    ``data`` (the custom-integration seed shows it so)."""

    success: bool
    product_id: str
    version: str
    download_token: str
    download_url: str
    expires_at: Timestamp


# --- purchases ---------------------------------------------------------------






class PurchasePage(Wire):
    purchases: list[Purchase]
    pagination: Pagination


class PurchaseRecorded(Wire):
    purchase: Purchase
    created: bool


# --- uploads -----------------------------------------------------------------


class UploadPart(Wire):
    part_number: int
    size: int
    received: bool
    etag: str | UnsetType = UNSET  # once received
    url: str | UnsetType = UNSET  # a presigned URL, when asked for and the store makes them


class Upload(Wire):
    id: str
    file_id: str
    path: str
    size: int
    sha256: str
    status: Literal["uploading", "complete"]
    part_size: int
    part_count: int
    parts: list[UploadPart]


class UploadData(Wire):
    upload: Upload


class ReceivedPart(Wire):
    part_number: int
    size: int
    etag: str


class PartData(Wire):
    part: ReceivedPart


class UploadCompleted(Wire):
    file: VersionFile
    version: Version


class Aborted(Wire):
    aborted: str


# --- webhook endpoints -------------------------------------------------------





class EndpointPage(Wire):
    endpoints: list[WebhookEndpoint]
    pagination: Pagination


class EndpointData(Wire):
    endpoint: WebhookEndpoint


class DeliveryPage(Wire):
    deliveries: list[WebhookDelivery]
    pagination: Pagination


class Redelivered(Wire):
    redelivered: int


# --- account and buyers ------------------------------------------------------


class Organization(Wire):
    id: str
    name: str


class ShopOrganization(Wire):
    """An organization and its shop identity: what its buyers see. ``name``,
    ``supportEmail``, ``senderName`` and ``accentColor`` are "" when unset
    (buyers then see the hub's host name, the contact email, the display
    name, the hub's blue)."""

    id: str
    name: str
    support_email: str
    sender_name: str
    accent_color: str
    logo_url: str | None
    contact_email: str


class Me(Wire):
    organization: Organization
    role: str
    scopes: list[str]
    key_id: str


class ExportedPurchase(PurchaseRecord):
    """A purchase in a buyer's export: the API's purchase without its tokens
    (listed apart), with ``reference`` (= ``providerRef``) as the export names it."""

    reference: str


class ExportedDownload(Wire):
    started_at: Timestamp | None
    last_activity_at: Timestamp | None
    ip: str | None
    user_agent: str | None
    bytes_sent: int
    files: int
    status: str


class ExportedToken(Wire):
    id: str
    product: str
    version: str
    purchase: str | None
    customer_email: str | None
    expires_at: Timestamp | None
    max_downloads: int | None
    used_count: int
    metadata: dict[str, Any] | None
    created_at: Timestamp
    revoked_at: Timestamp | None
    downloads: list[ExportedDownload]


class ExportedEmail(Wire):
    kind: str
    status: str
    created_at: Timestamp | None
    sent_at: Timestamp | None


class BuyerExport(Wire):
    email: str
    organization: str
    exported_at: Timestamp
    purchases: list[ExportedPurchase]
    tokens: list[ExportedToken]
    emails: list[ExportedEmail]


class Erasure(Wire):
    purchases: int
    tokens_revoked: int
    tokens: int
    download_sessions: int
    emails_deleted: int


class Erased(Wire):
    erased: Erasure


# --- public routes (no API key) ---------------------------------------------


class DownloadFile(Wire):
    id: str
    path: str
    size: int
    sha256: str
    url: str


class DownloadPage(Wire):
    """``GET /download?token=…`` with ``Accept: application/json``."""

    product: TokenProduct
    expires_at: Timestamp | None
    max_downloads: int | None
    used_count: int
    downloads_left: int | None
    purchase_status: str | None
    files: list[DownloadFile]


class DownloadRefused(Wire):
    """A download refused (403): no downloads left, or the purchase is on
    hold (disputed), which names the shop to contact."""

    success: bool
    error: str
    purchase_status: str | UnsetType = UNSET  # "on_hold" when the purchase is disputed
    shop: str | UnsetType = UNSET  # then: whom to contact


class Health(Wire):
    status: str


class Readiness(Wire):
    """``ready``, or ``unready`` with the failing checks (503)."""

    status: Literal["ready", "unready"]
    checks: dict[str, str]


# --- the envelopes -----------------------------------------------------------
# One class per answer (not a generic ``Ok[T]``): a generic's schema name
# (``Ok_hub.api.schemas.ProductData_``) makes a poor class name in a
# generated client.


class Answer(Wire):
    """``{"success": true, "data": …}``."""

    success: bool


class ProductPageAnswer(Answer):
    data: ProductPage


class ProductAnswer(Answer):
    data: ProductData


class DeletedAnswer(Answer):
    data: Deleted


class VersionListAnswer(Answer):
    data: VersionList


class VersionCreatedAnswer(Answer):
    data: VersionCreated


class VersionAnswer(Answer):
    data: VersionData


class TokenAnswer(Answer):
    data: TokenData


class TokenPageAnswer(Answer):
    data: TokenPage


class PurchasePageAnswer(Answer):
    data: PurchasePage


class PurchaseRecordedAnswer(Answer):
    data: PurchaseRecorded


class UploadAnswer(Answer):
    data: UploadData


class PartAnswer(Answer):
    data: PartData


class UploadCompletedAnswer(Answer):
    data: UploadCompleted


class AbortedAnswer(Answer):
    data: Aborted


class EndpointPageAnswer(Answer):
    data: EndpointPage


class EndpointAnswer(Answer):
    data: EndpointData


class DeliveryPageAnswer(Answer):
    data: DeliveryPage


class RedeliveredAnswer(Answer):
    data: Redelivered


class MeAnswer(Answer):
    data: Me


class OrganizationAnswer(Answer):
    data: ShopOrganization


class BuyerExportAnswer(Answer):
    data: BuyerExport


class ErasedAnswer(Answer):
    data: Erased


class DownloadPageAnswer(Answer):
    data: DownloadPage


A = TypeVar("A", bound=Answer)


def answer(kind: type[A], data: Any) -> A:
    """``{"success": true, "data": data}`` as the typed answer ``kind``.

    ``data`` holds the core's resources (:mod:`hub.resources`, passed
    through as they are) beside plain values; converting it checks the rest
    against the declared type, so the schema cannot drift from what the API
    sends."""
    return msgspec.convert({"success": True, "data": data}, kind)
