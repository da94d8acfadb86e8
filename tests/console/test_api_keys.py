"""Settings → API keys: a key created in the console is shown once and
works; a revoked one stops at once; every change is in the audit log."""

from __future__ import annotations

import re

from hub.services.accounts import create_organization
from hub.services.people import create_user
from tests.console.conftest import PASSWORD, browser_of, post_form, sign_in


async def test_a_key_created_in_the_console_is_shown_once_and_works(owner):
    created = await post_form(owner, "/console/settings/keys", "/console/settings/keys", label="Woo store", role="member")
    assert created.status_code == 200
    secret = re.search(r'id="new-secret"[^>]*value="(ct_key_[^"]+)"', created.text).group(1)
    assert "Woo store" in created.text
    api = await owner.get("/api/products", headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 200, api.text
    again = await owner.get("/console/settings/keys")
    assert secret not in again.text and "Woo store" in again.text


async def test_a_revoked_key_stops_working_at_once(owner):
    created = await post_form(owner, "/console/settings/keys", "/console/settings/keys", label="leaked", role="admin")
    secret = re.search(r'value="(ct_key_[^"]+)"', created.text).group(1)
    key_id = re.search(r"Key (key_[0-9a-f]+) created", created.text).group(1)
    revoked = await post_form(owner, "/console/settings/keys", f"/console/settings/keys/{key_id}/revoke", confirm="yes")
    assert revoked.status_code == 303
    api = await owner.get("/api/products", headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 401
    page = await owner.get("/console/settings/keys")
    assert "revoked" in page.text


async def test_keys_of_another_organization_cannot_be_revoked(console_app, owner):
    await create_organization("other-shop")
    await create_user("other-shop", "them@example.com", "admin", PASSWORD)
    async with browser_of(console_app, ip="192.0.2.1") as them:
        await sign_in(them, email="them@example.com")
        created = await post_form(them, "/console/settings/keys", "/console/settings/keys", label="theirs", role="admin")
        key_id = re.search(r"Key (key_[0-9a-f]+) created", created.text).group(1)
    refused = await post_form(owner, "/console/settings/keys", f"/console/settings/keys/{key_id}/revoke", confirm="yes")
    assert refused.status_code == 404
    assert "theirs" not in (await owner.get("/console/settings/keys")).text


async def test_members_and_viewers_cannot_manage_keys(console_app):
    await create_user("audio-company", "helper@example.com", "member", PASSWORD)
    async with browser_of(console_app) as helper:
        await sign_in(helper, email="helper@example.com")
        assert (await helper.get("/console/settings/keys")).status_code == 403
        home = await helper.get("/console")
        assert home.status_code == 200 and "/console/settings/keys" not in home.text
        forged = await post_form(helper, "/console", "/console/settings/keys", label="x", role="admin")
        assert forged.status_code == 403


async def test_admins_read_who_changed_what_in_the_audit_log(owner):
    created = await post_form(owner, "/console/settings/keys", "/console/settings/keys", label="for the log", role="viewer")
    key_id = re.search(r"Key (key_[0-9a-f]+) created", created.text).group(1)
    await post_form(owner, "/console/settings/keys", f"/console/settings/keys/{key_id}/revoke", confirm="yes")
    log = await owner.get("/console/settings/audit")
    assert log.status_code == 200
    assert "api_key.create" in log.text and "api_key.revoke" in log.text and "console.sign_in" in log.text
    text = log.text.replace("<wbr>", "")
    assert "owner@example.com" in text and "203.0.113.7" in text and key_id in text
