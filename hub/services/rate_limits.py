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
"""

from __future__ import annotations

import time

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
