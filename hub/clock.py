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
