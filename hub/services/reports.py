"""The download sessions report (CSV), one row per session."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import date, datetime, time, timedelta
from typing import Any

from hub.clock import UTC, iso
from hub.errors import Invalid
from hub.tables import DownloadSession

COLUMNS = [
    "session_id",
    "token_id",
    "product",
    "version",
    "customer_email",
    "started_at",
    "finished_at",
    "bytes_sent",
    "files",
    "ip",
    "user_agent",
    "status",
]
PAGE = 1000


def parse_day(value: str | None, field: str) -> date | None:
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid(f"{field} must be a date such as 2026-04-01", field=field) from None


def within_days(column: Any, start: date | None, end: date | None) -> list[Any]:
    """Conditions keeping the timestamp ``column`` within the UTC days
    ``start`` to ``end``, both included; None leaves that side open."""
    conditions = []
    if start:
        conditions.append(column >= datetime.combine(start, time.min, UTC))
    if end:
        conditions.append(column < datetime.combine(end + timedelta(days=1), time.min, UTC))
    return conditions


def _cell(value: object) -> object:
    """Neutralize text a spreadsheet would run as a formula (CSV injection):
    a User-Agent is whatever the client chose to send."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _csv_line(values: list[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([_cell(v) for v in values])
    return buffer.getvalue()


async def download_sessions_csv(org: str, start: date | None, end: date | None) -> AsyncIterator[str]:
    """CSV lines for sessions started from ``start`` to ``end`` inclusive (UTC days).

    Rows are read a page at a time, so a large report streams in constant
    memory.
    """
    if start and end and end < start:
        raise Invalid("to must not be before from", field="to")
    conditions = [DownloadSession.org == org, *within_days(DownloadSession.started_at, start, end)]

    async def lines() -> AsyncIterator[str]:
        yield _csv_line(COLUMNS)
        offset = 0
        while True:
            rows = (
                await DownloadSession.select(
                    DownloadSession.id,
                    DownloadSession.token,
                    DownloadSession.token.product.slug.as_alias("product"),  # type: ignore[union-attr]  # piccolo types a column reached through a foreign key as Column | Any
                    DownloadSession.token.version.version.as_alias("version"),  # type: ignore[union-attr]  # piccolo types a column reached through a foreign key as Column | Any
                    DownloadSession.token.customer_email.as_alias("customer_email"),
                    DownloadSession.started_at,
                    DownloadSession.last_activity_at,
                    DownloadSession.bytes_sent,
                    DownloadSession.files,
                    DownloadSession.ip,
                    DownloadSession.user_agent,
                    DownloadSession.status,
                )
                .where(*conditions)
                .order_by(DownloadSession.started_at)
                .order_by(DownloadSession.id)
                .limit(PAGE)
                .offset(offset)
            )
            for row in rows:
                yield _csv_line(
                    [
                        row["id"],
                        row["token"],
                        row["product"],
                        row["version"],
                        row["customer_email"],
                        iso(row["started_at"]),
                        iso(row["last_activity_at"]),
                        row["bytes_sent"],
                        row["files"],
                        row["ip"],
                        row["user_agent"],
                        row["status"],
                    ]
                )
            if len(rows) < PAGE:
                return
            offset += PAGE

    return lines()
