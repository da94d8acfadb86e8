"""Sending a product from the console (a purchase with provider
``console``, a reason and an optional amount, with its delivery email), and
the Links view: every link, with or without a purchase, found by buyer and
product, sent again, extended, revoked and restored."""

from __future__ import annotations

import re

from hub.services.accounts import create_api_key
from hub.tables import Purchase
from tests.console.conftest import post_form
from tests.console.test_forms import field_error, typed
from tests.console.test_purchases import (
    Keys,
    links_in,
    purchase,  # noqa: F401  (the fixture)
)
from tests.test_tokens_api import ready_product


async def product_on_sale(owner) -> dict[str, str]:
    secret, _ = await create_api_key("audio-company", "admin")
    api = {"Authorization": f"Bearer {secret}"}
    await ready_product(owner, Keys(api), slug="pack")
    return api


def send_id_of(page: str) -> str:
    return re.search(r'name="send_id" value="(send_[0-9a-f]+)"', page).group(1)


async def test_a_product_sent_from_the_console_is_a_purchase_with_its_email_and_a_form_sent_twice_sends_once(owner, mailbox):
    await product_on_sale(owner)
    product_page = await owner.get("/console/products/pack")
    assert 'href="/console/send?product=pack"' in product_page.text
    form = await owner.get("/console/send?product=pack")
    fields = {"product": "pack", "email": "Press@Example.com", "reason": "press copy", "amount": "5.00", "currency": "eur",
              "send_id": send_id_of(form.text)}
    sent = await post_form(owner, "/console/send?product=pack", "/console/send", **fields)
    assert sent.status_code == 303 and "?done=sent" in sent.headers["location"]
    purchase_page = await owner.get(sent.headers["location"])
    assert "The product was sent" in purchase_page.text and "press@example.com" in purchase_page.text
    assert "5.00 EUR" in purchase_page.text
    [message] = await mailbox.wait_for(1)
    assert message["To"] == "press@example.com"
    [link] = links_in(message)
    assert (await owner.get(link, headers={"Accept": "application/json"})).status_code == 200

    again = await post_form(owner, "/console/send?product=pack", "/console/send", **fields)  # a double click, a reload
    assert again.headers["location"] == sent.headers["location"]
    rows = await Purchase.select().where(Purchase.provider == "console").output(load_json=True)
    assert len(rows) == 1 and rows[0]["metadata"] == {"reason": "press copy", "sentBy": "owner@example.com"}
    assert rows[0]["amount"] == 500 and rows[0]["currency"] == "eur"
    assert len(mailbox.messages) == 1
    log = (await owner.get("/console/settings/audit", params={"action": "purchase.send"})).text
    assert "press copy" in log


async def test_a_send_form_with_mistakes_says_each_beside_its_field_and_sends_nothing(owner, mailbox):
    await product_on_sale(owner)
    refused = await post_form(owner, "/console/send", "/console/send", product="pack", email="press@", reason="",
                              amount="five", currency="")
    assert refused.status_code == 422
    assert field_error(refused.text, "send-email") == "email must be an email address, like buyer@example.com"
    assert field_error(refused.text, "send-reason").startswith("Say why you send it")
    assert field_error(refused.text, "send-amount") == "amount must be a number such as 19.00, or empty"
    assert typed(refused.text, "send-email") == "press@" and typed(refused.text, "send-amount") == "five"
    no_currency = await post_form(owner, "/console/send", "/console/send", product="pack", email="a@example.com",
                                  reason="gift", amount="3", currency="")
    assert field_error(no_currency.text, "send-currency").startswith("currency must be a three-letter code")
    assert await Purchase.count() == 0 and mailbox.messages == []


async def test_a_link_made_through_the_api_is_found_sent_extended_revoked_and_restored(owner, mailbox):
    api = await product_on_sale(owner)
    minted = await owner.post("/api/products/pack/tokens", json={"customerEmail": "fan@example.com"}, headers=api)
    token = minted.json()["data"]["token"]
    await owner.post("/api/products/pack/tokens", json={"customerEmail": "other@example.com"}, headers=api)

    found = await owner.get("/console/links", params={"buyer": "fan@", "product": "pack"})
    assert f'id="link-{token["id"]}"' in found.text and "other@example.com" not in found.text
    assert "No purchase (made through the API)" in found.text
    assert "2 links" in (await owner.get("/console/links", params={"product": "pack"})).text
    assert "0 links" in (await owner.get("/console/links", params={"buyer": "nobody"})).text

    base = "/console/links?buyer=fan%40"
    sent = await post_form(owner, base, f"/console/links/{token['id']}/send", email="fan2@example.com", buyer="fan@")
    assert sent.status_code == 303
    [message] = await mailbox.wait_for(1)
    assert message["To"] == "fan2@example.com"
    [new_link] = links_in(message)
    assert (await owner.get(new_link, headers={"Accept": "application/json"})).status_code == 200

    refused = await post_form(owner, base, f"/console/links/{token['id']}/extend", days="0")
    assert refused.status_code == 422 and field_error(refused.text, f"days-{token['id']}").startswith("days must be")
    assert (await post_form(owner, base, f"/console/links/{token['id']}/extend", days="30")).status_code == 303

    assert (await post_form(owner, base, f"/console/links/{token['id']}/revoke", confirm="yes")).status_code == 303
    assert (await owner.get(token["downloadUrl"].removeprefix("http://hub.test"), headers={"Accept": "application/json"})).status_code == 410
    assert (await owner.get(new_link, headers={"Accept": "application/json"})).status_code == 410
    assert (await post_form(owner, base, f"/console/links/{token['id']}/restore")).status_code == 303
    assert (await owner.get(new_link, headers={"Accept": "application/json"})).status_code == 200
    assert (await post_form(owner, base, "/console/links/token_nope/revoke")).status_code == 404


async def test_a_purchases_link_is_listed_with_its_purchase(owner, purchase):
    listed = await owner.get("/console/links", params={"buyer": "buyer@example.com"})
    assert f'href="/console/purchases/{purchase["id"]}"' in listed.text
    product = await owner.get("/console/products/pack")
    assert "buyer@<wbr>example<wbr>.com" in product.text and "All 1 link of this product" in product.text
