"""The hub's schema at 0.1.0, created in an empty database.

Each table is written out below as a frozen piccolo table, grouped by job,
with its indexes next to its columns: ``index=True`` and ``unique=True`` on a
column make piccolo's one-column index (``<table>_<column>``) and unique
constraint; ``INDEXES`` lists the indexes over several columns (and the few
named by hand), created with ``CREATE [UNIQUE] INDEX``, which SQLite and
PostgreSQL both take (piccolo adds a ``Unique`` over several columns with
``ALTER TABLE … ADD CONSTRAINT``, which SQLite lacks; a unique index serves
``ON CONFLICT`` just as well).

piccolo's ``create_table`` writes the DDL each database needs from these
columns: on SQLite the declared types its engine converts values by
(``TIMESTAMPTZ``, ``JSON``; ``BigInt`` is ``INTEGER``), on PostgreSQL
``timestamptz``, ``json``, ``bigint`` and a sequence for ``Serial``.

These classes are copies, not imports, of ``hub.tables``: this file must
create the 0.1.0 schema whatever ``hub.tables`` becomes. A later schema
change is a new migration file (never an edit here), tested from an empty
database and from the 0.1.0 database on both engines (``tests/migrations``).

It replaces the thirteen migrations written while 0.1.0 was developed
(nothing had been released): a database made by those must be made anew.
"""

from __future__ import annotations

from dataclasses import dataclass

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import JSON, BigInt, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.table import Table

from hub.db.engines import migration_engine

ID = "2026-12-01T00:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "hub 0.1.0: the initial schema"


@dataclass(frozen=True)
class Index:
    """An index over ``columns`` of the table whose ``INDEXES`` lists it."""

    name: str
    columns: tuple[str, ...]
    unique: bool = False

    def ddl(self, tablename: str) -> str:
        kind = "UNIQUE INDEX" if self.unique else "INDEX"
        columns = ", ".join(f'"{column}"' for column in self.columns)
        return f'CREATE {kind} "{self.name}" ON "{tablename}" ({columns})'


def unique(name: str, *columns: str) -> Index:
    return Index(name, columns, unique=True)


def index(name: str, *columns: str) -> Index:
    return Index(name, columns)


# --- Organizations and their API keys -----------------------------------------


class Organization(Table, tablename="hub_organization"):
    id = Varchar(length=64, primary_key=True)
    name = Varchar(length=200)
    created_at = Timestamptz()
    contact_email = Varchar(length=320, default="")


class ApiKey(Table, tablename="hub_api_key"):
    id = Varchar(length=40, primary_key=True)
    org = Varchar(length=64, index=True)
    key_hash = Varchar(length=64, unique=True)
    role = Varchar(length=20)
    scopes = JSON(default=[])
    label = Varchar(length=200, default="")
    created_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)


# --- Products, versions, files and uploads -----------------------------------


class Product(Table, tablename="hub_product"):
    id = Varchar(length=40, primary_key=True)
    org = Varchar(length=64)
    slug = Varchar(length=100)
    name = Varchar(length=300)
    description = Text(default="")
    status = Varchar(length=20, default="draft")
    metadata = JSON(default={})
    active_version = Varchar(length=40, null=True, default=None)
    upc_code = Varchar(length=20, null=True, default=None, index=True)
    label = Varchar(length=40, null=True, default=None, index=True)
    language = Varchar(length=40, null=True, default=None)
    product_type = Varchar(length=40, null=True, default=None)
    release = JSON(default={})
    cover_key = Varchar(length=300, null=True, default=None)
    cover_md5 = Varchar(length=32, null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz()

    INDEXES = (unique("hub_product_org_slug", "org", "slug"),)


class Version(Table, tablename="hub_version"):
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

    INDEXES = (unique("hub_version_product_version", "product", "version"),)


class VersionFile(Table, tablename="hub_version_file"):
    id = Varchar(length=40, primary_key=True)
    version = ForeignKey(Version, on_delete=OnDelete.cascade)
    path = Varchar(length=1024)
    size = BigInt()
    sha256 = Varchar(length=64)
    storage_key = Varchar(length=300)
    status = Varchar(length=20, default="pending")
    upload_id = Varchar(length=40, null=True, default=None, unique=True)
    storage_upload_id = Varchar(length=1024, null=True, default=None)

    INDEXES = (
        unique("hub_version_file_version_path", "version", "path"),
        index("hub_version_file_version", "version"),
    )


class UploadPart(Table, tablename="hub_upload_part"):
    # id: piccolo's Serial primary key.
    file = ForeignKey(VersionFile, on_delete=OnDelete.cascade)
    upload_id = Varchar(length=40)
    part_number = Integer()
    size = BigInt()
    etag = Varchar(length=200)

    INDEXES = (unique("hub_upload_part_file_upload_part", "file", "upload_id", "part_number"),)


# --- Purchases, download tokens, download sessions ------------------------------


class Purchase(Table, tablename="hub_purchase"):
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

    INDEXES = (unique("hub_purchase_org_provider_ref", "org", "provider", "provider_ref"),)


class DownloadToken(Table, tablename="hub_download_token"):
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

    INDEXES = (index("hub_download_token_version", "version"),)


class DownloadSession(Table, tablename="hub_download_session"):
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

    INDEXES = (index("hub_download_session_token_key", "token", "session_key"),)


class FileTransfer(Table, tablename="hub_file_transfer"):
    id = Varchar(length=40, primary_key=True)
    session = ForeignKey(DownloadSession, on_delete=OnDelete.cascade)
    file = Varchar(length=40)
    range_start = BigInt()
    range_end = BigInt()
    bytes_sent = BigInt(default=0)
    status = Varchar(length=20, default="started")
    started_at = Timestamptz()
    finished_at = Timestamptz(null=True, default=None)

    INDEXES = (index("hub_file_transfer_session", "session"),)


class TokenLink(Table, tablename="hub_token_link"):
    id = Varchar(length=40, primary_key=True)
    token = ForeignKey(DownloadToken, on_delete=OnDelete.cascade)
    link_hash = Varchar(length=64, unique=True)
    expires_at = Timestamptz()
    created_at = Timestamptz()


# --- The catalog (JSON:API v1 and the v2 media library) ---------------------------


class Label(Table, tablename="hub_label"):
    id = Varchar(length=40, primary_key=True)
    org = Varchar(length=64, index=True)
    name = Varchar(length=300)
    created_at = Timestamptz()


class Language(Table, tablename="hub_language"):
    id = Varchar(length=40, primary_key=True)
    org = Varchar(length=64, index=True)
    code = Varchar(length=20)
    name = Varchar(length=200)
    created_at = Timestamptz()

    INDEXES = (unique("hub_language_org_code", "org", "code"),)


class ProductType(Table, tablename="hub_product_type"):
    id = Varchar(length=40, primary_key=True)
    org = Varchar(length=64, index=True)
    name = Varchar(length=200)
    created_at = Timestamptz()


class Track(Table, tablename="hub_track"):
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
    id = Varchar(length=40, primary_key=True)
    org = Varchar(length=64, index=True)
    product = ForeignKey(Product, on_delete=OnDelete.cascade)
    price = BigInt()
    currency = Varchar(length=3)
    territories = JSON(default=[])
    start_date = Varchar(length=10)
    created_at = Timestamptz()


class Right(Table, tablename="hub_right"):
    id = Varchar(length=40, primary_key=True)
    org = Varchar(length=64, index=True)
    product = ForeignKey(Product, on_delete=OnDelete.cascade)
    territory = Varchar(length=20)
    holder = Varchar(length=300)
    type = Varchar(length=40)
    created_at = Timestamptz()


class MediaFile(Table, tablename="hub_media_file"):
    id = Varchar(length=40, primary_key=True)
    org = Varchar(length=64, index=True)
    product = ForeignKey(Product, on_delete=OnDelete.cascade)
    directory = Varchar(length=500)
    filename = Varchar(length=255)
    mime_type = Varchar(length=200)
    size = BigInt()
    md5 = Varchar(length=32)
    sha256 = Varchar(length=64)
    storage_key = Varchar(length=300)
    created_at = Timestamptz()

    INDEXES = (unique("hub_media_file_org_directory_filename", "org", "directory", "filename"),)


# --- Payments: the webhook inbox, reversals, a purchase's payment references -----


class InboxEvent(Table, tablename="hub_inbox_event"):
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
    last_error = Text(default="")
    outcome = Text(default="")
    received_at = Timestamptz()
    processed_at = Timestamptz(null=True, default=None)

    INDEXES = (
        unique("hub_inbox_event_provider_event", "provider", "event_id"),
        index("hub_inbox_event_payment", "provider", "payment_key"),
        index("hub_inbox_event_due", "next_attempt_at"),
    )


class PaymentReversal(Table, tablename="hub_payment_reversal"):
    id = Varchar(length=40, primary_key=True)
    org = Varchar(length=64)
    provider = Varchar(length=40)
    payment_ref = Varchar(length=255)
    kind = Varchar(length=20)
    reference = Varchar(length=255, default="")
    occurred_at = Timestamptz()
    created_at = Timestamptz()

    INDEXES = (unique("hub_payment_reversal_unique", "org", "provider", "payment_ref", "kind", "reference"),)


class PurchasePayment(Table, tablename="hub_purchase_payment"):
    id = Varchar(length=40, primary_key=True)
    purchase = Varchar(length=40, index=True)
    org = Varchar(length=64)
    provider = Varchar(length=40)
    payment_ref = Varchar(length=255)

    INDEXES = (index("hub_purchase_payment_ref", "org", "provider", "payment_ref"),)


# --- Email outbox, events, webhook endpoints ---------------------------------------


class OutboxMessage(Table, tablename="hub_outbox_message"):
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
    claimed_by = Varchar(length=200, null=True, default=None)
    last_error = Text(default="")
    created_at = Timestamptz()
    sent_at = Timestamptz(null=True, default=None)


class Event(Table, tablename="hub_event"):
    id = Varchar(length=40, primary_key=True)
    org = Varchar(length=64, default="", index=True)
    kind = Varchar(length=20)
    type = Varchar(length=60)
    payload = JSON(default={})
    created_at = Timestamptz(index=True)


class EventDelivery(Table, tablename="hub_event_delivery"):
    id = Varchar(length=40, primary_key=True)
    org = Varchar(length=64, default="", index=True)
    event = Varchar(length=40, index=True)
    target = Varchar(length=120)
    endpoint = Varchar(length=40, null=True, default=None, index=True)
    status = Varchar(length=20, default="pending", index=True)
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(index=True)
    claimed_until = Timestamptz(null=True, default=None)
    last_error = Text(default="")
    created_at = Timestamptz()
    delivered_at = Timestamptz(null=True, default=None)

    INDEXES = (unique("hub_event_delivery_event_target", "event", "target"),)


class WebhookEndpoint(Table, tablename="hub_webhook_endpoint"):
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
    id = Varchar(length=40, primary_key=True)
    endpoint = Varchar(length=40, index=True)
    delivery = Varchar(length=40, index=True)
    event = Varchar(length=40)
    attempted_at = Timestamptz()
    status_code = Integer(null=True, default=None)
    latency_ms = Integer(default=0)
    response_excerpt = Text(default="")
    error = Text(default="")


# --- Buyers on /my, rate limits --------------------------------------------------


class BuyerSignIn(Table, tablename="hub_buyer_sign_in"):
    id = Varchar(length=40, primary_key=True)
    email = Varchar(length=320, index=True)
    link_hash = Varchar(length=64, unique=True)
    ip = Varchar(length=64, default="", index=True)
    created_at = Timestamptz(index=True)
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)
    state = Varchar(length=20, default="requested", index=True)


class BuyerSession(Table, tablename="hub_buyer_session"):
    id = Varchar(length=40, primary_key=True)
    email = Varchar(length=320)
    session_hash = Varchar(length=64, unique=True)
    created_at = Timestamptz()
    expires_at = Timestamptz()


class RateLimit(Table, tablename="hub_rate_limit"):
    bucket = Varchar(length=64, primary_key=True)
    hits = Integer(default=0)
    window_ends = BigInt(index=True)


# --- The installation ---------------------------------------------------------------


class InstanceFact(Table, tablename="hub_instance_fact"):
    name = Varchar(length=64, primary_key=True)
    value = Text()
    created_at = Timestamptz()


# --- The console: users, memberships, sessions, sign-in throttle, audit, invites ---


class ConsoleUser(Table, tablename="hub_console_user"):
    id = Varchar(length=40, primary_key=True)
    email = Varchar(length=320, unique=True)
    password_hash = Varchar(length=200, default="")
    created_at = Timestamptz()


class Membership(Table, tablename="hub_membership"):
    id = Varchar(length=40, primary_key=True)
    user_id = Varchar(length=40, index=True)
    org = Varchar(length=64, index=True)
    role = Varchar(length=20)
    created_at = Timestamptz()

    INDEXES = (unique("hub_membership_user_org", "user_id", "org"),)


class ConsoleSession(Table, tablename="hub_console_session"):
    id = Varchar(length=40, primary_key=True)
    user_id = Varchar(length=40, index=True)
    session_hash = Varchar(length=64, unique=True)
    org = Varchar(length=64, default="")
    csrf = Varchar(length=64)
    ip = Varchar(length=64, default="")
    created_at = Timestamptz()
    expires_at = Timestamptz()


class SignInThrottle(Table, tablename="hub_sign_in_throttle"):
    key = Varchar(length=400, primary_key=True)
    window_start = BigInt(default=0)
    attempts = Integer(default=0)


class AuditEntry(Table, tablename="hub_audit_entry"):
    id = Varchar(length=40, primary_key=True)
    org = Varchar(length=64, default="", index=True)
    actor = Varchar(length=400)
    action = Varchar(length=100)
    target = Varchar(length=400, default="")
    detail = JSON(default={})
    ip = Varchar(length=64, default="")
    created_at = Timestamptz(index=True)


class ConsoleInvite(Table, tablename="hub_console_invite"):
    id = Varchar(length=40, primary_key=True)
    user_id = Varchar(length=40, index=True)
    org = Varchar(length=64)
    link_hash = Varchar(length=64, unique=True)
    invited_by = Varchar(length=400, default="")
    created_at = Timestamptz()
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)


TABLES: list[type[Table]] = [
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
    Label,
    Language,
    ProductType,
    Track,
    Offer,
    Right,
    MediaFile,
    InboxEvent,
    PaymentReversal,
    PurchasePayment,
    OutboxMessage,
    Event,
    EventDelivery,
    WebhookEndpoint,
    WebhookAttempt,
    BuyerSignIn,
    BuyerSession,
    RateLimit,
    InstanceFact,
    ConsoleUser,
    Membership,
    ConsoleSession,
    SignInThrottle,
    AuditEntry,
    ConsoleInvite,
]
"""In creation order: a table comes after those its foreign keys name."""


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="hub", description=DESCRIPTION)

    async def create() -> None:
        engine = migration_engine()
        for table in TABLES:
            table._meta.db = engine
            await table.create_table()
            for extra in getattr(table, "INDEXES", ()):
                await engine.run_ddl(extra.ddl(table._meta.tablename))

    async def drop() -> None:
        engine = migration_engine()
        for table in reversed(TABLES):
            await engine.run_ddl(f'DROP TABLE IF EXISTS "{table._meta.tablename}"')

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
