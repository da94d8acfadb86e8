"""The audit log: who changed what, when, and from where.

Every change made from the console, and the API's and CLI's changes that
call :func:`audit`, leave one row. ``actor`` names who did it:
``user:<email>`` for a console user, ``key:<key id>`` for an API key,
``cli`` for the command line.
"""

from __future__ import annotations

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
_INSERT = (
    f"INSERT INTO {AuditEntry._meta.tablename} ({', '.join(_COLUMNS)}) VALUES ({', '.join('{}' for _ in _COLUMNS)})"
)


async def audit(
    *, org: str, actor: str, action: str, target: str = "", detail: dict[str, Any] | None = None, ip: str = ""
) -> None:
    """Record one change. ``action`` is a dotted verb (``api_key.revoke``);
    ``target`` the id of what changed; ``detail`` anything worth keeping
    (never a secret)."""
    # Every API change writes one: a statement built once, through the
    # engine the table is bound to (hub.db's), the detail encoded as piccolo
    # encodes JSON columns.
    await AuditEntry._meta.db.run_querystring(
        QueryString(
            _INSERT,
            new_id("audit"),
            org,
            actor[:400],
            action,
            target[:400],
            dump_json(detail or {}),
            (ip or "")[:64],
            utcnow(),
        )
    )


async def audit_log(org: str, *, before: str | None = None, limit: int = PAGE_SIZE) -> list[dict]:
    """The organization's newest entries first."""
    query = AuditEntry.select().where(AuditEntry.org == org)
    return await query.order_by(AuditEntry.created_at, ascending=False).limit(limit).output(load_json=True)
