"""The download page's fast lane (:mod:`hub.bypasses.page_lane`) answers exactly
as the routed page does: same status, headers and bytes, counted in the same
metrics series; whatever it does not answer itself reaches Litestar."""

from __future__ import annotations

import dataclasses
import secrets

import httpx
import pytest
from litestar import Litestar

from hub.bypasses.mint_lane import MintLane
from hub.bypasses.page_lane import DownloadPageLane
from hub.settings import Settings
from tests.conftest import Org
from tests.support.catalog import sell
from tests.test_health import sample

METRICS_TOKEN = "metrics-" + secrets.token_hex(8)
PACK = {"Kicks/kick 01.wav": b"k" * 3000, "README.txt": b"Thanks!"}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, metrics_token=METRICS_TOKEN)


def comparable(answer: httpx.Response) -> tuple[int, list[tuple[str, str]], bytes]:
    """An answer without what differs by nature: the date and the new cookie's value."""
    headers = sorted(
        (name, value.split("=", 1)[0] + "=…" + value.split(";", 1)[1] if name == "set-cookie" else value)
        for name, value in answer.headers.multi_items()
        if name != "date"
    )
    return answer.status_code, headers, answer.content


def lanes_of(app: Litestar) -> set[type]:
    """The fast lanes around ``app``'s router."""
    found, handler = set(), app.asgi_handler
    while handler is not None:
        if isinstance(handler, (DownloadPageLane, MintLane)):
            found.add(type(handler))
        handler = getattr(handler, "app", None)
    return found


@pytest.mark.parametrize("fast_lanes", [True, False])
def test_hub_fast_lanes_off_leaves_the_lanes_out(app: Litestar, fast_lanes: bool):
    assert lanes_of(app) == ({DownloadPageLane, MintLane} if fast_lanes else set())


async def requests_counted(client: httpx.AsyncClient) -> float:
    text = (await client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})).text
    return sample(text, "hub_http_requests_total", route="/download", method="GET", status="200")


@pytest.mark.parametrize("accept", ["text/html", "application/json"])
@pytest.mark.parametrize("has_cookie", [False, True])
async def test_the_lane_and_the_routed_page_send_the_same_answer(client: httpx.AsyncClient, org: Org, accept: str, has_cookie: bool):
    delivery = await sell(client, org.member, PACK, max_downloads=5)
    headers = {"Accept": accept, "User-Agent": "Mozilla/5.0"}
    if has_cookie:
        headers["Cookie"] = "theme=dark; ct_dl=an-earlier-session"
    answers = []
    # The lane takes ?token=… alone; any other parameter goes the routed way.
    for url in (delivery.download_url, delivery.download_url + "&utm_source=email"):
        client.cookies.clear()
        answers.append(await client.get(url, headers=headers))
    lane, routed = answers
    assert lane.status_code == 200, lane.text
    assert comparable(lane) == comparable(routed)
    assert lane.headers["content-type"] == ("application/json" if accept == "application/json" else "text/html; charset=utf-8")
    assert ("set-cookie" in lane.headers) is not has_cookie
    if not has_cookie:
        assert lane.headers["set-cookie"].startswith("ct_dl=") and "HttpOnly" in lane.headers["set-cookie"]
        assert lane.headers["set-cookie"] != routed.headers["set-cookie"]


@pytest.mark.parametrize("fast_lanes", [True, False])
async def test_pages_the_lane_answers_are_counted_with_the_routed_ones(client: httpx.AsyncClient, org: Org):
    delivery = await sell(client, org.member, PACK)
    before = await requests_counted(client)
    assert (await client.get(delivery.download_url)).status_code == 200  # the lane
    assert (await client.get(delivery.download_url + "&from=mail")).status_code == 200  # routed
    assert await requests_counted(client) == before + 2


async def test_what_the_lane_does_not_answer_reaches_the_routed_page(client: httpx.AsyncClient, org: Org):
    delivery = await sell(client, org.member, PACK, max_downloads=1)
    as_json = {"Accept": "application/json"}
    # Percent-encoded, as some mail clients rewrite links: decoded by Litestar.
    encoded = delivery.download_url.replace("ct_download_", "ct%5Fdownload%5F")
    assert (await client.get(encoded, headers=as_json)).json()["success"] is True
    # A token that does not exist: the routed page's 404, for people and programs.
    unknown = delivery.download_url.replace(delivery.secret, "ct_download_" + "x" * 43)
    page = await client.get(unknown, headers={"Accept": "text/html"})
    assert page.status_code == 404 and "This download link is not valid" in page.text
    refused = await client.get(unknown, headers=as_json)
    assert refused.status_code == 404
    assert refused.json() == {"success": False, "error": "This download link is not valid. Check that you copied the whole link."}
    # A used-up token: still open to the session that used it, refused to others.
    url = delivery.urls["README.txt"]
    assert (await client.get(url)).content == PACK["README.txt"]
    assert (await client.get(delivery.download_url, headers=as_json)).json()["data"]["downloadsLeft"] == 0
    client.cookies.clear()
    other = await client.get(delivery.download_url, headers={**as_json, "User-Agent": "another browser"})
    assert other.status_code == 403 and other.json()["success"] is False


async def test_the_pages_one_query_finds_each_row_by_an_index(app, client: httpx.AsyncClient):
    """The page's join reads the token, its product, purchase, shop and the
    product's media files each through an index: never the shop's whole
    media library (nor any table) per page view."""
    from hub.db.engines import compile_placeholders
    from hub.services.tokens import _GRANT_BY_HASH

    hub = app.state.hub
    if not hub.db.is_sqlite:
        pytest.skip("SQLite's plan is the same on any size of table; PostgreSQL's depends on its statistics")
    plan = [row["detail"] for row in await hub.db.fetch("EXPLAIN QUERY PLAN " + compile_placeholders(_GRANT_BY_HASH, False), "x")]
    assert all(step.startswith("SEARCH") for step in plan), plan
    assert any("hub_media_file_product" in step for step in plan), plan
