"""Group commit: rows that arrive while one write runs are written together next.

A commit waits for the disk (SQLite syncs its WAL, PostgreSQL its log). When
every request writes one row and commits, the sync, not the work, limits how
many requests the hub can take (issue 10: stored webhooks, audit rows). A
:class:`GroupCommit` writes the first row at once; rows arriving meanwhile
wait for that write to end and are then written by one statement and one
commit. Each caller gets its own row's outcome only after the commit that
holds it, so nothing is less durable than a row written alone.

A batch the database refuses is written again row by row, so one bad row
never fails the others. One instance serves one event loop (the writer is a
task of that loop); owners keep one per database and loop.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable, Hashable, MutableMapping
from typing import Any, Generic, TypeVar

Row = TypeVar("Row")
Outcome = TypeVar("Outcome")


class GroupCommit(Generic[Row, Outcome]):
    """See the module.

    :param write: writes a list of rows in one statement (outside any
        transaction of a caller's: it runs in a task of its own) and returns
        each row's outcome, in order.
    :param max_batch: rows one statement writes at most.
    """

    def __init__(self, write: Callable[[list[Row]], Awaitable[list[Outcome]]], *, max_batch: int = 100) -> None:
        self.write = write
        self.max_batch = max_batch
        self.loop = asyncio.get_running_loop()
        self.waiting: list[tuple[Row, asyncio.Future[Outcome]]] = []
        self.writer: asyncio.Task | None = None

    async def submit(self, row: Row) -> Outcome:
        """Write ``row`` with whatever else waits; its outcome once committed
        (or what the write raised)."""
        answer: asyncio.Future[Outcome] = self.loop.create_future()
        self.waiting.append((row, answer))
        if self.writer is None:
            # A context of its own: the write must never join a transaction
            # that the caller who happened to start it has open.
            self.writer = self.loop.create_task(self._write_waiting(), context=contextvars.Context())
        # A caller that goes away (a cancelled request) leaves its row to be written.
        return await answer

    async def idle(self) -> None:
        """Return once no write is running or waiting (for work that should
        give way to the writers, see :func:`hub.services.inbox`)."""
        while self.writer is not None:
            await asyncio.wait([self.writer])

    async def _write_waiting(self) -> None:
        batch: list[tuple[Row, asyncio.Future[Outcome]]] = []
        try:
            while self.waiting:
                batch, self.waiting = self.waiting[: self.max_batch], self.waiting[self.max_batch :]
                await self._write(batch)
        finally:
            self.writer = None
            # Only when the writer itself was cancelled (the loop is closing):
            # its callers are told, rather than left waiting for ever.
            unanswered, self.waiting = batch + self.waiting, []
            for _, answer in unanswered:
                if not answer.done():
                    answer.cancel()

    async def _write(self, batch: list[tuple[Row, asyncio.Future[Outcome]]]) -> None:
        try:
            outcomes = await self.write([row for row, _ in batch])
        except Exception as problem:
            if len(batch) == 1:
                _settle(batch[0][1], exception=problem)
                return
            for one in batch:  # each alone, with its own outcome
                await self._write([one])
            return
        for (_, answer), outcome in zip(batch, outcomes, strict=True):
            _settle(answer, outcome)


def _settle(answer: asyncio.Future, outcome: object = None, *, exception: BaseException | None = None) -> None:
    if answer.done():  # its caller was cancelled
        return
    if exception is None:
        answer.set_result(outcome)
    else:
        answer.set_exception(exception)


def on_this_loop(
    groups: MutableMapping[Any, GroupCommit], key: Hashable, write: Callable[[list], Awaitable[list]], *, max_batch: int
) -> GroupCommit:
    """The group commit kept in ``groups`` under ``key``, made (and kept) for
    the running event loop when there is none or the one kept serves another."""
    group = groups.get(key)
    if group is None or group.loop is not asyncio.get_running_loop():
        group = groups[key] = GroupCommit(write, max_batch=max_batch)
    return group
