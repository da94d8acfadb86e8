"""Rate limits, each counted by one conditional write.

A limit read and then written lets concurrent requests all read the same
count and all pass: 30 requests at once for one email sent 30 emails. Here
a hit is a single ``INSERT … ON CONFLICT DO UPDATE … WHERE hits < limit
RETURNING``: PostgreSQL locks the bucket's row for the statement (and the
caller's transaction), SQLite takes its write lock, so exactly ``limit``
hits pass in a window however many arrive together, from one process or
many. A row comes back when the hit is allowed; none when it is over.

A bucket's window starts at its first hit and lasts ``window_seconds``; the
next hit after it starts a new window. Bucket names are hashed, so the table
holds no email address or IP.

:class:`LocalLimits` counts in the process instead, for calls too frequent
to pay a commit each (the public license API, which the shop's software
calls at every start): see there.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from hub.secrets import hash_secret
from hub.tables import RateLimit

HIT = """
INSERT INTO hub_rate_limit (bucket, hits, window_ends) VALUES ({}, 1, {})
ON CONFLICT (bucket) DO UPDATE SET
    hits = CASE WHEN hub_rate_limit.window_ends <= {} THEN 1 ELSE hub_rate_limit.hits + 1 END,
    window_ends = CASE WHEN hub_rate_limit.window_ends <= {} THEN excluded.window_ends
                       ELSE hub_rate_limit.window_ends END
WHERE hub_rate_limit.window_ends <= {} OR hub_rate_limit.hits < {}
RETURNING hits
"""


def bucket_of(kind: str, value: str) -> str:
    """The stored name of ``value``'s bucket for the limit ``kind``."""
    return hash_secret(f"{kind}\n{value}")


async def hit(kind: str, value: str, *, limit: int, window_seconds: int) -> bool:
    """Count one hit of ``value`` against the limit ``kind``; False when the
    limit was already reached in the current window (nothing is counted).

    Run it inside the transaction of what it limits: if that fails, the hit
    is rolled back with it.
    """
    now = int(time.time())
    rows = await RateLimit.raw(HIT, bucket_of(kind, value), now + window_seconds, now, now, now, limit)
    return bool(rows)


async def forget_expired() -> None:
    """Delete buckets whose window is over (they would restart at 1 anyway)."""
    await RateLimit.delete().where(RateLimit.window_ends <= int(time.time()))


def share(limit: int, workers: int) -> int:
    """One of ``workers`` processes' share of ``limit`` (see :class:`LocalLimits`)."""
    return math.ceil(limit / max(1, workers))


PRUNE_ABOVE = 50_000
"""Buckets a :class:`LocalLimits` holds before it drops those whose window is over."""


@dataclass
class LocalLimits:
    """Rate limits counted in this process, with no database write: a hit is
    a dictionary lookup. The same windows as :func:`hit` (a bucket's window
    starts at its first hit and lasts ``window_seconds``; a refused hit is
    not counted), exact within the process (nothing awaits between the check
    and the count).

    Each ``serve`` process counts on its own, so with ``--workers N`` the
    caller gives each process its :func:`share` of the limit,
    ``ceil(limit / N)``: the whole server never allows more than ``limit``
    (rounded up to a multiple of N) in a window, while a client whose
    connections all reach one process gets ``limit / N``. A restart forgets
    the counts. Buckets whose window is over are dropped
    once more than :data:`PRUNE_ABOVE` are held (a window holds at most the
    calls of that window), so memory follows the traffic of one window.
    """

    buckets: dict[str, list[float]] = field(default_factory=dict)
    """bucket → [window end, hits]."""

    def hit(self, kind: str, value: str, *, limit: int, window_seconds: int) -> bool:
        """Count one hit of ``value`` against the limit ``kind``; False when
        ``limit`` is already spent in the window (nothing is counted)."""
        now = time.monotonic()
        name = f"{kind}\n{value}"
        bucket = self.buckets.get(name)
        if bucket is None or bucket[0] <= now:
            if len(self.buckets) > PRUNE_ABOVE:
                self.buckets = {k: b for k, b in self.buckets.items() if b[0] > now}
            if limit < 1:
                return False
            self.buckets[name] = [now + window_seconds, 1]
            return True
        if bucket[1] >= limit:
            return False
        bucket[1] += 1
        return True

    def forget(self, kind: str, value: str) -> None:
        """Start ``value``'s bucket afresh."""
        self.buckets.pop(f"{kind}\n{value}", None)
