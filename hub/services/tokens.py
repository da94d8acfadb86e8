"""Download tokens: minted for a buyer, resolved when the buyer comes.

The secret (``ct_download_…``) is returned once by :func:`mint_token` and
stored only as its SHA-256; resolving a token hashes what the buyer brings
and looks the hash up.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from piccolo.columns import JSON

from hub import resources
from hub.clock import as_aware, utcnow
from hub.context import Hub
from hub.db import FOREIGN_KEY_VIOLATIONS, Database, insert_rows, load_json_columns
from hub.db.group_commit import GroupCommit
from hub.email_address import check_email
from hub.errors import Conflict, Forbidden, Gone, HubError, Invalid, NotFound
from hub.inputs import names_nothing, require_time_zone
from hub.plugins import records
from hub.plugins.events import TokenRevoked, TokensMinted
from hub.secrets import DOWNLOAD_TOKEN_PREFIX, hash_secret, new_id, new_secret
from hub.services.entitlement import Entitlement, entitle, product_rights, released_versions
from hub.services.events import emit, emit_to, has_receivers, webhook_receiver
from hub.services.media import deliverable_media_file
from hub.services.products import find_product, find_version, product_row
from hub.services.purchase_statuses import ON_HOLD as ON_HOLD_STATUS
from hub.services.shops import Shop, shop_from_row
from hub.tables import (
    DownloadToken,
    MediaFile,
    Organization,
    Product,
    Purchase,
    TokenLink,
    Version,
    VersionFile,
    WebhookEndpoint,
)

NOT_VALID = "This download link is not valid. Check that you copied the whole link."
REVOKED = "This download link has been revoked."
EXPIRED = "This download link has expired."
ON_HOLD = (
    "This purchase is on hold: its payment is being disputed with the payment provider. "
    "Contact {shop}, where you bought it, to sort it out; the link works again once the dispute is settled."
)


class LinkRefused(HubError):
    """A link that worked and no longer does: expired, revoked or used up.

    The message is what every surface says (the JSON ``error``); ``shop``
    lets a page for people name the shop and where to write."""

    reason = ""

    def __init__(self, message: str, *, shop: Shop | None = None, expired_at: datetime | None = None) -> None:
        super().__init__(message)
        self.shop = shop
        self.expired_at = expired_at


class LinkExpired(LinkRefused, Gone):
    """410: the link's time is up (a ``/my`` link's own 24 hours, or the token's)."""

    reason = "expired"


class LinkRevoked(LinkRefused, Gone):
    """410: the shop revoked the token (or refunded its purchase)."""

    reason = "revoked"


class LinkUsedUp(LinkRefused, Forbidden):
    """403: every download the token allows has been spent."""

    reason = "used_up"


class PurchaseOnHold(Forbidden):
    """The token's purchase is on hold (a disputed payment): 403 with a page
    naming the shop to contact, until the dispute closes."""

    def __init__(self, shop: Shop) -> None:
        super().__init__(ON_HOLD.format(shop=shop.name))
        self.shop = shop


async def deliverable_version(hub: Hub, product: dict[str, Any], version: str | None) -> dict[str, Any]:
    """The ready version a token will deliver: the named one or the active one."""
    if version is None:
        # None too when the active version was deleted since the product was read.
        active = (await _ready_version(hub.db, product["active_version"]))[0] if product["active_version"] else None
        if active is None:
            raise Conflict(f"Product {product['slug']} has no active version to deliver yet", field="version")
        return active
    row = await find_version(product, version)
    if row["status"] != "ready":
        raise Conflict(f"Version {version} is {row['status']}, not ready to deliver", field="version")
    return row


_MINT_PRODUCT = ("id", "org", "slug", "name", "active_version")
"""The product's columns minting uses (the token's answer names the product
by slug and name): no JSON to decode, no timestamps to parse."""


def _mint_query() -> str:
    """Minting's one read: the product (by organization and slug) and the
    organization's webhook endpoints, which its ``tokens_minted`` event
    needs (one row per endpoint, or one with NULLs), instead of two queries."""
    product_columns = ", ".join(f"p.{name}" for name in _MINT_PRODUCT)
    return (
        f"SELECT {product_columns}, w.id AS w_id, w.events AS w_events, w.status AS w_status "
        f"FROM {Product._meta.tablename} p "
        f"LEFT JOIN {WebhookEndpoint._meta.tablename} w ON w.org = p.org "
        f"WHERE p.org = {{}} AND p.slug = {{}}"
    )


_MINT_READ = _mint_query()


@dataclass(frozen=True, kw_only=True, slots=True)
class TokenTerms:
    """What a new token grants, and to whom: the one parameter list of
    :func:`mint_token`, :func:`mint_for_version` and :func:`new_token`
    (checked by :func:`new_token`).

    :param expires_at: when it expires; else ``ttl`` from now.
    :param max_downloads: None for unlimited.
    :param purchase: the purchase that minted it, and ``purchase_item`` the
        index of its item (what a reversal of part of the payment revokes).
    """

    customer_email: Any = None
    expires_at: datetime | None = None
    ttl: timedelta = timedelta(days=30)
    max_downloads: Any = None
    metadata: Any = None
    purchase: str | None = None
    purchase_item: int | None = None


async def mint_token(
    hub: Hub, org: str, product_id: str, terms: TokenTerms = TokenTerms(), *, version: str | None = None
) -> tuple[str, dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Mint a token on ``terms`` and record its ``tokens_minted`` event; returns
    ``(secret, token, product, version)`` (of the product, its id, org,
    slug, name and active version).

    The API's minting endpoints' hot path: one read (:func:`_mint_query`),
    then the token's insert. When no plugin or endpoint listens, the insert
    joins the other mints of the moment in one statement and one commit
    (:func:`_token_writes`): on SQLite every commit waits for the disk,
    one at a time, and a mint's commit was most of its time. When one
    listens, the token and its event commit together in one transaction.
    """
    rows = await hub.db.fetch(_MINT_READ, org, product_id) if not names_nothing(product_id) else []
    if not rows:
        raise NotFound(f"Product {product_id} not found")
    product = {name: rows[0][name] for name in _MINT_PRODUCT}
    endpoints = [webhook_receiver(r["w_id"], r["w_events"], r["w_status"]) for r in rows if r["w_id"] is not None]
    version_row = await deliverable_version(hub, product, version)
    if not has_receivers(hub, TokensMinted, endpoints):
        secret, token = new_token(org, product, version_row, terms)
        if hub.db.in_transaction():
            await insert_rows(DownloadToken, [token])
        else:
            try:
                await _token_writes(hub).submit(token)
            except FOREIGN_KEY_VIOLATIONS:  # the product or version was deleted meanwhile
                raise NotFound(f"Product {product_id} not found") from None
        return secret, token, product, version_row
    async with hub.db.write_transaction():
        minted = await mint_for_version(org, product, version_row, terms)
        secret, token, product, version_row = minted
        # Shaped only when a plugin or an endpoint listens (emit_to calls it then).
        await emit_to(
            hub,
            TokensMinted(tokens=lambda: [resources.as_record(resources.token(hub, token, product, version_row["version"]))]),
            org=org,
            endpoints=endpoints,
        )
    return minted


TOKENS_PER_STATEMENT = 50
"""Tokens one grouped insert writes at most (13 values each)."""


def _token_writes(hub: Hub) -> GroupCommit[dict[str, Any], None]:
    """The minted tokens' group commit (:mod:`hub.db.group_commit`): a mint
    answers once its token is committed, with the others of its moment."""

    async def write(rows: list[dict[str, Any]]) -> list[None]:
        await insert_rows(DownloadToken, rows)
        return [None] * len(rows)

    return hub.db.group_commit("tokens", write, max_batch=TOKENS_PER_STATEMENT)


_TOKEN_COLUMNS = tuple(c._meta.db_column_name for c in DownloadToken._meta.columns)


def _records_query(count: int) -> str:
    """:func:`token_records`' one read: ``count`` tokens by id, with their
    product's slug and name and their version's string."""
    token_columns = ", ".join(f"t.{name}" for name in _TOKEN_COLUMNS)
    return (
        f"SELECT {token_columns}, p.slug AS product_slug, p.name AS product_name, v.version AS version_name "
        f"FROM {DownloadToken._meta.tablename} t "
        f"LEFT JOIN {Product._meta.tablename} p ON p.id = t.product "
        f"LEFT JOIN {Version._meta.tablename} v ON v.id = t.version "
        f"WHERE t.id IN ({', '.join('{}' for _ in range(count))})"
    )


async def token_records(hub: Hub, token_ids: list[str]) -> list[records.Token]:
    """Tokens as the API shows them (no secret, no hash): what hooks and
    webhooks receive (one raw read: every sale with a listener asks)."""
    if not token_ids:
        return []
    rows = await hub.db.fetch(_records_query(len(token_ids)), *token_ids)
    return [
        resources.as_record(
            resources.token(
                hub, load_json_columns(row, _TOKEN_JSON), {"slug": row["product_slug"], "name": row["product_name"]},
                row["version_name"],
            )
        )
        for row in rows
    ]


async def mint_for_version(org: str, product: dict[str, Any], version: dict[str, Any], terms: TokenTerms) -> tuple[str, dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Mint a token on ``terms`` for ``version`` of ``product`` (in the
    caller's transaction, if any); returns ``(secret, token, product, version)``."""
    secret, row = new_token(org, product, version, terms)
    await insert_rows(DownloadToken, [row])
    return secret, row, product, version


def new_token(org: str, product: dict[str, Any], version: dict[str, Any], terms: TokenTerms) -> tuple[str, dict[str, Any]]:
    """A new token's secret and row on ``terms`` (checked, not yet written)."""
    customer_email, expires_at, max_downloads, metadata = (
        terms.customer_email, terms.expires_at, terms.max_downloads, terms.metadata
    )
    now = utcnow()
    if customer_email is not None:
        customer_email = check_email(customer_email)
    if expires_at is None:
        expires_at = now + terms.ttl
    elif require_time_zone(expires_at, "expiresAt") <= now:
        raise Invalid("expiresAt must be in the future", field="expiresAt")
    if max_downloads is not None and (
        not isinstance(max_downloads, int) or isinstance(max_downloads, bool) or not 1 <= max_downloads <= 1_000_000
    ):
        raise Invalid("maxDownloads must be null (unlimited) or a whole number from 1 to 1000000", field="maxDownloads")
    if metadata is not None and not isinstance(metadata, dict):
        raise Invalid("metadata must be an object", field="metadata")
    secret = new_secret(DOWNLOAD_TOKEN_PREFIX)
    # The row as a select would read it back (metadata as a dict, times
    # aware), written as it is: no round trip to read it again.
    row = {
        "id": new_id("token"),
        "org": org,
        "product": product["id"],
        "version": version["id"],
        "token_hash": hash_secret(secret),
        "customer_email": customer_email or "",
        "expires_at": as_aware(expires_at),
        "max_downloads": max_downloads,
        "used_count": 0,
        "metadata": metadata or {},
        "purchase": terms.purchase,
        "created_at": now,
        "revoked_at": None,
        "purchase_item": terms.purchase_item,
        "reversed_at": None,
    }
    return secret, row


async def list_tokens(org: str, product_id: str, *, limit: int, offset: int) -> tuple[list[dict[str, Any]], int, dict[str, Any]]:
    product = await find_product(org, product_id)
    condition = (DownloadToken.org == org) & (DownloadToken.product == product["id"])
    rows = (
        await DownloadToken.select(*DownloadToken.all_columns(), DownloadToken.version.version.as_alias("version_name"))
        .where(condition)
        .order_by(DownloadToken.created_at, ascending=False)
        .limit(limit)
        .offset(offset)
        .output(load_json=True)
    )
    total = await DownloadToken.count().where(condition)
    return rows, total, product


async def revoke_token(hub: Hub, org: str, product_id: str, token_id: str) -> dict[str, Any]:
    """Revoke a token (once: revoking it again changes nothing and records
    no second ``token_revoked`` event)."""
    async with hub.db.write_transaction():
        product = await find_product(org, product_id)
        condition = (DownloadToken.id == token_id) & (DownloadToken.org == org) & (DownloadToken.product == product["id"])
        if not await DownloadToken.exists().where(condition):
            raise NotFound(f"Token {token_id} not found")
        revoked = await DownloadToken.update({DownloadToken.revoked_at: utcnow()}).where(
            condition, DownloadToken.revoked_at.is_null()
        ).returning(DownloadToken.id)
        if revoked:

            async def record() -> records.Token:
                return (await token_records(hub, [token_id]))[0]

            await emit(hub, TokenRevoked(token=record), org=org)
        token = await DownloadToken.select().where(DownloadToken.id == token_id).output(load_json=True).first()
        assert token is not None  # checked above, in this transaction
        return token


async def _ready_version(db: Database, version_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A version and its files; ready versions are immutable, so each
    database keeps them (``db.ready_versions``).

    Not shared state: every process reads the same rows, and a version that
    is not ready is read anew every time.
    """
    cached: tuple[dict[str, Any], list[dict[str, Any]]] | None = db.ready_versions.get(version_id)
    if cached is not None:
        return cached
    version = await Version.select().where(Version.id == version_id).first()
    assert version is not None  # versions that tokens and products name are never deleted
    files = await VersionFile.select().where(VersionFile.version == version_id).order_by(VersionFile.path)
    if version is not None and version["status"] == "ready":
        db.ready_versions.put(version_id, (version, files))
    return version, files


@dataclass(frozen=True, slots=True)
class Grant:
    """What a valid token lets its bearer download."""

    token: dict[str, Any]
    product: dict[str, Any]
    version: dict[str, Any]
    files: list[dict[str, Any]]
    shop: Shop | None = None
    link_expires_at: datetime | None = None
    """A ``/my`` link's own expiry (:class:`hub.tables.TokenLink`); None for
    the token's own secret."""
    entitlement: Entitlement | None = None
    """Which version the token serves and why (its update rights)."""
    earlier: list[tuple[dict[str, Any], list[dict[str, Any]]]] = dataclasses.field(default_factory=list)
    """The earlier versions it covers, newest first, each with its files
    (downloadable from the same link)."""

    def find_file(self, file_id: str) -> dict[str, Any] | None:
        """A file of the served version (or media), else of an earlier one."""
        for file in self.files:
            if file["id"] == file_id:
                return file
        for _, files in self.earlier:
            for file in files:
                if file["id"] == file_id:
                    return file
        return None

    @property
    def expires_at(self) -> datetime:
        """When this link stops working: the token's expiry, or a ``/my``
        link's own when that comes first (what the buyer's page shows)."""
        expires = as_aware(self.token["expires_at"])
        return expires if self.link_expires_at is None else min(expires, as_aware(self.link_expires_at))

    @property
    def downloads_left(self) -> int | None:
        limit = self.token["max_downloads"]
        return None if limit is None else max(0, limit - self.token["used_count"])


_MEDIA_KEYS = ("id", "directory", "filename", "size", "sha256", "storage_key")


def _grant_query(where: str) -> str:
    """The download page's one read: the token, its product, its purchase's
    status and shop name, and the product's media library files (one row per
    media file, or one row with NULLs), instead of five queries."""
    product_columns = ", ".join(f"p.{c._meta.db_column_name} AS p_{c._meta.db_column_name}" for c in Product._meta.columns)
    media_columns = ", ".join(f"m.{name} AS m_{name}" for name in _MEDIA_KEYS)
    return (
        f"SELECT t.*, {product_columns}, u.status AS u_status, u.org AS u_org, u.created_at AS u_created_at, o.name AS o_name, "
        f"o.contact_email AS o_contact_email, o.support_email AS o_support_email, o.sender_name AS o_sender_name, "
        f"o.accent_color AS o_accent_color, o.logo_sha256 AS o_logo_sha256, {media_columns} "
        f"FROM {DownloadToken._meta.tablename} t "
        f"JOIN {Product._meta.tablename} p ON p.id = t.product "
        f"LEFT JOIN {Purchase._meta.tablename} u ON u.id = t.purchase "
        f"LEFT JOIN {Organization._meta.tablename} o ON o.id = t.org "
        f"LEFT JOIN {MediaFile._meta.tablename} m ON m.product = t.product AND m.org = t.org "
        f"WHERE {where}"
    )


_GRANT_BY_HASH = _grant_query("t.token_hash = {}")
_GRANT_BY_ID = _grant_query("t.id = {}")
_TOKEN_JSON = tuple(c._meta.db_column_name for c in DownloadToken._meta.columns if isinstance(c, JSON))
_PRODUCT_KEYS = tuple((f"p_{c._meta.db_column_name}", c._meta.db_column_name) for c in Product._meta.columns)


def refuse_if_gone(token: dict[str, Any], shop: Shop | None, *, link_expires_at: datetime | None = None) -> None:
    """Raise :class:`LinkRevoked` or :class:`LinkExpired` when ``token``
    (its ``revoked_at`` and ``expires_at``) no longer works; a ``/my``
    link's own ``link_expires_at`` ends it sooner when it comes first."""
    if token["revoked_at"] is not None:
        raise LinkRevoked(REVOKED, shop=shop)
    expires_at = as_aware(token["expires_at"])
    if link_expires_at is not None:
        expires_at = min(expires_at, link_expires_at)
    if expires_at <= utcnow():
        raise LinkExpired(EXPIRED, shop=shop, expired_at=expires_at)


async def resolve_token(hub: Hub, secret: str | None) -> Grant:
    """The grant behind a token secret, or the reason it no longer works.

    Resolving spends nothing: it backs the download page, which mail
    scanners and link previews open freely. The hot path of the page: one
    joined query (``_grant_query``), the product's released versions (one
    indexed query: which version the token serves is decided by
    :func:`entitlement_of`), and the versions' files from the database's
    memo of immutable ready versions.
    """
    if not secret or not secret.startswith(DOWNLOAD_TOKEN_PREFIX) or len(secret) > 200:
        raise NotFound(NOT_VALID)
    # No transaction: the token's row, its product and purchase come in one
    # statement (one snapshot); what follows it is immutable (a ready
    # version) or keyed by it (an extra link's token).
    digest = hash_secret(secret)
    rows = await hub.db.fetch(_GRANT_BY_HASH, digest)
    link_expires_at = None
    if not rows:
        # An extra link minted on the buyer's /my page for the same token;
        # found when expired too, so that its buyer is told it expired, not
        # that it was mistyped.
        link = await TokenLink.select(TokenLink.token, TokenLink.expires_at).where(TokenLink.link_hash == digest).first()
        if link is not None:
            rows = await hub.db.fetch(_GRANT_BY_ID, link["token"])
            link_expires_at = as_aware(link["expires_at"])
    if not rows:
        raise NotFound(NOT_VALID)
    first = rows[0]
    token = load_json_columns({name: first[name] for name in _TOKEN_COLUMNS}, _TOKEN_JSON)
    shop = shop_from_row(first, hub.settings, prefix="o_")
    refuse_if_gone(token, shop, link_expires_at=link_expires_at)
    if first["u_status"] == ON_HOLD_STATUS:
        raise PurchaseOnHold(shop)
    product = product_row(first, _PRODUCT_KEYS)
    entitled = await entitlement_of(hub, token, product, first["u_created_at"])
    version, files = await _ready_version(hub.db, entitled.version["id"])
    earlier = [await _ready_version(hub.db, v["id"]) for v in entitled.earlier]
    # The product's media library files (the v2 downloads surface) come
    # with every version, listed after the version's own files.
    media = sorted(
        (
            deliverable_media_file({key: row[f"m_{key}"] for key in _MEDIA_KEYS})
            for row in rows
            if row["m_id"] is not None
        ),
        key=lambda f: f["path"],
    )
    return Grant(
        token=token, product=product, version=version, files=[*files, *media], shop=shop, link_expires_at=link_expires_at,
        entitlement=entitled, earlier=earlier,
    )


async def entitlement_of(hub: Hub, token: dict[str, Any], product: dict[str, Any], purchased_at: datetime | None) -> Entitlement:
    """What ``token`` serves (:func:`hub.services.entitlement.entitle`):
    the version it was minted for, or the newest released version its
    purchase's update rights cover (``purchased_at``: its purchase's time,
    else the token's own)."""
    bought, _ = await _ready_version(hub.db, token["version"])
    released = await released_versions(hub.db, product["id"])
    created_at = as_aware(token["created_at"])
    return entitle(
        bought=bought, bought_at=as_aware(purchased_at) if purchased_at else created_at, token_created_at=created_at,
        released=released, rights=product_rights(product),
    )
