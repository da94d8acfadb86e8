"""A timestamp without a time zone is refused, never silently taken as UTC.

``2026-01-01T10:00:00`` (what Python's ``datetime.now().isoformat()`` sends)
could mean any zone; the hub answers 422 with the rule and an example, in
the surface's own envelope, and changes nothing. The JSON:API surface's
dates are tested in tests/v1/test_time_zones.py; the v2 surface takes no
timestamp.
"""

from __future__ import annotations

from hub.tables import DownloadToken
from tests.conftest import fails, ok
from tests.test_tokens_api import ready_product

RULE = "must include a time zone, e.g. 2026-01-01T10:00:00Z"


async def test_a_token_expiry_without_a_time_zone_is_refused_and_nothing_is_minted(client, org):
    await ready_product(client, org)
    body = {"customerEmail": "buyer@example.com", "expiresAt": "2099-01-01T10:00:00"}
    error = fails(await client.post("/api/products/epic-drums-v1/tokens", json=body, headers=org.member), 422)
    assert error == f"expiresAt {RULE}"
    assert await DownloadToken.count() == 0
    listed = ok(await client.get("/api/products/epic-drums-v1/tokens", headers=org.viewer))
    assert listed["tokens"] == []


async def test_a_token_expiry_with_a_time_zone_or_offset_is_taken_as_written(client, org):
    await ready_product(client, org)
    for stamp, shown in [("2099-01-01T10:00:00Z", "2099-01-01T10:00:00Z"), ("2099-01-01T12:00:00+02:00", "2099-01-01T10:00:00Z")]:
        token = ok(await client.post("/api/products/epic-drums-v1/tokens", json={"expiresAt": stamp}, headers=org.member), 201)
        assert token["token"]["expiresAt"] == shown


async def test_a_redelivery_since_a_time_without_a_time_zone_is_refused(client, org):
    error = fails(
        await client.post("/api/webhook-endpoints/whe_missing/redeliver", json={"since": "2026-01-01T10:00:00"}, headers=org.admin),
        422,
    )
    assert error == f"since {RULE}"
