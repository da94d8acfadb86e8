"""The buyer's self-service (``/my``): prove an email, see every purchase.

A buyer asks for a one-time sign-in link (sent through the outbox, valid
``HUB_SIGN_IN_MINUTES``, single use), and with it gets a session that shows
every purchase made with that email on every shop this hub serves. Fresh
download links are minted on demand as extra secrets of the purchase's
tokens (:class:`hub.tables.TokenLink`): they spend from the same download
counters, and a refund revokes them with the token.

The answer to a sign-in request is the same whether the email bought
anything or not, and requests are counted in the database (per email and
per IP address, over the last hour) so the form cannot be used to flood an
inbox, from one process or many.
"""

from __future__ import annotations

from datetime import timedelta

from hub.clock import as_aware, utcnow
from hub.context import Hub
from hub.db import write_transaction
from hub.errors import NotFound, TooManyRequests
from hub.plugins import first_result
from hub.secrets import DOWNLOAD_TOKEN_PREFIX, SESSION_PREFIX, SIGN_IN_PREFIX, hash_secret, new_id, new_secret
from hub.services.outbox import queue_email
from hub.services.tokens import check_email
from hub.tables import BuyerSession, BuyerSignIn, DownloadToken, Organization, Purchase, TokenLink

PER_EMAIL_PER_HOUR = 5
PER_IP_PER_HOUR = 20
SESSION_HOURS = 12
LINK_HOURS = 24


async def request_sign_in(hub: Hub, email: str, ip: str) -> None:
    """Queue a sign-in link for ``email`` if it has purchases; say nothing either way."""
    email = check_email(email, field="email")
    hour_ago = utcnow() - timedelta(hours=1)
    if await BuyerSignIn.count().where(BuyerSignIn.email == email, BuyerSignIn.created_at > hour_ago) >= PER_EMAIL_PER_HOUR:
        raise TooManyRequests("Too many sign-in requests for this address. Try again in an hour.")
    if ip and await BuyerSignIn.count().where(BuyerSignIn.ip == ip, BuyerSignIn.created_at > hour_ago) >= PER_IP_PER_HOUR:
        raise TooManyRequests("Too many sign-in requests from your network. Try again in an hour.")
    secret = new_secret(SIGN_IN_PREFIX)
    now = utcnow()
    minutes = hub.settings.sign_in_minutes
    known = await Purchase.exists().where(Purchase.customer_email == email)
    async with write_transaction(hub.engine):
        await BuyerSignIn.insert(
            BuyerSignIn(
                id=new_id("signin"),
                email=email,
                link_hash=hash_secret(secret),
                ip=ip[:64],
                created_at=now,
                expires_at=now + timedelta(minutes=minutes),
            )
        )
        if known:
            context = {"email": email, "url": f"{hub.my_url}/sign-in?token={secret}", "expires_minutes": minutes}
            rendered = await first_result(hub.plugins, "render_email", hub=hub, template="signin", context=context)
            if rendered is not None:
                await queue_email(hub, org="", kind="signin", recipient=email, rendered=rendered)
    hub.outbox_wakeup.set()


async def confirm_sign_in(secret: str | None) -> str | None:
    """Spend a sign-in link (once) and open a session; returns the session
    secret, or None when the link is unknown, used or expired."""
    if not secret or not secret.startswith(SIGN_IN_PREFIX) or len(secret) > 200:
        return None
    now = utcnow()
    used = await BuyerSignIn.update({BuyerSignIn.used_at: now}).where(
        BuyerSignIn.link_hash == hash_secret(secret),
        BuyerSignIn.used_at.is_null(),
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


async def library(email: str) -> list[dict]:
    """Every purchase of ``email``, grouped by shop, each with its tokens."""
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
    ).where(DownloadToken.purchase.is_in([p["id"] for p in purchases]))
    names = {
        row["id"]: row["name"]
        for row in await Organization.select(Organization.id, Organization.name).where(
            Organization.id.is_in(list({p["org"] for p in purchases}))
        )
    }
    by_purchase: dict[str, list[dict]] = {}
    for token in tokens:
        left = None if token["max_downloads"] is None else max(0, token["max_downloads"] - token["used_count"])
        token["downloads_left"] = left
        token["available"] = token["revoked_at"] is None and left != 0
        by_purchase.setdefault(token["purchase"], []).append(token)
    shops: dict[str, dict] = {}
    for purchase in purchases:
        shop = shops.setdefault(purchase["org"], {"id": purchase["org"], "name": names.get(purchase["org"], purchase["org"]), "purchases": []})
        purchase["tokens"] = by_purchase.get(purchase["id"], [])
        if purchase["status"] != "paid":
            # On hold (a dispute), refunded or charged back: nothing to download now.
            for token in purchase["tokens"]:
                token["available"] = False
        shop["purchases"].append(purchase)
    return list(shops.values())


async def fresh_link(hub: Hub, email: str, token_id: str) -> str:
    """A new download link (valid ``LINK_HOURS``) for a token of this buyer.

    The token's own expiry is pushed out to the link's if it is sooner: the
    page exists so buyers can come back after their first link expired. Its
    download limit and a revocation still apply.
    """
    token = (
        await DownloadToken.select(DownloadToken.id, DownloadToken.expires_at, DownloadToken.revoked_at)
        .where(DownloadToken.id == token_id, DownloadToken.customer_email == email, DownloadToken.purchase.is_not_null())
        .first()
    )
    if token is None or token["revoked_at"] is not None:
        raise NotFound("This download is not available.")
    now = utcnow()
    expires = now + timedelta(hours=LINK_HOURS)
    secret = new_secret(DOWNLOAD_TOKEN_PREFIX)
    async with write_transaction(hub.engine):
        await TokenLink.insert(
            TokenLink(id=new_id("link"), token=token_id, link_hash=hash_secret(secret), expires_at=expires, created_at=now)
        )
        if as_aware(token["expires_at"]) < expires:
            await DownloadToken.update({DownloadToken.expires_at: expires}).where(DownloadToken.id == token_id)
    return hub.download_url(secret)
