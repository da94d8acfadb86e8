"""The hub's events: one class per event, the one list everything else follows.

An event is what happened (a purchase recorded, a token minted...); the core
emits it with the change it announces (:func:`hub.services.events.emit`),
and the worker hands it to every plugin implementing its hook and, as
webhook events, to the shop's endpoints. Each class names:

- ``hook``: the event hook plugins implement (:mod:`hub.plugins.hookspecs`, which
  declares one hook per class, with the class's fields as its arguments,
  ``hub`` first);
- its fields: the hook's arguments, typed with :mod:`hub.plugins.records`;
- ``webhook_types``: the webhook events it may become, and
  :meth:`HubEvent.webhooks` the ``(type, data)`` pairs it becomes.

So an event is written as a class where it is emitted
(``emit(hub, PurchaseRecorded(purchase=..., tokens=...), org=org)``): a
misspelt event is a NameError, a misspelt field a TypeError, where it is
written. :data:`EVENTS` lists every class; the webhook catalogue
(:data:`WEBHOOK_TYPES`, served as
:data:`hub.services.webhook_events.EVENT_TYPES`), docs/webhooks.md,
docs/plugins.md and both SDKs' lists of event types are checked against it
(``tests/test_event_catalogue.py``).

A field may be given as a function returning its record (or an awaitable
of it), :data:`Later`: :func:`~hub.services.events.emit` calls it only when
some plugin or endpoint will receive the event, which spares a sale the
queries when nobody listens.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Mapping
from typing import ClassVar, TypeVar, Union

from hub.plugins import await_me_maybe
from hub.plugins.records import Activation, Email, File, License, Product, Purchase, Token, Version

T = TypeVar("T")

Later = Union[Callable[[], Awaitable[T]], Callable[[], T]]
"""A record to build only if the event has a receiver: a function returning it, or an awaitable of it."""

WebhookData = Mapping[str, object]
"""A webhook event's ``data``: a JSON object (a record, or an object of records)."""


def built(value: T | Later[T]) -> T:
    """A field of a resolved event (:meth:`HubEvent.resolved`): its record,
    never the :data:`Later` function that builds it."""
    if callable(value):
        raise TypeError("the event is not resolved: await event.resolved() first")
    return value


WEBHOOK_TYPES: dict[str, str] = {
    "purchase.completed": "a purchase was recorded (data: the purchase, with its tokens)",
    "purchase.refunded": "a purchase was refunded and its tokens revoked (data: the purchase)",
    "purchase.on_hold": "a purchase was put on hold, e.g. by a dispute (data: the purchase)",
    "purchase.restored": "a purchase on hold was restored (data: the purchase)",
    "token.created": "a download token was minted (data: the token, without its secret)",
    "token.revoked": "a download token was revoked, by the API or a refund (data: the token)",
    "download.started": "a file transfer started (data: token, file, sessionId, firstInSession)",
    "download.completed": "a file transfer ended with its last byte sent and its file delivered whole (data: token, file, bytesSent)",
    "version.ready": "a product version's last file arrived: it can be delivered (data: product, version)",
    "version.published": "a version was published with notify and every entitled buyer's update email is queued (data: product, version, notified)",
    "email.failed": "the hub gave up sending an email (data: the message: id, kind, recipient, attempts, error)",
    "license.activated": "a license key was activated on a new machine (data: license, activation)",
    "license.deactivated": "a machine's activation was freed, by the software, the buyer or the shop (data: license, activation, by)",
    "license.disabled": "a license key was revoked by a refund or put on hold by a dispute (data: license, reason)",
    "license.restored": "a revoked or held license key works again: a dispute won, a refund cancelled (data: the license)",
}
"""Every webhook event type, with what it means: the catalogue endpoints subscribe to."""


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class HubEvent:
    """What every event has: its hook, its webhook types, its records."""

    hook: ClassVar[str]
    """The event hook plugins implement to receive it."""
    webhook_types: ClassVar[tuple[str, ...]] = ()
    """The webhook event types it may become (none: plugins only)."""

    def records(self) -> dict[str, object]:
        """The hook's arguments (without ``hub``), by name: what is stored."""
        return {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}

    async def resolved(self) -> HubEvent:
        """This event with every :data:`Later` field built."""
        return dataclasses.replace(self, **{name: await await_me_maybe(value) for name, value in self.records().items()})

    def webhooks(self) -> list[tuple[str, WebhookData]]:
        """The webhook events ``(type, data)`` this (resolved) event announces,
        ``data`` being the resource as the main API shows it."""
        return []


# --- purchases ----------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class PurchaseRecorded(HubEvent):
    """A purchase was recorded for the first time (a replay does not emit it)."""

    hook: ClassVar[str] = "purchase_recorded"
    webhook_types: ClassVar[tuple[str, ...]] = ("purchase.completed",)
    purchase: Purchase | Later[Purchase]
    tokens: list[Token] | Later[list[Token]]

    def webhooks(self) -> list[tuple[str, WebhookData]]:
        return [("purchase.completed", built(self.purchase))]


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class PurchaseRefunded(HubEvent):
    """A purchase's money went back to the buyer and its tokens were revoked."""

    hook: ClassVar[str] = "purchase_refunded"
    webhook_types: ClassVar[tuple[str, ...]] = ("purchase.refunded", "token.revoked")
    purchase: Purchase | Later[Purchase]
    revoked_tokens: list[Token] | Later[list[Token]]

    def webhooks(self) -> list[tuple[str, WebhookData]]:
        return [("purchase.refunded", built(self.purchase))] + [("token.revoked", token) for token in built(self.revoked_tokens)]


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class PurchaseSuspended(HubEvent):
    """A purchase was put on hold: the buyer disputed the payment."""

    hook: ClassVar[str] = "purchase_suspended"
    webhook_types: ClassVar[tuple[str, ...]] = ("purchase.on_hold",)
    purchase: Purchase | Later[Purchase]

    def webhooks(self) -> list[tuple[str, WebhookData]]:
        return [("purchase.on_hold", built(self.purchase))]


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class PurchaseRestored(HubEvent):
    """A purchase's access came back (a dispute won, a refund cancelled)."""

    hook: ClassVar[str] = "purchase_restored"
    webhook_types: ClassVar[tuple[str, ...]] = ("purchase.restored",)
    purchase: Purchase | Later[Purchase]

    def webhooks(self) -> list[tuple[str, WebhookData]]:
        return [("purchase.restored", built(self.purchase))]


# --- tokens -------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class TokensMinted(HubEvent):
    """Download links were minted (new tokens, or fresh links of existing ones)."""

    hook: ClassVar[str] = "tokens_minted"
    webhook_types: ClassVar[tuple[str, ...]] = ("token.created",)
    tokens: list[Token] | Later[list[Token]]

    def webhooks(self) -> list[tuple[str, WebhookData]]:
        return [("token.created", token) for token in built(self.tokens)]


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class TokenRevoked(HubEvent):
    """A token was revoked through the API."""

    hook: ClassVar[str] = "token_revoked"
    webhook_types: ClassVar[tuple[str, ...]] = ("token.revoked",)
    token: Token | Later[Token]

    def webhooks(self) -> list[tuple[str, WebhookData]]:
        return [("token.revoked", built(self.token))]


# --- products and downloads ---------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class VersionReady(HubEvent):
    """The last file of a product version arrived: it can be delivered."""

    hook: ClassVar[str] = "version_ready"
    webhook_types: ClassVar[tuple[str, ...]] = ("version.ready",)
    product: Product | Later[Product]
    version: Version | Later[Version]

    def webhooks(self) -> list[tuple[str, WebhookData]]:
        return [("version.ready", {"product": built(self.product), "version": built(self.version)})]


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class VersionPublished(HubEvent):
    """A version was published with ``notify``, and an update email is
    queued for every buyer entitled to it: ``notified`` of them."""

    hook: ClassVar[str] = "version_published"
    webhook_types: ClassVar[tuple[str, ...]] = ("version.published",)
    product: Product | Later[Product]
    version: Version | Later[Version]
    notified: int

    def webhooks(self) -> list[tuple[str, WebhookData]]:
        data = {"product": built(self.product), "version": built(self.version), "notified": self.notified}
        return [("version.published", data)]


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class DownloadStarted(HubEvent):
    """A file transfer started."""

    hook: ClassVar[str] = "download_started"
    webhook_types: ClassVar[tuple[str, ...]] = ("download.started",)
    token: Token | Later[Token]
    file: File | Later[File]
    session_id: str
    first_in_session: bool

    def webhooks(self) -> list[tuple[str, WebhookData]]:
        data = {"token": built(self.token), "file": built(self.file), "sessionId": self.session_id, "firstInSession": self.first_in_session}
        return [("download.started", data)]


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class DownloadFinished(HubEvent):
    """A file transfer ended, completed or interrupted (only a completed one
    becomes a webhook event)."""

    hook: ClassVar[str] = "download_finished"
    webhook_types: ClassVar[tuple[str, ...]] = ("download.completed",)
    token: Token | Later[Token]
    file: File | Later[File]
    bytes_sent: int
    completed: bool

    def webhooks(self) -> list[tuple[str, WebhookData]]:
        if not self.completed:
            return []
        return [("download.completed", {"token": built(self.token), "file": built(self.file), "bytesSent": self.bytes_sent})]


# --- email --------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class EmailFailed(HubEvent):
    """The hub gave up sending an email after its last try."""

    hook: ClassVar[str] = "email_failed"
    webhook_types: ClassVar[tuple[str, ...]] = ("email.failed",)
    message: Email | Later[Email]

    def webhooks(self) -> list[tuple[str, WebhookData]]:
        return [("email.failed", built(self.message))]


# --- licenses -------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class LicenseActivated(HubEvent):
    """A license key was activated on a machine it was not active on."""

    hook: ClassVar[str] = "license_activated"
    webhook_types: ClassVar[tuple[str, ...]] = ("license.activated",)
    license: License | Later[License]
    activation: Activation | Later[Activation]

    def webhooks(self) -> list[tuple[str, WebhookData]]:
        return [("license.activated", {"license": built(self.license), "activation": built(self.activation)})]


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class LicenseDeactivated(HubEvent):
    """A machine's activation was freed; ``by`` is ``api`` (the software),
    ``buyer`` (the download page or /my) or ``shop`` (the console)."""

    hook: ClassVar[str] = "license_deactivated"
    webhook_types: ClassVar[tuple[str, ...]] = ("license.deactivated",)
    license: License | Later[License]
    activation: Activation | Later[Activation]
    by: str

    def webhooks(self) -> list[tuple[str, WebhookData]]:
        data = {"license": built(self.license), "activation": built(self.activation), "by": self.by}
        return [("license.deactivated", data)]


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class LicenseDisabled(HubEvent):
    """A license key stopped working: ``reason`` ``refunded`` (a refund or a
    lost dispute: validate says ``REVOKED``) or ``on_hold`` (a dispute is
    open: ``ON_HOLD``)."""

    hook: ClassVar[str] = "license_disabled"
    webhook_types: ClassVar[tuple[str, ...]] = ("license.disabled",)
    license: License | Later[License]
    reason: str

    def webhooks(self) -> list[tuple[str, WebhookData]]:
        return [("license.disabled", {"license": built(self.license), "reason": self.reason})]


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class LicenseRestored(HubEvent):
    """A revoked or held license key works again (a dispute won, a refund cancelled)."""

    hook: ClassVar[str] = "license_restored"
    webhook_types: ClassVar[tuple[str, ...]] = ("license.restored",)
    license: License | Later[License]

    def webhooks(self) -> list[tuple[str, WebhookData]]:
        return [("license.restored", built(self.license))]


EVENTS: tuple[type[HubEvent], ...] = (
    PurchaseRecorded,
    PurchaseRefunded,
    PurchaseSuspended,
    PurchaseRestored,
    TokensMinted,
    TokenRevoked,
    VersionReady,
    VersionPublished,
    DownloadStarted,
    DownloadFinished,
    EmailFailed,
    LicenseActivated,
    LicenseDeactivated,
    LicenseDisabled,
    LicenseRestored,
)
"""Every event class: the one list hooks, webhooks, docs and SDKs follow."""
