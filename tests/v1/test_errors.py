"""Seed v1 errors: the seed's 422 body to the letter, one error object per
problem, and JSON:API 1.0's content negotiation and document rules."""

from __future__ import annotations

import json

import pytest

from tests.v1.conftest import JSONAPI, Catalog, details, document, errors, jsonapi, link


def unprocessable(detail: str, pointer: str) -> dict:
    return {"detail": detail, "source": {"pointer": pointer}, "status": "422", "title": "Unprocessable Entity"}


async def test_missing_name_and_upc_code_answer_the_seeds_422_body(client, shop: Catalog):
    response = await shop.member.post("/products", shop.product_body(name=None, **{"upc-code": None}))
    assert response.status_code == 422
    assert response.headers["content-type"] == JSONAPI
    assert response.json() == {
        "jsonapi": {"version": "1.0"},
        "errors": [
            {
                "detail": "The name field is required.",
                "source": {"pointer": "/data/attributes/name"},
                "status": "422",
                "title": "Unprocessable Entity",
            },
            {
                "detail": "The upc-code field is required.",
                "source": {"pointer": "/data/attributes/upc-code"},
                "status": "422",
                "title": "Unprocessable Entity",
            },
        ],
    }
    # Byte for byte, members in the seed's order.
    assert list(response.json()) == ["jsonapi", "errors"]
    assert [list(e) for e in response.json()["errors"]] == [["detail", "source", "status", "title"]] * 2


async def test_an_empty_product_lists_every_required_field_in_the_seeds_order(client, shop: Catalog):
    response = await shop.member.post("/products", {"data": {"type": "products"}})
    assert errors(response, 422) == [
        unprocessable("The name field is required.", "/data/attributes/name"),
        unprocessable("The upc-code field is required.", "/data/attributes/upc-code"),
        unprocessable("The copyright-line field is required.", "/data/attributes/copyright-line"),
        unprocessable("The production-line field is required.", "/data/attributes/production-line"),
        unprocessable("The production-year field is required.", "/data/attributes/production-year"),
        unprocessable("The status field is required.", "/data/attributes/status"),
        unprocessable("The artist field is required.", "/data/attributes/artist"),
        unprocessable("The label field is required.", "/data/relationships/label"),
        unprocessable("The language field is required.", "/data/relationships/language"),
    ]


@pytest.mark.parametrize(
    ("attributes", "detail", "pointer"),
    [
        ({"status": "active"}, "The status field must be draft.", "status"),
        ({"name": ""}, "The name field is required.", "name"),
        ({"name": "   "}, "The name field is required.", "name"),
        ({"name": 12}, "The name field must be a string.", "name"),
        ({"name": "x" * 301}, "The name field must be at most 300 characters.", "name"),
        ({"name": "a\x00b"}, "The name field must not contain NUL characters.", "name"),
        ({"upc-code": "12345"}, "The upc-code field must be 12 or 13 digits (UPC-A or EAN-13).", "upc-code"),
        ({"upc-code": 8088111222333}, "The upc-code field must be 12 or 13 digits (UPC-A or EAN-13).", "upc-code"),
        ({"production-year": "2023"}, "The production-year field must be an integer.", "production-year"),
        ({"production-year": 2023.5}, "The production-year field must be an integer.", "production-year"),
        ({"production-year": 23}, "The production-year field must be a four-digit year.", "production-year"),
        ({"artist": "Artist name"}, "The artist field must be an array of strings.", "artist"),
        ({"artist": [1, 2]}, "The artist field must be an array of strings.", "artist"),
        ({"artist": []}, "The artist field is required.", "artist"),
        ({"artist": ["ok", " "]}, "The artist field must not contain empty names.", "artist"),
        ({"composer": "Composer"}, "The composer field must be an array of strings.", "composer"),
        ({"is-compilation": "yes"}, "The is-compilation field must be true or false.", "is-compilation"),
        ({"release-date": "01/10/2023"}, "The release-date field must be a date in the format YYYY-MM-DD.", "release-date"),
        ({"release-date": "2023-02-30"}, "The release-date field must be a date in the format YYYY-MM-DD.", "release-date"),
        ({"original-release-date": 20231001}, "The original-release-date field must be a date in the format YYYY-MM-DD.", "original-release-date"),
        ({"copyright-line": ["x"]}, "The copyright-line field must be a string.", "copyright-line"),
        ({"subtitle": 3}, "The subtitle field must be a string.", "subtitle"),
        ({"custom-data": "x"}, "The custom-data field must be an array.", "custom-data"),
        ({"colour": "red"}, "The colour field is not an attribute of a product.", "colour"),
    ],
)
async def test_each_rule_has_its_sentence_and_pointer(client, shop: Catalog, attributes, detail, pointer):
    assert errors(await shop.member.post("/products", shop.product_body(**attributes)), 422) == [
        unprocessable(detail, f"/data/attributes/{pointer}")
    ]
    assert document(await shop.viewer.get("/products"))["data"] == []


@pytest.mark.parametrize(
    ("relationship", "detail"),
    [
        ({"type": "languages", "id": "x"}, 'The label field must be {"data": {"type": "labels", "id": "..."}} or {"data": null}.'),
        ({"type": "labels"}, 'The label field must be {"data": {"type": "labels", "id": "..."}} or {"data": null}.'),
        ({"type": "labels", "id": 5}, 'The label field must be {"data": {"type": "labels", "id": "..."}} or {"data": null}.'),
        ({"type": "labels", "id": "label_missing"}, "The label field must be an existing label; there is no label label_missing."),
        (None, "The label field is required."),
    ],
)
async def test_a_label_must_be_a_label_of_the_organization(client, shop: Catalog, relationship, detail):
    body = shop.product_body()
    body["data"]["relationships"]["label"] = {"data": relationship}
    assert errors(await shop.member.post("/products", body), 422) == [unprocessable(detail, "/data/relationships/label")]


async def test_relationships_a_product_cannot_set_are_refused_by_name(client, shop: Catalog):
    body = shop.product_body()
    body["data"]["relationships"]["tracks"] = {"data": []}
    body["data"]["relationships"]["owner"] = link("people", "x")
    assert errors(await shop.member.post("/products", body), 422) == [
        unprocessable(
            "The tracks field cannot be set on a product: create tracks with POST /api/v1/tracks.",
            "/data/relationships/tracks",
        ),
        unprocessable("The owner field is not a relationship of a product.", "/data/relationships/owner"),
    ]


async def test_problems_of_attributes_and_relationships_come_together(client, shop: Catalog):
    body = shop.product_body(**{"production-year": "2023", "release-date": "soon"})
    body["data"]["relationships"]["language"] = link("languages", "language_nope")
    assert [e["source"]["pointer"] for e in errors(await shop.member.post("/products", body), 422)] == [
        "/data/attributes/production-year",
        "/data/attributes/release-date",
        "/data/relationships/language",
    ]


async def test_read_only_attributes_sent_on_create_are_ignored(client, shop: Catalog):
    product = await shop.product(**{"cover-url": "http://evil.test/x.png", "front-cover-md5": "0" * 32, "createdAt": "x"})
    assert product["attributes"]["cover-url"] is None
    assert product["attributes"]["front-cover-md5"] is None


# --- malformed documents: 400 / 403 / 409 --------------------------------------------------


@pytest.mark.parametrize(
    ("content", "detail", "source"),
    [
        (b"{not json", "The request body is not valid JSON.", None),
        (b"", "The request document must have a data member holding a resource object.", {"pointer": "/data"}),
        (b"[]", "The request document must have a data member holding a resource object.", {"pointer": "/data"}),
        (b'{"meta": {}}', "The request document must have a data member holding a resource object.", {"pointer": "/data"}),
        (b'{"data": [{"type": "products"}]}', "The request document must have a data member holding a resource object.", {"pointer": "/data"}),
        (b'{"data": {"attributes": {}}}', "type is required and must be the string products.", {"pointer": "/data/type"}),
        (b'{"data": {"type": "products", "attributes": []}}', "attributes must be an object.", {"pointer": "/data/attributes"}),
        (b'{"data": {"type": "products", "relationships": 1}}', "relationships must be an object.", {"pointer": "/data/relationships"}),
    ],
)
async def test_a_malformed_document_is_a_400(client, shop: Catalog, content, detail, source):
    response = await client.post("/api/v1/products", content=content, headers=jsonapi(shop.org.member))
    [error] = errors(response, 400)
    assert error["title"] == "Bad Request"
    assert error.get("source") == source
    assert error["detail"] == detail


async def test_the_wrong_type_is_a_conflict(client, shop: Catalog):
    body = shop.product_body()
    body["data"]["type"] = "labels"
    [error] = errors(await shop.member.post("/products", body), 409)
    assert error["source"] == {"pointer": "/data/type"}
    assert "products" in error["detail"]


async def test_a_client_generated_id_is_forbidden(client, shop: Catalog):
    body = shop.product_body()
    body["data"]["id"] = "my-own-id"
    [error] = errors(await shop.member.post("/products", body), 403)
    assert error["source"] == {"pointer": "/data/id"}


async def test_an_update_must_name_the_resource_of_its_url(client, shop: Catalog):
    product = await shop.product()
    no_id = {"data": {"type": "products", "attributes": {"name": "x"}}}
    assert errors(await shop.member.patch(f"/products/{product['id']}", no_id), 400)[0]["source"] == {"pointer": "/data/id"}
    other_id = {"data": {"type": "products", "id": "another", "attributes": {"name": "x"}}}
    assert errors(await shop.member.patch(f"/products/{product['id']}", other_id), 409)[0]["source"] == {"pointer": "/data/id"}
    assert document(await shop.viewer.get(f"/products/{product['id']}"))["data"]["attributes"]["name"] == "Product title"


# --- content negotiation: 415 / 406 ---------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/vnd.api+json; charset=utf-8", 'application/vnd.api+json; ext="bulk"', "text/plain", None],
)
async def test_a_body_in_another_media_type_is_415(client, shop: Catalog, content_type):
    headers = {**shop.org.member, "Accept": JSONAPI}
    if content_type:
        headers["Content-Type"] = content_type
    response = await client.post("/api/v1/products", content=json.dumps(shop.product_body()), headers=headers)
    [error] = errors(response, 415)
    assert error["title"] == "Unsupported Media Type"
    assert JSONAPI in error["detail"]
    assert document(await shop.viewer.get("/products"))["data"] == []


async def test_415_applies_to_updates_and_every_resource(client, shop: Catalog):
    product = await shop.product()
    headers = {**shop.org.member, "Content-Type": "application/json"}
    body = {"data": {"type": "products", "id": product["id"], "attributes": {"name": "x"}}}
    errors(await client.patch(f"/api/v1/products/{product['id']}", json=body, headers=headers), 415)
    errors(await client.post("/api/v1/labels", json={"data": {"type": "labels", "attributes": {"name": "x"}}}, headers=headers), 415)


@pytest.mark.parametrize("accept", ["application/vnd.api+json; charset=utf-8", 'application/vnd.api+json; ext="x", application/vnd.api+json; profile="y"'])
async def test_accepting_jsonapi_only_with_parameters_is_406(client, shop: Catalog, accept):
    [error] = errors(await client.get("/api/v1/products", headers={**shop.org.viewer, "Accept": accept}), 406)
    assert error["title"] == "Not Acceptable"


@pytest.mark.parametrize(
    "accept",
    [
        None,
        "*/*",
        "application/json",
        JSONAPI,
        f"{JSONAPI}; charset=utf-8, {JSONAPI}",
        f"{JSONAPI};q=0.9",
        "text/html, application/vnd.api+json",
    ],
)
async def test_any_other_accept_is_answered_in_jsonapi(client, shop: Catalog, accept):
    headers = dict(shop.org.viewer)
    if accept:
        headers["Accept"] = accept
    document(await client.get("/api/v1/products", headers=headers))


async def test_a_get_with_the_seeds_content_type_header_is_fine(client, shop: Catalog):
    # The seed lists Content-Type among a GET's headers; without a body it means nothing.
    document(await client.get("/api/v1/products", headers={**shop.org.viewer, "Content-Type": "application/json"}))


# --- everything else in the same envelope ----------------------------------------------------------


async def test_unknown_routes_and_methods_answer_in_the_envelope(client, shop: Catalog):
    [error] = errors(await shop.viewer.get("/nothing-here"), 404)
    assert error == {"detail": "Not found.", "status": "404", "title": "Not Found"}
    [error] = errors(await client.put("/api/v1/products", headers=jsonapi(shop.org.member), content=b"{}"), 405)
    assert error["title"] == "Method Not Allowed"


async def test_a_missing_key_is_401_in_the_envelope(client):
    assert errors(await client.get("/api/v1/labels"), 401) == [
        {"detail": "Missing API key: send 'Authorization: Bearer <key>'.", "status": "401", "title": "Unauthorized"}
    ]


async def test_the_main_api_keeps_its_own_envelope(client, shop: Catalog):
    response = await client.get("/api/products/nope", headers=shop.org.viewer)
    assert response.status_code == 404
    assert response.json() == {"success": False, "error": "Product nope not found"}


async def test_absurd_nesting_is_refused_not_a_server_error(client, shop: Catalog):
    deep = b'{"data": {"type": "products", "attributes": {"custom-data": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}}"
    [error] = errors(await client.post("/api/v1/products", content=deep, headers=jsonapi(shop.org.member)), 400)
    assert error["detail"] == "The request body nests too deeply (at most 64 levels)."
    nested: list = []
    for _ in range(40):
        nested = [nested]
    assert details(await shop.member.post("/products", shop.product_body(**{"custom-data": nested})), 422) == [
        "The custom-data field must not nest more than 32 levels deep."
    ]


async def test_text_with_nul_characters_is_stored_or_refused_alike_on_every_database(client, shop: Catalog):
    product = await shop.product(**{"custom-data": [{"note": "a\x00b"}]})
    assert product["attributes"]["custom-data"] == [{"note": "a\x00b"}]
    assert details(await shop.member.post("/products", shop.product_body(artist=["a\x00b"])), 422) == [
        "The artist field must not contain NUL characters."
    ]
    [error] = errors(await shop.viewer.get("/products", {"filter[name]": "a\x00"}), 400)
    assert error["source"] == {"parameter": "filter[name]"}
