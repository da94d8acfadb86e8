"""v1 dates and timestamps without a time zone.

v1 dates are days (``2023-10-01``) or that day's midnight UTC as the seed
writes it (``2023-10-01T00:00:00.000000Z``); a timestamp without a time
zone (``2023-10-01T00:00:00``) is not silently taken as UTC but refused
with the rule every surface states, and nothing is stored.
"""

from __future__ import annotations

import pytest

from tests.v1.conftest import Catalog, document, errors, link

RULE = "must include a time zone, e.g. 2026-01-01T10:00:00Z"


@pytest.mark.parametrize("stamp", ["2023-10-01T00:00:00", "2023-10-01T10:30:00.000000"])
async def test_a_release_date_without_a_time_zone_is_a_422_and_nothing_is_stored(client, shop: Catalog, stamp):
    response = await shop.member.post("/products", shop.product_body(**{"release-date": stamp}))
    assert errors(response, 422) == [{
        "detail": f"The release-date field {RULE}.",
        "source": {"pointer": "/data/attributes/release-date"},
        "status": "422",
        "title": "Unprocessable Entity",
    }]
    assert document(await shop.viewer.get("/products"))["data"] == []


async def test_an_offer_start_date_without_a_time_zone_is_a_422(client, shop: Catalog):
    product = await shop.product()
    attributes = {"price": 999, "currency": "EUR", "territories": ["WW"], "start-date": "2024-01-01T00:00:00"}
    body = {"data": {"type": "offers", "attributes": attributes,
                     "relationships": {"product": link("products", product["id"])}}}
    [error] = errors(await shop.member.post("/offers", body), 422)
    assert error["detail"] == f"The start-date field {RULE}."
    assert error["source"] == {"pointer": "/data/attributes/start-date"}
    related = document(await shop.viewer.get(f"/products/{product['id']}/offers"))
    assert related["data"] == []


async def test_a_created_at_filter_without_a_time_zone_names_the_rule(client, shop: Catalog):
    [error] = errors(await shop.viewer.get("/products", {"filter[created-at-gte]": "2024-01-01T00:00:00"}), 400)
    assert error["source"] == {"parameter": "filter[created-at-gte]"}
    assert RULE in error["detail"]


async def test_the_seeds_midnight_utc_and_plain_days_are_accepted(client, shop: Catalog):
    created = await shop.product(**{"release-date": "2023-10-01T00:00:00.000000Z", "original-release-date": "2001-05-02"})
    assert created["attributes"]["release-date"] == "2023-10-01T00:00:00.000000Z"
    assert created["attributes"]["original-release-date"] == "2001-05-02T00:00:00.000000Z"
