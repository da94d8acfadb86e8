"""Telling past buyers about a new version: once per buyer and version.

Activating a version with ``notify`` writes down one publication
(:class:`hub.tables.UpdatePublication`, unique per version) and nothing
else: the request answers at once however many buyers there are. The
worker claims the publication (:data:`PUBLICATIONS`, a
:class:`~hub.services.work_queue.WorkQueue`) and works through the buyers'
addresses in order, a batch per transaction (:func:`fan_out`): for each
address entitled to the version (a paid purchase, not refunded nor on hold,
a token not revoked, rights that cover the version:
:func:`hub.services.entitlement.entitle`) and not unsubscribed, one
:class:`hub.tables.UpdateNotice` (unique per organization, version and
address) and its email in the outbox, with the batch's last address as the
publication's cursor. A batch commits whole or not at all: a worker killed
mid-batch leaves the cursor where it was, and the next one redoes that
batch; a notice already written is skipped (``ON CONFLICT DO NOTHING``),
so retries, replays and two workers racing still send one email per buyer
and version.

Update emails carry ``List-Unsubscribe`` and ``List-Unsubscribe-Post:
List-Unsubscribe=One-Click`` (RFC 8058): the link's sealed value names the
organization and the address (:func:`unsubscribe_link`), and
:func:`unsubscribe` records the choice (unique per organization and
address). It only ever stops update emails: deliveries, sign-in links and
downloads never look at it.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from hub import resources
from hub.clock import as_aware, utcnow
from hub.context import Hub
from hub.email_address import check_email
from hub.emails import render_email
from hub.errors import NotFound
from hub.plugins import records
from hub.plugins.events import VersionPublished
from hub.sealing import SealError
from hub.secrets import new_id
from hub.services.entitlement import entitle, product_rights, released_versions
from hub.services.events import emit
from hub.services.outbox import queue_email
from hub.services.shops import Shop, email_brand, shop_identity
from hub.services.version_changes import changed_paths
from hub.services.work_queue import WorkQueue
from hub.services.worker_identity import this_worker
from hub.tables import (
    DownloadSession,
    DownloadToken,
    FileTransfer,
    OutboxMessage,
    Product,
    Purchase,
    UpdateNotice,
    UpdatePublication,
    UpdateUnsubscribe,
    Version,
    VersionFile,
)

log = logging.getLogger("hub.update_notices")

PUBLICATIONS = WorkQueue(UpdatePublication, claimed="fanning", lease=timedelta(seconds=60), renew_every_seconds=20)
"""Publications waiting for (or in) their fan-out: claims renewed while it runs."""
BATCH = 200
"""Buyer addresses one transaction of the fan-out covers at most."""
KIND = "update"
"""The outbox ``kind`` of update emails."""


async def request_notices(hub: Hub, product: dict[str, Any], version_id: str, *, note: str) -> bool:
    """Write down that the buyers entitled to ``version_id`` are to be
    told (once per version: a second request changes nothing); the worker
    does the telling. True when this call wrote it."""
    now = utcnow()
    rows = await hub.db.fetch(
        f"INSERT INTO {UpdatePublication._meta.tablename} (id, org, product, version, note, buyers, queued, cursor, "
        "status, attempts, next_attempt_at, created_at, last_error) VALUES ({}, {}, {}, {}, {}, 0, 0, '', 'pending', 0, "
        "{}, {}, '') ON CONFLICT (version) DO NOTHING RETURNING id",
        new_id("pub"), product["org"], product["id"], version_id, note, now, now,
    )
    hub.outbox_wakeup.set()
    return bool(rows)


# --- who is entitled ----------------------------------------------------------


_BUYER_TOKENS = (
    f"SELECT t.id, t.version, t.created_at, u.customer_email AS email, u.created_at AS purchased_at, u.customer_name AS name "
    f"FROM {DownloadToken._meta.tablename} t JOIN {Purchase._meta.tablename} u ON u.id = t.purchase "
    "WHERE t.org = {} AND t.product = {} AND u.status = 'paid' AND t.revoked_at IS NULL AND u.customer_email <> '' "
    "AND u.customer_email > {} AND u.customer_email <= {} ORDER BY u.customer_email, t.created_at"
)
_NEXT_ADDRESSES = (
    f"SELECT DISTINCT u.customer_email AS email FROM {DownloadToken._meta.tablename} t "
    f"JOIN {Purchase._meta.tablename} u ON u.id = t.purchase "
    "WHERE t.org = {} AND t.product = {} AND u.status = 'paid' AND t.revoked_at IS NULL AND u.customer_email > {} "
    "ORDER BY u.customer_email LIMIT {}"
)


@dataclass(frozen=True, slots=True)
class Buyer:
    """A buyer address entitled to a version, and what it had before."""

    email: str
    name: str
    previous: str
    """The id of the newest version the address was served before this one."""


async def _version_files(hub: Hub, version_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    cached: tuple[dict[str, Any], list[dict[str, Any]]] | None = hub.db.ready_versions.get(version_id)
    if cached is not None:
        return cached
    version = await Version.select().where(Version.id == version_id).first()
    if version is None:
        raise NotFound(f"Version {version_id} not found")
    files = await VersionFile.select().where(VersionFile.version == version_id).order_by(VersionFile.path)
    if version["status"] == "ready":
        hub.db.ready_versions.put(version_id, (version, files))
    return version, files


async def entitled_buyers(
    hub: Hub, product: dict[str, Any], version_id: str, *, after: str = "", limit: int | None = None
) -> tuple[list[Buyer], str | None]:
    """The addresses after ``after`` (in order, at most ``limit`` looked at)
    whose tokens are entitled to ``version_id``; and the last address looked
    at (None: no address left)."""
    addresses = await hub.db.fetch(_NEXT_ADDRESSES, product["org"], product["id"], after, int(limit or BATCH))
    if not addresses:
        return [], None
    last = addresses[-1]["email"]
    released = await released_versions(hub.db, product["id"])
    rights = product_rights(product)
    if not any(v["id"] == version_id for v in released):
        # Not released yet (the console's count before activating): as if
        # it were released now, under the product's rights now.
        released.append(
            {"id": version_id, "version": "", "status": "ready", "published_at": utcnow(),
             "update_rights": rights.mode, "update_days": rights.days}
        )
    unsubscribed = {
        row["email"]
        for row in await UpdateUnsubscribe.select(UpdateUnsubscribe.email).where(
            UpdateUnsubscribe.org == product["org"], UpdateUnsubscribe.email > after, UpdateUnsubscribe.email <= last
        )
    }
    found: dict[str, Buyer] = {}
    rows = await hub.db.fetch(_BUYER_TOKENS, product["org"], product["id"], after, last)
    downloaded = await _last_downloaded(hub, [row["id"] for row in rows])
    by_email: dict[str, tuple[Any, str]] = {}
    for row in rows:
        seen = downloaded.get(row["id"])
        if seen is not None and seen[1] != version_id and (
            row["email"] not in by_email or as_aware(seen[0]) > as_aware(by_email[row["email"]][0])
        ):
            by_email[row["email"]] = seen
    for row in rows:
        if row["email"] in found or row["email"] in unsubscribed:
            continue
        bought, _ = await _version_files(hub, row["version"])
        created = as_aware(row["created_at"])
        entitled = entitle(
            bought=bought, bought_at=as_aware(row["purchased_at"]), token_created_at=created, released=released,
            rights=rights,
        )
        if entitled.version["id"] == version_id:
            # What changed is counted from the version last downloaded, else
            # the one served before this release (what was bought, at least).
            previous = entitled.earlier[0]["id"] if entitled.earlier else bought["id"]
            if row["email"] in by_email:
                previous = by_email[row["email"]][1]
            found[row["email"]] = Buyer(email=row["email"], name=row["name"] or "", previous=previous)
    return list(found.values()), last


async def _last_downloaded(hub: Hub, token_ids: list[str]) -> dict[str, tuple[Any, str]]:
    """For each of the tokens that downloaded a version's file: when it
    last did, and that version's id."""
    if not token_ids:
        return {}
    marks = ", ".join("{}" for _ in token_ids)
    rows = await hub.db.fetch(
        f"SELECT s.token AS token, f.version AS version, MAX(t.started_at) AS at "
        f"FROM {FileTransfer._meta.tablename} t JOIN {DownloadSession._meta.tablename} s ON s.id = t.session "
        f"JOIN {VersionFile._meta.tablename} f ON f.id = t.file WHERE s.token IN ({marks}) GROUP BY s.token, f.version",
        *token_ids,
    )
    last: dict[str, tuple[Any, str]] = {}
    for row in rows:
        at = row["at"]
        if isinstance(at, str):  # SQLite's MAX() of a timestamp is its text
            at = datetime.fromisoformat(at)
        if row["token"] not in last or as_aware(at) > as_aware(last[row["token"]][0]):
            last[row["token"]] = (at, row["version"])
    return last


async def count_entitled(hub: Hub, product: dict[str, Any], version_id: str) -> int:
    """How many buyer addresses the version would be announced to (the
    console shows it before the shop confirms; a version not released yet
    counts as released now)."""
    total, after = 0, ""
    while True:
        buyers, last = await entitled_buyers(hub, product, version_id, after=after, limit=1000)
        total += len(buyers)
        if last is None:
            return total
        after = last


# --- the fan-out --------------------------------------------------------------


def unsubscribe_value(hub: Hub, org: str, email: str) -> str:
    """The sealed value of an unsubscribe link: the organization and the
    address, unreadable and unforgeable without the hub's secret key."""
    return hub.sealer.seal(json.dumps({"o": org, "e": email}).encode())


def unsubscribe_link(hub: Hub, org: str, email: str) -> str:
    return f"{hub.settings.public_url}/updates/unsubscribe?u={quote(unsubscribe_value(hub, org, email))}"


async def _email_context(
    hub: Hub, publication: dict[str, Any], product: dict[str, Any], version: dict[str, Any], files: list[dict[str, Any]],
    buyer: Buyer, shop: Shop,
) -> dict[str, Any]:
    previous, previous_files = await _version_files(hub, buyer.previous)
    changes = changed_paths(previous_files, files) if previous["id"] != version["id"] else changed_paths(files, files)
    return {
        "shop": shop.name, "brand": email_brand(shop), "name": buyer.name, "product": product["name"], "version": version["version"],
        "previous_version": previous["version"], "changelog": version["changelog"] or "", "note": publication["note"],
        "added": changes.added, "changed": changes.changed, "removed": changes.removed, "my_url": hub.my_url,
        "unsubscribe_url": unsubscribe_link(hub, product["org"], buyer.email), "email": buyer.email,
    }


async def fan_out(hub: Hub, publication: dict[str, Any], *, batches: int | None = None) -> bool:
    """Work through a claimed publication's buyers from its cursor, a
    batch per transaction; ``batches`` stops after that many (a test's
    crash mid-fan-out). True when every address is done."""
    product = await Product.select().where(Product.id == publication["product"]).output(load_json=True).first()
    if product is None:  # the product was deleted: nobody to tell (its publication goes with it)
        await UpdatePublication.delete().where(UpdatePublication.id == publication["id"])
        return True
    version, files = await _version_files(hub, publication["version"])
    # In the shop's name (never its id): From display name, Reply-To, footer.
    shop = await shop_identity(hub.settings, publication["org"])
    cursor, done = publication["cursor"], 0
    while batches is None or done < batches:
        buyers, last = await entitled_buyers(hub, product, version["id"], after=cursor)
        if last is None:
            await _finish(hub, publication["id"])
            return True
        rendered = [
            (buyer, await render_email(hub, "update", await _email_context(hub, publication, product, version, files, buyer, shop),
                                       org=publication["org"]))
            for buyer in buyers
        ]
        async with hub.db.write_transaction():
            # Still ours? A worker whose lease ran out must not move the cursor.
            mine = await UpdatePublication.update({UpdatePublication.cursor: last}).where(
                UpdatePublication.id == publication["id"], UpdatePublication.cursor == cursor,
                UpdatePublication.claimed_by == str(this_worker()),
            ).returning(UpdatePublication.id)
            if not mine:
                log.warning("Publication %s was taken over; leaving its fan-out", publication["id"])
                return False
            queued = 0
            for buyer, email in rendered:
                notice_id = new_id("notice")
                inserted = await hub.db.fetch(
                    f"INSERT INTO {UpdateNotice._meta.tablename} (id, org, version, email, message, created_at) "
                    "VALUES ({}, {}, {}, {}, '', {}) ON CONFLICT (org, version, email) DO NOTHING RETURNING id",
                    notice_id, publication["org"], version["id"], buyer.email, utcnow(),
                )
                if not inserted:  # told already (a batch redone after a crash)
                    continue
                unsubscribe = unsubscribe_link(hub, publication["org"], buyer.email)
                message = await queue_email(
                    hub, org=publication["org"], kind=KIND, recipient=buyer.email, rendered=email,
                    dedupe_key=f"update:{notice_id}", shop=shop,
                    headers={"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
                )
                await UpdateNotice.update({UpdateNotice.message: message}).where(UpdateNotice.id == notice_id)
                queued += 1
            await UpdatePublication.update(
                {UpdatePublication.queued: UpdatePublication.queued + queued}
            ).where(UpdatePublication.id == publication["id"])
        hub.outbox_wakeup.set()
        cursor, done = last, done + 1
    return False


async def _finish(hub: Hub, publication_id: str) -> None:
    """Mark a publication done, with the number of addresses notified, and
    record its ``version_published`` event (once: only the call that marks
    it done records it)."""
    async with hub.db.write_transaction():
        row = await UpdatePublication.select().where(UpdatePublication.id == publication_id).first()
        if row is None:
            return
        notified = await UpdateNotice.count().where(UpdateNotice.version == row["version"])
        finished = await UpdatePublication.update(
            {
                UpdatePublication.status: "done", UpdatePublication.buyers: notified, UpdatePublication.finished_at: utcnow(),
                UpdatePublication.claimed_until: None, UpdatePublication.claimed_by: None,
            }
        ).where(UpdatePublication.id == publication_id, UpdatePublication.status != "done").returning(UpdatePublication.id)
        if finished:
            version_id = row["version"]

            async def product_record() -> records.Product:
                product = await Product.select().where(Product.id == row["product"]).output(load_json=True).first()
                assert product is not None  # checked by the fan-out, in this worker's pass
                active = await Version.select().where(Version.id == product["active_version"]).first()
                return resources.as_record(resources.product(product, active))

            async def version_record() -> records.Version:
                version, files = await _version_files(hub, version_id)
                return resources.as_record(resources.version({**version, "files": files}))

            await emit(
                hub, VersionPublished(product=product_record, version=version_record, notified=notified), org=row["org"]
            )
    hub.events_wakeup.set()


async def fan_out_due(hub: Hub) -> int:
    """One pass of the worker: claim due publications and fan them out;
    how many it worked on."""
    claimed = await PUBLICATIONS.claim(hub, limit=1)
    for publication in claimed:
        try:
            async with PUBLICATIONS.renewing():
                await fan_out(hub, publication)
        except Exception as problem:  # retried with backoff; what was committed stays
            await PUBLICATIONS.record_failure(publication, problem, max_attempts=10, backoff_seconds=30)
            log.exception("Fan-out of publication %s failed", publication["id"])
    return len(claimed)


# --- progress and unsubscribes ------------------------------------------------


async def progress(hub: Hub, version_id: str) -> dict[str, Any] | None:
    """A publication's state and its emails' (``queued``, ``sent``,
    ``failed``), or None when the version was published without notify."""
    publication = await UpdatePublication.select().where(UpdatePublication.version == version_id).first()
    if publication is None:
        return None
    counts = {"pending": 0, "sending": 0, "sent": 0, "failed": 0}
    rows = await hub.db.fetch(
        f"SELECT m.status AS status, COUNT(*) AS n FROM {UpdateNotice._meta.tablename} n "
        f"JOIN {OutboxMessage._meta.tablename} m ON m.id = n.message WHERE n.version = {{}} GROUP BY m.status",
        version_id,
    )
    for row in rows:
        counts[row["status"]] = row["n"]
    return {
        "status": publication["status"], "queued": publication["queued"], "waiting": counts["pending"] + counts["sending"],
        "sent": counts["sent"], "failed": counts["failed"], "note": publication["note"],
    }


def open_unsubscribe(hub: Hub, value: str) -> tuple[str, str]:
    """The organization and address an unsubscribe link's value names, or
    :class:`NotFound` (a mangled or forged link)."""
    try:
        data = json.loads(hub.sealer.open(value))
        return str(data["o"]), check_email(data["e"])
    except (SealError, ValueError, KeyError, TypeError):
        raise NotFound("This unsubscribe link is not valid. Check that you copied the whole link.") from None


async def unsubscribe(hub: Hub, value: str) -> tuple[str, str]:
    """Record that the link's address wants no more update emails from its
    organization (once: a second click changes nothing); the organization's
    name and the address."""
    org, email = open_unsubscribe(hub, value)
    await hub.db.execute(
        f"INSERT INTO {UpdateUnsubscribe._meta.tablename} (id, org, email, created_at) VALUES ({{}}, {{}}, {{}}, {{}}) "
        "ON CONFLICT (org, email) DO NOTHING",
        new_id("unsub"), org, email, utcnow(),
    )
    return (await shop_identity(hub.settings, org)).name, email  # the shop's name, never its id


async def unsubscribed(org: str, *, limit: int = 200) -> list[dict[str, Any]]:
    """The organization's unsubscribed addresses, newest first (the console)."""
    return await UpdateUnsubscribe.select().where(UpdateUnsubscribe.org == org).order_by(
        UpdateUnsubscribe.created_at, ascending=False
    ).limit(limit)
