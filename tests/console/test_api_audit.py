"""The API's changes land in the audit log, with the key that made them."""

from __future__ import annotations

import asyncio
import re

import pytest

from hub.services.accounts import create_api_key
from hub.services.audit import CLI_ACTOR, audit
from hub.tables import AuditEntry


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
    api_rows = [row.replace("<wbr>", "") for row in rows if "API key “storefront”" in row]
    assert len(api_rows) == 1, api_rows
    assert "api.post" in api_rows[0] and "/api/products" in api_rows[0] and "203.0.113.7" in api_rows[0]


async def test_changes_made_at_once_each_leave_one_audit_row(console_app):
    # Rows that arrive while another is written go together in the next
    # insert: each is committed once, none lost or doubled.
    await asyncio.gather(
        *(audit(org="audio-company", actor=CLI_ACTOR, action="test.at_once", target=str(n)) for n in range(40))
    )
    rows = await AuditEntry.select(AuditEntry.target).where(AuditEntry.action == "test.at_once")
    assert sorted(int(row["target"]) for row in rows) == list(range(40))


async def test_an_audit_row_inside_a_transaction_is_rolled_back_with_it(console_app):
    with pytest.raises(RuntimeError):
        async with console_app.state.hub.db.write_transaction():
            await audit(org="audio-company", actor=CLI_ACTOR, action="test.rolled_back")
            raise RuntimeError("the change failed")
    assert await AuditEntry.count().where(AuditEntry.action == "test.rolled_back") == 0
