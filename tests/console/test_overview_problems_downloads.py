"""Overview (30 days, revenue per currency, open problems), Problems (fix
and fulfil; retry a failed email) and Downloads (sessions, CSV report)."""

from __future__ import annotations

import asyncio
import re

import pytest

from hub.services.accounts import create_api_key
from hub.services.purchases import PurchaseIn, PurchaseItem, record_purchase
from hub.testing.app import settings_for_tests
from tests.console.conftest import post_form
from tests.test_tokens_api import ready_product


@pytest.fixture
def settings(database_url, tmp_path):
    # One attempt: a failed send is "failed" at once, for the Problems page.
    return settings_for_tests(tmp_path / "data", database_url=database_url, outbox_max_attempts=1)


class Keys:
    def __init__(self, headers):
        self.admin = self.member = self.viewer = headers


async def sell(app, ref: str, items: list[str], email: str = "buyer@example.com", amount: int = 1000, currency: str = "eur"):
    return await record_purchase(
        app.state.hub,
        PurchaseIn(org="audio-company", provider="stripe", provider_ref=ref, customer_email=email,
                   items=[PurchaseItem(i) for i in items], amount=amount, currency=currency),
    )


@pytest.fixture
async def shop(console_app, owner):
    secret, _ = await create_api_key("audio-company", "admin")
    await ready_product(owner, Keys({"Authorization": f"Bearer {secret}"}), slug="pack")
    return console_app


async def until_page_shows(client, path: str, text: str) -> str:
    for _ in range(200):
        page = await client.get(path)
        if text in page.text:
            return page.text
        await asyncio.sleep(0.05)
    raise AssertionError(f"{text!r} never appeared on {path}")


async def test_overview_shows_sales_revenue_per_currency_and_a_chart(shop, owner, mailbox):
    await sell(shop, "a", ["pack"], amount=2900, currency="eur")
    await sell(shop, "b", ["pack"], amount=1100, currency="eur")
    await sell(shop, "c", ["pack"], amount=500, currency="usd")
    await sell(shop, "d", ["no-such-product"])
    page = await owner.get("/console")
    assert page.status_code == 200
    assert "50.00 EUR" in page.text and "5.00 USD" in page.text
    assert re.search(r'stat-label">Sales</p><p class="stat-value">4<', page.text)
    assert "1 unfulfilled purchase," in page.text
    assert page.text.count('class="bar"') == 30 and "<polyline" in page.text


async def test_an_unfulfilled_purchase_is_fixed_and_fulfilled(shop, owner, mailbox):
    recorded = await sell(shop, "order-9", ["pack-typo"])
    assert recorded.purchase["problem"]
    page = await owner.get("/console/problems")
    assert "order-9" in page.text and "pack-typo" in page.text
    base = "/console/problems"
    still_wrong = await post_form(owner, base, f"{base}/purchases/{recorded.purchase['id']}/fulfil", email="buyer@example.com", items="pack-typo")
    assert still_wrong.status_code == 422 and "pack-typo" in still_wrong.text
    fixed = await post_form(owner, base, f"{base}/purchases/{recorded.purchase['id']}/fulfil", email="buyer@example.com", items="pack")
    assert fixed.status_code == 303
    message = (await mailbox.wait_for(1))[-1]
    link = re.search(r"http://hub\.test(/download\?token=\S+)", message.get_content()).group(1)
    assert (await owner.get(link, headers={"Accept": "application/json"})).status_code == 200
    assert "None: every paid purchase was delivered." in (await owner.get(base)).text
    assert "purchase.fix_and_fulfil" in (await owner.get("/console/settings/audit")).text


async def test_a_failed_email_is_retried_now(shop, owner, mailbox):
    mailbox.failing = True
    await sell(shop, "order-1", ["pack"])
    page = await until_page_shows(owner, "/console/problems", "Retry now")
    assert "buyer@example.com" in page and "failing on purpose" in page
    mailbox.failing = False
    message_id = re.search(r'/console/problems/emails/(msg_[0-9a-f]+)/retry', page).group(1)
    retried = await post_form(owner, "/console/problems", f"/console/problems/emails/{message_id}/retry")
    assert retried.status_code == 303
    assert (await mailbox.wait_for(1))[-1]["To"] == "buyer@example.com"
    again = await post_form(owner, "/console/problems", f"/console/problems/emails/{message_id}/retry")
    assert again.status_code == 404


async def test_downloads_are_listed_filtered_and_exported(shop, owner, mailbox):
    await sell(shop, "order-1", ["pack"])
    link = re.search(r"http://hub\.test(/download\?token=\S+)", (await mailbox.wait_for(1))[-1].get_content()).group(1)
    listing = (await owner.get(link, headers={"Accept": "application/json"})).json()
    await owner.get(listing["data"]["files"][0]["url"].removeprefix("http://hub.test"))
    page = await owner.get("/console/downloads")
    assert page.status_code == 200 and "1 session" in page.text and "buyer@example.com" in page.text
    assert "No downloads match" in (await owner.get("/console/downloads?product=other")).text
    assert "1 session" in (await owner.get("/console/downloads?product=pack&email=Buyer@example.com")).text
    csv = await owner.get("/console/downloads/report.csv")
    assert csv.status_code == 200 and csv.text.startswith("session_id,") and "buyer@example.com" in csv.text
    assert (await owner.get("/console/downloads?since=soon")).status_code == 422
    assert (await owner.get("/console/downloads/report.csv?until=never")).status_code == 422
