"""/healthz, /readyz and /metrics, as a load balancer and Prometheus use them."""

from __future__ import annotations

import dataclasses
import re
import secrets

import httpx
import pytest
from litestar import Litestar

from hub.app import create_app
from hub.settings import Settings
from hub.testing.app import running
from tests.conftest import PUBLIC_URL, Org
from tests.support.catalog import sell
from tests.support.s3 import moto_s3_server

METRICS_TOKEN = "metrics-" + secrets.token_hex(8)
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, metrics_token=METRICS_TOKEN)


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample of the Prometheus text ``text`` (0 when absent)."""
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        metric, value = line.rsplit(" ", 1)
        if metric == name and not labels:
            return float(value)
        found = dict(re.findall(r'(\w+)="([^"]*)"', metric))
        if metric.split("{")[0] == name and found == labels:
            return float(value)
    return 0.0


async def scrape(client: httpx.AsyncClient) -> str:
    answer = await client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    return answer.text


async def test_healthz_answers_while_the_process_is_alive(client: httpx.AsyncClient):
    answer = await client.get("/healthz")
    assert answer.status_code == 200 and answer.json() == {"status": "ok"}


async def test_readyz_is_ready_with_database_blob_store_and_migrations_in_place(client: httpx.AsyncClient):
    answer = await client.get("/readyz")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"status": "ready", "checks": {"database": "ok", "blobStore": "ok"}}


async def test_readyz_is_503_while_a_migration_is_not_applied(client: httpx.AsyncClient):
    from piccolo.apps.migrations.tables import Migration

    last = await Migration.select().where(Migration.app_name == "hub").order_by(Migration.name, ascending=False).first()
    await Migration.delete().where(Migration.id == last["id"])
    try:
        answer = await client.get("/readyz")
    finally:
        await Migration.insert(Migration(name=last["name"], app_name="hub", ran_on=last["ran_on"]))
    assert answer.status_code == 503, answer.text
    assert answer.json()["checks"]["database"] == "1 migration(s) not applied: run continuata-hub migrate"
    assert (await client.get("/readyz")).status_code == 200


async def test_readyz_is_503_when_the_blob_store_is_unreachable(settings: Settings):
    s3_server = moto_s3_server()
    endpoint = s3_server.__enter__()
    try:
        app = create_app(
            dataclasses.replace(
                settings,
                storage="s3",
                s3_bucket=f"ready-{secrets.token_hex(4)}",
                s3_endpoint_url=endpoint,
                s3_access_key_id="testing",
                s3_secret_access_key="testing",
            )
        )
        async with running(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=PUBLIC_URL) as client:
                assert (await client.get("/readyz")).status_code == 200
                s3_server.__exit__(None, None, None)  # the S3 server goes away
                s3_server = None
                answer = await client.get("/readyz")
    finally:
        if s3_server is not None:
            s3_server.__exit__(None, None, None)
    assert answer.status_code == 503, answer.text
    checks = answer.json()["checks"]
    assert checks["database"] == "ok" and checks["blobStore"].startswith("unreachable: "), checks


async def test_metrics_are_not_served_without_a_token_setting(settings: Settings):
    app = create_app(dataclasses.replace(settings, metrics_token=""))
    async with running(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=PUBLIC_URL) as client:
            assert (await client.get("/metrics")).status_code == 404


async def test_metrics_need_the_bearer_token(client: httpx.AsyncClient):
    assert (await client.get("/metrics")).status_code == 401
    wrong = await client.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 401 and "HUB_METRICS_TOKEN" in wrong.text


async def test_metrics_count_requests_by_route_template_and_status(client: httpx.AsyncClient, org: Org):
    before = await scrape(client)
    route = "/api/products/{product_id}"
    was_404 = sample(before, "hub_http_requests_total", method="GET", route=route, status="404")
    for _ in range(3):
        assert (await client.get("/api/products/no-such-product", headers=org.viewer)).status_code == 404
    after = await scrape(client)
    assert sample(after, "hub_http_requests_total", method="GET", route=route, status="404") == was_404 + 3
    assert "no-such-product" not in after


async def test_metrics_count_a_refusal_by_middleware_with_its_own_status(client: httpx.AsyncClient, org: Org):
    """A request refused before its handler (an id no request can name) is
    counted as the 404 it is answered with, not as a 500."""
    route = "/api/products/{product_id}"
    before = await scrape(client)
    answer = await client.get("/api/products/bad%00id", headers=org.viewer)
    assert answer.status_code == 404 and answer.json()["success"] is False
    after = await scrape(client)
    assert sample(after, "hub_http_requests_total", method="GET", route=route, status="404") == (
        sample(before, "hub_http_requests_total", method="GET", route=route, status="404") + 1
    )
    assert sample(after, "hub_http_requests_total", method="GET", route=route, status="500") == sample(
        before, "hub_http_requests_total", method="GET", route=route, status="500"
    )


async def test_metrics_report_downloads_bytes_and_the_outbox(app: Litestar, client: httpx.AsyncClient, org: Org):
    files = {"kick.wav": b"k" * 1000}
    delivery = await sell(client, org.member, files)
    before = await scrape(client)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("198.51.100.9", 51000)),
        base_url=PUBLIC_URL,
        headers={"User-Agent": BROWSER},
    ) as buyer:
        assert (await buyer.get(delivery.download_url)).status_code == 200
        assert (await buyer.get(delivery.url("kick.wav"))).content == files["kick.wav"]
    after = await scrape(client)
    assert sample(after, "hub_downloads_total") == sample(before, "hub_downloads_total") + 1
    assert sample(after, "hub_download_bytes_total") == sample(before, "hub_download_bytes_total") + 1000
    assert "hub_outbox_messages{status=\"pending\"}" in after
    assert "hub_outbox_oldest_pending_seconds" in after
