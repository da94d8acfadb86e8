"""The public plugin API: the only module of ``hub`` a plugin imports.

Everything a plugin needs is here, and what is here is the contract: it
keeps its names and meaning across releases (a change is announced in the
changelog, with a release of overlap where possible). The rest of ``hub``
is private: its modules move and change without notice, so a plugin that
imports them breaks when they do. The built-in plugins (``plugins/``) and
the example (``examples/sales-log-plugin``) import nothing else, and
``tests/test_plugin_api.py`` keeps it so. A plugin's *tests* also use
:mod:`hub.testing`, the documented test kit (a hub app on loopback, a
mailbox, signed provider webhooks).

What it holds (see docs/plugins.md for the whole story):

- **Hooks**: :data:`hookimpl` marks an implementation; the hooks themselves
  are documented in :mod:`hub.plugins.hookspecs`, and :class:`Hub` is what they
  receive as ``hub``.
- **Contracts a plugin implements**, as Protocols: :class:`Mailer` (and its
  optional abilities :class:`BytesMailer`, :class:`ConcurrentMailer`),
  :class:`InboxProcessor`, :class:`BlobStore`.
- **What a plugin returns**: :class:`Setting`, :class:`PaymentProviderStatus`,
  :class:`RenderedEmail`.
- **Services a plugin may call**: a payment plugin's webhook stores what it
  verified (:func:`store_event`, for the organization
  :func:`organization_for` names); its processor records purchases
  (:func:`record_purchase`, :class:`PurchaseIn`, :class:`PurchaseItemIn`,
  :func:`parse_items`) and reversals (:func:`record_reversal`,
  :class:`ReversalIn` and its kinds), and finds a purchase again by a
  provider reference (:func:`find_purchase`, :func:`record_reference`,
  :func:`references_of`, :class:`ProviderRef`, :data:`ORDER`); a storefront's
  product, variant or SKU becomes a hub product through the shop's mappings
  (:func:`map_item`); a purchase recorded before its buyer's address was
  known gets it, and its links, once (:func:`deliver_to_buyer`).
- **Errors** a plugin raises (translated to each surface's envelope):
  :class:`HubError` and its kinds, :class:`SettingsError` for a bad setting,
  :class:`PermanentDeliveryError` for a mailer's refusal no retry can change,
  :class:`RelayBusy` for a relay that asks to slow down (an SMTP ``421``).
- **Helpers**: :func:`decode_json` (bounded JSON decoding of a request
  body), :func:`utcnow`, :func:`check_sender`, :func:`parse_flag` (a yes/no
  setting, refusing anything else).
- **Records** hooks receive (TypedDicts: :class:`Purchase`, :class:`Token`...;
  a purchase's item is :class:`PurchaseItem`) and render_email's contexts.
- **Events** (:class:`HubEvent` and one class per event hook, listed in
  :data:`EVENTS`): what each event hook receives, and the webhook events
  it becomes.
"""

from __future__ import annotations

from hub.clock import parse_time, utcnow
from hub.context import Hub
from hub.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    Gone,
    HubError,
    Invalid,
    NotFound,
    PermanentDeliveryError,
    RelayBusy,
    TooManyRequests,
    Unauthorized,
    Unavailable,
)
from hub.inputs import decode_json
from hub.plugins import PaymentProviderStatus, RenderedEmail, Setting
from hub.plugins.events import (
    EVENTS,
    DownloadFinished,
    DownloadStarted,
    EmailFailed,
    HubEvent,
    Later,
    LicenseActivated,
    LicenseDeactivated,
    LicenseDisabled,
    LicenseRestored,
    PurchaseRecorded,
    PurchaseRefunded,
    PurchaseRestored,
    PurchaseSuspended,
    TokenRevoked,
    TokensMinted,
    VersionPublished,
    VersionReady,
)
from hub.plugins.hookspecs import hookimpl
from hub.plugins.protocols import BytesMailer, ConcurrentMailer, InboxProcessor, Mailer
from hub.plugins.records import (
    Activation,
    ConsoleInviteContext,
    DeliveryContext,
    DeliveryItem,
    Email,
    EmailBrand,
    EmailContext,
    EmailPurchase,
    File,
    License,
    Product,
    ProductRef,
    Purchase,
    PurchaseItem,
    PurchaseToken,
    SignInContext,
    Token,
    Version,
    VersionFile,
    VersionSummary,
    WebhookDisabledContext,
)
from hub.services.inbox import ReceivedEvent, store_event
from hub.services.problems import deliver_to_buyer
from hub.services.product_mappings import map_item
from hub.services.provider_accounts import organization_for
from hub.services.provider_refs import ORDER, ProviderRef, find_purchase, record_reference, references_of
from hub.services.purchase_statuses import DISPUTE_LOST, DISPUTE_OPENED, DISPUTE_WON, REFUND, REFUND_CANCELLED
from hub.services.purchases import PurchaseIn, RecordedPurchase, parse_items, record_purchase
from hub.services.purchases import PurchaseItem as PurchaseItemIn
from hub.services.reversals import ReversalIn, record_reversal
from hub.settings import SettingsError, check_sender, parse_flag
from hub.storage import BlobStore

__all__ = [
    # hooks
    "hookimpl", "Hub",
    # contracts a plugin implements
    "Mailer", "BytesMailer", "ConcurrentMailer", "InboxProcessor", "BlobStore",
    # what hooks return
    "Setting", "PaymentProviderStatus", "RenderedEmail",
    # payment services
    "store_event", "ReceivedEvent", "organization_for",
    "record_purchase", "PurchaseIn", "PurchaseItemIn", "RecordedPurchase", "parse_items",
    "record_reversal", "ReversalIn", "REFUND", "REFUND_CANCELLED", "DISPUTE_OPENED", "DISPUTE_WON", "DISPUTE_LOST",
    "find_purchase", "record_reference", "references_of", "ProviderRef", "ORDER", "map_item", "deliver_to_buyer",
    # errors
    "HubError", "BadRequest", "Unauthorized", "Forbidden", "NotFound", "Conflict", "Gone", "Invalid",
    "TooManyRequests", "Unavailable", "SettingsError", "PermanentDeliveryError", "RelayBusy",
    # helpers
    "decode_json", "utcnow", "parse_time", "check_sender", "parse_flag",
    # records
    "Purchase", "PurchaseItem", "PurchaseToken", "Token", "ProductRef", "Product", "VersionSummary", "Version",
    "VersionFile", "File", "Email", "License", "Activation",
    "EmailContext", "EmailBrand", "DeliveryContext", "DeliveryItem", "EmailPurchase", "SignInContext", "WebhookDisabledContext",
    "ConsoleInviteContext",
    # events
    "HubEvent", "Later", "EVENTS", "PurchaseRecorded", "PurchaseRefunded", "PurchaseSuspended", "PurchaseRestored",
    "TokensMinted", "TokenRevoked", "VersionReady", "VersionPublished", "DownloadStarted", "DownloadFinished", "EmailFailed",
    "LicenseActivated", "LicenseDeactivated", "LicenseDisabled", "LicenseRestored",
]
