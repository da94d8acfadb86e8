"""The hub's database schema, as piccolo tables.

Every row that belongs to a tenant carries ``org`` so that each query can be
scoped to one organization. Public identifiers are prefixed random strings
(``version_…``, ``token_…``) chosen by the services; a product's public id is
its slug, unique inside its organization. Secrets (API keys, download tokens)
are stored only as SHA-256 hashes.

Uniqueness across several columns is enforced by unique indexes created in
the migrations (``hub/migrations``: piccolo's ``Unique`` constraint is added
with ``ALTER TABLE … ADD CONSTRAINT``, which SQLite does not support); each
table's docstring names its index. A change here needs a migration of its
own: ``tests/migrations`` checks that the migrated schema matches these
tables.
"""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    BigInt,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table


class Organization(Table, tablename="hub_organization"):
    """A tenant: a shop selling through this hub."""

    id = Varchar(length=64, primary_key=True)
    # The shop's display name, what buyers see ("" until the shop sets one:
    # buyers then see the hub's host name, never the id). The rest of the
    # shop's identity (hub.services.shops) follows.
    name = Varchar(length=200)
    created_at = Timestamptz()
    # Where the hub writes to the shop's admins (a webhook endpoint disabled
    # after days of failures, say); "" falls back to ``HUB_ADMIN_EMAIL``.
    contact_email = Varchar(length=320, default="")
    # Where buyers write: every email's Reply-To and footer, every buyer page.
    support_email = Varchar(length=320, default="")
    # The From display name of the shop's emails ("" uses the display name).
    sender_name = Varchar(length=200, default="")
    # "#rrggbb", or "" for the hub's blue.
    accent_color = Varchar(length=7, default="")
    # The logo: a PNG, JPEG, WebP or GIF checked by its bytes, stored
    # base64-encoded (at most hub.services.shops.LOGO_MAX_BYTES), served at
    # /logos/<logo_sha256> with an immutable cache.
    logo_type = Varchar(length=20, default="")
    logo_sha256 = Varchar(length=64, default="", index=True)
    logo = Text(default="")


class ApiKey(Table, tablename="hub_api_key"):
    """A bearer key for the REST API, scoped to one organization and a role."""

    id = Varchar(length=40, primary_key=True)
    org = Varchar(length=64, index=True)
    key_hash = Varchar(length=64, unique=True)
    role = Varchar(length=20)
    scopes = JSON(default=[])
    label = Varchar(length=200, default="")
    created_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)


class Product(Table, tablename="hub_product"):
    """Something a shop sells. ``slug`` is the public id inside the org."""

    id = Varchar(length=40, primary_key=True)
    org = Varchar(length=64)
    slug = Varchar(length=100)
    name = Varchar(length=300)
    description = Text(default="")
    status = Varchar(length=20, default="draft")
    metadata = JSON(default={})
    active_version = Varchar(length=40, null=True, default=None)
    # Release metadata (the JSON:API v1 surface): filterable fields have
    # columns; the rest (credits, lines, dates...) lives in ``release``.
    upc_code = Varchar(length=20, null=True, default=None, index=True)
    label = Varchar(length=40, null=True, default=None, index=True)
    language = Varchar(length=40, null=True, default=None)
    product_type = Varchar(length=40, null=True, default=None)
    release = JSON(default={})
    cover_key = Varchar(length=300, null=True, default=None)
    cover_md5 = Varchar(length=32, null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz()
    # Update rights (hub.services.entitlement): ``all``, ``window`` (with
    # ``update_days`` from the purchase) or ``none``; a version published
    # keeps the rights in force at its publication.
    update_rights = Varchar(length=10, default="all")
    update_days = Integer(null=True, default=None)


class Version(Table, tablename="hub_version"):
    """One release of a product: a manifest of files, immutable once ready."""

    id = Varchar(length=40, primary_key=True)
    org = Varchar(length=64, index=True)
    product = ForeignKey(Product, on_delete=OnDelete.cascade)
    version = Varchar(length=100)
    changelog = Text(default="")
    status = Varchar(length=20, default="pending")
    size = BigInt(default=0)
    file_count = Integer(default=0)
    created_at = Timestamptz()
    ready_at = Timestamptz(null=True, default=None)
    # Set when the version first becomes the product's active version: its
    # release, with the product's update rights of that moment (what decides
    # which past buyers it reaches, hub.services.entitlement).
    published_at = Timestamptz(null=True, default=None)
    update_rights = Varchar(length=10, null=True, default=None)
    update_days = Integer(null=True, default=None)


class VersionFile(Table, tablename="hub_version_file"):
    """A file of a version's manifest and where its bytes live."""

    id = Varchar(length=40, primary_key=True)
    version = ForeignKey(Version, on_delete=OnDelete.cascade)
    path = Varchar(length=1024)
    size = BigInt()
    sha256 = Varchar(length=64)
    # CRC-32 of the bytes (the version's ZIP, hub.archive, is laid out from
    # it): recorded with the SHA-256 at upload, filled in by the worker for
    # files uploaded before it was (hub.services.archives).
    crc32 = BigInt(null=True, default=None)
    storage_key = Varchar(length=300)
    status = Varchar(length=20, default="pending")
    upload_id = Varchar(length=40, null=True, default=None, unique=True)
    storage_upload_id = Varchar(length=1024, null=True, default=None)


class UploadPart(Table, tablename="hub_upload_part"):
    """A part received for a multipart upload (its ETag completes the upload)."""

    file = ForeignKey(VersionFile, on_delete=OnDelete.cascade)
    upload_id = Varchar(length=40)
    part_number = Integer()
    size = BigInt()
    etag = Varchar(length=200)


class Purchase(Table, tablename="hub_purchase"):
    """A paid order, recorded once per provider and provider reference."""

    id = Varchar(length=40, primary_key=True)
    org = Varchar(length=64, index=True)
    provider = Varchar(length=40)
    provider_ref = Varchar(length=255)
    customer_email = Varchar(length=320, default="", index=True)
    customer_name = Varchar(length=300, default="")
    items = JSON(default=[])
    amount = BigInt(null=True, default=None)
    currency = Varchar(length=10, default="")
    status = Varchar(length=20, default="paid")
    refunded_at = Timestamptz(null=True, default=None)
    delivered_at = Timestamptz(null=True, default=None)
    problem = Text(default="")
    metadata = JSON(default={})
    created_at = Timestamptz()
    mode = Varchar(length=10, default="live")
    """``live``, or ``test`` for a payment made in the provider's test mode
    or sandbox (shown as ``livemode`` by the API)."""


class DownloadToken(Table, tablename="hub_download_token"):
    """A secret granting downloads of one product version (hash stored only)."""

    id = Varchar(length=40, primary_key=True)
    org = Varchar(length=64, index=True)
    product = ForeignKey(Product, on_delete=OnDelete.cascade)
    version = ForeignKey(Version, on_delete=OnDelete.cascade)
    token_hash = Varchar(length=64, unique=True)
    customer_email = Varchar(length=320, default="", index=True)
    expires_at = Timestamptz()
    max_downloads = Integer(null=True, default=None)
    used_count = Integer(default=0)
    metadata = JSON(default={})
    purchase = Varchar(length=40, null=True, default=None, index=True)
    created_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)
    purchase_item = Integer(null=True, default=None)
    """The index of the purchase's item this token delivers: a reversal of
    part of a payment revokes the tokens of the items it paid for."""
    reversed_at = Timestamptz(null=True, default=None)
    """When a reversal of part of the purchase's payment revoked this token
    (None otherwise): the revocation a cancelled refund undoes."""


class DownloadSession(Table, tablename="hub_download_session"):
    """One spent download: every transfer of the same client inside it is free."""

    id = Varchar(length=40, primary_key=True)
    org = Varchar(length=64, index=True)
    token = ForeignKey(DownloadToken, on_delete=OnDelete.cascade)
    session_key = Varchar(length=64)
    started_at = Timestamptz(index=True)
    last_activity_at = Timestamptz()
    bytes_sent = BigInt(default=0)
    files = Integer(default=0)
    ip = Varchar(length=64, default="")
    user_agent = Varchar(length=500, default="")
    status = Varchar(length=20, default="started")


class FileTransfer(Table, tablename="hub_file_transfer"):
    """One response carrying file bytes inside a download session."""

    id = Varchar(length=40, primary_key=True)
    session = ForeignKey(DownloadSession, on_delete=OnDelete.cascade)
    file = Varchar(length=40)  # a VersionFile's or a MediaFile's id, or a version's archive's (hub.services.archives)
    # The archive's size for a transfer of a version's ZIP (no table holds
    # it); None for a file, whose size its own row has.
    archive_size = BigInt(null=True, default=None)
    range_start = BigInt()
    range_end = BigInt()
    bytes_sent = BigInt(default=0)
    status = Varchar(length=20, default="started")
    started_at = Timestamptz()
    finished_at = Timestamptz(null=True, default=None)


class Label(Table, tablename="hub_label"):
    """A record label a release belongs to (JSON:API v1 ``labels``)."""

    id = Varchar(length=40, primary_key=True)
    org = Varchar(length=64, index=True)
    name = Varchar(length=300)
    created_at = Timestamptz()


class Language(Table, tablename="hub_language"):
    """A language a release declares (JSON:API v1 ``languages``)."""

    id = Varchar(length=40, primary_key=True)
    org = Varchar(length=64, index=True)
    code = Varchar(length=20)
    name = Varchar(length=200)
    created_at = Timestamptz()


class ProductType(Table, tablename="hub_product_type"):
    """Album, single, EP... (JSON:API v1 ``product-types``)."""

    id = Varchar(length=40, primary_key=True)
    org = Varchar(length=64, index=True)
    name = Varchar(length=200)
    created_at = Timestamptz()


class Track(Table, tablename="hub_track"):
    """A track of a release; ``file`` optionally names the version file
    that carries its audio."""

    id = Varchar(length=40, primary_key=True)
    org = Varchar(length=64, index=True)
    product = ForeignKey(Product, on_delete=OnDelete.cascade)
    title = Varchar(length=300)
    isrc = Varchar(length=12, null=True, default=None)
    position = Integer()
    duration = Integer(null=True, default=None)
    artists = JSON(default=[])
    file = Varchar(length=40, null=True, default=None)
    created_at = Timestamptz()


class Offer(Table, tablename="hub_offer"):
    """A price of a release in some territories from a start date."""

    id = Varchar(length=40, primary_key=True)
    org = Varchar(length=64, index=True)
    product = ForeignKey(Product, on_delete=OnDelete.cascade)
    price = BigInt()
    currency = Varchar(length=3)
    territories = JSON(default=[])
    start_date = Varchar(length=10)
    created_at = Timestamptz()


class Right(Table, tablename="hub_right"):
    """Who holds which right to a release, where."""

    id = Varchar(length=40, primary_key=True)
    org = Varchar(length=64, index=True)
    product = ForeignKey(Product, on_delete=OnDelete.cascade)
    territory = Varchar(length=20)
    holder = Varchar(length=300)
    type = Varchar(length=40)
    created_at = Timestamptz()


class MediaFile(Table, tablename="hub_media_file"):
    """A file in the organization's media library, attached to a product
    (the v2 product downloads surface): delivered beside the version's files."""

    id = Varchar(length=40, primary_key=True)
    org = Varchar(length=64, index=True)
    product = ForeignKey(Product, on_delete=OnDelete.cascade, index=True)
    directory = Varchar(length=500)
    filename = Varchar(length=255)
    mime_type = Varchar(length=200)
    size = BigInt()
    md5 = Varchar(length=32)
    sha256 = Varchar(length=64)
    storage_key = Varchar(length=300)
    created_at = Timestamptz()


class TokenLink(Table, tablename="hub_token_link"):
    """An extra, short-lived secret for a token (the buyer's ``/my`` page
    hands these out): a fresh link that spends from the same counter."""

    id = Varchar(length=40, primary_key=True)
    token = ForeignKey(DownloadToken, on_delete=OnDelete.cascade)
    link_hash = Varchar(length=64, unique=True)
    expires_at = Timestamptz()
    created_at = Timestamptz()


class InboxEvent(Table, tablename="hub_inbox_event"):
    """A payment provider's webhook event: stored once its signature is
    verified, processed later by the worker (``hub.services.inbox``).

    Unique per provider and event id (index ``hub_inbox_event_provider_event``):
    a replay finds its row and changes nothing. ``payment_key`` groups a
    payment's events so that they are processed one at a time, in the order
    received. The payload is encrypted (it names the buyer)."""

    id = Varchar(length=40, primary_key=True)
    provider = Varchar(length=40)
    event_id = Varchar(length=255)
    event_type = Varchar(length=100, default="")
    org = Varchar(length=64, default="")
    payment_key = Varchar(length=255, default="")
    sealed_payload = Text(default="")
    status = Varchar(length=20, default="pending", index=True)
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz()
    claimed_until = Timestamptz(null=True, default=None)
    # The worker holding the claim (``host/pid/nonce``, hub.services.worker_identity).
    claimed_by = Varchar(length=200, null=True, default=None)
    last_error = Text(default="")
    outcome = Text(default="")
    received_at = Timestamptz()
    processed_at = Timestamptz(null=True, default=None)


class PaymentReversal(Table, tablename="hub_payment_reversal"):
    """Something that took (or gave back) a payment's money after it was
    made: a refund, a failed refund, a dispute opened, won or lost. Kept
    whether or not the purchase is known yet, so that a purchase recorded
    later starts in the right state. Unique per (org, provider, payment_ref,
    kind, reference) (index ``hub_payment_reversal_unique``)."""

    id = Varchar(length=40, primary_key=True)
    org = Varchar(length=64)
    provider = Varchar(length=40)
    payment_ref = Varchar(length=255)
    kind = Varchar(length=20)
    reference = Varchar(length=255, default="")
    occurred_at = Timestamptz()
    created_at = Timestamptz()


class ProviderReference(Table, tablename="hub_provider_reference"):
    """An id a payment provider gives a purchase (its order or checkout
    session, a payment, a capture...), kept by the core so that a plugin
    finds the purchase an event names with an indexed lookup (see
    :mod:`hub.services.provider_refs`). ``kind`` is the plugin's word for
    the id (``order`` is ``Purchase.provider_ref`` itself). Unique per
    (org, provider, reference, kind) (index ``hub_provider_reference_unique``,
    which also serves lookups by reference whatever its kind)."""

    id = Varchar(length=40, primary_key=True)
    org = Varchar(length=64)
    purchase = Varchar(length=40, index=True)
    provider = Varchar(length=40)
    kind = Varchar(length=40)
    reference = Varchar(length=255)
    items = JSON(default=[])
    """The indexes of the purchase's items this id paid for, when it paid
    for only some of them (a PayPal order's capture of one purchase unit);
    ``[]``: the whole purchase."""


class ProductMapping(Table, tablename="hub_product_mapping"):
    """A storefront's product, variant or SKU → a hub product (see
    :mod:`hub.services.product_mappings`): how a Shopify, Paddle or Lemon
    Squeezy order names what the hub delivers. ``kind`` is ``product``,
    ``variant`` or ``sku``; ``product`` the hub product's slug. Unique per
    (org, provider, kind, external_id) (index ``hub_product_mapping_unique``)."""

    id = Varchar(length=40, primary_key=True)
    org = Varchar(length=64)
    provider = Varchar(length=40)
    kind = Varchar(length=20)
    external_id = Varchar(length=255)
    product = Varchar(length=100)
    created_at = Timestamptz()


class OutboxMessage(Table, tablename="hub_outbox_message"):
    """An email waiting to be sent, written in the same transaction as what
    caused it. The body is encrypted (it holds download links)."""

    id = Varchar(length=40, primary_key=True)
    org = Varchar(length=64, default="", index=True)
    kind = Varchar(length=40)
    recipient = Varchar(length=320)
    dedupe_key = Varchar(length=200, null=True, default=None, unique=True)
    sealed_body = Text()
    status = Varchar(length=20, default="pending", index=True)
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(index=True)
    claimed_until = Timestamptz(null=True, default=None)
    # The worker holding the claim (``host/pid/nonce``, hub.services.worker_identity).
    claimed_by = Varchar(length=200, null=True, default=None)
    last_error = Text(default="")
    created_at = Timestamptz()
    sent_at = Timestamptz(null=True, default=None)


class Event(Table, tablename="hub_event"):
    """Something that happened, written in the transaction that made it
    happen: a plugin hook's call (``kind`` ``hook``, ``type`` the hook's name,
    ``payload`` its arguments) or a webhook event for the shop's endpoints
    (``kind`` ``webhook``, ``type`` such as ``purchase.completed``,
    ``payload`` the exact JSON body sent)."""

    id = Varchar(length=40, primary_key=True)
    org = Varchar(length=64, default="", index=True)
    kind = Varchar(length=20)
    type = Varchar(length=60)
    payload = JSON(default={})
    created_at = Timestamptz(index=True)


class EventDelivery(Table, tablename="hub_event_delivery"):
    """One event owed to one receiver (``target``: ``plugin:<name>`` or
    ``endpoint:<id>``), delivered by the worker with retries. Unique per
    event and target (index in the migration)."""

    id = Varchar(length=40, primary_key=True)
    org = Varchar(length=64, default="", index=True)
    event = Varchar(length=40, index=True)
    target = Varchar(length=120)
    endpoint = Varchar(length=40, null=True, default=None, index=True)
    status = Varchar(length=20, default="pending", index=True)
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(index=True)
    claimed_until = Timestamptz(null=True, default=None)
    # The worker holding the claim (``host/pid/nonce``, hub.services.worker_identity).
    claimed_by = Varchar(length=200, null=True, default=None)
    last_error = Text(default="")
    created_at = Timestamptz()
    delivered_at = Timestamptz(null=True, default=None)


class WebhookEndpoint(Table, tablename="hub_webhook_endpoint"):
    """A URL of the shop's that receives signed webhook events. The signing
    secret is stored sealed (the hub must sign with it); the previous one
    keeps signing beside it for a day after a rotation."""

    id = Varchar(length=40, primary_key=True)
    org = Varchar(length=64, index=True)
    url = Varchar(length=2000)
    events = JSON(default=[])
    description = Text(default="")
    sealed_secret = Text()
    previous_sealed_secret = Text(default="")
    previous_secret_until = Timestamptz(null=True, default=None)
    status = Varchar(length=20, default="enabled")
    disabled_reason = Text(default="")
    failing_since = Timestamptz(null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class WebhookAttempt(Table, tablename="hub_webhook_attempt"):
    """One HTTP attempt to deliver an event to an endpoint: its log line."""

    id = Varchar(length=40, primary_key=True)
    endpoint = Varchar(length=40, index=True)
    delivery = Varchar(length=40, index=True)
    event = Varchar(length=40)
    attempted_at = Timestamptz()
    status_code = Integer(null=True, default=None)
    latency_ms = Integer(default=0)
    response_excerpt = Text(default="")
    error = Text(default="")


class BuyerSignIn(Table, tablename="hub_buyer_sign_in"):
    """A one-time sign-in link requested on ``/my`` (hash only)."""

    id = Varchar(length=40, primary_key=True)
    email = Varchar(length=320, index=True)
    link_hash = Varchar(length=64, unique=True)
    ip = Varchar(length=64, default="", index=True)
    created_at = Timestamptz(index=True)
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)
    #: ``requested`` (the worker has yet to look at it: the request does the
    #: same work for every email), then ``sent`` (the email had purchases:
    #: a link was made and queued) or ``unknown`` (no purchases, no email).
    #: Until ``sent``, ``link_hash`` is a placeholder no secret hashes to.
    state = Varchar(length=20, default="requested", index=True)


class RateLimit(Table, tablename="hub_rate_limit"):
    """Hits of one rate-limit bucket in its current window (see
    :mod:`hub.services.rate_limits`)."""

    bucket = Varchar(length=64, primary_key=True)
    hits = Integer(default=0)
    window_ends = BigInt(index=True)  # Unix seconds


class BuyerSession(Table, tablename="hub_buyer_session"):
    """A signed-in buyer on ``/my``: the cookie's hash and the email it proved."""

    id = Varchar(length=40, primary_key=True)
    email = Varchar(length=320)
    session_hash = Varchar(length=64, unique=True)
    created_at = Timestamptz()
    expires_at = Timestamptz()


class InstanceFact(Table, tablename="hub_instance_fact"):
    """Facts about this installation that every process must agree on, by
    name: today ``secret_key_fingerprint`` (an HMAC of a fixed label under
    ``HUB_SECRET_KEY``, never the key), written by the first process to start."""

    name = Varchar(length=64, primary_key=True)
    value = Text()
    created_at = Timestamptz()


class ConsoleUser(Table, tablename="hub_console_user"):
    """A person who signs in to the console (``/console``); the password is
    kept only as an argon2 hash. What they may see is in their memberships."""

    id = Varchar(length=40, primary_key=True)
    email = Varchar(length=320, unique=True)
    password_hash = Varchar(length=200, default="")
    created_at = Timestamptz()


class Membership(Table, tablename="hub_membership"):
    """A console user's role in one organization (unique per user and org,
    index ``hub_membership_user_org``)."""

    id = Varchar(length=40, primary_key=True)
    user_id = Varchar(length=40, index=True)
    org = Varchar(length=64, index=True)
    role = Varchar(length=20)
    created_at = Timestamptz()


class ConsoleSession(Table, tablename="hub_console_session"):
    """A signed-in console browser: the cookie's hash and the organization
    being looked at (the forms' CSRF token is a signed cookie, see
    :mod:`hub.web.csrf`). Stored here, not in the cookie, so that every hub
    process sees it and it can be ended."""

    id = Varchar(length=40, primary_key=True)
    user_id = Varchar(length=40, index=True)
    session_hash = Varchar(length=64, unique=True)
    org = Varchar(length=64, default="")
    ip = Varchar(length=64, default="")
    created_at = Timestamptz()
    expires_at = Timestamptz()


class SignInThrottle(Table, tablename="hub_sign_in_throttle"):
    """Console sign-in attempts counted per account or per IP address
    (``key``) in a fixed window starting at ``window_start`` (Unix seconds)."""

    key = Varchar(length=400, primary_key=True)
    window_start = BigInt(default=0)
    attempts = Integer(default=0)


class AuditEntry(Table, tablename="hub_audit_entry"):
    """Something that changed, who changed it (a console user, an API key,
    the command line), when and from where."""

    id = Varchar(length=40, primary_key=True)
    org = Varchar(length=64, default="", index=True)
    actor = Varchar(length=400)
    action = Varchar(length=100)
    target = Varchar(length=400, default="")
    detail = JSON(default={})
    ip = Varchar(length=64, default="")
    created_at = Timestamptz(index=True)


class ConsoleInvite(Table, tablename="hub_console_invite"):
    """An invitation to the console (the emailed link's hash): its person
    sets a password with it, once, before ``expires_at``."""

    id = Varchar(length=40, primary_key=True)
    user_id = Varchar(length=40, index=True)
    org = Varchar(length=64)
    link_hash = Varchar(length=64, unique=True)
    invited_by = Varchar(length=400, default="")
    created_at = Timestamptz()
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)


class ConsolePasswordReset(Table, tablename="hub_console_password_reset"):
    """A "forgot password" link (its secret's hash): its person sets a new
    password with it, once, before ``expires_at``. ``requested_by``: the
    admin who sent it, or empty when the person asked for it."""

    id = Varchar(length=40, primary_key=True)
    user_id = Varchar(length=40, index=True)
    link_hash = Varchar(length=64, unique=True)
    requested_by = Varchar(length=400, default="")
    created_at = Timestamptz()
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)


class EmailTemplate(Table, tablename="hub_email_template"):
    """An organization's wording of one of its buyer emails (``kind``:
    ``delivery``, ``signin``...), unique per (org, kind) (index
    ``hub_email_template_unique``): rendered in a
    sandbox (:mod:`hub.services.email_templates`) instead of the built-in
    templates. ``html`` empty: the email is sent as text only."""

    id = Varchar(length=40, primary_key=True)
    org = Varchar(length=64)
    kind = Varchar(length=40)
    subject = Text(default="")
    text = Text(default="")
    html = Text(default="")
    updated_by = Varchar(length=400, default="")
    updated_at = Timestamptz()


class LicensePolicy(Table, tablename="hub_license_policy"):
    """A product's license settings (:mod:`hub.services.licenses`): its
    buyers get license keys when it has a row here. ``activation_limit``
    NULL is unlimited; ``expiry_days`` NULL, no expiry; ``seat_releases``:
    how many activations a buyer may free on their own per 30 days, per key."""

    id = Varchar(length=40, primary_key=True)
    org = Varchar(length=64, index=True)
    product = Varchar(length=40, unique=True)
    activation_limit = Integer(null=True, default=None)
    expiry_days = Integer(null=True, default=None)
    seat_releases = Integer(default=3)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class LicenseKey(Table, tablename="hub_license_key"):
    """A license key: sealed (so its buyer can be shown it again) and found
    by ``key_hash`` (an HMAC of the normalized key). One per purchase item
    (unique over ``purchase, purchase_item``, index
    ``hub_license_key_purchase_item``); imported keys have no purchase.
    ``status``: ``active``, ``revoked`` (refunded, charged back),
    ``on_hold`` (disputed); ``disabled_at``: disabled by the shop."""

    id = Varchar(length=40, primary_key=True)
    org = Varchar(length=64, index=True)
    product = Varchar(length=40, index=True)
    purchase = Varchar(length=40, null=True, default=None, index=True)
    purchase_item = Integer(null=True, default=None)
    key_hash = Varchar(length=64, unique=True)
    key_sealed = Text()
    key_hint = Varchar(length=16, default="")
    customer_email = Varchar(length=320, default="", index=True)
    status = Varchar(length=20, default="active")
    disabled_at = Timestamptz(null=True, default=None)
    activation_limit = Integer(null=True, default=None)
    activations = Integer(default=0)
    expires_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()
    last_seen_at = Timestamptz(null=True, default=None)
    last_ip = Varchar(length=64, default="")


class LicenseActivation(Table, tablename="hub_license_activation"):
    """A machine a license key is active on, by its ``fingerprint`` (unique
    per key, index ``hub_license_activation_fingerprint``)."""

    id = Varchar(length=40, primary_key=True)
    org = Varchar(length=64, index=True)
    license = Varchar(length=40, index=True)
    fingerprint = Varchar(length=200)
    name = Varchar(length=200, default="")
    created_at = Timestamptz()
    last_seen_at = Timestamptz()
    last_ip = Varchar(length=64, default="")


class SigningKey(Table, tablename="hub_signing_key"):
    """An organization's Ed25519 key for offline license files: the public
    key (raw, base64) and the private key sealed; made at first use."""

    org = Varchar(length=64, primary_key=True)
    public_key = Varchar(length=64)
    private_sealed = Text()
    created_at = Timestamptz()


class UpdatePublication(Table, tablename="hub_update_publication"):
    """A version published with ``notify``: the worker's job of telling
    every entitled buyer (:mod:`hub.services.update_notices`), one per
    version (unique ``version``). ``cursor`` is the last buyer address done,
    so that a job cut off resumes after it; ``buyers`` the count when it
    was published, ``queued`` the emails queued so far."""

    id = Varchar(length=40, primary_key=True)
    org = Varchar(length=64, index=True)
    product = Varchar(length=40)
    version = Varchar(length=40, unique=True)
    note = Text(default="")
    buyers = Integer(default=0)
    queued = Integer(default=0)
    cursor = Varchar(length=320, default="")
    status = Varchar(length=20, default="pending", index=True)
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz()
    claimed_until = Timestamptz(null=True, default=None)
    claimed_by = Varchar(length=200, null=True, default=None)
    last_error = Text(default="")
    created_at = Timestamptz()
    finished_at = Timestamptz(null=True, default=None)


class UpdateNotice(Table, tablename="hub_update_notice"):
    """One update email owed to one buyer address for one version: unique
    per (org, version, email) (index ``hub_update_notice_unique``), written
    with its outbox message in one transaction, so a buyer is told once."""

    id = Varchar(length=40, primary_key=True)
    org = Varchar(length=64)
    version = Varchar(length=40, index=True)
    email = Varchar(length=320)
    message = Varchar(length=40, default="")
    created_at = Timestamptz()


class UpdateUnsubscribe(Table, tablename="hub_update_unsubscribe"):
    """A buyer address that wants no more update emails from an
    organization: unique per (org, email) (index
    ``hub_update_unsubscribe_unique``). Delivery and sign-in emails and
    access never look at it."""

    id = Varchar(length=40, primary_key=True)
    org = Varchar(length=64)
    email = Varchar(length=320)
    created_at = Timestamptz()


ALL_TABLES: list[type[Table]] = [
    Organization,
    ApiKey,
    Product,
    Version,
    VersionFile,
    UploadPart,
    Purchase,
    DownloadToken,
    DownloadSession,
    FileTransfer,
    TokenLink,
    InboxEvent,
    PaymentReversal,
    ProviderReference,
    ProductMapping,
    OutboxMessage,
    Event,
    EventDelivery,
    WebhookEndpoint,
    WebhookAttempt,
    BuyerSignIn,
    BuyerSession,
    RateLimit,
    Label,
    Language,
    ProductType,
    Track,
    Offer,
    Right,
    MediaFile,
    InstanceFact,
    ConsoleUser,
    Membership,
    ConsoleSession,
    SignInThrottle,
    AuditEntry,
    ConsoleInvite,
    ConsolePasswordReset,
    EmailTemplate,
    LicensePolicy,
    LicenseKey,
    LicenseActivation,
    SigningKey,


    UpdatePublication,
    UpdateNotice,
    UpdateUnsubscribe,
]
