"""The buyer's self-service (``/my``): prove an email, see every purchase.

A buyer asks for a one-time sign-in link (sent through the outbox, valid
``HUB_SIGN_IN_MINUTES``, single use), and with it gets a session that shows
every purchase made with that email on every shop this hub serves. Fresh
download links are minted on demand as extra secrets of the purchase's
tokens (:class:`hub.tables.TokenLink`): they spend from the same download
counters, and a refund revokes them with the token.

The answer to a sign-in request is the same whether the email bought
anything or not, and so is the work behind it: the request only records
itself, and the worker looks up purchases, makes the link and queues the
email (:func:`prepare_sign_ins`). Requests are limited per email and per IP
address (an IPv6 address by its /64: :func:`hub.client_ip.rate_limit_key`), each limit one conditional write (:mod:`hub.services.rate_limits`),
so the form cannot flood an inbox, however many requests arrive at once.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hub.client_ip import rate_limit_key
from hub.clock import as_aware, utcnow
from hub.context import Hub
from hub.email_address import check_email
from hub.emails import render_email
from hub.errors import NotFound, TooManyRequests
from hub.plugins.events import TokensMinted
from hub.secrets import DOWNLOAD_TOKEN_PREFIX, SESSION_PREFIX, SIGN_IN_PREFIX, hash_secret, new_id, new_secret
from hub.services import rate_limits
from hub.services.entitlement import entitle, product_rights
from hub.services.events import emit
from hub.services.outbox import queue_email
from hub.services.shops import Shop, email_brand, host_name, shop_identities
from hub.services.tokens import token_records
from hub.settings import Settings
from hub.tables import BuyerSession, BuyerSignIn, DownloadToken, Product, Purchase, TokenLink, Version

PER_EMAIL_PER_HOUR = 5
PER_IP_PER_HOUR = 20
SESSION_HOURS = 12
LINK_HOURS = 24


async def request_sign_in(hub: Hub, email: str, ip: str) -> None:
    """Record a request for a sign-in link; the worker sends it if ``email``
    has purchases (:func:`prepare_sign_ins`).

    The request does the same work for every email: the limits, one insert.
    Looking up purchases, rendering and queueing happen later, in the worker,
    so neither the answer nor its timing tells who is a customer.
    """
    email = check_email(email, field="email")
    now = utcnow()
    async with hub.db.write_transaction():
        # Each limit is one conditional write (hub.services.rate_limits);
        # a refusal rolls back the hits counted before it.
        if ip and not await rate_limits.hit("sign-in-ip", rate_limit_key(ip), limit=PER_IP_PER_HOUR, window_seconds=3600):
            raise TooManyRequests("Too many sign-in requests from your network. Try again in an hour.")
        if not await rate_limits.hit("sign-in-email", email, limit=PER_EMAIL_PER_HOUR, window_seconds=3600):
            raise TooManyRequests("Too many sign-in requests for this address. Try again in an hour.")
        request_id = new_id("signin")
        await BuyerSignIn.insert(
            BuyerSignIn(
                id=request_id,
                email=email,
                link_hash=f"requested:{request_id}",  # no secret hashes to this
                ip=ip[:64],
                created_at=now,
                expires_at=now + timedelta(minutes=hub.settings.sign_in_minutes),
                state="requested",
            )
        )
    hub.outbox_wakeup.set()


async def prepare_sign_ins(hub: Hub, limit: int = 20) -> int:
    """The worker's part of a sign-in request: for an email with purchases,
    make the one-time link and queue its email; for any other, nothing.
    Returns how many requests were handled. Safe with several workers (rows
    are claimed with ``SKIP LOCKED`` on PostgreSQL, under SQLite's write lock)."""
    pending = BuyerSignIn.select(BuyerSignIn.id, BuyerSignIn.email).where(BuyerSignIn.state == "requested").limit(limit)
    if not hub.db.is_sqlite:
        pending = pending.lock_rows("UPDATE", skip_locked=True)
    minutes = hub.settings.sign_in_minutes
    async with hub.db.write_transaction():
        rows = await pending
        for row in rows:
            orgs = await Purchase.select(Purchase.org).where(Purchase.customer_email == row["email"]).distinct()
            if not orgs:
                await BuyerSignIn.update({BuyerSignIn.state: "unknown"}).where(BuyerSignIn.id == row["id"])
                continue
            # Bought from one shop: the email is that shop's (its name, sender
            # name, Reply-To); from several, it names them all.
            shops = await shop_identities(hub.settings, sorted(o["org"] for o in orgs))
            shop = next(iter(shops.values())) if len(shops) == 1 else None
            secret = new_secret(SIGN_IN_PREFIX)
            await BuyerSignIn.update({BuyerSignIn.state: "sent", BuyerSignIn.link_hash: hash_secret(secret)}).where(
                BuyerSignIn.id == row["id"]
            )
            context = {
                "email": row["email"],
                "url": f"{hub.my_url}/sign-in?token={secret}",
                "expires_minutes": minutes,
                "shops": [s.name for s in shops.values()],
                "brand": email_brand(shop or Shop(name=host_name(hub.settings), email=hub.settings.admin_email)),
            }
            rendered = await render_email(hub, "signin", context, org=orgs[0]["org"] if len(orgs) == 1 else "")
            await queue_email(hub, org="", kind="signin", recipient=row["email"], rendered=rendered, shop=shop)
    if rows:  # buckets pile up only with requests: tidy them as they come
        await rate_limits.forget_expired()
    return len(rows)


async def confirm_sign_in(secret: str | None) -> str | None:
    """Spend a sign-in link (once) and open a session; returns the session
    secret, or None when the link is unknown, used or expired."""
    if not secret or not secret.startswith(SIGN_IN_PREFIX) or len(secret) > 200:
        return None
    now = utcnow()
    used = await BuyerSignIn.update({BuyerSignIn.used_at: now}).where(
        BuyerSignIn.link_hash == hash_secret(secret),
        BuyerSignIn.used_at.is_null(),
        BuyerSignIn.state == "sent",
        BuyerSignIn.expires_at > now,
    ).returning(BuyerSignIn.email)
    if not used:
        return None
    session = new_secret(SESSION_PREFIX)
    await BuyerSession.insert(
        BuyerSession(
            id=new_id("mysess"),
            email=used[0]["email"],
            session_hash=hash_secret(session),
            created_at=now,
            expires_at=now + timedelta(hours=SESSION_HOURS),
        )
    )
    return session


async def signed_in_email(session: str | None) -> str | None:
    if not session or not session.startswith(SESSION_PREFIX) or len(session) > 200:
        return None
    row = (
        await BuyerSession.select(BuyerSession.email)
        .where(BuyerSession.session_hash == hash_secret(session), BuyerSession.expires_at > utcnow())
        .first()
    )
    return row["email"] if row else None


async def sign_out(session: str | None) -> None:
    if session:
        await BuyerSession.delete().where(BuyerSession.session_hash == hash_secret(session))


async def library(settings: Settings, email: str) -> list[dict[str, Any]]:
    """Every purchase of ``email``, grouped by shop (its name and
    :class:`~hub.services.shops.Shop`), each with its tokens."""
    purchases = (
        await Purchase.select()
        .where(Purchase.customer_email == email)
        .order_by(Purchase.created_at, ascending=False)
        .output(load_json=True)
    )
    if not purchases:
        return []
    tokens = await DownloadToken.select(
        DownloadToken.id,
        DownloadToken.purchase,
        DownloadToken.max_downloads,
        DownloadToken.used_count,
        DownloadToken.expires_at,
        DownloadToken.revoked_at,
        DownloadToken.product.name.as_alias("product_name"),
        DownloadToken.version.version.as_alias("version"),
        DownloadToken.version.as_alias("version_id"),
        DownloadToken.product.as_alias("product_id"),
        DownloadToken.created_at,
    ).where(DownloadToken.purchase.is_in([p["id"] for p in purchases]))
    identities = await shop_identities(settings, sorted({p["org"] for p in purchases}))
    await _entitled_versions(tokens, {p["id"]: p["created_at"] for p in purchases})
    by_purchase: dict[str, list[dict[str, Any]]] = {}
    for token in tokens:
        left = None if token["max_downloads"] is None else max(0, token["max_downloads"] - token["used_count"])
        token["downloads_left"] = left
        token["available"] = token["revoked_at"] is None and left != 0
        by_purchase.setdefault(token["purchase"], []).append(token)
    shops: dict[str, dict[str, Any]] = {}
    for purchase in purchases:
        identity = identities[purchase["org"]]
        shop = shops.setdefault(purchase["org"], {"id": purchase["org"], "name": identity.name, "identity": identity, "purchases": []})
        purchase["tokens"] = by_purchase.get(purchase["id"], [])
        if purchase["status"] != "paid":
            # On hold (a dispute), refunded or charged back: nothing to download now.
            for token in purchase["tokens"]:
                token["available"] = False
        shop["purchases"].append(purchase)
    return list(shops.values())


async def _entitled_versions(tokens: list[dict[str, Any]], purchased_at: dict[str, Any]) -> None:
    """Set each token's ``version`` to the version it serves now
    (:func:`hub.services.entitlement.entitle`: its purchase's update rights
    may cover a newer one than it was minted for)."""
    product_ids = list({t["product_id"] for t in tokens})
    if not product_ids:
        return
    products = {
        p["id"]: p
        for p in await Product.select(Product.id, Product.update_rights, Product.update_days).where(Product.id.is_in(product_ids))
    }
    versions = await Version.select(
        Version.id, Version.version, Version.status, Version.product, Version.published_at, Version.update_rights,
        Version.update_days,
    ).where(Version.product.is_in(product_ids))
    by_id = {v["id"]: v for v in versions}
    for token in tokens:
        bought = by_id.get(token["version_id"])
        product = products.get(token["product_id"])
        if bought is None or product is None:
            continue
        released = [v for v in versions if v["product"] == token["product_id"] and v["published_at"] is not None]
        created = as_aware(token["created_at"])
        bought_at = purchased_at.get(token["purchase"])
        entitled = entitle(
            bought=bought, bought_at=as_aware(bought_at) if bought_at else created, token_created_at=created,
            released=released, rights=product_rights(product),
        )
        token["version"] = entitled.version["version"]


async def fresh_link(hub: Hub, email: str, token_id: str) -> str:
    """A new download link (valid ``LINK_HOURS``) for a token of this buyer.

    The token's own expiry is pushed out to the link's if it is sooner: the
    page exists so buyers can come back after their first link expired. Its
    download limit and a revocation still apply.
    """
    token = (
        await DownloadToken.select(DownloadToken.id, DownloadToken.org, DownloadToken.expires_at, DownloadToken.revoked_at)
        .where(DownloadToken.id == token_id, DownloadToken.customer_email == email, DownloadToken.purchase.is_not_null())
        .first()
    )
    if token is None or token["revoked_at"] is not None:
        raise NotFound("This download is not available.")
    now = utcnow()
    expires = now + timedelta(hours=LINK_HOURS)
    secret = new_secret(DOWNLOAD_TOKEN_PREFIX)
    async with hub.db.write_transaction():
        await TokenLink.insert(
            TokenLink(id=new_id("link"), token=token_id, link_hash=hash_secret(secret), expires_at=expires, created_at=now)
        )
        if as_aware(token["expires_at"]) < expires:
            await DownloadToken.update({DownloadToken.expires_at: expires}).where(DownloadToken.id == token_id)
        await emit(hub, TokensMinted(tokens=lambda: token_records(hub, [token_id])), org=token["org"])
    return hub.download_url(secret)
