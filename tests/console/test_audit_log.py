"""Settings → audit log: keys named by their labels, one row per action,
paged, and narrowed by person, key, action and day (SQLite and PostgreSQL:
the filters are queries)."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime

from hub.db import insert_rows
from hub.secrets import new_id
from hub.services.accounts import create_api_key
from hub.tables import AuditEntry

from .conftest import OWNER


def visible(html: str) -> str:
    """The page's text as read: line-break opportunities (``<wbr>``) dropped."""
    return html.replace("<wbr>", "")


def rows_of(html: str) -> list[str]:
    return [visible(row) for row in re.findall(r"<tr>.*?</tr>", html, flags=re.S) if "<td" in row]


async def entry(action: str, actor: str, when: datetime) -> None:
    await insert_rows(AuditEntry, [{
        "id": new_id("audit"), "org": "audio-company", "actor": actor, "action": action, "target": "t",
        "detail": {}, "ip": "198.51.100.4", "created_at": when,
    }])


async def test_a_key_is_named_by_its_label_and_an_uploaded_file_leaves_one_row(owner):
    secret, key = await create_api_key("audio-company", "admin", label="Storefront sync")
    api = {"Authorization": f"Bearer {secret}"}
    data = b"kick" * 100
    assert (await owner.post("/api/products", json={"name": "Kit", "slug": "kit"}, headers=api)).status_code == 201
    files = [{"path": "kick.wav", "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}]
    assert (await owner.post("/api/products/kit/versions", json={"version": "1.0.0", "files": files}, headers=api)).status_code == 201
    started = await owner.post("/api/products/kit/versions/1.0.0/uploads", json={"path": "kick.wav"}, headers=api)
    upload = started.json()["data"]["upload"]
    assert (await owner.put(f"/api/uploads/{upload['id']}/parts/1", content=data, headers=api)).status_code == 200
    assert (await owner.post(f"/api/uploads/{upload['id']}/complete", headers=api)).status_code == 200

    log = await owner.get("/console/settings/audit")
    rows = [row for row in rows_of(log.text) if "Storefront sync" in row]
    assert len(rows) == 3, rows  # the product, the version, the file (its start and parts are steps of that one)
    assert sum("/complete" in row for row in rows) == 1
    assert "API key “Storefront sync”" in rows[0]
    assert not any(f"key:{key['id']}" in row for row in rows_of(log.text))


async def test_the_log_is_narrowed_by_person_key_action_and_day(owner):
    _, key = await create_api_key("audio-company", "member", label="Shop bot")
    await entry("product.create", f"user:{OWNER}", datetime(2026, 3, 1, 12, tzinfo=UTC))
    await entry("product.update", f"user:{OWNER}", datetime(2026, 3, 2, 23, 59, tzinfo=UTC))
    await entry("api.post", f"key:{key['id']}", datetime(2026, 3, 3, 0, 1, tzinfo=UTC))

    page = await owner.get("/console/settings/audit")
    assert "Shop bot" in page.text and "<option value=\"product.update\"" in page.text  # offered as filters

    by_key = rows_of((await owner.get("/console/settings/audit", params={"who": f"key:{key['id']}"})).text)
    assert len(by_key) == 1 and "api.post" in by_key[0] and "API key “Shop bot”" in by_key[0]

    by_action = rows_of((await owner.get("/console/settings/audit", params={"action": "product.update"})).text)
    assert len(by_action) == 1 and "2026-03-02 23:59" in by_action[0]

    by_person = rows_of((await owner.get("/console/settings/audit", params={"who": f"user:{OWNER}", "until": "2026-03-02"})).text)
    assert [("product.update" in r, "product.create" in r) for r in by_person] == [(True, False), (False, True)]

    by_day = rows_of((await owner.get("/console/settings/audit", params={"since": "2026-03-02", "until": "2026-03-02"})).text)
    assert len(by_day) == 1 and "product.update" in by_day[0]

    nothing = await owner.get("/console/settings/audit", params={"action": "member.remove"})
    assert "No changes match." in nothing.text


async def test_the_log_is_paged_newest_first(owner):
    for n in range(60):
        await entry("test.step", "cli", datetime(2026, 1, 1, 0, n, tzinfo=UTC))
    first = await owner.get("/console/settings/audit", params={"action": "test.step"})
    rows = rows_of(first.text)
    assert len(rows) == 50 and "2026-01-01 00:59" in rows[0]
    assert "60 changes, 1–50 shown" in first.text and "Command line" in rows[0]
    older = re.search(r'<a href="\?([^"]+)">Older</a>', first.text).group(1).replace("&amp;", "&")
    second = rows_of((await owner.get(f"/console/settings/audit?{older}")).text)
    assert len(second) == 10 and "2026-01-01 00:00" in second[-1]


async def test_a_day_that_is_not_a_date_is_refused_in_words(owner):
    refused = await owner.get("/console/settings/audit", params={"since": "yesterday"})
    assert refused.status_code == 422 and "since must be a date such as 2026-04-01" in refused.text
