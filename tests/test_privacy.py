"""Buyers' personal data: a retention period for IPs and user agents, and a
buyer's export and erasure (API and CLI), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from litestar import Litestar

from hub.clock import utcnow
from hub.services.privacy import apply_retention, truncated_ip
from hub.tables import DownloadSession
from tests.conftest import PUBLIC_URL, Org, fails, ok
from tests.support.catalog import Delivery, sell

BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
FILES = {"kick.wav": b"k" * 2000}


async def download(app: Litestar, delivery: Delivery, ip: str) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(ip, 51000)), base_url=PUBLIC_URL, headers={"User-Agent": BROWSER}
    ) as buyer:
        assert (await buyer.get(delivery.download_url)).status_code == 200
        assert (await buyer.get(delivery.url("kick.wav"))).content == FILES["kick.wav"]


async def sale(client: httpx.AsyncClient, org: Org) -> Delivery:
    """A product, a token for buyer@example.com, and a purchase by the same buyer."""
    delivery = await sell(client, org.member, FILES)
    ok(
        await client.post(
            "/api/purchases",
            headers=org.member,
            json={
                "reference": "order-1",
                "customerEmail": "Buyer@Example.com",
                "customerName": "Bea Buyer",
                "amount": 1900,
                "currency": "EUR",
                "items": [{"productId": "epic-drums"}],
            },
        ),
        201,
    )
    return delivery


@pytest.mark.parametrize(
    "ip, kept",
    [
        ("203.0.113.77", "203.0.113.0/24"),
        ("2001:db8:1:2::5", "2001:db8:1::/48"),
        ("::ffff:198.51.100.9", "198.51.100.0/24"),
        ("not an address", ""),
        ("", ""),
    ],
)
def test_an_ip_is_truncated_to_its_network(ip: str, kept: str):
    assert truncated_ip(ip) == kept


async def test_after_the_retention_period_ips_are_truncated_and_user_agents_dropped(app: Litestar, client, org):
    hub = app.state.hub
    delivery = await sell(client, org.member, FILES)
    await download(app, delivery, "198.51.100.20")
    newer = await sell(client, org.member, FILES, slug="other-kit")
    await download(app, newer, "2001:db8:1:2::5")

    assert await apply_retention(hub, now=utcnow() + timedelta(days=hub.settings.retention_days - 1)) == {
        "downloadSessions": 0, "signIns": 0, "buyerSessions": 0
    }
    kept = {row["ip"]: row["user_agent"] for row in await DownloadSession.select()}
    assert kept == {"198.51.100.20": BROWSER, "2001:db8:1:2::5": BROWSER}

    done = await apply_retention(hub, now=utcnow() + timedelta(days=hub.settings.retention_days + 1))
    assert done["downloadSessions"] == 2
    kept = {row["ip"]: row["user_agent"] for row in await DownloadSession.select()}
    assert kept == {"198.51.100.0/24": "", "2001:db8:1::/48": ""}
    # The download report keeps counts and bytes; a second pass changes nothing.
    assert sorted(row["bytes_sent"] for row in await DownloadSession.select()) == [2000, 2000]
    assert (await apply_retention(hub, now=utcnow() + timedelta(days=400)))["downloadSessions"] == 0


async def test_an_admin_exports_everything_held_about_a_buyer(app: Litestar, client, org, other_org):
    delivery = await sale(client, org)
    await download(app, delivery, "198.51.100.20")

    exported = ok(await client.get("/api/buyers/BUYER@example.com/export", headers=org.admin))
    assert exported["email"] == "buyer@example.com" and exported["organization"] == org.id
    [purchase] = exported["purchases"]
    assert purchase["customerName"] == "Bea Buyer" and purchase["amount"] == 1900 and purchase["reference"] == "order-1"
    assert len(exported["tokens"]) == 2
    [downloaded] = [t for t in exported["tokens"] if t["downloads"]]
    assert downloaded["downloads"][0]["ip"] == "198.51.100.20" and downloaded["downloads"][0]["userAgent"] == BROWSER
    assert "ct_download_" not in json.dumps(exported) and "hash" not in json.dumps(exported).lower()

    # Another organization holds nothing about this buyer; only admins may ask.
    assert ok(await client.get("/api/buyers/buyer@example.com/export", headers=other_org.admin))["purchases"] == []
    fails(await client.get("/api/buyers/buyer@example.com/export", headers=org.member), 403)
    fails(await client.get("/api/buyers/not-an-email/export", headers=org.admin), 422, "email")


async def test_an_export_shows_a_purchase_as_the_api_does_with_its_items_as_json(client, org):
    await sale(client, org)
    [exported] = ok(await client.get("/api/buyers/buyer@example.com/export", headers=org.admin))["purchases"]
    [listed] = ok(await client.get("/api/purchases", headers=org.admin))["purchases"]
    assert exported["items"] == [{"productId": "epic-drums", "version": None}]
    assert exported["metadata"] == {}
    assert exported == {**{k: v for k, v in listed.items() if k not in ("tokens", "licenses")}, "reference": "order-1"}


async def test_erasing_a_buyer_revokes_links_and_keeps_amounts_and_dates(app: Litestar, client, org):
    delivery = await sale(client, org)
    await download(app, delivery, "198.51.100.20")
    fails(await client.post("/api/buyers/buyer@example.com/erase", headers=org.member), 403)

    erased = ok(await client.post("/api/buyers/buyer@example.com/erase", headers=org.admin))["erased"]
    assert erased["purchases"] == 1 and erased["tokens"] == 2 and erased["tokensRevoked"] == 2
    assert erased["downloadSessions"] == 1

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=PUBLIC_URL) as buyer:
        assert (await buyer.get(delivery.download_url)).status_code == 410
    exported = ok(await client.get("/api/buyers/buyer@example.com/export", headers=org.admin))
    assert exported["purchases"] == [] and exported["tokens"] == [] and exported["emails"] == []
    [purchase] = ok(await client.get("/api/purchases", headers=org.admin))["purchases"]
    assert purchase["customerEmail"] == "" and purchase["customerName"] == ""
    assert purchase["amount"] == 1900 and purchase["currency"].upper() == "EUR" and purchase["createdAt"]
    [session] = await DownloadSession.select()
    assert session["ip"] == "" and session["user_agent"] == "" and session["bytes_sent"] == 2000
    # Erasing again finds nothing more.
    again = ok(await client.post("/api/buyers/buyer@example.com/erase", headers=org.admin))["erased"]
    assert again == {"purchases": 0, "tokensRevoked": 0, "tokens": 0, "downloadSessions": 0, "emailsDeleted": 0}


async def test_the_cli_exports_and_erases_a_buyer(app: Litestar, client, org, settings, tmp_path: Path):
    import os
    import subprocess

    from tests.support.server import hub_command

    await sale(client, org)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(
        HUB_DATABASE_URL=settings.database_url, HUB_DATA_DIR=str(settings.data_dir), HUB_SECRET_KEY=settings.secret_key
    )

    def cli(*args: str) -> dict:
        done = subprocess.run(hub_command(*args), env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    exported = cli("buyers", "export", "buyer@example.com", "--org", org.id)
    assert len(exported["purchases"]) == 1 and len(exported["tokens"]) == 2
    erased = cli("buyers", "erase", "buyer@example.com", "--org", org.id)
    assert erased["erased"]["purchases"] == 1 and erased["erased"]["tokensRevoked"] == 2
    assert cli("buyers", "export", "buyer@example.com", "--org", org.id)["purchases"] == []
