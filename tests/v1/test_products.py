"""Seed v1: listing, creating, reading, updating and deleting products over
JSON:API, on the same products as the main API."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime

import pytest

from hub.tables import Product
from tests.conftest import ok
from tests.v1.conftest import API, JSONAPI, Catalog, data_uri, details, document, errors, jsonapi, link, png

SEED_ATTRIBUTES = [
    "name", "is-compilation", "upc-code", "copyright-line", "production-line", "production-year", "status",
    "cover-url", "release-date", "original-release-date", "mastered-by", "label-internal-reference", "subtitle",
    "front-cover-md5", "artist", "composer", "producer", "featuring", "remixer", "author", "lyricist", "performer",
    "arranger", "orchestra", "director", "custom-data", "createdAt", "updatedAt",
]
RELATIONSHIPS = ["company", "label", "product-type", "language", "offers", "tracks", "rights"]
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")


# --- create and read ------------------------------------------------------------


async def test_created_product_has_the_seeds_shape(client, shop: Catalog):
    response = await shop.member.post("/products", shop.product_body())
    body = document(response, 201)
    product = body["data"]
    assert product["type"] == "products"
    assert product["id"] == "product-title"
    assert response.headers["location"] == f"{API}/products/product-title"
    assert list(product["attributes"]) == SEED_ATTRIBUTES
    attributes = product["attributes"]
    assert attributes | {"createdAt": None, "updatedAt": None} == {
        "name": "Product title", "is-compilation": False, "upc-code": "8088111222333",
        "copyright-line": "Records Music", "production-line": "2023 Records Music", "production-year": 2023,
        "status": "draft", "cover-url": None, "release-date": None, "original-release-date": None,
        "mastered-by": None, "label-internal-reference": None, "subtitle": None, "front-cover-md5": None,
        "artist": ["Artist name"], "composer": None, "producer": None, "featuring": None, "remixer": None,
        "author": None, "lyricist": None, "performer": None, "arranger": None, "orchestra": None,
        "director": None, "custom-data": None, "createdAt": None, "updatedAt": None,
    }
    assert TIMESTAMP.match(attributes["createdAt"]) and attributes["createdAt"] == attributes["updatedAt"]
    assert list(product["relationships"]) == RELATIONSHIPS
    for name in RELATIONSHIPS:
        assert product["relationships"][name] == {
            "links": {
                "related": f"{API}/products/product-title/{name}",
                "self": f"{API}/products/product-title/relationships/{name}",
            }
        }
    assert product["links"] == {"self": f"{API}/products/product-title"}
    assert body["links"] == {"self": f"{API}/products/product-title"}

    again = document(await shop.viewer.get("/products/product-title"))
    assert again["data"] == product
    assert again["links"] == {"self": f"{API}/products/product-title"}


async def test_every_writable_attribute_is_stored(client, shop: Catalog):
    credits = {name: [f"{name} one", f"{name} two"] for name in (
        "composer", "producer", "featuring", "remixer", "author", "lyricist", "performer", "arranger",
        "orchestra", "director",
    )}
    product = await shop.product(
        **{
            "is-compilation": True,
            "release-date": "2023-10-01",
            "original-release-date": "1999-12-31",
            "subtitle": "Deluxe",
            "mastered-by": "Jane Master",
            "label-internal-reference": "REC-001",
            "custom-data": [{"key": "mood", "value": "happy"}],
            "artist": ["A", "B"],
            **credits,
        }
    )
    attributes = document(await shop.viewer.get(f"/products/{product['id']}"))["data"]["attributes"]
    assert attributes["is-compilation"] is True
    assert attributes["release-date"] == "2023-10-01T00:00:00.000000Z"
    assert attributes["original-release-date"] == "1999-12-31T00:00:00.000000Z"
    assert attributes["subtitle"] == "Deluxe"
    assert attributes["mastered-by"] == "Jane Master"
    assert attributes["label-internal-reference"] == "REC-001"
    assert attributes["custom-data"] == [{"key": "mood", "value": "happy"}]
    assert attributes["artist"] == ["A", "B"]
    for name, names in credits.items():
        assert attributes[name] == names


async def test_the_id_is_the_names_slug_made_unique_with_a_number(client, shop: Catalog):
    first = await shop.product(name="Épic Drüms: Vol. 3!")
    second = await shop.product(name="Epic drums vol 3")
    third = await shop.product(name="EPIC DRUMS VOL. 3")
    assert [first["id"], second["id"], third["id"]] == ["epic-drums-vol-3", "epic-drums-vol-3-2", "epic-drums-vol-3-3"]
    # A product of the main API can hold the slug a v1 name would get.
    ok(await client.post("/api/products", json={"name": "x", "slug": "night-drive"}, headers=shop.org.member), 201)
    assert (await shop.product(name="Night Drive"))["id"] == "night-drive-2"


async def test_an_unknown_product_is_404_in_the_errors_envelope(client, shop: Catalog):
    assert errors(await shop.viewer.get("/products/nope"), 404) == [
        {"detail": "Product nope not found.", "status": "404", "title": "Not Found"}
    ]
    for response in (
        await shop.member.patch("/products/nope", {"data": {"type": "products", "id": "nope", "attributes": {}}}),
        await shop.admin.delete("/products/nope"),
        await shop.viewer.get("/products/nope/label"),
        await shop.viewer.get("/products/nope/relationships/label"),
    ):
        errors(response, 404)


# --- list, pagination and filters ----------------------------------------------------


async def test_the_list_has_the_seeds_envelope(client, shop: Catalog):
    product = await shop.product()
    body = document(await shop.viewer.get("/products"))
    assert list(body) == ["data", "meta", "jsonapi", "links"]
    assert body["data"] == [product]
    assert body["meta"] == {
        "page": {"currentPage": 1, "from": 1, "lastPage": 1, "perPage": 20, "to": 1, "total": 1}
    }
    assert body["links"] == {
        "first": f"{API}/products?page[number]=1&page[size]=20",
        "last": f"{API}/products?page[number]=1&page[size]=20",
    }


async def test_an_empty_list_has_one_empty_page(client, shop: Catalog):
    body = document(await shop.viewer.get("/products"))
    assert body["data"] == []
    assert body["meta"]["page"] == {"currentPage": 1, "from": None, "lastPage": 1, "perPage": 20, "to": None, "total": 0}
    assert set(body["links"]) == {"first", "last"}


async def test_pages_link_to_each_other_and_keep_the_filters(client, shop: Catalog):
    for index in range(5):
        await shop.product(name=f"Kit {index}")
    first = document(await shop.viewer.get("/products", {"page[size]": "2", "filter[name]": "kit"}))
    assert first["meta"]["page"] == {"currentPage": 1, "from": 1, "lastPage": 3, "perPage": 2, "to": 2, "total": 5}
    assert first["links"] == {
        "first": f"{API}/products?page[number]=1&page[size]=2&filter[name]=kit",
        "last": f"{API}/products?page[number]=3&page[size]=2&filter[name]=kit",
        "next": f"{API}/products?page[number]=2&page[size]=2&filter[name]=kit",
    }
    seen = [p["id"] for p in first["data"]]
    url = first["links"]["next"]
    while url:
        page = document(await client.get(url, headers=jsonapi(shop.org.viewer)))
        seen += [p["id"] for p in page["data"]]
        url = page["links"].get("next")
    assert sorted(seen) == [f"kit-{i}" for i in range(5)]
    last = document(await shop.viewer.get("/products", {"page[number]": "3", "page[size]": "2"}))
    assert last["meta"]["page"] == {"currentPage": 3, "from": 5, "lastPage": 3, "perPage": 2, "to": 5, "total": 5}
    assert "next" not in last["links"] and last["links"]["prev"].endswith("page[number]=2&page[size]=2")
    assert len(last["data"]) == 1


async def test_a_page_beyond_the_last_is_empty_and_points_back(client, shop: Catalog):
    await shop.product()
    body = document(await shop.viewer.get("/products", {"page[number]": "7"}))
    assert body["data"] == []
    assert body["meta"]["page"] == {"currentPage": 7, "from": None, "lastPage": 1, "perPage": 20, "to": None, "total": 1}
    assert body["links"]["prev"] == f"{API}/products?page[number]=1&page[size]=20"
    assert "next" not in body["links"]


async def test_page_size_is_capped_at_100(client, shop: Catalog):
    body = document(await shop.viewer.get("/products", {"page[size]": "500"}))
    assert body["meta"]["page"]["perPage"] == 100
    assert body["links"]["first"] == f"{API}/products?page[number]=1&page[size]=100"


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"page[size]": "0"}, "page[size]"),
        ({"page[number]": "abc"}, "page[number]"),
        ({"page[number]": "-1"}, "page[number]"),
        ({"page[number]": "99999999999"}, "page[number]"),
        ({"page[offset]": "3"}, "page[offset]"),
        ({"filter[colour]": "red"}, "filter[colour]"),
        ({"filter[status]": "published"}, "filter[status]"),
        ({"filter[created-at-gte]": "yesterday"}, "filter[created-at-gte]"),
        ({"filter[created-at-lte]": "2024-02-30"}, "filter[created-at-lte]"),
        ({"filter[has-send-tasks]": "maybe"}, "filter[has-send-tasks]"),
        ({"include": "owner"}, "include"),
        ({"sort": "-colour"}, "sort"),
        ({"search": "x"}, "search"),
    ],
)
async def test_a_bad_query_parameter_is_a_400_naming_it(client, shop: Catalog, params, parameter):
    [error] = errors(await shop.viewer.get("/products", params), 400)
    assert error["source"] == {"parameter": parameter}
    assert error["title"] == "Bad Request"


async def test_filter_by_name_contains_ignoring_case(client, shop: Catalog):
    await shop.product(name="Summer Hits 2023")
    await shop.product(name="Winter Tales")
    await shop.product(name="100% Hits_Special")
    found = document(await shop.viewer.get("/products", {"filter[name]": "hits"}))["data"]
    assert sorted(p["attributes"]["name"] for p in found) == ["100% Hits_Special", "Summer Hits 2023"]
    # '%' and '_' are letters here, not wildcards.
    assert [p["attributes"]["name"] for p in document(await shop.viewer.get("/products", {"filter[name]": "0%"}))["data"]] == ["100% Hits_Special"]
    assert document(await shop.viewer.get("/products", {"filter[name]": "i_s"}))["data"] == []


async def test_filter_by_status_speaks_v1_statuses(client, shop: Catalog):
    draft = await shop.product(name="Draft one")
    active = await shop.product(name="Active one")
    await shop.member.patch(f"/products/{active['id']}", {"data": {"type": "products", "id": active["id"], "attributes": {"status": "active"}}})
    active_list = document(await shop.viewer.get("/products", {"filter[status]": "active"}))["data"]
    draft_list = document(await shop.viewer.get("/products", {"filter[status]": "draft"}))["data"]
    assert [p["id"] for p in active_list] == [active["id"]]
    assert [p["id"] for p in draft_list] == [draft["id"]]
    assert document(await shop.viewer.get("/products", {"filter[status]": "archived"}))["data"] == []


async def test_filter_by_id_takes_one_or_several(client, shop: Catalog):
    a, b, _ = [await shop.product(name=n) for n in ("Alpha", "Beta", "Gamma")]
    one = document(await shop.viewer.get("/products", {"filter[id]": a["id"]}))["data"]
    assert [p["id"] for p in one] == ["alpha"]
    two = document(await shop.viewer.get("/products", {"filter[id]": "alpha,beta"}))["data"]
    assert sorted(p["id"] for p in two) == ["alpha", "beta"]
    assert document(await shop.viewer.get("/products", {"filter[id]": "1"}))["data"] == []


async def test_filter_by_label_and_upc_code(client, shop: Catalog):
    other_label = await shop.member.create("labels", {"name": "Other Records"})
    mine = await shop.product(name="Mine", **{"upc-code": "123456789012"})
    body = shop.product_body(name="Theirs", **{"upc-code": "8445281840433"})
    body["data"]["relationships"]["label"] = link("labels", other_label["id"])
    theirs = document(await shop.member.post("/products", body), 201)["data"]
    by_label = document(await shop.viewer.get("/products", {"filter[label-id]": other_label["id"]}))["data"]
    assert [p["id"] for p in by_label] == [theirs["id"]]
    by_upc = document(await shop.viewer.get("/products", {"filter[upc-code]": "123456789012"}))["data"]
    assert [p["id"] for p in by_upc] == [mine["id"]]
    assert document(await shop.viewer.get("/products", {"filter[label-id]": "5"}))["data"] == []


async def test_filter_by_creation_days_is_inclusive(client, shop: Catalog):
    for name, moment in [
        ("Old", datetime(2023, 12, 31, 23, 59, 59, tzinfo=UTC)),
        ("First day", datetime(2024, 1, 1, 0, 0, 0, tzinfo=UTC)),
        ("Last day", datetime(2024, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)),
        ("New", datetime(2025, 1, 1, 0, 0, 0, tzinfo=UTC)),
    ]:
        product = await shop.product(name=name)
        await Product.update({Product.created_at: moment}).where(Product.slug == product["id"])

    async def names(**params):
        found = document(await shop.viewer.get("/products", {f"filter[{k.replace('_', '-')}]": v for k, v in params.items()}))
        return sorted(p["attributes"]["name"] for p in found["data"])

    assert await names(created_at_gte="2024-01-01") == ["First day", "Last day", "New"]
    assert await names(created_at_lte="2024-12-31") == ["First day", "Last day", "Old"]
    assert await names(created_at_gte="2024-01-01", created_at_lte="2024-12-31") == ["First day", "Last day"]
    assert await names(created_at_gte="2025-01-02") == []


async def test_has_send_tasks_true_matches_nothing_false_everything(client, shop: Catalog):
    await shop.product()
    assert document(await shop.viewer.get("/products", {"filter[has-send-tasks]": "true"}))["data"] == []
    body = document(await shop.viewer.get("/products", {"filter[has-send-tasks]": "false"}))
    assert len(body["data"]) == 1 and body["meta"]["page"]["total"] == 1


async def test_sort_by_name_both_ways(client, shop: Catalog):
    for name in ("Bravo", "Alpha", "Charlie"):
        await shop.product(name=name)
    up = document(await shop.viewer.get("/products", {"sort": "name"}))["data"]
    down = document(await shop.viewer.get("/products", {"sort": "-name"}))["data"]
    assert [p["id"] for p in up] == ["alpha", "bravo", "charlie"]
    assert [p["id"] for p in down] == ["charlie", "bravo", "alpha"]


async def test_sparse_fieldsets_keep_only_the_fields_asked_for(client, shop: Catalog):
    await shop.product()
    [product] = document(await shop.viewer.get("/products", {"fields[products]": "name,status,label"}))["data"]
    assert product["attributes"] == {"name": "Product title", "status": "draft"}
    assert list(product["relationships"]) == ["label"]


# --- update ---------------------------------------------------------------------------


def patch_body(product_id: str, attributes: dict | None = None, relationships: dict | None = None) -> dict:
    data: dict = {"type": "products", "id": product_id}
    if attributes is not None:
        data["attributes"] = attributes
    if relationships is not None:
        data["relationships"] = relationships
    return {"data": data}


async def test_update_changes_only_what_is_sent(client, shop: Catalog):
    product = await shop.product(subtitle="Original")
    response = await shop.member.patch(
        f"/products/{product['id']}",
        patch_body(product["id"], {"name": "New title", "status": "active", "release-date": "2023-10-01"}),
    )
    updated = document(response)["data"]
    assert updated["id"] == product["id"]  # the id stays, whatever the name becomes
    attributes = updated["attributes"]
    assert attributes["name"] == "New title"
    assert attributes["status"] == "active"
    assert attributes["release-date"] == "2023-10-01T00:00:00.000000Z"
    assert attributes["subtitle"] == "Original"
    assert attributes["artist"] == ["Artist name"]
    assert attributes["createdAt"] == product["attributes"]["createdAt"]
    assert attributes["updatedAt"] > product["attributes"]["updatedAt"]


async def test_a_product_read_and_sent_back_unchanged_is_accepted(client, shop: Catalog):
    product = await shop.product(**{"release-date": "2023-10-01"})
    response = await shop.member.patch(
        f"/products/{product['id']}", {"data": {k: product[k] for k in ("type", "id", "attributes")}}
    )
    assert document(response)["data"]["attributes"]["release-date"] == "2023-10-01T00:00:00.000000Z"


async def test_update_can_relink_and_unlink(client, shop: Catalog):
    product = await shop.product()
    other_label = await shop.member.create("labels", {"name": "Other Records"})
    response = await shop.member.patch(
        f"/products/{product['id']}",
        patch_body(product["id"], relationships={
            "label": link("labels", other_label["id"]),
            "product-type": link("product-types", shop.product_type),
        }),
    )
    document(response)
    label = document(await shop.viewer.get(f"/products/{product['id']}/label"))["data"]
    assert label["id"] == other_label["id"]
    kind = document(await shop.viewer.get(f"/products/{product['id']}/relationships/product-type"))["data"]
    assert kind == {"type": "product-types", "id": shop.product_type}
    document(await shop.member.patch(
        f"/products/{product['id']}", patch_body(product["id"], relationships={"product-type": link("product-types", None)})
    ))
    assert document(await shop.viewer.get(f"/products/{product['id']}/product-type"))["data"] is None
    # A label and a language are required: they cannot be unlinked.
    assert details(await shop.member.patch(
        f"/products/{product['id']}", patch_body(product["id"], relationships={"label": link("labels", None)})
    ), 422) == ["The label field is required."]


@pytest.mark.parametrize("status", ["draft", "active", "archived"])
async def test_update_allows_every_v1_status(client, shop: Catalog, status):
    product = await shop.product()
    updated = document(await shop.member.patch(f"/products/{product['id']}", patch_body(product["id"], {"status": status})))
    assert updated["data"]["attributes"]["status"] == status


async def test_update_refuses_a_main_api_status(client, shop: Catalog):
    product = await shop.product()
    [error] = errors(await shop.member.patch(f"/products/{product['id']}", patch_body(product["id"], {"status": "published"})), 422)
    assert error == {
        "detail": "The status field must be one of draft, active, archived.",
        "source": {"pointer": "/data/attributes/status"},
        "status": "422",
        "title": "Unprocessable Entity",
    }


# --- delete ---------------------------------------------------------------------------


async def test_an_active_product_cannot_be_deleted(client, shop: Catalog):
    product = await shop.product()
    await shop.member.patch(f"/products/{product['id']}", patch_body(product["id"], {"status": "active"}))
    [error] = errors(await shop.admin.delete(f"/products/{product['id']}"), 409)
    assert error == {
        "detail": f"Product {product['id']} is active and cannot be deleted; archive it first.",
        "status": "409",
        "title": "Conflict",
    }
    document(await shop.viewer.get(f"/products/{product['id']}"))
    await shop.member.patch(f"/products/{product['id']}", patch_body(product["id"], {"status": "archived"}))
    response = await shop.admin.delete(f"/products/{product['id']}")
    assert response.status_code == 204 and response.content == b""
    errors(await shop.viewer.get(f"/products/{product['id']}"), 404)
    errors(await shop.admin.delete(f"/products/{product['id']}"), 404)


async def test_deleting_takes_an_admin_key(client, shop: Catalog):
    product = await shop.product()
    assert errors(await shop.member.delete(f"/products/{product['id']}"), 403)[0]["title"] == "Forbidden"
    assert (await shop.admin.delete(f"/products/{product['id']}")).status_code == 204


async def test_deleting_a_product_deletes_its_tracks_offers_rights_and_cover(client, shop: Catalog):
    image = png(seed=3)
    product = await shop.product(**{"front-cover": data_uri(image)})
    relation = {"product": link("products", product["id"])}
    track = await shop.member.create("tracks", {"title": "One", "position": 1}, relation)
    offer = await shop.member.create(
        "offers", {"price": 999, "currency": "EUR", "territories": ["WW"], "start-date": "2024-01-01"}, relation
    )
    right = await shop.member.create("rights", {"territory": "WW", "holder": "Records Music", "right-type": "master"}, relation)
    cover_path = product["attributes"]["cover-url"].removeprefix("http://hub.test")
    assert (await client.get(cover_path)).status_code == 200
    assert (await shop.admin.delete(f"/products/{product['id']}")).status_code == 204
    errors(await shop.viewer.get(f"/tracks/{track['id']}"), 404)
    errors(await shop.viewer.get(f"/offers/{offer['id']}"), 404)
    errors(await shop.viewer.get(f"/rights/{right['id']}"), 404)
    assert (await client.get(cover_path)).status_code == 404


# --- one product, two surfaces ------------------------------------------------------------


async def test_a_v1_product_is_a_main_api_product(client, shop: Catalog):
    product = await shop.product(name="Both Ways")
    main = ok(await client.get(f"/api/products/{product['id']}", headers=shop.org.viewer))["product"]
    assert main["id"] == product["id"] and main["name"] == "Both Ways" and main["status"] == "draft"
    await shop.member.patch(f"/products/{product['id']}", patch_body(product["id"], {"status": "active"}))
    main = ok(await client.get(f"/api/products/{product['id']}", headers=shop.org.viewer))["product"]
    assert main["status"] == "published"
    listed = ok(await client.get("/api/products", headers=shop.org.viewer))["products"]
    assert [p["id"] for p in listed] == [product["id"]]


async def test_a_main_api_product_shows_in_v1_with_null_release_metadata(client, shop: Catalog):
    ok(await client.post("/api/products", json={"name": "Sample Pack", "slug": "sample-pack"}, headers=shop.org.member), 201)
    ok(await client.patch("/api/products/sample-pack", json={"status": "published"}, headers=shop.org.member))
    product = document(await shop.viewer.get("/products/sample-pack"))["data"]
    attributes = product["attributes"]
    assert attributes["name"] == "Sample Pack"
    assert attributes["status"] == "active"
    assert all(attributes[name] is None for name in SEED_ATTRIBUTES if name not in ("name", "status", "createdAt", "updatedAt"))
    assert TIMESTAMP.match(attributes["createdAt"])
    assert document(await shop.viewer.get("/products/sample-pack/label"))["data"] is None
    assert document(await shop.viewer.get("/products/sample-pack/relationships/tracks"))["data"] == []
    # It takes release metadata through v1 like any other product.
    updated = document(await shop.member.patch(
        "/products/sample-pack",
        patch_body("sample-pack", {"upc-code": "123456789012"}, {"label": link("labels", shop.label)}),
    ))["data"]
    assert updated["attributes"]["upc-code"] == "123456789012"
    assert ok(await client.get("/api/products/sample-pack", headers=shop.org.viewer))["product"]["name"] == "Sample Pack"


# --- cover art --------------------------------------------------------------------------------


@pytest.mark.parametrize("storage", ["local", "s3"])
async def test_a_front_cover_is_stored_and_served_with_its_md5(client, app, shop: Catalog, storage):
    image = png(seed=7)
    product = await shop.product(**{"front-cover": data_uri(image)})
    attributes = product["attributes"]
    assert attributes["front-cover-md5"] == hashlib.md5(image).hexdigest()
    url = attributes["cover-url"]
    assert re.match(r"^http://hub\.test/covers/audio-company/[0-9a-f]{32}\.png$", url)
    response = await client.get(url)  # public: no key
    assert response.status_code == 200
    assert response.content == image
    assert response.headers["content-type"] == "image/png"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert hashlib.md5(response.content).hexdigest() == attributes["front-cover-md5"]
    key = f"orgs/audio-company/covers/{url.rsplit('/', 1)[1]}"
    assert await app.state.hub.blobs.stat(key) is not None
    again = await client.get(url, headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304


async def test_a_new_cover_replaces_the_old_one_and_null_removes_it(client, shop: Catalog):
    product = await shop.product(**{"front-cover": data_uri(png(seed=1))})
    old_url = product["attributes"]["cover-url"]
    jpeg = b"\xff\xd8\xff\xe0" + b"\x00" * 64
    updated = document(await shop.member.patch(
        f"/products/{product['id']}", patch_body(product["id"], {"front-cover": data_uri(jpeg, "image/jpeg")})
    ))["data"]["attributes"]
    assert updated["cover-url"].endswith(".jpg") and updated["cover-url"] != old_url
    assert updated["front-cover-md5"] == hashlib.md5(jpeg).hexdigest()
    fetched = await client.get(updated["cover-url"])
    assert fetched.content == jpeg and fetched.headers["content-type"] == "image/jpeg"
    assert (await client.get(old_url)).status_code == 404
    removed = document(await shop.member.patch(
        f"/products/{product['id']}", patch_body(product["id"], {"front-cover": None})
    ))["data"]["attributes"]
    assert removed["cover-url"] is None and removed["front-cover-md5"] is None
    assert (await client.get(updated["cover-url"])).status_code == 404


@pytest.mark.parametrize(
    ("cover", "detail"),
    [
        ("not a data uri", "The front-cover field must be a base64 data URI such as data:image/png;base64,..."),
        (data_uri(b"<svg onload='alert(1)'/>", "image/svg+xml"), "The front-cover field must be a JPEG, PNG, GIF or WebP image (data:image/jpeg;base64,...)."),
        (data_uri(b"%PDF-1.4", "application/pdf"), "The front-cover field must be a JPEG, PNG, GIF or WebP image (data:image/jpeg;base64,...)."),
        (data_uri(b"<html>not a png</html>", "image/png"), "The front-cover field does not hold a image/png image."),
        ("data:image/png;base64,!!!", "The front-cover field is not valid base64."),
        (12, "The front-cover field must be a base64 data URI such as data:image/png;base64,..."),
    ],
)
async def test_a_front_cover_must_be_an_image(client, shop: Catalog, cover, detail):
    response = await shop.member.post("/products", shop.product_body(**{"front-cover": cover}))
    [error] = errors(response, 422)
    assert error["detail"] == detail
    assert error["source"] == {"pointer": "/data/attributes/front-cover"}
    assert document(await shop.viewer.get("/products"))["data"] == []


async def test_a_front_cover_over_10_mib_is_refused(client, shop: Catalog):
    image = png() + b"\x00" * (10 * 1024 * 1024)
    [error] = errors(await shop.member.post("/products", shop.product_body(**{"front-cover": data_uri(image)})), 413)
    assert error["source"] == {"pointer": "/data/attributes/front-cover"}
    assert "10485760 bytes" in error["detail"]


async def test_covers_of_unknown_or_malformed_names_are_404(client, shop: Catalog):
    for path in ("/covers/audio-company/" + "0" * 32 + ".png", "/covers/audio-company/..%2Fsecret", "/covers/Bad!/x.png"):
        assert (await client.get(path)).status_code == 404


# --- relationships and compound documents -------------------------------------------------------


async def test_related_links_return_what_they_point_to(client, shop: Catalog):
    body = shop.product_body()
    body["data"]["relationships"]["product-type"] = link("product-types", shop.product_type)
    product = document(await shop.member.post("/products", body), 201)["data"]
    relation = {"product": link("products", product["id"])}
    second = await shop.member.create("tracks", {"title": "Two", "position": 2}, relation)
    first = await shop.member.create("tracks", {"title": "One", "position": 1}, relation)
    offer = await shop.member.create(
        "offers", {"price": 999, "currency": "EUR", "territories": ["FR", "DE"], "start-date": "2024-01-01"}, relation
    )
    right = await shop.member.create("rights", {"territory": "WW", "holder": "Records Music", "right-type": "master"}, relation)
    expected_ids = {
        "company": "audio-company",
        "label": shop.label,
        "language": shop.language,
        "product-type": shop.product_type,
        "tracks": [first["id"], second["id"]],
        "offers": [offer["id"]],
        "rights": [right["id"]],
    }
    for name, relationship in product["relationships"].items():
        related = document(await client.get(relationship["links"]["related"], headers=jsonapi(shop.org.viewer)))
        linkage = document(await client.get(relationship["links"]["self"], headers=jsonapi(shop.org.viewer)))
        assert related["links"] == {"self": relationship["links"]["related"]}
        assert linkage["links"] == {"self": relationship["links"]["self"], "related": relationship["links"]["related"]}
        if isinstance(expected_ids[name], list):
            assert [r["id"] for r in related["data"]] == expected_ids[name]
            assert linkage["data"] == [{"type": name, "id": i} for i in expected_ids[name]]
        else:
            assert related["data"]["id"] == expected_ids[name]
            assert linkage["data"] == {"type": related["data"]["type"], "id": expected_ids[name]}
            # The related resource is the one its own URL serves.
            own = document(await client.get(related["data"]["links"]["self"], headers=jsonapi(shop.org.viewer)))
            assert own["data"] == related["data"]
    label = document(await shop.viewer.get(f"/products/{product['id']}/label"))["data"]
    assert label["type"] == "labels" and label["attributes"]["name"] == "Records Music"
    company = document(await shop.viewer.get(f"/products/{product['id']}/company"))["data"]
    assert company["type"] == "companies" and company["attributes"]["name"] == "audio-company"


async def test_an_unknown_relationship_is_404(client, shop: Catalog):
    product = await shop.product()
    errors(await shop.viewer.get(f"/products/{product['id']}/owner"), 404)
    errors(await shop.viewer.get(f"/products/{product['id']}/relationships/owner"), 404)


async def test_include_adds_the_related_resources_once(client, shop: Catalog):
    first = await shop.product(name="One")
    await shop.product(name="Two")
    track = await shop.member.create("tracks", {"title": "Intro", "position": 1}, {"product": link("products", first["id"])})
    body = document(await shop.viewer.get("/products", {"include": "label,language,tracks,company", "sort": "name"}))
    assert [(r["type"], r["id"]) for r in body["included"]] == [
        ("labels", shop.label), ("languages", shop.language), ("tracks", track["id"]), ("companies", "audio-company"),
    ]
    one, two = body["data"]
    assert one["relationships"]["label"]["data"] == {"type": "labels", "id": shop.label}
    assert one["relationships"]["tracks"]["data"] == [{"type": "tracks", "id": track["id"]}]
    assert two["relationships"]["tracks"]["data"] == []
    assert "data" not in one["relationships"]["offers"]
    single = document(await shop.viewer.get(f"/products/{first['id']}", {"include": "product-type"}))
    assert single["included"] == []
    assert single["data"]["relationships"]["product-type"]["data"] is None


# --- who may do what ------------------------------------------------------------------------------


async def test_any_key_reads_members_write(client, shop: Catalog):
    product = await shop.product()
    document(await shop.viewer.get(f"/products/{product['id']}"))
    assert errors(await shop.viewer.post("/products", shop.product_body()), 403)[0]["detail"].startswith("This action needs a member")
    errors(await shop.viewer.patch(f"/products/{product['id']}", patch_body(product["id"], {"name": "x"})), 403)
    [error] = errors(await client.get("/api/v1/products", headers={"Accept": JSONAPI}), 401)
    assert error["title"] == "Unauthorized"
    errors(await client.get("/api/v1/products", headers={"Authorization": "Bearer ct_key_wrong"}), 401)


async def test_another_organizations_products_do_not_exist(client, shop: Catalog, other_shop: Catalog):
    product = await shop.product()
    assert document(await other_shop.viewer.get("/products"))["data"] == []
    assert document(await other_shop.viewer.get("/products", {"filter[id]": product["id"]}))["data"] == []
    errors(await other_shop.viewer.get(f"/products/{product['id']}"), 404)
    errors(await other_shop.viewer.get(f"/products/{product['id']}/label"), 404)
    errors(await other_shop.viewer.get(f"/products/{product['id']}/relationships/company"), 404)
    errors(await other_shop.member.patch(f"/products/{product['id']}", patch_body(product["id"], {"name": "Mine"})), 404)
    errors(await other_shop.admin.delete(f"/products/{product['id']}"), 404)
    # Nor can another organization's label or language be linked.
    body = other_shop.product_body()
    body["data"]["relationships"]["label"] = link("labels", shop.label)
    assert details(await other_shop.member.post("/products", body), 422) == [
        f"The label field must be an existing label; there is no label {shop.label}."
    ]
    # The same name makes the same id in each organization.
    assert (await other_shop.product())["id"] == product["id"]
    assert document(await shop.viewer.get(f"/products/{product['id']}"))["data"]["attributes"]["name"] == "Product title"
