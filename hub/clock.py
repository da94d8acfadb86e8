"""Time, in one place: aware UTC datetimes and their wire format."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import overload

__all__ = ["UTC", "as_aware", "iso", "iso_millis", "utcnow"]


def utcnow() -> datetime:
    return datetime.now(UTC)


@overload
def iso(moment: datetime) -> str: ...
@overload
def iso(moment: None) -> None: ...
def iso(moment: datetime | None) -> str | None:
    """``2025-01-01T00:00:00Z``: the timestamp format of the products API."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    # isoformat, not strftime: half the time, and every answer has a few.
    return moment.astimezone(UTC).isoformat(timespec="seconds")[:19] + "Z"


def iso_millis(moment: datetime) -> str:
    """``2026-04-02T00:00:00.000Z``: the format of the integration API."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")[:23] + "Z"


def as_aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they are UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_time(value: object, fallback: datetime) -> datetime:
    """An ISO 8601 time a payment provider sent (``2016-06-20T13:35:06-04:00``,
    ``…Z``; a time without an offset is taken as UTC), else ``fallback``:
    a missing or malformed time never stops an event from being processed."""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return fallback
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return fallback
