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

from piccolo.querystring import QueryString
from piccolo.utils.encoding import dump_json

from hub.clock import utcnow
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
    that arrived meanwhile (:class:`_GroupCommit`).
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
    engine = AuditEntry._meta.db  # hub.db's engine (hub.db.Database.bind)
    if engine.transaction_exists():
        await engine.run_querystring(QueryString(_insert(1), *row))
        return
    await _GroupCommit.of_running_loop().write(row)


class _Batch:
    __slots__ = ("rows", "written")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.rows: list[tuple] = []
        self.written: asyncio.Future[None] = loop.create_future()


class _GroupCommit:
    """Audit rows written outside a transaction, for one event loop.

    Every API change writes a row after its answer: on its own, a commit
    each (on SQLite a WAL sync, under the one write lock, as long as the
    change's own). Here one insert is written at a time; the rows that
    arrive while it runs wait and go together in the next one, one commit
    for all of them. Each caller still returns only once its own row is
    committed (or raises what the write raised), so nothing is less
    durable than a row written alone. Per process and per loop; nothing is
    kept once written.
    """

    _per_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _GroupCommit] = weakref.WeakKeyDictionary()

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.open: _Batch | None = None

    @classmethod
    def of_running_loop(cls) -> _GroupCommit:
        loop = asyncio.get_running_loop()
        writer = cls._per_loop.get(loop)
        if writer is None:
            writer = cls._per_loop[loop] = cls()
        return writer

    async def write(self, row: tuple) -> None:
        batch = self.open
        if batch is None or len(batch.rows) >= MAX_BATCH:
            batch = self.open = _Batch(asyncio.get_running_loop())
        batch.rows.append(row)
        async with self.lock:
            # The first of a batch to get the lock writes the whole batch;
            # the others find it written.
            if not batch.written.done():
                if self.open is batch:
                    self.open = None  # later rows start the next batch
                try:
                    values = [value for each in batch.rows for value in each]
                    await AuditEntry._meta.db.run_querystring(QueryString(_insert(len(batch.rows)), *values))
                except Exception as problem:
                    batch.written.set_exception(problem)
                except BaseException:  # cancelled: the batch's other callers must not wait forever
                    batch.written.set_exception(RuntimeError("writing the audit rows was cancelled"))
                    batch.written.exception()  # retrieved here; the others get it when they wait
                    raise
                else:
                    batch.written.set_result(None)
        await batch.written


async def audit_log(org: str, *, before: str | None = None, limit: int = PAGE_SIZE) -> list[dict]:
    """The organization's newest entries first."""
    query = AuditEntry.select().where(AuditEntry.org == org)
    return await query.order_by(AuditEntry.created_at, ascending=False).limit(limit).output(load_json=True)
