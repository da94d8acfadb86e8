"""What the buyer sees of a license key: the delivery email, the download
page (both its lanes), and /my, where they free a machine's seat a few times
a month (on SQLite and PostgreSQL)."""

from __future__ import annotations

import html
import re

import pytest

from hub.testing.app import make_org
from hub.testing.products import ready_product
from tests.test_my import csrf_of, mailbox, my_client, sign_in  # noqa: F401  (fixtures)

KEY = re.compile(r"[0-9A-Z]{5}(?:-[0-9A-Z]{5}){3}-[0-9A-Z]")


async def licensed_purchase(client, *, seat_releases: int = 3) -> tuple[dict, str]:
    headers = await make_org("synth-shop")
    await ready_product(client, headers, "synth-pro", name="Synth Pro")
    settings = {"enabled": True, "activationLimit": 2, "seatReleases": seat_releases}
    assert (await client.put("/api/products/synth-pro/license", json=settings, headers=headers)).status_code == 200
    sale = {"reference": "order-1", "customerEmail": "buyer@example.com", "items": [{"productId": "synth-pro"}]}
    answer = await client.post("/api/purchases", json=sale, headers=headers)
    assert answer.status_code == 201, answer.text
    purchase = answer.json()["data"]["purchase"]
    return purchase, purchase["licenses"][0]["key"]


@pytest.mark.parametrize("fast_lanes", [True, False], ids=["page-lane", "routed"])
async def test_the_download_page_shows_the_items_license_key(my_client, fast_lanes):
    purchase, key = await licensed_purchase(my_client)
    page = await my_client.get(purchase["tokens"][0]["downloadUrl"].removeprefix("http://hub.test"))
    assert page.status_code == 200
    assert key in page.text and "License key" in page.text and "Activations: 0 of 2" in page.text


async def test_a_buyer_sees_their_keys_and_frees_seats_on_my_up_to_the_limit(my_client, mailbox):
    _, key = await licensed_purchase(my_client, seat_releases=1)
    for fingerprint, name in (("fp-1", "Old iMac"), ("fp-2", "Studio PC")):
        answer = await my_client.post("/api/licenses/activate", json={"key": key, "fingerprint": fingerprint, "name": name})
        assert answer.status_code == 200, answer.text

    await sign_in(my_client, mailbox)
    page = await my_client.get("/my")
    text = html.unescape(page.text)
    assert key in text and "Old iMac" in text and "Studio PC" in text and "Activations: 2 of 2" in text

    action = re.search(r'action="(/my/licenses/[^"]+/deactivate)"[^>]*>\s*<input type="hidden" name="_csrf_token" value="([^"]+)">\s*<button[^>]*aria-label="Deactivate Old iMac"', page.text)
    assert action, page.text
    freed = await my_client.post(action.group(1), data={"_csrf_token": action.group(2)})
    assert freed.status_code == 303 and freed.headers["location"] == "/my"
    page = await my_client.get("/my")
    assert "Old iMac" not in page.text and "Activations: 1 of 2" in page.text
    # The seat is free for the new computer.
    assert (await my_client.post("/api/licenses/activate", json={"key": key, "fingerprint": "fp-3", "name": "New Mac"})).status_code == 200

    # A second release this month is refused, in words, and frees nothing.
    page = await my_client.get("/my")
    action = re.search(r'action="(/my/licenses/[^"]+/deactivate)"', page.text)
    refused = await my_client.post(action.group(1), data={"_csrf_token": csrf_of(page.text)})
    assert refused.status_code == 429
    assert "every 30 days" in refused.text and "Activations: 2 of 2" in refused.text

    # Without the CSRF token, nothing happens.
    forged = await my_client.post(action.group(1), data={})
    assert forged.status_code == 403


async def test_another_buyer_cannot_free_a_seat_of_a_key_not_theirs(my_client, mailbox):
    _, key = await licensed_purchase(my_client)
    answer = await my_client.post("/api/licenses/activate", json={"key": key, "fingerprint": "fp-1", "name": "Desk"})
    activation = answer.json()["data"]["activation"]["id"]
    license_id = answer.json()["data"]["license"]["id"]
    headers = await make_org("other-shop")
    await ready_product(my_client, headers, "pads")
    sale = {"reference": "order-9", "customerEmail": "someone-else@example.com", "items": [{"productId": "pads"}]}
    assert (await my_client.post("/api/purchases", json=sale, headers=headers)).status_code == 201
    await sign_in(my_client, mailbox, email="someone-else@example.com")
    page = await my_client.get("/my")
    assert key not in page.text
    refused = await my_client.post(
        f"/my/licenses/{license_id}/activations/{activation}/deactivate", data={"_csrf_token": csrf_of(page.text)}
    )
    assert refused.status_code == 404
    check = await my_client.post("/api/licenses/validate", json={"key": key, "fingerprint": "fp-1"})
    assert check.json()["data"]["code"] == "VALID"
