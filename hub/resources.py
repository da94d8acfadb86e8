"""The hub's resources, one shape each: built here, shown by every edge.

A product, a version, a token, a purchase, a webhook endpoint and its
deliveries each have one ``msgspec.Struct`` below, and one function that
builds it from the database's rows. Services build them; the main API wraps
them in its envelopes (:mod:`hub.api.schemas`); event hooks and webhooks
receive them as JSON objects (:func:`as_record`), so a field added here
reaches the API, the hooks, the webhooks and (through
``tests/sdk/test_models_match_openapi.py``, which holds both SDKs to the
served schema) the SDKs at once, and the records plugins are typed with
(:mod:`hub.plugins.records`) are checked against these by ``tests/test_resources.py``.

Wire names are the seeds' (camelCase through ``rename="camel"``); Python
names stay snake_case. A field that is only sometimes present (a token's
secret, shown once at creation) defaults to ``UNSET`` and is then left out,
never sent as ``null``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, overload

import msgspec
from litestar.openapi.spec.enums import OpenAPIFormat
from litestar.params import KwargDefinition
from msgspec import UNSET, UnsetType

from hub.clock import iso
from hub.context import Hub
from hub.plugins import records

Timestamp = Annotated[str, KwargDefinition(format=OpenAPIFormat.DATE_TIME)]
"""An ISO 8601 UTC time, ``2025-01-01T00:00:00Z``: a string on the wire,
declared ``format: date-time`` in the schema so that typed clients (and
both SDKs) read a time."""

ProductStatus = Literal["draft", "published", "archived"]
UpdateRights = Literal["all", "window", "none"]


class Resource(msgspec.Struct, rename="camel"):
    """A resource as every edge shows it (camelCase on the wire). Fields
    that may be absent (``UNSET``) come last in each class."""


@overload
def as_record(resource: Token) -> records.Token: ...
@overload
def as_record(resource: Purchase) -> records.Purchase: ...
@overload
def as_record(resource: Product) -> records.Product: ...
@overload
def as_record(resource: Version) -> records.Version: ...
@overload
def as_record(resource: License) -> records.License: ...
@overload
def as_record(resource: Activation) -> records.Activation: ...
def as_record(
    resource: Token | Purchase | Product | Version | License | Activation,
) -> records.Token | records.Purchase | records.Product | records.Version | records.License | records.Activation:
    """``resource`` as the JSON object hooks and webhooks receive (camelCase
    keys, ``UNSET`` fields left out): what an event stores, typed as its
    record (:mod:`hub.plugins.records`, which ``tests/test_resources.py``
    holds to these classes)."""
    # msgspec builds plain JSON (typed Any); the record types name its keys.
    return msgspec.to_builtins(resource)  # type: ignore[no-any-return]

class VersionSummary(Resource):
    id: str
    version: str
    size: int
    file_count: int
    status: str


class Product(Resource):
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
    update_rights: UpdateRights
    update_window_days: int | None


class VersionFile(Resource):
    id: str
    path: str
    size: int
    sha256: str
    status: str
    upload_id: str | None


class Version(Resource):
    id: str
    version: str
    size: int
    file_count: int
    status: str
    changelog: str | None
    created_at: Timestamp
    ready_at: Timestamp | None
    published_at: Timestamp | None
    files: list[VersionFile] | UnsetType = UNSET  # with the detail of one version


class Pagination(Resource):
    total: int
    limit: int
    offset: int
    has_more: bool


class TokenProduct(Resource):
    id: str
    name: str
    version: str


class Token(Resource):
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


class PurchaseItem(Resource):
    product_id: str
    version: str | None = None


class PurchaseToken(Resource):
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


class License(Resource):
    """A license key (:mod:`hub.services.licenses`): ``status`` ``active``,
    ``revoked``, ``on_hold``, ``disabled`` or ``expired``."""

    id: str
    product_id: str
    purchase_id: str | None
    customer_email: str | None
    status: str
    expires_at: Timestamp | None
    activation_limit: int | None  # None: unlimited
    activations: int
    key: str | UnsetType = UNSET  # the key: in the shop's API answers, never in hooks or webhooks


class Activation(Resource):
    """A machine a license key is active on."""

    id: str
    name: str
    fingerprint: str
    created_at: Timestamp
    last_seen_at: Timestamp | None


class PurchaseRecord(Resource):
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
    licenses: list[License]


class WebhookEndpoint(Resource):
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


class DeliveryAttempt(Resource):
    at: Timestamp | None
    status_code: int | None
    latency_ms: int | None
    response: str | None
    error: str | None
    succeeded: bool


class WebhookDelivery(Resource):
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



# --- built from rows ------------------------------------------------------------


def version_summary(row: dict[str, Any] | None) -> VersionSummary | None:
    if row is None:
        return None
    return VersionSummary(
        id=row["id"], version=row["version"], size=row["size"], file_count=row["file_count"], status=row["status"]
    )


def product(row: dict[str, Any], active: dict[str, Any] | None) -> Product:
    """A product (``id`` is its slug) with its active version's summary."""
    return Product(
        id=row["slug"],
        name=row["name"],
        slug=row["slug"],
        description=row["description"],
        status=row["status"],
        metadata=row["metadata"],
        org_id=row["org"],
        active_version=version_summary(active),
        created_at=iso(row["created_at"]),
        updated_at=iso(row["updated_at"]),
        update_rights=row.get("update_rights") or "all",
        update_window_days=row.get("update_days"),
    )


def version_file(row: dict[str, Any]) -> VersionFile:
    return VersionFile(
        id=row["id"], path=row["path"], size=row["size"], sha256=row["sha256"], status=row["status"],
        upload_id=row["upload_id"],
    )


def version(row: dict[str, Any]) -> Version:
    """A version; with ``files`` when the row carries them (one version's detail)."""
    return Version(
        id=row["id"],
        version=row["version"],
        size=row["size"],
        file_count=row["file_count"],
        status=row["status"],
        changelog=row["changelog"],
        created_at=iso(row["created_at"]),
        ready_at=iso(row["ready_at"]),
        published_at=iso(row.get("published_at")),
        files=[version_file(f) for f in row["files"]] if "files" in row else UNSET,
    )


def token(hub: Hub, row: dict[str, Any], product_row: dict[str, Any], version_name: str, secret: str | None = None) -> Token:
    """A token; ``secret`` and ``downloadUrl`` only at creation (never stored)."""
    shaped = Token(
        id=row["id"],
        expires_at=iso(row["expires_at"]),
        max_downloads=row["max_downloads"],
        used_count=row["used_count"],
        customer_email=row["customer_email"] or None,
        metadata=row["metadata"],
        revoked=row["revoked_at"] is not None,
        revoked_at=iso(row["revoked_at"]),
        created_at=iso(row["created_at"]),
        purchase_id=row["purchase"],
        product=TokenProduct(id=product_row["slug"], name=product_row["name"], version=version_name),
    )
    if secret is not None:
        shaped.token, shaped.download_url = secret, hub.download_url(secret)
    return shaped


def pagination(total: int, limit: int, offset: int) -> Pagination:
    return Pagination(total=total, limit=limit, offset=offset, has_more=offset + limit < total)


def purchase_token(row: dict[str, Any]) -> PurchaseToken:
    return PurchaseToken(
        id=row["id"],
        product_id=row["product_id"],
        version=row["version_name"],
        expires_at=iso(row["expires_at"]),
        max_downloads=row["max_downloads"],
        used_count=row["used_count"],
        revoked=row["revoked_at"] is not None,
    )


def purchase(row: dict[str, Any]) -> Purchase:
    """A purchase with its tokens (``row["tokens"]``, as
    :func:`hub.services.purchases.list_purchases` joins them)."""
    return Purchase(
        id=row["id"],
        org_id=row["org"],
        provider=row["provider"],
        provider_ref=row["provider_ref"],
        customer_email=row["customer_email"],
        customer_name=row["customer_name"],
        items=[msgspec.convert(item, PurchaseItem) for item in row["items"]],
        amount=row["amount"],
        currency=row["currency"],
        status=row["status"],
        livemode=row.get("mode", "live") != "test",
        problem=row["problem"] or None,
        metadata=row["metadata"],
        created_at=iso(row["created_at"]),
        refunded_at=iso(row.get("refunded_at")),
        tokens=[purchase_token(t) for t in row.get("tokens", [])],
        licenses=[license(k, k["product_slug"], k.get("key")) for k in row.get("licenses", [])],
    )


def license(row: dict[str, Any], product_slug: str, key: str | None = None) -> License:
    """A license key (``key`` only where the shop's API shows it)."""
    from hub.services.licenses import public_status  # the status is the licenses' rule

    return License(
        id=row["id"],
        product_id=product_slug,
        purchase_id=row["purchase"],
        customer_email=row["customer_email"] or None,
        status=public_status(row),
        expires_at=iso(row["expires_at"]),
        activation_limit=row["activation_limit"],
        activations=row["activations"],
        key=UNSET if key is None else key,
    )


def activation(row: dict[str, Any]) -> Activation:
    return Activation(
        id=row["id"],
        name=row["name"],
        fingerprint=row["fingerprint"],
        created_at=iso(row["created_at"]),
        last_seen_at=iso(row.get("last_seen_at")),
    )


def webhook_endpoint(row: dict[str, Any], secret: str | None = None) -> WebhookEndpoint:
    """An endpoint; ``secret`` only when just created or rotated (shown once)."""
    return WebhookEndpoint(
        id=row["id"],
        url=row["url"],
        events=row["events"],
        description=row["description"],
        status=row["status"],
        disabled_reason=row["disabled_reason"] or None,
        failing_since=iso(row["failing_since"]),
        created_at=iso(row["created_at"]),
        updated_at=iso(row["updated_at"]),
        secret=UNSET if secret is None else secret,
    )


def webhook_delivery(row: dict[str, Any]) -> WebhookDelivery:
    """One event owed to an endpoint, with every attempt made."""
    return WebhookDelivery(
        id=row["id"],
        event_id=row["event"],
        event_type=row.get("event_type"),
        status=row["status"],
        attempts=row["attempts"],
        next_attempt_at=iso(row["next_attempt_at"]) if row["status"] == "pending" else None,
        last_error=row["last_error"] or None,
        created_at=iso(row["created_at"]),
        delivered_at=iso(row["delivered_at"]),
        attempt_log=[
            DeliveryAttempt(
                at=iso(a["attempted_at"]),
                status_code=a["status_code"],
                latency_ms=a["latency_ms"],
                response=a["response_excerpt"] or None,
                error=a["error"] or None,
                succeeded=not a["error"],
            )
            for a in row.get("attempt_log", [])
        ],
    )
