"""``GET /api/me``: the key's organization and role, for any role; 401 without a key."""

from __future__ import annotations

import pytest

from tests.conftest import fails, ok


@pytest.mark.parametrize("role", ["viewer", "member", "admin"])
async def test_me_answers_the_keys_organization_and_role(client, org, other_org, role):
    me = ok(await client.get("/api/me", headers=getattr(org, role)))
    assert me["organization"] == {"id": "audio-company", "name": "audio-company"}
    assert me["role"] == role
    assert me["scopes"] == ["products"]
    assert me["keyId"].startswith("key")
    other = ok(await client.get("/api/me", headers=other_org.viewer))
    assert other["organization"]["id"] == "other-shop"


async def test_me_without_a_valid_key_is_401_in_the_main_envelope(client, org):
    fails(await client.get("/api/me"), 401)
    fails(await client.get("/api/me", headers={"Authorization": "Bearer ct_key_nope"}), 401)
