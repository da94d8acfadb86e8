"""Minting's fast lane (:mod:`hub.bypasses.mint_lane`) answers exactly as the
routed handlers do: same status, headers and bytes (but for what each mint
makes anew), the same metrics series and audit row; whatever it does not
answer itself reaches Litestar with its body intact, and a refusal writes
nothing."""

from __future__ import annotations

import dataclasses
import json
import re
import secrets

import httpx
import pytest

from hub.bypasses.mint_lane import MAX_BODY
from hub.settings import Settings
from hub.tables import AuditEntry, DownloadToken
from tests.conftest import Org
from tests.support.catalog import sell
from tests.test_health import sample

METRICS_TOKEN = "metrics-" + secrets.token_hex(8)
PACK = {"README.txt": b"Thanks!"}
ROUTED = "?via=routed"  # a query string: the lane leaves the request to Litestar
NEW_EACH_TIME = re.compile(r'"(id|token|downloadToken|downloadUrl|expiresAt|createdAt)":"[^"]*"')


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, metrics_token=METRICS_TOKEN)


def comparable(answer: httpx.Response) -> tuple[int, list[tuple[str, str]], str]:
    """An answer without what differs by nature: the date, and the new
    token's id, secret, link and times (their length stays)."""
    headers = sorted((name, value) for name, value in answer.headers.multi_items() if name != "date")
    body = NEW_EACH_TIME.sub(lambda m: f'"{m.group(1)}":"{len(m.group(0))}"', answer.text)
    return answer.status_code, headers, body


async def tokens_of(product: str) -> int:
    return await DownloadToken.count().where(DownloadToken.product.slug == product)


ENDPOINTS = [
    ("/api/products/epic-drums/tokens", {"customerEmail": "Buyer@Example.com", "maxDownloads": "5", "metadata": {"order": 7}}),
    ("/api/generate-download-url", {"productId": "epic-drums", "customerEmail": "buyer@example.com"}),
]


@pytest.mark.parametrize("fast_lanes", [True, False])
@pytest.mark.parametrize("path, body", ENDPOINTS)
async def test_the_lane_and_the_routed_handler_send_the_same_answer(client: httpx.AsyncClient, org: Org, path, body):
    await sell(client, org.member, PACK)
    lane = await client.post(path, json=body, headers=org.member)
    routed = await client.post(path + ROUTED, json=body, headers=org.member)
    assert lane.status_code in (200, 201), lane.text
    assert comparable(lane) == comparable(routed)
    # Each answer's link works: two tokens, each stored.
    for answer in (lane, routed):
        data = answer.json().get("data", {}).get("token") or answer.json()
        page = await client.get(data["downloadUrl"], headers={"Accept": "application/json"})
        assert page.status_code == 200 and page.json()["data"]["files"][0]["path"] == "README.txt"


@pytest.mark.parametrize("fast_lanes", [True, False])
async def test_mints_the_lane_answers_are_counted_and_audited_as_the_routed_ones(client: httpx.AsyncClient, org: Org):
    await sell(client, org.member, PACK)
    route = "/api/products/{product_id}/tokens"
    metrics = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    before = sample((await client.get("/metrics", headers=metrics)).text, "hub_http_requests_total", route=route, method="POST", status="201")
    audited = await AuditEntry.count().where(AuditEntry.target == "/api/products/epic-drums/tokens")
    for path in ("/api/products/epic-drums/tokens", "/api/products/epic-drums/tokens" + ROUTED):
        assert (await client.post(path, json={}, headers=org.member)).status_code == 201
    after = sample((await client.get("/metrics", headers=metrics)).text, "hub_http_requests_total", route=route, method="POST", status="201")
    assert after == before + 2
    rows = await AuditEntry.select().where(AuditEntry.target == "/api/products/epic-drums/tokens")
    assert len(rows) == audited + 2
    assert {(row["action"], row["ip"], row["actor"].startswith("key:")) for row in rows} == {("api.post", "203.0.113.7", True)}


@pytest.mark.parametrize(
    "path, body, headers, status, error",
    [
        ("/api/products/epic-drums/tokens", {}, {"Authorization": "Bearer ck_live_nope"}, 401, "Invalid API key"),
        ("/api/products/epic-drums/tokens", {}, "viewer", 403, None),
        ("/api/products/epic-drums/tokens", {"customerEmail": "not-an-email"}, "member", 422, "customerEmail must be an email address"),
        ("/api/products/epic-drums/tokens", {"maxDownloads": "many"}, "member", 422, "maxDownloads"),
        ("/api/products/no-such-kit/tokens", {}, "member", 404, "Product no-such-kit not found"),
        ("/api/products/epic-drums/tokens", "[" * 70 + "]" * 70, "member", 400, "nests too deeply"),
        ("/api/products/epic-drums/tokens", "{not json", "member", 400, None),
        ("/api/generate-download-url", {"productId": "no-such-kit"}, "member", 404, "No active manifest for no-such-kit@active"),
        ("/api/generate-download-url", {}, "member", 422, "missing required field `productId`"),
    ],
)
async def test_refusals_are_the_routed_handlers_and_write_nothing(
    client: httpx.AsyncClient, org: Org, path, body, headers, status, error
):
    await sell(client, org.member, PACK)
    headers = getattr(org, headers) if isinstance(headers, str) else headers
    before = await tokens_of("epic-drums")
    content = body if isinstance(body, str) else json.dumps(body)
    answers = [
        await client.post(url, content=content, headers={**headers, "Content-Type": "application/json"})
        for url in (path, path + ROUTED)
    ]
    lane, routed = answers
    assert lane.status_code == status, lane.text
    assert comparable(lane) == comparable(routed)
    assert lane.json()["success"] is False
    if error:
        assert error in lane.json()["error"]
    assert await tokens_of("epic-drums") == before


async def test_a_body_the_lane_does_not_take_reaches_the_routed_handler_whole(client: httpx.AsyncClient, org: Org):
    await sell(client, org.member, PACK)
    metadata = {"note": "x" * MAX_BODY}  # larger than the lane reads

    async def in_pieces():
        body = json.dumps({"metadata": metadata}).encode()
        for start in range(0, len(body), 1000):
            yield body[start : start + 1000]

    minted = await client.post(
        "/api/products/epic-drums/tokens", content=in_pieces(), headers={**org.member, "Content-Type": "application/json"}
    )
    assert minted.status_code == 201, minted.text
    assert minted.json()["data"]["token"]["metadata"] == metadata


async def test_a_body_in_several_messages_is_read_by_the_lane(client: httpx.AsyncClient, org: Org):
    await sell(client, org.member, PACK)

    async def in_pieces():
        yield b'{"customerEmail": "buy'
        yield b'er@example.com", "metadata": {"order": 9}}'

    minted = await client.post(
        "/api/products/epic-drums/tokens", content=in_pieces(), headers={**org.member, "Content-Type": "application/json"}
    )
    assert minted.status_code == 201, minted.text
    token = minted.json()["data"]["token"]
    assert (token["customerEmail"], token["metadata"]) == ("buyer@example.com", {"order": 9})
