"""Customers by email address (purchases, paid per currency, last purchase)
and a customer's page; the purchases CSV with the Purchases page's filters.
SQLite and PostgreSQL: the figures are grouped in the database."""

from __future__ import annotations

import csv
import io

from hub.services.accounts import create_api_key
from hub.services.purchases import PurchaseIn, PurchaseItem, record_purchase
from hub.tables import Purchase
from tests.console.test_purchases import Keys
from tests.test_tokens_api import ready_product


async def shop_with_sales(app, owner) -> None:
    secret, _ = await create_api_key("audio-company", "admin")
    await ready_product(owner, Keys({"Authorization": f"Bearer {secret}"}), slug="pack")
    hub = app.state.hub
    for ref, email, amount, currency in [
        ("o-1", "ann@example.com", 1000, "eur"), ("o-2", "ann@example.com", 550, "eur"),
        ("o-3", "ann@example.com", 700, "usd"), ("o-4", "bob@example.com", 900, "eur"), ("o-5", "=cmd@example.com", 100, "eur"),
    ]:
        await record_purchase(hub, PurchaseIn(org="audio-company", provider="stripe", provider_ref=ref, customer_email=email,
                                              items=[PurchaseItem("pack")], amount=amount, currency=currency))
    await Purchase.update({Purchase.status: "refunded"}).where(Purchase.provider_ref == "o-2")


async def test_customers_are_listed_by_email_with_what_they_paid_per_currency(console_app, owner):
    await shop_with_sales(console_app, owner)
    listing = (await owner.get("/console/customers")).text.replace("<wbr>", "")
    assert "3 customers" in listing
    ann = listing[listing.index(">ann@example.com<"):listing.index(">bob@example.com<")]
    assert 'data-label="Purchases">3<' in ann and "10.00 EUR, 7.00 USD" in ann  # the refunded 5.50 is not kept money
    found = (await owner.get("/console/customers", params={"q": "bob"})).text
    assert "1 customer" in found and "ann@" not in found
    page = await owner.get("/console/customers/ann@example.com")
    assert page.status_code == 200 and page.text.count("/console/purchases/purchase_") == 3
    assert (await owner.get("/console/customers/nobody@example.com")).status_code == 404


async def test_the_purchases_csv_has_the_purchases_pages_filters(console_app, owner):
    await shop_with_sales(console_app, owner)
    page = await owner.get("/console/purchases", params={"status": "paid"})
    assert "/console/purchases/export.csv?q=&amp;provider=&amp;status=paid" in page.text
    answer = await owner.get("/console/purchases/export.csv", params={"status": "paid"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [r["reference"] for r in rows] == ["o-1", "o-3", "o-4", "o-5"]
    assert rows[0]["amount"] == "10.00" and rows[0]["currency"] == "EUR" and rows[0]["items"] == "pack"
    assert rows[3]["customer_email"] == "'=cmd@example.com"  # a spreadsheet formula is neutralized
    one = list(csv.DictReader(io.StringIO((await owner.get("/console/purchases/export.csv", params={"q": "ann@example.com"})).text)))
    assert len(one) == 3
    refused = await owner.get("/console/purchases/export.csv", params={"since": "last week"})
    assert refused.status_code == 422 and "since must be a date" in refused.text
