"""Seed v1: what a product links to (labels, languages, product types, its
company) and what belongs to it (tracks, offers, rights)."""

from __future__ import annotations

import pytest

from tests.support.catalog import upload_version
from tests.v1.conftest import API, Catalog, details, document, errors, link


def unprocessable(detail: str, pointer: str) -> dict:
    return {"detail": detail, "source": {"pointer": pointer}, "status": "422", "title": "Unprocessable Entity"}


# --- labels, languages, product types ------------------------------------------------


@pytest.mark.parametrize(
    ("resource_type", "attributes"),
    [
        ("labels", {"name": "Night Owl Records"}),
        ("languages", {"code": "pt-BR", "name": "Portuguese (Brazil)"}),
        ("product-types", {"name": "EP"}),
    ],
)
async def test_reference_resources_are_created_read_and_listed(client, shop: Catalog, resource_type, attributes):
    response = await shop.member.post(f"/{resource_type}", {"data": {"type": resource_type, "attributes": attributes}})
    created = document(response, 201)["data"]
    assert created["type"] == resource_type
    assert {k: created["attributes"][k] for k in attributes} == attributes
    assert created["links"] == {"self": f"{API}/{resource_type}/{created['id']}"}
    assert response.headers["location"] == created["links"]["self"]
    assert document(await shop.viewer.get(f"/{resource_type}/{created['id']}"))["data"] == created
    listed = document(await shop.viewer.get(f"/{resource_type}"))
    assert created in listed["data"]
    assert listed["meta"]["page"]["total"] == 2  # the shop fixture made one of each
    errors(await shop.viewer.get(f"/{resource_type}/nope"), 404)


async def test_labels_are_paginated(client, shop: Catalog):
    for index in range(3):
        await shop.member.create("labels", {"name": f"Label {index}"})
    page = document(await shop.viewer.get("/labels", {"page[size]": "3", "page[number]": "2"}))
    assert page["meta"]["page"] == {"currentPage": 2, "from": 4, "lastPage": 2, "perPage": 3, "to": 4, "total": 4}
    assert page["links"]["prev"] == f"{API}/labels?page[number]=1&page[size]=3"
    errors(await shop.viewer.get("/labels", {"filter[name]": "x"}), 400)


@pytest.mark.parametrize(
    ("resource_type", "attributes", "expected"),
    [
        ("labels", {}, [unprocessable("The name field is required.", "/data/attributes/name")]),
        ("labels", {"name": "x", "country": "FR"}, [unprocessable("The country field is not an attribute of a label.", "/data/attributes/country")]),
        ("product-types", {"name": ["Album"]}, [unprocessable("The name field must be a string.", "/data/attributes/name")]),
        ("languages", {}, [
            unprocessable("The code field is required.", "/data/attributes/code"),
            unprocessable("The name field is required.", "/data/attributes/name"),
        ]),
        ("languages", {"code": "english", "name": "English"}, [
            unprocessable("The code field must be an ISO 639 language code such as en or pt-BR.", "/data/attributes/code"),
        ]),
    ],
)
async def test_reference_resources_are_validated(client, shop: Catalog, resource_type, attributes, expected):
    response = await shop.member.post(f"/{resource_type}", {"data": {"type": resource_type, "attributes": attributes}})
    assert errors(response, 422) == expected


@pytest.mark.parametrize("code", ["zz", "en-ZZ", "zh-Xxxx-TW"])
async def test_a_language_code_must_exist_in_iso_639_with_a_real_script_and_region(client, shop: Catalog, code):
    response = await shop.member.post("/languages", {"data": {"type": "languages", "attributes": {"code": code, "name": "X"}}})
    assert errors(response, 422) == [
        unprocessable("The code field must be an ISO 639 language code such as en or pt-BR.", "/data/attributes/code")
    ]


async def test_a_language_code_is_normalized_and_unique(client, shop: Catalog):
    french = await shop.member.create("languages", {"code": "FR_ca", "name": "French (Canada)"})
    assert french["attributes"]["code"] == "fr-CA"
    again = await shop.member.post("/languages", {"data": {"type": "languages", "attributes": {"code": "fr-CA", "name": "Québécois"}}})
    assert details(again, 422) == [f"The code field is already taken by language {french['id']}."]


async def test_reference_resources_take_no_relationships(client, shop: Catalog):
    body = {"data": {"type": "labels", "attributes": {"name": "x"}, "relationships": {"parent": link("labels", shop.label)}}}
    assert errors(await shop.member.post("/labels", body), 422) == [
        unprocessable("The parent field is not a relationship of a label.", "/data/relationships/parent")
    ]


async def test_reference_resources_belong_to_one_organization(client, shop: Catalog, other_shop: Catalog):
    errors(await other_shop.viewer.get(f"/labels/{shop.label}"), 404)
    errors(await other_shop.viewer.get(f"/languages/{shop.language}"), 404)
    errors(await other_shop.viewer.get(f"/product-types/{shop.product_type}"), 404)
    assert [r["id"] for r in document(await other_shop.viewer.get("/labels"))["data"]] == [other_shop.label]
    # Each organization has its own "en".
    assert document(await other_shop.viewer.get(f"/languages/{other_shop.language}"))["data"]["attributes"]["code"] == "en"


async def test_creating_reference_resources_takes_a_member_key(client, shop: Catalog):
    errors(await shop.viewer.post("/labels", {"data": {"type": "labels", "attributes": {"name": "x"}}}), 403)


async def test_the_company_is_the_keys_organization(client, shop: Catalog, other_shop: Catalog):
    company = document(await shop.viewer.get("/companies/audio-company"))["data"]
    assert company["type"] == "companies" and company["attributes"]["name"] == "audio-company"
    errors(await shop.viewer.get("/companies/other-shop"), 404)


# --- tracks ---------------------------------------------------------------------------------


async def test_tracks_are_created_listed_in_order_updated_and_deleted(client, shop: Catalog):
    product = await shop.product()
    relation = {"product": link("products", product["id"])}
    second = await shop.member.create(
        "tracks", {"title": "Second", "position": 2, "isrc": "US-RC1-76-07839", "duration": 215, "artists": ["Artist name"]}, relation
    )
    first = await shop.member.create("tracks", {"title": "First", "position": 1}, relation)
    assert second["attributes"] == {
        "title": "Second", "isrc": "USRC17607839", "position": 2, "duration": 215, "artists": ["Artist name"],
        "file": None, "file-version": None, "createdAt": second["attributes"]["createdAt"],
    }
    assert second["relationships"]["product"] == {
        "links": {"related": f"{API}/products/{product['id']}"},
        "data": {"type": "products", "id": product["id"]},
    }
    listed = document(await shop.viewer.get(f"/products/{product['id']}/tracks"))["data"]
    assert [t["id"] for t in listed] == [first["id"], second["id"]]

    updated = document(await shop.member.patch(
        f"/tracks/{first['id']}", {"data": {"type": "tracks", "id": first["id"], "attributes": {"title": "Intro", "position": 3}}}
    ))["data"]
    assert updated["attributes"]["title"] == "Intro" and updated["attributes"]["position"] == 3
    assert document(await shop.viewer.get(f"/tracks/{first['id']}"))["data"] == updated

    errors(await shop.member.delete(f"/tracks/{first['id']}"), 403)
    assert (await shop.admin.delete(f"/tracks/{first['id']}")).status_code == 204
    errors(await shop.viewer.get(f"/tracks/{first['id']}"), 404)
    assert [t["id"] for t in document(await shop.viewer.get(f"/products/{product['id']}/tracks"))["data"]] == [second["id"]]


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        ({}, [("The title field is required.", "title"), ("The position field is required.", "position")]),
        ({"title": "x", "position": 0}, [("The position field must be between 1 and 10000.", "position")]),
        ({"title": "x", "position": "1"}, [("The position field must be an integer.", "position")]),
        ({"title": "x", "position": 1, "isrc": "US-RC1-76"}, [
            ("The isrc field must be an ISRC: country, registrant, year and number (CC-XXX-YY-NNNNN), 12 characters without dashes.", "isrc")
        ]),
        ({"title": "x", "position": 1, "isrc": "1SRC17607839"}, [
            ("The isrc field must be an ISRC: country, registrant, year and number (CC-XXX-YY-NNNNN), 12 characters without dashes.", "isrc")
        ]),
        ({"title": "x", "position": 1, "duration": -1}, [("The duration field must be between 0 and 86400.", "duration")]),
        ({"title": "x", "position": 1, "artists": "x"}, [("The artists field must be an array of strings.", "artists")]),
        ({"title": "x", "position": 1, "file": "../etc/passwd"}, [("The file field must not contain '..': '../etc/passwd'.", "file")]),
        ({"title": "x", "position": 1, "file": "audio/missing.wav"}, [
            ("The file field must be the path of a file in a version of product product-title; there is no 'audio/missing.wav'.", "file")
        ]),
    ],
)
async def test_tracks_are_validated(client, shop: Catalog, attributes, expected):
    product = await shop.product()
    response = await shop.member.post(
        "/tracks", {"data": {"type": "tracks", "attributes": attributes, "relationships": {"product": link("products", product["id"])}}}
    )
    assert errors(response, 422) == [unprocessable(detail, f"/data/attributes/{name}") for detail, name in expected]


async def test_a_track_needs_an_existing_product_of_the_organization(client, shop: Catalog, other_shop: Catalog):
    product = await shop.product()
    for relationships, detail in [
        ({}, "The product field is required."),
        ({"product": link("products", "nope")}, "The product field must be an existing product; there is no product nope."),
        ({"product": link("labels", product["id"])}, 'The product field must be {"data": {"type": "products", "id": "..."}} or {"data": null}.'),
    ]:
        body = {"data": {"type": "tracks", "attributes": {"title": "x", "position": 1}, "relationships": relationships}}
        assert errors(await shop.member.post("/tracks", body), 422) == [unprocessable(detail, "/data/relationships/product")]
    body = {"data": {"type": "tracks", "attributes": {"title": "x", "position": 1}, "relationships": {"product": link("products", product["id"])}}}
    assert details(await other_shop.member.post("/tracks", body), 422) == [
        f"The product field must be an existing product; there is no product {product['id']}."
    ]


async def test_two_tracks_of_a_product_cannot_share_a_position(client, shop: Catalog):
    product = await shop.product()
    relation = {"product": link("products", product["id"])}
    first = await shop.member.create("tracks", {"title": "One", "position": 1}, relation)
    again = await shop.member.post("/tracks", {"data": {"type": "tracks", "attributes": {"title": "Two", "position": 1}, "relationships": relation}})
    assert details(again, 422) == [f"The position field is already taken by track {first['id']}."]
    # Another product's track 1 is fine, and a track keeps its own position.
    other = await shop.product(name="Other")
    await shop.member.create("tracks", {"title": "One", "position": 1}, {"product": link("products", other["id"])})
    document(await shop.member.patch(f"/tracks/{first['id']}", {"data": {"type": "tracks", "id": first["id"], "attributes": {"position": 1}}}))


async def test_a_track_names_the_file_that_carries_its_audio(client, shop: Catalog):
    product = await shop.product()
    files = {"audio/01-intro.wav": b"RIFF intro", "audio/02-song.wav": b"RIFF song"}
    await upload_version(client, shop.org.member, product["id"], "1.0.0", files)
    await upload_version(client, shop.org.member, product["id"], "1.1.0", {"audio/01-intro.wav": b"RIFF intro v2"})
    relation = {"product": link("products", product["id"])}
    intro = await shop.member.create("tracks", {"title": "Intro", "position": 1, "file": "audio/01-intro.wav"}, relation)
    # The active version (the first one ready) has it.
    assert (intro["attributes"]["file"], intro["attributes"]["file-version"]) == ("audio/01-intro.wav", "1.0.0")
    song = await shop.member.create("tracks", {"title": "Song", "position": 2, "file": "audio//02-song.wav"}, relation)
    assert song["attributes"]["file"] == "audio/02-song.wav"
    unlinked = document(await shop.member.patch(
        f"/tracks/{song['id']}", {"data": {"type": "tracks", "id": song["id"], "attributes": {"file": None}}}
    ))["data"]
    assert unlinked["attributes"]["file"] is None


async def test_a_tracks_product_cannot_change(client, shop: Catalog):
    product = await shop.product()
    other = await shop.product(name="Other")
    track = await shop.member.create("tracks", {"title": "One", "position": 1}, {"product": link("products", product["id"])})
    body = {"data": {"type": "tracks", "id": track["id"], "relationships": {"product": link("products", other["id"])}}}
    assert details(await shop.member.patch(f"/tracks/{track['id']}", body), 422) == [
        "The product field cannot be changed: create a new track for the other product."
    ]


# --- offers -----------------------------------------------------------------------------------


async def test_offers_are_created_listed_updated_and_deleted(client, shop: Catalog):
    product = await shop.product()
    relation = {"product": link("products", product["id"])}
    offer = await shop.member.create(
        "offers", {"price": 999, "currency": "eur", "territories": ["fr", "DE"], "start-date": "2024-01-01"}, relation
    )
    assert offer["attributes"] == {
        "price": 999, "currency": "EUR", "territories": ["FR", "DE"], "start-date": "2024-01-01T00:00:00.000000Z",
        "createdAt": offer["attributes"]["createdAt"],
    }
    world = await shop.member.create(
        "offers", {"price": 500, "currency": "JPY", "territories": ["WW"], "start-date": "2023-06-01"}, relation
    )
    listed = document(await shop.viewer.get(f"/products/{product['id']}/offers"))["data"]
    assert [o["id"] for o in listed] == [world["id"], offer["id"]]  # by start date
    updated = document(await shop.member.patch(
        f"/offers/{offer['id']}", {"data": {"type": "offers", "id": offer["id"], "attributes": {"price": 1299}}}
    ))["data"]
    assert updated["attributes"]["price"] == 1299 and updated["attributes"]["currency"] == "EUR"
    assert (await shop.admin.delete(f"/offers/{offer['id']}")).status_code == 204
    errors(await shop.viewer.get(f"/offers/{offer['id']}"), 404)


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        ({}, [
            ("The price field is required.", "price"), ("The currency field is required.", "currency"),
            ("The territories field is required.", "territories"), ("The start-date field is required.", "start-date"),
        ]),
        ({"price": "9.99"}, [("The price field must be a whole amount in the currency's minor unit, from 0 to 10^12 (999 for 9.99 EUR).", "price")]),
        ({"price": 9.99}, [("The price field must be a whole amount in the currency's minor unit, from 0 to 10^12 (999 for 9.99 EUR).", "price")]),
        ({"price": -1}, [("The price field must be a whole amount in the currency's minor unit, from 0 to 10^12 (999 for 9.99 EUR).", "price")]),
        ({"currency": "EURO"}, [("The currency field must be an ISO 4217 currency code such as EUR or USD.", "currency")]),
        ({"currency": "XXX"}, [("The currency field must be an ISO 4217 currency code such as EUR or USD.", "currency")]),
        ({"territories": "FR"}, [('The territories field must be an array of ISO 3166-1 alpha-2 country codes, or ["WW"].', "territories")]),
        ({"territories": ["FR", "XY"]}, [("The territories field must be an ISO 3166-1 alpha-2 country code such as FR, or WW for the whole world.", "territories")]),
        ({"territories": ["WW", "FR"]}, [('The territories field must be ["WW"] alone or a list of countries, not both.', "territories")]),
        ({"territories": ["FR", "FR"]}, [("The territories field must not list a country twice.", "territories")]),
        ({"start-date": "2024-13-01"}, [("The start-date field must be a date in the format YYYY-MM-DD.", "start-date")]),
    ],
)
async def test_offers_are_validated(client, shop: Catalog, attributes, expected):
    product = await shop.product()
    complete = {"price": 999, "currency": "EUR", "territories": ["WW"], "start-date": "2024-01-01"}
    body_attributes = attributes if not attributes else {**complete, **attributes}
    response = await shop.member.post(
        "/offers", {"data": {"type": "offers", "attributes": body_attributes, "relationships": {"product": link("products", product["id"])}}}
    )
    assert errors(response, 422) == [unprocessable(detail, f"/data/attributes/{name}") for detail, name in expected]


# --- rights -------------------------------------------------------------------------------------


async def test_rights_are_created_listed_updated_and_deleted(client, shop: Catalog):
    product = await shop.product()
    relation = {"product": link("products", product["id"])}
    master = await shop.member.create("rights", {"territory": "ww", "holder": "Records Music", "right-type": "master"}, relation)
    assert master["attributes"] == {
        "territory": "WW", "holder": "Records Music", "right-type": "master", "createdAt": master["attributes"]["createdAt"],
    }
    publishing = await shop.member.create("rights", {"territory": "FR", "holder": "Éditions X", "right-type": "publishing"}, relation)
    listed = document(await shop.viewer.get(f"/products/{product['id']}/rights"))["data"]
    assert [r["id"] for r in listed] == [master["id"], publishing["id"]]
    updated = document(await shop.member.patch(
        f"/rights/{publishing['id']}", {"data": {"type": "rights", "id": publishing["id"], "attributes": {"territory": "BE"}}}
    ))["data"]
    assert updated["attributes"]["territory"] == "BE"
    assert (await shop.admin.delete(f"/rights/{master['id']}")).status_code == 204
    assert [r["id"] for r in document(await shop.viewer.get(f"/products/{product['id']}/rights"))["data"]] == [publishing["id"]]


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        ({}, [
            ("The territory field is required.", "territory"), ("The holder field is required.", "holder"),
            ("The right-type field is required.", "right-type"),
        ]),
        ({"territory": "Europe", "holder": "x", "right-type": "master"}, [
            ("The territory field must be an ISO 3166-1 alpha-2 country code such as FR, or WW for the whole world.", "territory")
        ]),
        ({"territory": "FR", "holder": "", "right-type": "master"}, [("The holder field is required.", "holder")]),
        ({"territory": "FR", "holder": "x", "right-type": "moral"}, [
            ("The right-type field must be one of master, publishing, mechanical, performance, synchronization, neighbouring.", "right-type")
        ]),
        ({"territory": "FR", "holder": "x", "type": "master"}, [
            ("The right-type field is required.", "right-type"), ("The type field is not an attribute of a right.", "type"),
        ]),
    ],
)
async def test_rights_are_validated(client, shop: Catalog, attributes, expected):
    product = await shop.product()
    response = await shop.member.post(
        "/rights", {"data": {"type": "rights", "attributes": attributes, "relationships": {"product": link("products", product["id"])}}}
    )
    assert errors(response, 422) == [unprocessable(detail, f"/data/attributes/{name}") for detail, name in expected]


async def test_parts_of_another_organization_do_not_exist(client, shop: Catalog, other_shop: Catalog):
    product = await shop.product()
    relation = {"product": link("products", product["id"])}
    track = await shop.member.create("tracks", {"title": "One", "position": 1}, relation)
    offer = await shop.member.create("offers", {"price": 1, "currency": "USD", "territories": ["US"], "start-date": "2024-01-01"}, relation)
    right = await shop.member.create("rights", {"territory": "US", "holder": "x", "right-type": "master"}, relation)
    for path in (f"/tracks/{track['id']}", f"/offers/{offer['id']}", f"/rights/{right['id']}"):
        errors(await other_shop.viewer.get(path), 404)
        errors(await other_shop.admin.delete(path), 404)
        resource_type, part_id = path.strip("/").split("/")
        body = {"data": {"type": resource_type, "id": part_id, "attributes": {}}}
        errors(await other_shop.member.patch(path, body), 404)
        document(await shop.viewer.get(path))
