# The hook specifications are docstring-only by design (pluggy calls the
# implementations, never these bodies): mypy's empty-body check does not apply.
# mypy: disable-error-code="empty-body"
"""The hooks a Continuata Hub plugin can implement: the plugin contract.

A plugin is a module (or object) registered under the ``continuata_hub``
entry-point group; it implements the hooks it needs, marked with
:data:`hookimpl`, and nothing else::

    from hub.plugin_api import Purchase, Token, hookimpl

    @hookimpl
    def purchase_recorded(hub, purchase: Purchase, tokens: list[Token]):
        ...

Plugins import :data:`hookimpl` and every type named here from
:mod:`hub.plugin_api`, the public plugin API.

Conventions every hook follows:

- The core always calls hooks with keyword arguments; an implementation
  may accept any subset of a hook's arguments, in any order.
- An implementation may return a value, an awaitable, or (for event hooks)
  nothing; the core awaits what needs awaiting (pluggy has no native async).
  The return types below are what the core uses once awaited: a hook
  annotated ``-> list[Setting]`` may be an ``async def`` returning one.
- ``hub`` is the :class:`hub.plugin_api.Hub` of the running app: settings
  (``hub.settings``, plugin settings in ``hub.settings.extra``), the blob
  store, the template environment.
- Event hooks are durable: the event is written in the same transaction
  as the change it announces, and the worker (inline in ``serve``, or
  ``continuata-hub worker``) calls each plugin's implementation after the
  commit, outside any request, so no plugin slows a sale or a download.
  An implementation that raises is called again with the same event, with
  exponential backoff (``HUB_EVENT_RETRY_SECONDS``, doubling), up to
  ``HUB_EVENT_MAX_ATTEMPTS`` times; then its delivery is left ``failed``
  with the error. So an implementation may see an event more than once
  (after a failure, or a worker crash): make it idempotent, keyed on the
  record's ``id``. A synchronous implementation runs in a thread.
- Event hooks receive records shaped like the main API (camelCase keys,
  product slugs and version strings, ISO times, ``None`` rather than
  ``""``, never a secret or a hash): they pass through the database as
  JSON. :mod:`hub.plugins.records` documents their keys.
- Every event hook has its event class in :mod:`hub.plugins.events`, whose
  fields are the hook's arguments (``tests/test_event_catalogue.py``
  checks that they agree): the core emits the class, plugins implement
  the hook.
- Never give a hook implementation's argument a default value: pluggy's
  treatment of defaults has changed between releases.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:  # the types of the contract; hub.plugins imports this module
    from collections.abc import Sequence
    from pathlib import Path

    from litestar.types import ControllerRouterHandler
    from piccolo.conf.apps import AppConfig

    from hub.context import Hub
    from hub.plugins import PaymentProviderStatus, RenderedEmail, Setting
    from hub.plugins.protocols import InboxProcessor, Mailer
    from hub.plugins.records import Activation, Email, EmailContext, File, License, Product, Purchase, Token, Version

PROJECT = "continuata_hub"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# --- start-up: what a plugin contributes --------------------------------------


@hookspec
def hub_settings() -> Sequence[Setting]:
    """Declare the settings the plugin reads.

    Called when the hub is built, to check them (a ``required`` setting that
    is unset stops the start-up with a message naming it; an unset one
    with a ``default`` reads as its default) and to document them
    (``continuata-hub plugins`` shows each, with its state and default).

    :return: a list of :class:`hub.plugin_api.Setting` (name such as
        ``HUB_STRIPE_WEBHOOK_SECRET``, description, ``required``, ``secret``,
        ``default``). Values are read from the environment like the core's,
        and reach the plugin as ``hub.settings.extra[name]``.
    """


@hookspec
def hub_routes(hub: Hub) -> Sequence[ControllerRouterHandler]:
    """Add HTTP routes, such as a payment provider's webhook endpoint.

    Called once while the app is built. Put routes under
    ``/plugins/<plugin name>/`` so they never collide with the core's.

    :param hub: the :class:`hub.plugin_api.Hub` being built.
    :return: a list of Litestar route handlers, controllers or routers.
    """


@hookspec
def hub_template_dirs() -> Sequence[Path]:
    """Add folders of Jinja templates.

    Called once while the app is built. A shop's ``HUB_TEMPLATES_DIR`` still
    wins over every plugin's folders, and plugin folders win over the
    built-in ``templates/``.

    :return: a list of :class:`pathlib.Path`.
    """


@hookspec
def hub_piccolo_apps() -> Sequence[AppConfig]:
    """Declare the plugin's own tables, with their piccolo migrations.

    Called whenever the hub migrates its database (``continuata-hub
    migrate``, and the start of ``serve`` and ``worker``): after the hub's
    own migrations, under the same migration lock, the hub applies each
    app's pending migrations to its database and binds the app's tables to
    it, so the plugin queries them like any piccolo table. See
    :mod:`hub.plugins.tables` and ``examples/sales-log-plugin``.

    :return: a list of piccolo ``AppConfig``: an ``app_name`` of the
        plugin's own (never ``hub``), its ``table_classes`` (table names
        prefixed with the plugin's name), and a migrations folder whose
        files are named after the app (``sales_log_2026_…py``: piccolo
        imports them by file name).
    """


@hookspec
def payment_provider_status(hub: Hub) -> PaymentProviderStatus | None:
    """Say how a payment plugin is set up, for the console's Settings page.

    Called when an admin opens Settings → Payments; every plugin answers
    for itself. The console adds when the provider's last event arrived and
    what became of it.

    :param hub: the running :class:`hub.plugin_api.Hub`.
    :return: a :class:`hub.plugin_api.PaymentProviderStatus`, or None.
    """


@hookspec
def hub_mailer(hub: Hub) -> Mailer | None:
    """Offer the mailer that delivers queued messages.

    Called once at start-up (``continuata-hub serve`` asks once more before
    it starts the server, so that a misconfiguration is one line, and
    ``continuata-hub plugins`` asks to name the mailer: build the mailer,
    connect to nothing yet). Which plugin delivers is chosen, never left to
    the order plugins were found in (:func:`hub.plugins.choose_mailer`):
    ``HUB_MAILER=<plugin name>`` asks that plugin alone (a name that is not
    loaded stops the start-up); unset, the one plugin that offers a mailer
    delivers, the built-in ``email`` (SMTP) one when several do, and the
    start-up stops when several others do. The start-up log names the
    mailer.

    The core renders every email (:mod:`hub.emails`) and gives the message
    its ``From`` (``HUB_MAIL_FROM``, also ``hub.settings.mail_from``), so a
    mailer only sends.

    :return: a :class:`hub.plugin_api.Mailer` (``async def send(message:
        email.message.EmailMessage) -> None``, raising on failure so that
        the outbox retries with backoff, and keeping the message's
        ``Message-ID``), or None to offer none (say, when unconfigured).
        With no mailer at all, messages stay queued (and visible) until one
        is configured; an answer that is not a ``Mailer`` stops the
        start-up. Two optional abilities, each a Protocol the outbox checks
        with ``isinstance``: a :class:`hub.plugin_api.BytesMailer` also has
        ``async def send_bytes(data: bytes, *, sender: str, recipients:
        list[str]) -> None`` (the message as it goes out, ``From``, ``Date``
        and ``Message-ID`` set, CRLF line ends, and its envelope, all
        ASCII), which the outbox then uses for the messages it can complete
        without parsing them, and ``send`` for the others; a
        :class:`hub.plugin_api.ConcurrentMailer` has ``concurrency: int``,
        how many messages it may send at once (each its own call; without
        it, or with a value below 1, one at a time).
    """


@hookspec(firstresult=True)
def render_email(hub: Hub, template: str, context: EmailContext) -> RenderedEmail | None:
    """Render the email ``template`` with ``context`` your own way.

    The core renders every email from its Jinja templates
    (``templates/email/``, overridable in ``HUB_TEMPLATES_DIR/email/`` or a
    plugin's ``hub_template_dirs``); implement this hook only to render
    differently (say, through an email provider's template API). Called
    by the core when it queues a message: ``template`` is
    ``"delivery"`` (a purchase's download links), ``"signin"`` (a buyer's
    one-time sign-in link for ``/my``, rendered by the worker, never in the
    buyer's request, so that its cost reveals nothing),
    ``"webhook_disabled"`` (to the shop's admins: a webhook endpoint failed
    for days and was disabled) or ``"console_invite"`` (an invitation to the
    console). Stops at the first non-None result.

    :param context: a dict; for ``delivery``: ``purchase``, ``shop``,
        ``items`` (each with ``product``, ``version``, ``url``, ``expires_at``,
        ``max_downloads``), ``my_url``; for ``signin``: ``email``, ``url``,
        ``expires_minutes``; for ``webhook_disabled``: ``org``, ``url``,
        ``endpoint_id``, ``reason``, ``hours``; for ``console_invite``:
        ``email``, ``org``, ``role``, ``invited_by``, ``url``,
        ``needs_password``, ``expires_days``. :mod:`hub.plugin_api` types each
        context (``DeliveryContext``...; ``EmailContext`` is their union).
    :return: a :class:`hub.plugin_api.RenderedEmail` (subject, text, html), or
        None to leave it to the next plugin and then to the core's templates.
    """


@hookspec
def hub_inbox_processors(hub: Hub) -> dict[str, InboxProcessor]:
    """Say how the plugin processes the webhook events it stores.

    Called once when the hub is built (in ``serve`` and in
    ``continuata-hub worker``). A payment plugin's webhook route only
    verifies and stores each event (:func:`hub.plugin_api.store_event`);
    the worker later hands it to the processor named here for its provider,
    one event of a payment at a time, in the order received.

    :return: a dict ``{provider: processor}``, each processor a
        :class:`hub.plugin_api.InboxProcessor`: ``async def process(hub,
        event) -> str``, ``event`` a :class:`hub.plugin_api.ReceivedEvent`;
        the returned note is kept as the event's outcome. Raising retries
        the event with backoff, up to ``HUB_INBOX_MAX_ATTEMPTS``, then leaves
        it ``failed`` with the reason. A processor may run again for an
        event it already processed (after a crash): translate events into
        the core's idempotent calls (:func:`hub.plugin_api.record_purchase`,
        :func:`hub.plugin_api.record_reversal`).
    """


@hookspec
def hub_startup(hub: Hub) -> None:
    """Called once when the app has started (database and storage open)."""


@hookspec
def hub_shutdown(hub: Hub) -> None:
    """Called once when the app stops, before its resources close."""


# --- events: what happened ---------------------------------------------------


@hookspec
def purchase_recorded(hub: Hub, purchase: Purchase, tokens: list[Token]) -> None:
    """A purchase was recorded for the first time (a replay does not call it).
    A purchase whose refund or dispute came first is recorded ``refunded``
    or ``on_hold``, with no tokens.

    :param purchase: a :class:`hub.plugins.records.Purchase`, as ``GET /api/purchases`` shows it: ``id``,
        ``provider``, ``providerRef``, ``customerEmail``, ``items``,
        ``amount``, ``currency``, ``status``, ``problem`` (null when none),
        ``createdAt``, ``tokens`` (each ``id``, ``productId``, ``version``...).
    :param tokens: the tokens minted for it (:class:`hub.plugins.records.Token`),
        as the tokens API shows them (without the secret).
    """


@hookspec
def tokens_minted(hub: Hub, tokens: list[Token]) -> None:
    """Download links were minted: called once per mint, whatever made it.

    New tokens: a purchase (and one restored before it was delivered),
    ``POST /api/products/{id}/tokens``, ``POST /api/generate-download-url``,
    a purchase fixed in the console. Fresh links for existing tokens (a new
    secret that spends from the same token): the buyer's ``/my`` page, the
    console's "fresh link" and "resend"; the records are then those tokens,
    with their own ``id`` and ``createdAt``, ``expiresAt`` as extended.

    :param tokens: :class:`hub.plugins.records.Token` dicts, as the tokens API shows them: ``id``,
        ``product`` (``id`` = slug, ``name``, ``version``), ``customerEmail``,
        ``expiresAt``, ``maxDownloads``, ``usedCount``, ``revoked``,
        ``metadata``, ``purchaseId``, ``createdAt`` (no secret).
    """


@hookspec
def purchase_refunded(hub: Hub, purchase: Purchase, revoked_tokens: list[Token]) -> None:
    """A purchase's money went back to the buyer and its tokens were revoked:
    a full refund (``purchase["status"] == "refunded"``) or a lost dispute
    (``"charged_back"``). Not called for a purchase recorded after its
    refund (it is recorded ``refunded``, with no tokens).

    :param purchase: the purchase, as in :func:`purchase_recorded`.
    :param revoked_tokens: the tokens revoked now (:class:`hub.plugins.records.Token`).
    """


@hookspec
def token_revoked(hub: Hub, token: Token) -> None:
    """A token was revoked through the API (``DELETE
    /api/products/{id}/tokens/{token_id}``), or by a refund (or lost
    dispute) of the part of a purchase's payment that paid for its item
    while the purchase stays paid (one capture of a PayPal order of several
    purchase units); a refund of the whole purchase's revocations come with
    :func:`purchase_refunded`.

    :param token: the token, as in :func:`tokens_minted`.
    """


@hookspec
def version_ready(hub: Hub, product: Product, version: Version) -> None:
    """The last file of a product version arrived: it can be delivered.

    :param product: a :class:`hub.plugins.records.Product`, as the products API shows
        it (``id`` is the slug).
    :param version: a :class:`hub.plugins.records.Version`, as the versions API shows
        it, with ``files``.
    """


@hookspec
def version_published(hub: Hub, product: Product, version: Version, notified: int) -> None:
    """A version published with ``notify`` has had its update emails
    queued: one for each of the ``notified`` buyer addresses entitled to it
    (called once per version, after the worker's fan-out ends).

    :param product: a :class:`hub.plugins.records.Product`, as the products API shows it.
    :param version: a :class:`hub.plugins.records.Version`, with ``files``
        and ``publishedAt``.
    :param notified: how many buyer addresses were sent an update email.
    """


@hookspec
def email_failed(hub: Hub, message: Email) -> None:
    """The hub gave up sending an email after its last try.

    :param message: a :class:`hub.plugins.records.Email`: ``id``, ``kind`` (``delivery``, ``signin``...),
        ``recipient``, ``attempts``, ``error``, ``createdAt``.
    """


@hookspec
def purchase_suspended(hub: Hub, purchase: Purchase) -> None:
    """A purchase was put on hold: the buyer disputed the payment. Its links
    answer 403 (a page naming the shop to contact) until the dispute closes.

    :param purchase: the purchase, as in :func:`purchase_recorded`, ``status`` ``"on_hold"``.
    """


@hookspec
def purchase_restored(hub: Hub, purchase: Purchase) -> None:
    """A purchase's access came back: its dispute was won or withdrawn, or
    its refund failed or was cancelled. A purchase restored before it was
    ever delivered gets its tokens and delivery email now (and
    ``tokens_minted`` is called too).

    :param purchase: the purchase, as in :func:`purchase_recorded`, ``status`` ``"paid"``.
    """


@hookspec
def download_started(hub: Hub, token: Token, file: File, session_id: str, first_in_session: bool) -> None:
    """A file transfer started.

    :param token: the token, as in :func:`tokens_minted`.
    :param file: a :class:`hub.plugins.records.File`: ``id``, ``path``, ``size``, ``sha256``.
    :param first_in_session: True when this transfer spent a download.
    """


@hookspec
def download_finished(hub: Hub, token: Token, file: File, bytes_sent: int, completed: bool) -> None:
    """A file transfer ended after ``bytes_sent`` bytes (records as in
    :func:`download_started`).

    :param completed: True when the transfer went out to its last byte and
        the file is delivered: the bytes its download session sent of it,
        over all its transfers (a resume, parallel segments), cover the
        whole file. False for an interrupted transfer, and for a range that
        leaves part of the file unsent.
    """


# --- licenses ---------------------------------------------------------------


@hookspec
def license_activated(hub: Hub, license: License, activation: Activation) -> None:
    """A license key was activated on a machine it was not active on (the
    public license API's ``activate``; a machine activated again does not
    call it).

    :param license: a :class:`hub.plugins.records.License` (never the key):
        ``id``, ``productId``, ``purchaseId``, ``customerEmail``, ``status``,
        ``expiresAt``, ``activationLimit``, ``activations``.
    :param activation: a :class:`hub.plugins.records.Activation`: ``id``,
        ``name``, ``fingerprint``, ``createdAt``.
    """


@hookspec
def license_deactivated(hub: Hub, license: License, activation: Activation, by: str) -> None:
    """A machine's activation was freed (records as in :func:`license_activated`).

    :param by: ``api`` (the shop's software called ``deactivate``), ``buyer``
        (the download page or ``/my``) or ``shop`` (the console's reset).
    """


@hookspec
def license_disabled(hub: Hub, license: License, reason: str) -> None:
    """A license key stopped working because of its payment.

    :param reason: ``refunded`` (a refund or a lost dispute: validate answers
        ``REVOKED``) or ``on_hold`` (a dispute is open: ``ON_HOLD``).
    """


@hookspec
def license_restored(hub: Hub, license: License) -> None:
    """A revoked or held license key works again: its dispute was won or its
    refund cancelled."""
