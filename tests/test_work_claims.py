"""A worker's claim searches the unfinished rows of a work table, not its
history: the payment inbox, the email outbox and event deliveries each keep
a partial index of their ``pending`` and claimed rows, and the claim's query
runs on it (on SQLite and on PostgreSQL), however many rows were done
before. A claim before the backlog (an empty table right after a start)
does not leave a plan behind that a large backlog would make slow."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from hub.clock import utcnow
from hub.db import insert_rows
from hub.secrets import new_id
from hub.services.inbox import FIRST_OF_ITS_PAYMENT_SQL, PROCESSING, process_due
from hub.services.work_queue import claim_rows, due_query
from hub.tables import EventDelivery, InboxEvent, OutboxMessage

HISTORY = 3000
BACKLOG = 40

WORK_TABLES = {
    "inbox": (InboxEvent, PROCESSING, f"provider IN ({{}}) AND {FIRST_OF_ITS_PAYMENT_SQL}", ("acme-pay",)),
    "outbox": (OutboxMessage, "sending", "", ()),
    "event deliveries": (EventDelivery, "sending", "", ()),
}


def row(table, **values) -> dict:
    """A row of ``table`` with its columns' defaults (piccolo's) and ``values``."""
    instance = table(**values)
    return {column._meta.db_column_name: getattr(instance, column._meta.name) for column in table._meta.columns}


def rows(table, status: str, count: int, start: int) -> list[dict]:
    long_ago = utcnow() - timedelta(days=30)
    extra = {
        InboxEvent: lambda n: dict(provider="acme-pay", event_id=f"evt-{n}", payment_key=f"pay-{n}", received_at=long_ago),
        OutboxMessage: lambda n: dict(kind="delivery", recipient=f"b{n}@example.com", sealed_body="x", created_at=long_ago),
        EventDelivery: lambda n: dict(event=f"event-{n}", target="plugin:x", created_at=long_ago),
    }[table]
    return [
        row(table, id=new_id("w"), status=status, next_attempt_at=long_ago + timedelta(seconds=n), **extra(n))
        for n in range(start, start + count)
    ]


async def plan_of(hub, sql: str, *args) -> str:
    """How the database runs ``sql``: SQLite's "SEARCH … USING INDEX" and
    "SCAN" lines, or PostgreSQL's plan."""
    if hub.db.is_sqlite:
        return " / ".join(r["detail"] for r in await hub.db.fetch("EXPLAIN QUERY PLAN " + sql, *args))
    return "\n".join(r["QUERY PLAN"] for r in await hub.db.fetch("EXPLAIN " + sql, *args))


@pytest.mark.parametrize("work", sorted(WORK_TABLES))
async def test_a_claim_searches_the_unfinished_rows_through_their_index(app, client: httpx.AsyncClient, work):
    hub = app.state.hub
    table, claimed, also, also_args = WORK_TABLES[work]
    for _ in range(8):  # claims on the empty table first, as right after a start
        assert await claim_rows(hub, table, claimed=claimed, also=also, also_args=also_args) == []
    for start in range(0, HISTORY, 500):
        await insert_rows(table, rows(table, "done" if table is InboxEvent else "sent", 500, start))
    await insert_rows(table, rows(table, "pending", BACKLOG, HISTORY))

    now = utcnow()
    sql = due_query(table, claimed=claimed, limit=10, also=also, postgres=not hub.db.is_sqlite)
    plan = await plan_of(hub, sql, now, now, *also_args)
    print(plan)
    # Searched by an index on the status (the partial one, or the status
    # column's), never a pass over every row, the payment check included.
    assert "SCAN " not in plan and "Seq Scan" not in plan, plan

    claimed_rows = await claim_rows(hub, table, claimed=claimed, also=also, also_args=also_args)
    # The ten due longest, claimed; the history untouched.
    assert sorted(r["next_attempt_at"] for r in claimed_rows) == sorted(
        r["next_attempt_at"] for r in await table.select(table.next_attempt_at).where(table.status == claimed)
    )
    assert len(claimed_rows) == 10
    assert {r["status"] for r in claimed_rows} == {claimed}
    first_due = min(r["next_attempt_at"] for r in await table.select(table.next_attempt_at).where(table.status == "pending"))
    assert max(r["next_attempt_at"] for r in claimed_rows) < first_due
    assert await table.count().where(table.status.is_in(["done", "sent"])) == HISTORY


async def test_an_event_waits_for_an_unfinished_earlier_one_of_its_payment_not_for_finished_ones(app, client):
    hub = app.state.hub
    hub.inbox_processors["acme-pay"] = processed = _Recorder()
    # pay-1: an old event done, a pending one; pay-2: a failed-for-now one (not due) and a later one.
    old = utcnow() - timedelta(hours=1)
    await insert_rows(InboxEvent, [
        row(InboxEvent, id="e1", provider="acme-pay", event_id="a", payment_key="pay-1", status="done",
            next_attempt_at=old, received_at=old, sealed_payload=hub.sealer.seal(b"{}")),
        row(InboxEvent, id="e2", provider="acme-pay", event_id="b", payment_key="pay-1", status="pending",
            next_attempt_at=old, received_at=old + timedelta(seconds=1), sealed_payload=hub.sealer.seal(b"{}")),
        row(InboxEvent, id="e3", provider="acme-pay", event_id="c", payment_key="pay-2", status="pending",
            next_attempt_at=utcnow() + timedelta(hours=1), received_at=old, sealed_payload=hub.sealer.seal(b"{}")),
        row(InboxEvent, id="e4", provider="acme-pay", event_id="d", payment_key="pay-2", status="pending",
            next_attempt_at=old, received_at=old + timedelta(seconds=1), sealed_payload=hub.sealer.seal(b"{}")),
    ])
    assert await process_due(hub) == 1
    assert processed.ids == ["b"]  # "d" waits behind "c", which waits out its backoff


class _Recorder:
    def __init__(self) -> None:
        self.ids: list[str] = []

    async def __call__(self, hub, event) -> str:
        self.ids.append(event.event_id)
        return "ok"
