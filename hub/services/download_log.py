"""Download sessions for the console's Downloads page: filtered by product,
buyer email and date, newest first."""

from __future__ import annotations

from typing import Any

from hub.services.reports import parse_day, within_days
from hub.tables import DownloadSession

PAGE_SIZE = 50


async def list_sessions(
    org: str, *, product: str = "", email: str = "", since: str | None = None, until: str | None = None, offset: int = 0
) -> tuple[list[dict[str, Any]], int]:
    conditions: list[Any] = [DownloadSession.org == org]
    if product:
        conditions.append(DownloadSession.token.product.slug == product[:100])  # type: ignore[union-attr]  # piccolo types a column reached through a foreign key as Column | Any
    if email:
        conditions.append(DownloadSession.token.customer_email == email.strip().lower()[:320])
    conditions += within_days(DownloadSession.started_at, parse_day(since, "since"), parse_day(until, "until"))
    rows = (
        await DownloadSession.select(
            DownloadSession.id, DownloadSession.started_at, DownloadSession.last_activity_at, DownloadSession.bytes_sent,
            DownloadSession.files, DownloadSession.ip, DownloadSession.status,
            DownloadSession.token.purchase.as_alias("purchase"),
            DownloadSession.token.product.name.as_alias("product_name"),  # type: ignore[union-attr]  # piccolo types a column reached through a foreign key as Column | Any
            DownloadSession.token.version.version.as_alias("version"),  # type: ignore[union-attr]  # piccolo types a column reached through a foreign key as Column | Any
            DownloadSession.token.customer_email.as_alias("customer_email"),
        )
        .where(*conditions)
        .order_by(DownloadSession.started_at, ascending=False)
        .limit(PAGE_SIZE)
        .offset(max(0, offset))
    )
    return rows, await DownloadSession.count().where(*conditions)
