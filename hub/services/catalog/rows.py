"""Reading the catalog's tables: every row belongs to one organization, and
a lookup in another organization finds nothing."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hub.errors import NotFound
from hub.tables import Label, Language, Offer, ProductType, Right, Track

OwnedTable = type[Label] | type[Language] | type[ProductType] | type[Track] | type[Offer] | type[Right]
"""A catalog table: its rows have ``id``, ``org`` and ``created_at``."""


async def find_owned(table: OwnedTable, noun: str, org: str, row_id: Any) -> dict[str, Any]:
    """The organization's row ``row_id`` of ``table``; NotFound names ``noun``."""
    row = None
    if isinstance(row_id, str):
        row = await table.select().where(table.org == org, table.id == row_id).first()
    if row is None:
        raise NotFound(f"{noun} {row_id} not found")
    return row


async def page_of(table: OwnedTable, org: str, *, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    """A page of the organization's rows, oldest first, and their total."""
    rows = await table.select().where(table.org == org).order_by(table.created_at, table.id).limit(limit).offset(offset)
    return rows, await table.count().where(table.org == org)


async def rows_by_id(table: OwnedTable, org: str, ids: Iterable[str | None]) -> dict[str, dict[str, Any]]:
    """The organization's rows of ``table`` with the given ids (one query)."""
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return {}
    rows = await table.select().where(table.org == org, table.id.is_in(wanted))
    return {row["id"]: row for row in rows}
