"""What hooks receive: records shaped like the main API, typed for your editor.

Event hooks' records go through the database (and webhooks' through the
network) as JSON, so a record is a plain dict; these ``TypedDict`` classes
document its keys, for readers and for a plugin author's editor::

    from hub.plugin_api import Purchase, Token, hookimpl

    @hookimpl
    def purchase_recorded(purchase: Purchase, tokens: list[Token]):
        print(purchase["customerEmail"])

The rules every record follows:

- camelCase keys, as the main API (``GET /api/purchases``, the tokens API,
  the products API) shows the same resource;
- a product is named by its slug (``product["id"]``), a version by its
  version string (``"1.2.0"``), never by an internal id;
- times are ISO 8601 strings in UTC (``2026-01-31T12:00:00Z``);
- a missing value is ``None``, never ``""`` (:func:`for_hook` sees to it);
- no secret and no hash (``token_hash``, an API key) ever appears.

``render_email``'s context is the templates' context instead: snake_case
keys, as Jinja templates name their variables (see :class:`DeliveryContext`),
with ISO times too, so a plugin can hand it to an email provider's template
API as JSON.
"""

from __future__ import annotations

from typing import Any, TypedDict, Union

JSON = Union[dict[str, "JSON"], list["JSON"], str, int, float, bool, None]
"""Any JSON value, as a record's ``metadata`` holds: what the shop or the
payment provider put there, passed on as is."""

JSONObject = dict[str, Any]
"""A JSON object of arbitrary content: a payment provider's event payload,
the metadata an order carries. Its values are decoded JSON (dicts, lists,
strings, numbers, booleans, None), typed ``Any`` so that a plugin reads them
as its provider documents them, without narrowing every level."""

# --- event hooks -------------------------------------------------------------


class ProductRef(TypedDict):
    """The product a token delivers."""

    id: str
    """The product's slug."""
    name: str
    version: str
    """The version string the token delivers (``"1.2.0"``)."""


class Token(TypedDict):
    """A download token, as the tokens API lists it (never its secret):
    ``tokens_minted``, ``token_revoked``, ``purchase_refunded``'s
    ``revoked_tokens``, ``download_started`` / ``download_finished``."""

    id: str
    expiresAt: str
    maxDownloads: int | None
    """None: unlimited."""
    usedCount: int
    customerEmail: str | None
    metadata: dict[str, JSON]
    revoked: bool
    revokedAt: str | None
    createdAt: str
    purchaseId: str | None
    """The purchase that minted it; None for a token minted through the API."""
    product: ProductRef


class PurchaseToken(TypedDict):
    """A token as a purchase lists it."""

    id: str
    productId: str
    """The product's slug."""
    version: str
    expiresAt: str
    maxDownloads: int | None
    usedCount: int
    revoked: bool


class PurchaseItem(TypedDict):
    productId: str
    """The product's slug, as the order named it."""
    version: str | None
    """None: the product's active version."""


class Purchase(TypedDict):
    """A purchase, as ``GET /api/purchases`` shows it: ``purchase_recorded``,
    ``purchase_refunded``, ``purchase_suspended``, ``purchase_restored``."""

    id: str
    orgId: str
    provider: str
    """``stripe``, ``paypal``, ``api``, or a payment plugin's name."""
    providerRef: str | None
    customerEmail: str | None
    """None when the provider sent none, or the buyer's data was erased."""
    customerName: str | None
    items: list[PurchaseItem]
    amount: int | None
    """In the currency's smallest unit (cents)."""
    currency: str | None
    status: str
    """``paid``, ``on_hold``, ``refunded`` or ``charged_back``."""
    livemode: bool
    """False for a payment made in the provider's test mode or sandbox."""
    problem: str | None
    """Why some item could not be delivered, or None."""
    metadata: dict[str, JSON]
    createdAt: str
    refundedAt: str | None
    """When it was refunded or charged back; None while it is not."""
    tokens: list[PurchaseToken]
    licenses: list[License]
    """The purchase's license keys (never the keys themselves), for licensed products."""


class License(TypedDict):
    """A license key, as a purchase lists it (never the key itself):
    ``license_activated``, ``license_deactivated``, ``license_disabled``,
    ``license_restored``."""

    id: str
    productId: str
    """The product's slug."""
    purchaseId: str | None
    """None for a key imported from another system."""
    customerEmail: str | None
    status: str
    """``active``, ``revoked`` (refunded or charged back), ``on_hold``
    (disputed), ``disabled`` (by the shop) or ``expired``."""
    expiresAt: str | None
    activationLimit: int | None
    """None: unlimited."""
    activations: int


class Activation(TypedDict):
    """A machine a license key is active on."""

    id: str
    name: str
    fingerprint: str
    """What the shop's software identifies the machine by."""
    createdAt: str
    lastSeenAt: str | None


class VersionSummary(TypedDict):
    id: str
    version: str
    size: int
    fileCount: int
    status: str


class Product(TypedDict):
    """A product, as the products API shows it: ``version_ready``."""

    id: str
    """The product's slug (the API's id)."""
    name: str
    slug: str
    description: str | None
    status: str
    """``draft``, ``published`` or ``archived``."""
    metadata: dict[str, JSON]
    orgId: str
    activeVersion: VersionSummary | None
    createdAt: str
    updatedAt: str
    updateRights: str
    """``all``, ``window`` or ``none``: which new versions past buyers get."""
    updateWindowDays: int | None
    """With ``window``: the days after a purchase whose releases it gets."""


class VersionFile(TypedDict):
    id: str
    path: str
    size: int
    sha256: str
    status: str
    uploadId: str | None


class Version(TypedDict):
    """A version, as ``GET /api/products/{id}/versions/{version}`` shows it: ``version_ready``."""

    id: str
    version: str
    """The version string (``"1.2.0"``)."""
    size: int
    fileCount: int
    status: str
    changelog: str | None
    createdAt: str
    readyAt: str | None
    publishedAt: str | None
    """When it first became the active version (its release)."""
    files: list[VersionFile]


class File(TypedDict):
    """A file being downloaded (a version's file or a media library file):
    ``download_started``, ``download_finished``."""

    id: str
    path: str
    size: int
    sha256: str


class Email(TypedDict):
    """An email the hub gave up sending: ``email_failed``."""

    id: str
    kind: str
    """``delivery``, ``signin``, ``webhook_disabled``, ``console_invite``, ``console_password_reset``, ``test``."""
    recipient: str
    attempts: int
    error: str
    createdAt: str | None


EMPTY_AS_NONE: dict[str, tuple[str, ...]] = {
    "purchase": ("providerRef", "customerEmail", "customerName", "currency"),
    "product": ("description",),
    "version": ("changelog",),
}
"""Per hook argument, the text fields the API shows as ``""`` when unset,
which hooks receive as None."""


def for_hook(arguments: dict[str, object]) -> dict[str, object]:
    """An event's stored records as its hook receives them: the API's
    empty texts as None (the webhooks keep the API's exact shape)."""
    shaped = dict(arguments)
    for name, fields in EMPTY_AS_NONE.items():
        record = shaped.get(name)
        if isinstance(record, dict):
            shaped[name] = {**record, **{key: None for key in fields if record.get(key) == ""}}
    version = shaped.get("version")
    if isinstance(version, dict) and isinstance(version.get("files"), list):
        shaped["version"] = {
            **version,
            "files": [{**f, "uploadId": f.get("uploadId") or None} if isinstance(f, dict) else f for f in version["files"]],
        }
    return shaped


# --- render_email's contexts (the templates' variables) ------------------------


class EmailPurchase(TypedDict):
    """The purchase in a delivery email's context."""

    id: str
    provider: str
    provider_ref: str | None
    customer_email: str | None
    customer_name: str | None
    amount: int | None
    currency: str | None


class DeliveryItem(TypedDict):
    product: str
    """The product's name."""
    version: str
    url: str
    """The download link (it carries the token's secret: never log it)."""
    expires_at: str
    """ISO time; the templates show it with the ``utc_datetime`` filter."""
    max_downloads: int | None
    license_key: str | None
    """The item's license key (a licensed product), or None. A secret of
    the buyer's: never log it."""


class EmailBrand(TypedDict):
    """The shop an email speaks for (``brand`` in the buyers' emails): what
    its header, buttons and footer show. Never the organization's id."""

    name: str
    """The shop's display name (the hub's host name while it has none)."""
    support_email: str
    """Where buyers write ("" when unknown); also the email's Reply-To."""
    logo_url: str
    """The logo's absolute URL, or ""."""
    accent: str
    """``#rrggbb``: button backgrounds."""
    accent_text: str
    """Text on ``accent``: ``#ffffff`` or ``#111111``, whichever contrasts more."""
    accent_ink: str
    """``accent`` darkened to read as link text on white (4.5:1)."""


class DeliveryContext(TypedDict):
    """``render_email(template="delivery")``: a purchase's download links."""

    purchase: EmailPurchase
    shop: str
    """The shop's display name (``brand["name"]``)."""
    brand: EmailBrand
    items: list[DeliveryItem]
    my_url: str
    """The buyers' self-service page (``/my``)."""


class SignInContext(TypedDict):
    """``render_email(template="signin")``: a buyer's one-time link to ``/my``."""

    email: str
    url: str
    expires_minutes: int
    shops: list[str]
    """The names of the shops the address bought from."""
    brand: EmailBrand
    """The one shop the address bought from; with several, the hub (its host name)."""


class WebhookDisabledContext(TypedDict):
    """``render_email(template="webhook_disabled")``: to the shop's admins."""

    org: str
    url: str
    """The endpoint's URL."""
    endpoint_id: str
    reason: str
    hours: int


class ConsoleInviteContext(TypedDict):
    """``render_email(template="console_invite")``: an invitation to the console."""

    email: str
    org: str
    role: str
    invited_by: str
    url: str
    needs_password: bool
    expires_days: int


EmailContext = DeliveryContext | SignInContext | WebhookDisabledContext | ConsoleInviteContext
"""The context ``render_email`` receives, by template."""


def email_purchase(row: dict[str, Any]) -> EmailPurchase:
    """A purchase (a row, or a dict with its columns) as a delivery email's context names it."""
    return {
        "id": row["id"],
        "provider": row["provider"],
        "provider_ref": row.get("provider_ref") or None,
        "customer_email": row.get("customer_email") or None,
        "customer_name": row.get("customer_name") or None,
        "amount": row.get("amount"),
        "currency": row.get("currency") or None,
    }
