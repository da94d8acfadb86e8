"""Group commit (:mod:`hub.db.group_commit`): rows that wait are written together,
each caller gets its own row's outcome, and one bad row fails only itself."""

from __future__ import annotations

import asyncio

import pytest

from hub.db.group_commit import GroupCommit


async def test_rows_that_arrive_together_share_a_write_and_each_gets_its_outcome():
    writes: list[list[int]] = []

    async def write(rows: list[int]) -> list[int]:
        writes.append(rows)
        await asyncio.sleep(0.01)  # the commit's wait for the disk
        return [row * 10 for row in rows]

    group = GroupCommit(write, max_batch=20)
    outcomes = await asyncio.gather(*(group.submit(n) for n in range(50)))
    assert outcomes == [n * 10 for n in range(50)]
    assert sorted(row for batch in writes for row in batch) == list(range(50))
    assert len(writes) < 10 and max(len(batch) for batch in writes) <= 20
    await group.idle()
    assert group.writer is None


async def test_a_row_the_write_refuses_fails_alone():
    async def write(rows: list[str]) -> list[str]:
        await asyncio.sleep(0)
        if "bad" in rows:
            raise ValueError("refused")
        return [row.upper() for row in rows]

    group = GroupCommit(write)
    outcomes = await asyncio.gather(*(group.submit(row) for row in ["a", "bad", "c", "d"]), return_exceptions=True)
    assert outcomes[0] == "A" and outcomes[2:] == ["C", "D"]
    assert isinstance(outcomes[1], ValueError)


async def test_a_cancelled_caller_leaves_its_row_written():
    written: list[str] = []

    async def write(rows: list[str]) -> list[None]:
        await asyncio.sleep(0.01)
        written.extend(rows)
        return [None] * len(rows)

    group = GroupCommit(write)
    first = asyncio.create_task(group.submit("first"))
    second = asyncio.create_task(group.submit("second"))
    await asyncio.sleep(0)
    second.cancel()
    await first
    with pytest.raises(asyncio.CancelledError):
        await second
    await group.idle()
    assert written == ["first", "second"]
