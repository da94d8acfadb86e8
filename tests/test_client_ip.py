"""The client's IP address: X-Forwarded-For is believed from
HUB_TRUSTED_PROXIES only, and one answer serves downloads, /my and the logs."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest

from hub.client_ip import forwarded_client, parse_networks
from hub.settings import Settings, SettingsError
from hub.tables import BuyerSignIn, DownloadSession
from hub.testing.app import make_app, running
from tests.conftest import _empty_postgres, make_org
from tests.support.catalog import mint
from tests.support.server import hub_server
from tests.test_my import csrf_of
from tests.test_tokens_api import ready_product

PROXIES = parse_networks("10.0.0.0/8, 2001:db8::/32, 192.0.2.7")
BUYER = "198.51.100.23"


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("10.1.2.3", [BUYER], BUYER),  # through a trusted load balancer
        ("192.0.2.7", [BUYER], BUYER),  # a trusted single address
        ("192.0.2.8", [BUYER], "192.0.2.8"),  # not a proxy of ours: the header is the client's word
        ("10.1.2.3", [f"203.0.113.66, {BUYER}"], BUYER),  # the buyer's forged hop is not believed
        ("10.1.2.3", [f"{BUYER}, 10.9.9.9"], BUYER),  # two proxies of ours in a row
        ("10.1.2.3", ["203.0.113.66", f"{BUYER}, 10.9.9.9"], BUYER),  # the header sent twice
        ("10.1.2.3", ["10.9.9.9, 10.8.8.8"], "10.9.9.9"),  # every hop ours: the first
        ("10.1.2.3", [f"{BUYER}:4711"], BUYER),  # with a port
        ("2001:db8::1", ["[2001:db8:ffff::9]:443, 2a00:1450::1"], "2a00:1450::1"),
        ("10.1.2.3", [f"{BUYER}, not-an-address"], "10.1.2.3"),  # garbage from the last proxy: stop there
        ("10.1.2.3", [], "10.1.2.3"),
    ],
)
def test_the_client_is_the_first_hop_not_a_trusted_proxy(peer, forwarded, client):
    assert forwarded_client(peer, forwarded, PROXIES) == client


def test_trusted_proxies_default_to_loopback_and_bad_entries_are_refused():
    assert Settings().trusted_proxy_networks == parse_networks("127.0.0.1, ::1")
    assert Settings.from_env({"HUB_TRUSTED_PROXIES": "10.0.0.0/8, fd00::/8"}, env_file=None).trusted_proxies
    with pytest.raises(SettingsError, match="HUB_TRUSTED_PROXIES: 'lb.internal' is not an IP address"):
        Settings.from_env({"HUB_TRUSTED_PROXIES": "10.0.0.0/8, lb.internal"}, env_file=None)


@contextlib.asynccontextmanager
async def client_from(app, peer: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=(peer, 50000))
    async with httpx.AsyncClient(transport=transport, base_url=app.state.hub.settings.public_url) as client:
        yield client


@pytest.mark.parametrize(("peer", "recorded"), [("10.1.2.3", BUYER), ("192.0.2.50", "192.0.2.50")])
async def test_downloads_and_sign_ins_record_the_forwarded_client_only_from_a_trusted_proxy(settings, peer, recorded):
    app = make_app(replace(settings, trusted_proxies="10.0.0.0/8"), entry_points="none")
    async with running(app), client_from(app, peer) as client:
        await _empty_postgres(app)
        org = await make_org("audio-company")
        await ready_product(client, org, slug="p")
        delivery = await mint(client, org.member, "p", {"kick.wav": b"kick drum"})
        forwarded = {"X-Forwarded-For": f"203.0.113.66, {BUYER}"}
        assert (await client.get(delivery.url("kick.wav"), headers=forwarded)).status_code == 200
        form = await client.get("/my")
        answer = await client.post(
            "/my/sign-in", data={"email": "fan@example.com", "_csrf_token": csrf_of(form.text)}, headers=forwarded
        )
        assert answer.status_code == 200
    assert [row["ip"] for row in await DownloadSession.select(DownloadSession.ip)] == [recorded]
    assert [row["ip"] for row in await BuyerSignIn.select(BuyerSignIn.ip)] == [recorded]


@pytest.mark.parametrize(("trusted", "logged"), [(None, BUYER), ("10.9.9.9", "127.0.0.1")])
def test_serve_believes_forwarded_headers_from_trusted_proxies_only(tmp_path, trusted, logged):
    settings = {} if trusted is None else {"HUB_TRUSTED_PROXIES": trusted}
    with hub_server(tmp_path, **settings) as hub:
        httpx.get(f"{hub.url}/healthz?probe=1", headers={"X-Forwarded-For": BUYER})
        log = hub.log_text_with("/healthz?probe=1")
    [line] = [line for line in log.splitlines() if "/healthz?probe=1" in line]
    assert re.search(rf"\b{re.escape(logged)}:\d+ - ", line), line


@pytest.mark.parametrize(("peer", "secure"), [("127.0.0.1", True), ("203.0.113.9", False)])
async def test_cookies_are_secure_behind_a_trusted_https_proxy_only(settings, peer, secure):
    """X-Forwarded-Proto: https from a trusted proxy makes every cookie the
    hub sets Secure (console session and CSRF, /my CSRF, the download
    session); from any other peer the header is ignored."""
    from hub.services.people import create_user

    app = make_app(settings, entry_points="none")
    async with running(app):
        await _empty_postgres(app)
        org = await make_org("cookie-shop")
        await create_user("cookie-shop", "owner@example.com", "admin", "correct horse battery staple")
        transport = httpx.ASGITransport(app=app, client=(peer, 50000))
        proto = {"X-Forwarded-Proto": "https"}
        async with httpx.AsyncClient(transport=transport, base_url="http://hub.test", headers=proto) as client:
            await ready_product(client, org)
            minted = await client.post("/api/products/epic-drums-v1/tokens", json={}, headers=org.member)
            link = minted.json()["data"]["token"]["downloadUrl"].removeprefix("http://hub.test")
            login = await client.get("/console/login")
            # Sent by hand: the client keeps a Secure cookie from http:// to itself.
            token = csrf_of(login.text)
            signed_in = await client.post("/console/login", headers={"cookie": f"ct_console_csrf={token}"}, data={
                "email": "owner@example.com", "password": "correct horse battery staple", "next": "/console",
                "_csrf_token": token,
            })
            answers = [login, signed_in, await client.get("/my"), await client.get(link)]
    cookies = [h for a in answers for h in a.headers.get_list("set-cookie")]
    names = {c.split("=", 1)[0] for c in cookies}
    assert names == {"ct_console_csrf", "ct_console", "ct_csrf", "ct_dl"}, names
    for cookie in cookies:
        assert ("; secure" in cookie.lower()) is secure, cookie
