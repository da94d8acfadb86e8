"""The main API's wire types: what each operation answers, field by field.

These ``msgspec.Struct`` types are the public contract the OpenAPI schema
(``/schema/openapi.json``) shows and a generated client is typed from. Wire
names are the seeds' (camelCase through ``rename="camel"``); Python names
stay snake_case. A field that is only sometimes present (a token's secret,
shown once at creation) defaults to ``UNSET`` and is then left out of the
answer, never sent as ``null``.

Controllers shape rows with :mod:`hub.api.shapes` (plain dicts, which the
services and hook records share) and hand the dict to :func:`answer`, which
converts it into the declared type: a shape that drifts from its declared
type fails the API's tests instead of silently changing the contract.

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

Timestamp = str
"""An ISO 8601 UTC time, ``2025-01-01T00:00:00Z``."""

ProductStatus = Literal["draft", "published", "archived"]


class Wire(msgspec.Struct, rename="camel"):
    """A JSON object of the main API (camelCase on the wire). Fields that
    may be absent (``UNSET``) come last in each class."""


# --- products and versions ---------------------------------------------------


class VersionSummary(Wire):
    id: str
    version: str
    size: int
    file_count: int
    status: str


class Product(Wire):
    id: str
    name: str
    slug: str
    description: str | None
    status: ProductStatus
    metadata: dict[str, Any] | None
    org_id: str
    active_version: VersionSummary | None
    created_at: Timestamp
    updated_at: Timestamp | None


class VersionFile(Wire):
    id: str
    path: str
    size: int
    sha256: str
    status: str
    upload_id: str | None


class Version(Wire):
    id: str
    version: str
    size: int
    file_count: int
    status: str
    changelog: str | None
    created_at: Timestamp
    ready_at: Timestamp | None
    files: list[VersionFile] | UnsetType = UNSET  # with the detail of one version


class Pagination(Wire):
    total: int
    limit: int
    offset: int
    has_more: bool


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


class TokenProduct(Wire):
    id: str
    name: str
    version: str


class Token(Wire):
    id: str
    expires_at: Timestamp | None
    max_downloads: int | None
    used_count: int
    customer_email: str | None
    metadata: dict[str, Any] | None
    revoked: bool
    revoked_at: Timestamp | None
    created_at: Timestamp
    purchase_id: str | None
    product: TokenProduct
    token: str | UnsetType = UNSET  # the secret: only in the answer that minted it
    download_url: str | UnsetType = UNSET  # likewise


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
    expires_at: str


# --- purchases ---------------------------------------------------------------


class PurchaseItem(Wire):
    product_id: str
    version: str | None = None


class PurchaseToken(Wire):
    id: str
    product_id: str
    version: str
    expires_at: Timestamp | None
    max_downloads: int | None
    used_count: int
    revoked: bool
    # Only when the purchase was just recorded (``created``): the link, shown once.
    token: str | None | UnsetType = UNSET
    download_url: str | None | UnsetType = UNSET


class PurchaseRecord(Wire):
    """A purchase's own fields (what :class:`Purchase` and the buyer's export share)."""

    id: str
    org_id: str
    provider: str
    provider_ref: str
    customer_email: str
    customer_name: str | None
    items: list[PurchaseItem]
    amount: int | None
    currency: str | None
    status: str
    livemode: bool  # False: paid in the provider's test mode or sandbox
    problem: str | None
    metadata: dict[str, Any] | None
    created_at: Timestamp
    refunded_at: Timestamp | None


class Purchase(PurchaseRecord):
    tokens: list[PurchaseToken]


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


class WebhookEndpoint(Wire):
    id: str
    url: str
    events: list[str]
    description: str | None
    status: str
    disabled_reason: str | None
    failing_since: Timestamp | None
    created_at: Timestamp
    updated_at: Timestamp | None
    secret: str | UnsetType = UNSET  # only when just created or rotated


class DeliveryAttempt(Wire):
    at: Timestamp | None
    status_code: int | None
    latency_ms: int | None
    response: str | None
    error: str | None
    succeeded: bool


class WebhookDelivery(Wire):
    id: str
    event_id: str
    event_type: str | None
    status: str
    attempts: int
    next_attempt_at: Timestamp | None
    last_error: str | None
    created_at: Timestamp
    delivered_at: Timestamp | None
    attempt_log: list[DeliveryAttempt]


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


class BuyerExportAnswer(Answer):
    data: BuyerExport


class ErasedAnswer(Answer):
    data: Erased


class DownloadPageAnswer(Answer):
    data: DownloadPage


A = TypeVar("A", bound=Answer)


def answer(kind: type[A], data: Any) -> A:
    """``{"success": true, "data": data}`` as the typed answer ``kind``.

    ``data`` is the dict the shapes build (camelCase keys); converting it
    checks it against the declared type, so the schema cannot drift from
    what the API sends."""
    return msgspec.convert({"success": True, "data": data}, kind)
