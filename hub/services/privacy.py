"""What the hub keeps about buyers, for how long, and how a buyer is
exported or erased.

- **Retention** (:func:`apply_retention`, run hourly by every worker):
  download records older than ``HUB_RETENTION_DAYS`` keep their IP address
  truncated to its network (IPv4 /24, IPv6 /48, stored as ``203.0.113.0/24``)
  and lose their user agent; ``/my`` sign-in requests older than that are
  deleted, and expired ``/my`` sessions too. Counts, sizes and dates stay:
  they are the shop's download report.
- **Export** (:func:`export_buyer`): everything one organization holds
  about one email, as JSON-ready data (never a token's secret or hash).
- **Erasure** (:func:`erase_buyer`): the buyer's tokens are revoked, their
  email, name and metadata are blanked on purchases and tokens, their
  download records lose IP address and user agent, and their email records
  (queued or sent) are deleted. Amounts, currencies, items and dates stay, for the shop's
  accounting.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Any

from piccolo.columns.combination import And

from hub import resources
from hub.client_ip import address_block
from hub.clock import iso, utcnow
from hub.context import Hub
from hub.db import Database
from hub.email_address import check_email
from hub.services.licenses import erase_license_holder
from hub.tables import BuyerSession, BuyerSignIn, DownloadSession, DownloadToken, OutboxMessage, Purchase, TokenLink

log = logging.getLogger("hub.privacy")
RETENTION_PASS_SECONDS = 3600
BATCH = 500


def truncated_ip(ip: str) -> str:
    """``203.0.113.7`` → ``203.0.113.0/24``; ``2001:db8:1:2::5`` → ``2001:db8:1::/48``.

    Anything that is not an address (an empty string, a proxy's garbage) becomes ``""``.
    """
    return address_block(ip.strip(), ipv4_bits=24, ipv6_bits=48) or ""


def _needs_truncating(table: type[DownloadSession]) -> And:
    """Rows whose IP is still whole (a truncated one contains ``/``)."""
    return (table.ip != "") & (table.ip.not_like("%/%"))


async def apply_retention(hub: Hub, now: datetime | None = None) -> dict[str, int]:
    """Apply ``HUB_RETENTION_DAYS`` to everything older; returns counts per kind."""
    cutoff = (now or utcnow()) - timedelta(days=hub.settings.retention_days)
    done = {"downloadSessions": 0, "signIns": 0, "buyerSessions": 0}
    while True:
        rows = (
            await DownloadSession.select(DownloadSession.id, DownloadSession.ip)
            .where(DownloadSession.started_at < cutoff)
            .where(_needs_truncating(DownloadSession) | (DownloadSession.user_agent != ""))
            .limit(BATCH)
        )
        if not rows:
            break
        by_network: dict[str, list[str]] = {}
        for row in rows:
            by_network.setdefault(truncated_ip(row["ip"]) or "-", []).append(row["id"])
        async with hub.db.write_transaction():
            for network, ids in by_network.items():
                await DownloadSession.update(
                    {DownloadSession.ip: "" if network == "-" else network, DownloadSession.user_agent: ""}
                ).where(DownloadSession.id.is_in(ids))
        done["downloadSessions"] += len(rows)
    signins = await BuyerSignIn.delete().where(BuyerSignIn.created_at < cutoff).returning(BuyerSignIn.id)
    done["signIns"] = len(signins)
    sessions = await BuyerSession.delete().where(BuyerSession.expires_at < (now or utcnow())).returning(BuyerSession.id)
    done["buyerSessions"] = len(sessions)
    return done


async def run_retention(hub: Hub, stop: asyncio.Event) -> None:
    """Apply the retention period now and then every hour until ``stop``."""
    while not stop.is_set():
        try:
            done = await apply_retention(hub)
            if any(done.values()):
                log.info("Retention (%s days) applied: %s", hub.settings.retention_days, done)
        except Exception:  # a database hiccup must not end the worker; the next pass retries
            log.exception("Retention pass failed; retrying in an hour")
        try:
            await asyncio.wait_for(stop.wait(), timeout=RETENTION_PASS_SECONDS)
        except asyncio.TimeoutError:
            pass


def _purchase(row: dict[str, Any]) -> dict[str, Any]:
    """A purchase as the main API shows it (one shape: :func:`hub.resources.purchase`),
    without its tokens (the export lists them apart, with their downloads),
    and with ``reference``, the name under which the export has always shown
    the provider's reference."""
    shaped: dict[str, Any] = dict(resources.as_record(resources.purchase(row)))
    del shaped["tokens"]
    shaped.pop("licenses", None)
    return {**shaped, "reference": shaped["providerRef"]}


def _token(row: dict[str, Any], sessions: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "product": row["product"],
        "version": row["version"],
        "purchase": row["purchase"],
        "customerEmail": row["customer_email"],
        "expiresAt": iso(row["expires_at"]),
        "maxDownloads": row["max_downloads"],
        "usedCount": row["used_count"],
        "metadata": row["metadata"],
        "createdAt": iso(row["created_at"]),
        "revokedAt": iso(row["revoked_at"]),
        "downloads": [
            {
                "startedAt": iso(s["started_at"]),
                "lastActivityAt": iso(s["last_activity_at"]),
                "ip": s["ip"],
                "userAgent": s["user_agent"],
                "bytesSent": s["bytes_sent"],
                "files": s["files"],
                "status": s["status"],
            }
            for s in sessions
        ],
    }


async def export_buyer(org: str, email: str) -> dict[str, Any]:
    """Everything ``org`` holds about ``email``: purchases, tokens with their
    downloads (IP address and user agent as kept), and emails sent or queued."""
    email = check_email(email, field="email")
    # JSON columns (items, metadata) as JSON, not as the text the database holds.
    purchases = (
        await Purchase.select()
        .where(Purchase.org == org, Purchase.customer_email == email)
        .order_by(Purchase.created_at)
        .output(load_json=True)
    )
    tokens = (
        await DownloadToken.select()
        .where(DownloadToken.org == org, DownloadToken.customer_email == email)
        .order_by(DownloadToken.created_at)
        .output(load_json=True)
    )
    sessions: dict[str, list[dict[str, Any]]] = {}
    if tokens:
        rows = (
            await DownloadSession.select()
            .where(DownloadSession.token.is_in([t["id"] for t in tokens]))
            .order_by(DownloadSession.started_at)
        )
        for row in rows:
            sessions.setdefault(row["token"], []).append(row)
    emails = (
        await OutboxMessage.select(
            OutboxMessage.kind, OutboxMessage.status, OutboxMessage.created_at, OutboxMessage.sent_at
        )
        .where(OutboxMessage.org == org, OutboxMessage.recipient == email)
        .order_by(OutboxMessage.created_at)
    )
    return {
        "email": email,
        "organization": org,
        "exportedAt": iso(utcnow()),
        "purchases": [_purchase(p) for p in purchases],
        "tokens": [_token(t, sessions.get(t["id"], [])) for t in tokens],
        "emails": [
            {"kind": m["kind"], "status": m["status"], "createdAt": iso(m["created_at"]), "sentAt": iso(m["sent_at"])}
            for m in emails
        ],
    }


async def erase_buyer(db: Database, org: str, email: str) -> dict[str, int]:
    """Erase ``email`` from ``org`` in one transaction (see the module's
    docstring for what is kept); returns what was changed. Idempotent."""
    email = check_email(email, field="email")
    now = utcnow()
    async with db.write_transaction():
        tokens = await DownloadToken.select(DownloadToken.id, DownloadToken.revoked_at).where(
            DownloadToken.org == org, DownloadToken.customer_email == email
        )
        token_ids = [t["id"] for t in tokens]
        sessions = []
        if token_ids:
            await DownloadToken.update({DownloadToken.revoked_at: now}).where(
                DownloadToken.id.is_in(token_ids), DownloadToken.revoked_at.is_null()
            )
            await DownloadToken.update({DownloadToken.customer_email: "", DownloadToken.metadata: {}}).where(
                DownloadToken.id.is_in(token_ids)
            )
            await TokenLink.delete().where(TokenLink.token.is_in(token_ids))
            sessions = await DownloadSession.update(
                {DownloadSession.ip: "", DownloadSession.user_agent: "", DownloadSession.session_key: "erased"}
            ).where(DownloadSession.token.is_in(token_ids)).returning(DownloadSession.id)
        purchases = await Purchase.update(
            {Purchase.customer_email: "", Purchase.customer_name: "", Purchase.metadata: {}}
        ).where(Purchase.org == org, Purchase.customer_email == email).returning(Purchase.id)
        emails = await OutboxMessage.delete().where(
            OutboxMessage.org == org, OutboxMessage.recipient == email
        ).returning(OutboxMessage.id)
        await erase_license_holder(org, email)
    return {
        "purchases": len(purchases),
        "tokensRevoked": sum(1 for t in tokens if t["revoked_at"] is None),
        "tokens": len(token_ids),
        "downloadSessions": len(sessions),
        "emailsDeleted": len(emails),
    }
