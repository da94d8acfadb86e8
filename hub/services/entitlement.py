"""Update rights, and the one rule that decides which version a buyer gets.

A product's update rights are ``all`` (every past buyer gets new
versions), ``window`` (versions released up to ``days`` after the
purchase, counted in whole UTC days: bought on 7 Dec 2026 with 365 days,
updates until 7 Dec 2027 inclusive) or ``none`` (buyers keep the version
they bought). A version is *released* when it first becomes the product's
active version (``Version.published_at``), and it keeps the rights in
force at that moment (``Version.update_rights``/``update_days``): a change
of a product's rights applies to the versions released from then on,
never to what buyers were already given.

:func:`entitle` is the one function that decides, for a token (what was
bought, and when), which version it serves and which earlier ones it may
list: the download page, the file downloads, ``/my``, the update emails'
fan-out and the API all ask it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hub.clock import as_aware, utcnow
from hub.db import Database
from hub.errors import Invalid
from hub.tables import Version

RIGHTS = ("all", "window", "none")
MAX_WINDOW_DAYS = 36_500


def check_update_rights(rights: Any, days: Any) -> tuple[str, int | None]:
    """``(rights, days)`` checked: ``days`` a whole number from 1 to 36500
    with ``window``, and None otherwise (:class:`Invalid` names the field)."""
    if rights not in RIGHTS:
        raise Invalid("updateRights must be one of all, window, none", field="updateRights")
    if rights != "window":
        if days is not None:
            raise Invalid("updateWindowDays is only for updateRights window", field="updateWindowDays")
        return rights, None
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_WINDOW_DAYS:
        raise Invalid(
            f"updateWindowDays must be a whole number of days from 1 to {MAX_WINDOW_DAYS} with updateRights window",
            field="updateWindowDays",
        )
    return rights, days


@dataclass(frozen=True, slots=True)
class Rights:
    """Update rights: ``mode`` (``all``, ``window``, ``none``) and ``days``."""

    mode: str = "all"
    days: int | None = None

    def updates_until(self, bought_at: datetime) -> date | None:
        """The last day (UTC) a version may be released and still reach a
        buyer of ``bought_at``; None when there is no last day (``all``)."""
        if self.mode == "all":
            return None
        if self.mode == "window" and self.days:
            return as_aware(bought_at).astimezone(UTC).date() + timedelta(days=self.days)
        return as_aware(bought_at).astimezone(UTC).date()

    def covers(self, bought_at: datetime, released_at: datetime) -> bool:
        """Whether a version released at ``released_at`` (under these
        rights) reaches a buyer of ``bought_at``."""
        if self.mode == "all":
            return True
        if self.mode == "none":
            return False
        until = self.updates_until(bought_at)
        return until is not None and as_aware(released_at).astimezone(UTC).date() <= until


def product_rights(product: dict[str, Any]) -> Rights:
    """A product's update rights now (what versions released next keep)."""
    return Rights(product.get("update_rights") or "all", product.get("update_days"))


def version_rights(version: dict[str, Any]) -> Rights:
    """The rights a released version keeps (``all`` for one released
    before rights existed)."""
    return Rights(version.get("update_rights") or "all", version.get("update_days"))


@dataclass(frozen=True, slots=True)
class Entitlement:
    """What one token is entitled to.

    :param version: the version it serves: the newest released version its
        rights cover, else the one bought.
    :param earlier: the other versions it covers, newest first, down to the
        one bought (ids and version strings).
    :param newer: the newest released version it is *not* entitled to,
        when there is one newer than ``version`` (the page says so).
    :param updates_until: the last day its rights cover (None: every
        future version, or rights ``none``: see ``rights``).
    """

    version: dict[str, Any]
    earlier: list[dict[str, Any]]
    newer: dict[str, Any] | None
    rights: Rights
    updates_until: date | None


def entitle(
    *, bought: dict[str, Any], bought_at: datetime, token_created_at: datetime, released: list[dict[str, Any]],
    rights: Rights,
) -> Entitlement:
    """The version a token serves, decided from what it was minted for
    (``bought``, a version row), when its purchase was made (``bought_at``),
    the product's released versions (``released``: rows with ``id``,
    ``version``, ``status``, ``published_at``, ``update_rights``,
    ``update_days``) and the product's rights now (for the page's "updates
    until"). Pure: every caller reads its rows its own way.

    A version newer than the one bought (released after it; after the
    token was minted when the bought version was never released) is covered
    when the rights it was released under cover the purchase.
    """
    reference = as_aware(bought["published_at"]) if bought.get("published_at") else as_aware(token_created_at)
    later = sorted(
        (
            v for v in released
            if v["id"] != bought["id"] and v["status"] == "ready" and v["published_at"] is not None
            and as_aware(v["published_at"]) > reference
        ),
        key=lambda v: (as_aware(v["published_at"]), v["id"]),
    )
    covered = [v for v in later if version_rights(v).covers(bought_at, v["published_at"])]
    chain = [bought, *covered]
    current = chain[-1]
    newer = later[-1] if later and later[-1]["id"] != current["id"] else None
    if newer is not None and current is not bought and as_aware(newer["published_at"]) <= as_aware(current["published_at"]):
        newer = None
    until = rights.updates_until(bought_at) if rights.mode == "window" else None
    return Entitlement(version=current, earlier=list(reversed(chain[:-1])), newer=newer, rights=rights, updates_until=until)


_RELEASED_COLUMNS = ("id", "version", "status", "published_at", "update_rights", "update_days")
_RELEASED = (
    f"SELECT {', '.join(_RELEASED_COLUMNS)} FROM {Version._meta.tablename} "
    "WHERE product = {} AND published_at IS NOT NULL"
)


async def released_versions(db: Database, product_id: str) -> list[dict[str, Any]]:
    """The product's released versions (what :func:`entitle` chooses from)."""
    return await db.fetch(_RELEASED, product_id)


async def mark_released(version_id: str, product: dict[str, Any]) -> bool:
    """Release a version that became the product's active version: its
    ``published_at`` now and the product's update rights now, once (a
    version made active again keeps its first release). True when this
    call released it."""
    released = await Version.update(
        {
            Version.published_at: utcnow(),
            Version.update_rights: product.get("update_rights") or "all",
            Version.update_days: product.get("update_days"),
        }
    ).where(Version.id == version_id, Version.published_at.is_null()).returning(Version.id)
    return bool(released)
