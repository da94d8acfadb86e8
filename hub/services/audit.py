"""The audit log: who changed what, when, and from where.

Every change made from the console, and the API's and CLI's changes that
call :func:`audit`, leave one row. ``actor`` names who did it:
``user:<email>`` for a console user, ``key:<key id>`` for an API key,
``cli`` for the command line.
"""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass
from datetime import date
from typing import Any

from hub.clock import utcnow
from hub.db import in_transaction, insert_rows
from hub.db.group_commit import GroupCommit, on_this_loop
from hub.secrets import new_id
from hub.services.reports import within_days
from hub.tables import AuditEntry

PAGE_SIZE = 50
"""Entries on one page of the log."""


def user_actor(email: str) -> str:
    return f"user:{email}"


def key_actor(key_id: str) -> str:
    return f"key:{key_id}"


CLI_ACTOR = "cli"


MAX_BATCH = 500
"""Most rows in one statement (8 values a row: far below either database's
limit on a statement's values)."""


async def audit(
    *, org: str, actor: str, action: str, target: str = "", detail: dict[str, Any] | None = None, ip: str = ""
) -> None:
    """Record one change. ``action`` is a dotted verb (``api_key.revoke``);
    ``target`` the id of what changed; ``detail`` anything worth keeping
    (never a secret).

    Inside a transaction the row is part of it. Outside one, it is committed
    when this returns, possibly together with the rows of other changes
    that arrived meanwhile (:mod:`hub.db.group_commit`).
    """
    row = {
        "id": new_id("audit"),
        "org": org,
        "actor": actor[:400],
        "action": action,
        "target": target[:400],
        "detail": detail or {},
        "ip": (ip or "")[:64],
        "created_at": utcnow(),
    }
    if in_transaction(AuditEntry):
        await _write_rows([row])
        return
    await on_this_loop(_group_commits, asyncio.get_running_loop(), _write_rows, max_batch=MAX_BATCH).submit(row)


_group_commits: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, GroupCommit[dict[str, Any], None]] = weakref.WeakKeyDictionary()
"""The audit rows' group commit of each event loop (:func:`audit` has no hub, so no ``hub.db`` to keep it)."""


async def _write_rows(rows: list[dict[str, Any]]) -> list[None]:
    await insert_rows(AuditEntry, rows)
    return [None] * len(rows)


@dataclass(frozen=True)
class AuditFilter:
    """What the audit log is narrowed to: an ``actor`` (``user:<email>``,
    ``key:<key id>`` or ``cli``), an ``action`` (exact, or a prefix ending
    in ``.``, e.g. ``product.``), and the days ``since`` and ``until``
    (inclusive, UTC)."""

    actor: str = ""
    action: str = ""
    since: date | None = None
    until: date | None = None


async def audit_log(
    org: str, *, where: AuditFilter | None = None, offset: int = 0, limit: int = PAGE_SIZE
) -> tuple[list[dict[str, Any]], int]:
    """The organization's entries matching ``where``, newest first: one
    page of ``limit`` from ``offset``, and how many match in all."""
    where = where or AuditFilter()
    conditions = [AuditEntry.org == org]
    if where.actor:
        conditions.append(AuditEntry.actor == where.actor)
    if where.action.endswith("."):
        conditions.append(AuditEntry.action.like(where.action.replace("%", "").replace("_", "") + "%"))
    elif where.action:
        conditions.append(AuditEntry.action == where.action)
    conditions += within_days(AuditEntry.created_at, where.since, where.until)
    query = AuditEntry.select().where(*conditions)
    rows = await query.order_by(AuditEntry.created_at, ascending=False).order_by(AuditEntry.id, ascending=False).offset(
        max(0, offset)
    ).limit(limit).output(load_json=True)
    total = await AuditEntry.count().where(*conditions)
    return rows, total


async def audit_actions(org: str) -> list[str]:
    """Every action recorded in the organization (the log's filter offers them)."""
    rows = await AuditEntry.select(AuditEntry.action).where(AuditEntry.org == org).distinct().output(as_list=True)
    return sorted(rows)
