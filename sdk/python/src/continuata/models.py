"""Typed results: the API's camelCase fields in Python names
(``downloadUrl`` → ``download_url``), ISO times as aware ``datetime``s.

Every model keeps the hub's whole answer in ``raw``, so a field the hub
adds later is readable before this SDK learns its name.
"""

from __future__ import annotations

import dataclasses
import sys
import types
import typing
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Generic, TypeVar

T = TypeVar("T")


def to_iso(moment: datetime | date | str) -> str:
    """A time for the hub: aware datetimes as they are, naive ones as local
    time with its offset (``datetime.now() + timedelta(days=30)`` means what
    it says), dates as ``YYYY-MM-DD``, strings untouched."""
    if isinstance(moment, str):
        return moment
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            moment = moment.astimezone()  # naive = local time
        return moment.isoformat()
    return moment.isoformat()


def parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word.title() for word in rest)


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls, vars(sys.modules[cls.__module__]))


def from_api(cls: type[T], data: dict[str, Any] | None) -> T:
    """Build ``cls`` from an API object: camelCase keys to snake_case fields,
    times parsed, nested models built, unknown keys kept only in ``raw``."""
    data = data or {}
    values: dict[str, Any] = {}
    hints = _hints(cls)
    for spec in dataclasses.fields(cls):
        if spec.name == "raw":
            continue
        key = camel(spec.name)
        if key not in data:
            continue
        values[spec.name] = _convert(hints[spec.name], data[key])
    return cls(**values, raw=data)  # type: ignore[call-arg]


def _convert(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType) and len(args) == 1:
        return _convert(args[0], value)
    if hint is datetime:
        return parse_time(value)
    if origin is list and args and dataclasses.is_dataclass(args[0]):
        return [from_api(args[0], item) for item in value]
    if dataclasses.is_dataclass(hint):
        return from_api(hint, value)
    return value


def _raw() -> Any:
    return field(default_factory=dict, repr=False, compare=False)


@dataclass
class Organization:
    id: str = ""
    name: str = ""
    raw: dict[str, Any] = _raw()


@dataclass
class ShopOrganization:
    """The API key's organization and its shop identity, what buyers see
    (``GET``/``PATCH /api/organization``, admin keys). Text fields are ""
    when unset; ``logo_url`` is None without a logo."""

    id: str = ""
    name: str = ""
    support_email: str = ""
    sender_name: str = ""
    accent_color: str = ""
    logo_url: str | None = None
    contact_email: str = ""
    raw: dict[str, Any] = _raw()


@dataclass
class Me:
    """Who the API key is (``GET /api/me``)."""

    organization: Organization | None = None
    role: str = ""
    scopes: list[str] = field(default_factory=list)
    key_id: str = ""
    raw: dict[str, Any] = _raw()


@dataclass
class VersionSummary:
    id: str = ""
    version: str = ""
    size: int = 0
    file_count: int = 0
    status: str = ""
    raw: dict[str, Any] = _raw()


@dataclass
class Product:
    id: str = ""
    name: str = ""
    slug: str = ""
    description: str | None = None
    status: str = ""
    metadata: dict[str, Any] | None = None
    org_id: str | None = None
    active_version: VersionSummary | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    update_rights: str = "all"
    update_window_days: int | None = None
    raw: dict[str, Any] = _raw()


@dataclass
class VersionFile:
    id: str = ""
    path: str = ""
    size: int = 0
    sha256: str = ""
    status: str = ""
    upload_id: str | None = None
    raw: dict[str, Any] = _raw()


@dataclass
class Version:
    id: str = ""
    version: str = ""
    size: int = 0
    file_count: int = 0
    status: str = ""
    changelog: str | None = None
    created_at: datetime | None = None
    ready_at: datetime | None = None
    published_at: datetime | None = None
    files: list[VersionFile] | None = None
    raw: dict[str, Any] = _raw()


@dataclass
class UploadPart:
    part_number: int = 0
    size: int = 0
    received: bool = False
    etag: str | None = None
    url: str | None = None
    raw: dict[str, Any] = _raw()


@dataclass
class Upload:
    id: str = ""
    file_id: str = ""
    path: str = ""
    size: int = 0
    sha256: str = ""
    status: str = ""
    part_size: int = 0
    part_count: int = 0
    parts: list[UploadPart] = field(default_factory=list)
    raw: dict[str, Any] = _raw()


@dataclass
class TokenProduct:
    id: str = ""
    name: str = ""
    version: str = ""
    raw: dict[str, Any] = _raw()


@dataclass
class Token:
    """A download token; ``token`` and ``download_url`` only when just minted."""

    id: str = ""
    token: str | None = None
    download_url: str | None = None
    expires_at: datetime | None = None
    max_downloads: int | None = None
    used_count: int = 0
    customer_email: str | None = None
    metadata: dict[str, Any] | None = None
    revoked: bool = False
    revoked_at: datetime | None = None
    created_at: datetime | None = None
    purchase_id: str | None = None
    product: TokenProduct | None = None
    raw: dict[str, Any] = _raw()


@dataclass
class DownloadUrl:
    """``POST /api/generate-download-url``: a short-lived link."""

    product_id: str = ""
    version: str = ""
    download_token: str = ""
    download_url: str = ""
    expires_at: datetime | None = None
    raw: dict[str, Any] = _raw()


@dataclass
class PurchaseToken:
    id: str = ""
    product_id: str = ""
    version: str = ""
    token: str | None = None
    download_url: str | None = None
    expires_at: datetime | None = None
    max_downloads: int | None = None
    used_count: int = 0
    revoked: bool = False
    raw: dict[str, Any] = _raw()


@dataclass
class License:
    """A purchase's license key (``key`` only in the shop's own API answers).
    ``status``: ``active``, ``revoked``, ``on_hold``, ``disabled`` or ``expired``."""

    id: str = ""
    product_id: str = ""
    purchase_id: str | None = None
    customer_email: str | None = None
    status: str = ""
    expires_at: datetime | None = None
    activation_limit: int | None = None
    """None: unlimited."""
    activations: int = 0
    key: str | None = None
    raw: dict[str, Any] = _raw()


@dataclass
class Purchase:
    id: str = ""
    org_id: str = ""
    provider: str = ""
    provider_ref: str = ""
    customer_email: str = ""
    customer_name: str | None = None
    items: list[Any] = field(default_factory=list)
    amount: int | None = None
    currency: str | None = None
    status: str = ""
    livemode: bool = True
    """False for a payment made in the provider's test mode or sandbox."""
    problem: str | None = None
    metadata: dict[str, Any] | None = None
    created_at: datetime | None = None
    refunded_at: datetime | None = None
    tokens: list[PurchaseToken] = field(default_factory=list)
    licenses: list[License] = field(default_factory=list)
    raw: dict[str, Any] = _raw()


@dataclass
class PurchaseResult:
    """``POST /api/purchases``: the purchase, and whether this call created it
    (``False``: the reference was recorded before; no links are shown again)."""

    purchase: Purchase
    created: bool


@dataclass
class WebhookEndpoint:
    """A shop's webhook receiver; ``secret`` (``whsec_…``) only when created or rotated."""

    id: str = ""
    url: str = ""
    events: list[str] = field(default_factory=list)
    description: str | None = None
    status: str = ""
    disabled_reason: str | None = None
    failing_since: datetime | None = None
    secret: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    raw: dict[str, Any] = _raw()

    @property
    def enabled(self) -> bool:
        """Whether the hub sends events to it (``status == "enabled"``)."""
        return self.status == "enabled"


@dataclass
class DeliveryAttempt:
    """One try of a delivery: when, the endpoint's answer or the error."""

    at: datetime | None = None
    status_code: int | None = None
    latency_ms: int | None = None
    response: str | None = None
    error: str | None = None
    succeeded: bool = False
    raw: dict[str, Any] = _raw()


@dataclass
class WebhookDelivery:
    """An event's delivery to an endpoint, with the log of its tries."""

    id: str = ""
    event_id: str = ""
    event_type: str = ""
    status: str = ""
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    created_at: datetime | None = None
    delivered_at: datetime | None = None
    attempt_log: list[DeliveryAttempt] = field(default_factory=list)
    raw: dict[str, Any] = _raw()


@dataclass
class Pagination:
    total: int = 0
    limit: int = 0
    offset: int = 0
    has_more: bool = False
    raw: dict[str, Any] = _raw()


@dataclass
class Page(Generic[T]):
    """One page of a list, with the hub's pagination."""

    items: list[T]
    pagination: Pagination


@dataclass
class UploadProgress:
    """What a folder upload's ``on_progress`` callback is given after each part."""

    path: str
    bytes_done: int
    bytes_total: int
    files_done: int
    files_total: int
