"""The audit log: who changed what, when, and from where.

Every change made from the console, and the API's and CLI's changes that
call :func:`audit`, leave one row. ``actor`` names who did it:
``user:<email>`` for a console user, ``key:<key id>`` for an API key,
``cli`` for the command line.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

from piccolo.utils.encoding import dump_json

from hub.clock import utcnow
from hub.db import fetch_bound, in_transaction
from hub.group_commit import GroupCommit
from hub.secrets import new_id
from hub.tables import AuditEntry

PAGE_SIZE = 100


def user_actor(email: str) -> str:
    return f"user:{email}"


def key_actor(key_id: str) -> str:
    return f"key:{key_id}"


CLI_ACTOR = "cli"


_COLUMNS = ("id", "org", "actor", "action", "target", "detail", "ip", "created_at")
_ROW_MARKS = "(" + ", ".join("{}" for _ in _COLUMNS) + ")"
MAX_BATCH = 500
"""Most rows in one statement (8 values a row: far below either database's
limit on a statement's values)."""


def _insert(count: int) -> str:
    return (
        f"INSERT INTO {AuditEntry._meta.tablename} ({', '.join(_COLUMNS)}) "
        f"VALUES {', '.join(_ROW_MARKS for _ in range(count))}"
    )


async def audit(
    *, org: str, actor: str, action: str, target: str = "", detail: dict[str, Any] | None = None, ip: str = ""
) -> None:
    """Record one change. ``action`` is a dotted verb (``api_key.revoke``);
    ``target`` the id of what changed; ``detail`` anything worth keeping
    (never a secret).

    Inside a transaction the row is part of it. Outside one, it is committed
    when this returns, possibly together with the rows of other changes
    that arrived meanwhile (:mod:`hub.group_commit`).
    """
    row = (
        new_id("audit"),
        org,
        actor[:400],
        action,
        target[:400],
        dump_json(detail or {}),  # as piccolo encodes a JSON column
        (ip or "")[:64],
        utcnow(),
    )
    if in_transaction(AuditEntry):
        await _write_rows([row])
        return
    loop = asyncio.get_running_loop()
    group = _group_commits.get(loop)
    if group is None:
        group = _group_commits[loop] = GroupCommit(_write_rows, max_batch=MAX_BATCH)
    await group.submit(row)


_group_commits: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, GroupCommit] = weakref.WeakKeyDictionary()


async def _write_rows(rows: list[tuple]) -> list[None]:
    await fetch_bound(AuditEntry, _insert(len(rows)), *(value for row in rows for value in row))
    return [None] * len(rows)


async def audit_log(org: str, *, before: str | None = None, limit: int = PAGE_SIZE) -> list[dict]:
    """The organization's newest entries first."""
    query = AuditEntry.select().where(AuditEntry.org == org)
    return await query.order_by(AuditEntry.created_at, ascending=False).limit(limit).output(load_json=True)
