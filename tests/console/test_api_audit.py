"""The API's changes land in the audit log, with the key that made them."""

from __future__ import annotations

import re

from hub.services.accounts import create_api_key


async def test_api_changes_are_audited_with_their_key_and_reads_are_not(console_app, owner):
    secret, key = await create_api_key("audio-company", "member", label="storefront")
    api = {"Authorization": f"Bearer {secret}"}
    created = await owner.post("/api/products", json={"name": "Kit", "slug": "kit"}, headers=api)
    assert created.status_code == 201
    await owner.get("/api/products", headers=api)
    refused = await owner.post("/api/products", json={"name": "Kit", "slug": "kit"}, headers=api)
    assert refused.status_code == 409
    log = (await owner.get("/console/settings/audit")).text
    rows = re.findall(r"<tr>.*?</tr>", log, flags=re.S)
    api_rows = [row for row in rows if f"key:{key['id']}" in row]
    assert len(api_rows) == 1, api_rows
    assert "api.post" in api_rows[0] and "/api/products" in api_rows[0] and "203.0.113.7" in api_rows[0]
