"""The v1 OpenAPI schema tells the truth: every answer of every v1
operation (documents, errors, 201s and 204s) matches the schema the hub
publishes, status and content type included.

A walk over real resources checks the success documents (compound
documents, sparse fieldsets, related and relationship documents) and the
error documents a client meets; schemathesis then sends generated requests
to every v1 operation and checks each answer the same way. SQLite only:
the documents do not depend on the database (the PostgreSQL variants of
tests/v1 check the answers themselves).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from hub.app import create_app
from hub.testing.app import settings_for_tests
from tests.support.server import HubServer, hub_server
from tests.v1.conftest import JSONAPI, data_uri, png

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _schema() -> dict:
    with tempfile.TemporaryDirectory() as data_dir:
        return create_app(settings_for_tests(Path(data_dir))).openapi_schema.to_schema()


schema = schemathesis.openapi.from_dict(_schema()).include(path_regex="^/api/v1/")


def _id(response: httpx.Response) -> str:
    assert response.status_code == 201, response.text
    return response.json()["data"]["id"]


# Parametrized (one database) so that each generated test has its own node
# id, "[GET /api/…][sqlite]": schemathesis' items otherwise share one, and
# pytest-xdist runs one of them and drops the rest without a word.
@pytest.fixture(scope="module", params=["sqlite"])
def server(tmp_path_factory) -> HubServer:
    with hub_server(tmp_path_factory.mktemp("v1-openapi")) as running:
        yield running


@pytest.fixture(scope="module")
def catalog(server: HubServer) -> dict[str, str]:
    """A product with a cover, a label, a language, a product type, an offer and a right."""
    headers = {**server.auth, "Content-Type": JSONAPI, "Accept": JSONAPI}
    with httpx.Client(base_url=f"{server.url}/api/v1", headers=headers) as api:
        ids = {
            "label": _id(api.post("/labels", json={"data": {"type": "labels", "attributes": {"name": "Records"}}})),
            "language": _id(api.post("/languages", json={"data": {"type": "languages", "attributes": {"code": "en", "name": "English"}}})),
            "product-type": _id(api.post("/product-types", json={"data": {"type": "product-types", "attributes": {"name": "Album"}}})),
        }

        def link(kind: str, key: str) -> dict:
            return {"data": {"type": kind, "id": ids[key]}}

        attributes = {
            "name": "Night Drive", "upc-code": "8088111222333", "copyright-line": "Records", "production-line": "2024 Records",
            "production-year": 2024, "status": "draft", "artist": ["Ava"], "front-cover": data_uri(png()),
            "release-date": "2024-10-01", "custom-data": [{"k": "v"}],
        }
        relationships = {"label": link("labels", "label"), "language": link("languages", "language"),
                         "product-type": link("product-types", "product-type")}
        ids["product"] = _id(api.post("/products", json={"data": {"type": "products", "attributes": attributes, "relationships": relationships}}))
        product = {"product": {"data": {"type": "products", "id": ids["product"]}}}
        ids["offer"] = _id(api.post("/offers", json={"data": {"type": "offers", "relationships": product, "attributes": {
            "price": 999, "currency": "EUR", "territories": ["WW"], "start-date": "2024-01-01"}}}))
        ids["right"] = _id(api.post("/rights", json={"data": {"type": "rights", "relationships": product, "attributes": {
            "territory": "FR", "holder": "Records", "right-type": "master"}}}))
        ids["track"] = _id(api.post("/tracks", json={"data": {"type": "tracks", "relationships": product, "attributes": {
            "title": "Intro", "position": 1, "isrc": "FR-Z03-14-00001", "duration": 61, "artists": ["Ava"]}}}))
    return ids


def _walk(catalog: dict[str, str]) -> list[tuple[str, str, dict, dict | None, dict]]:
    """(method, path template, path parameters, body, query) of requests a client makes."""
    p = catalog["product"]
    requests: list[tuple[str, str, dict, dict | None, dict]] = [
        ("GET", "/api/v1/products", {}, None, {}),
        ("GET", "/api/v1/products", {}, None, {"include": "company,label,language,product-type,offers,tracks,rights"}),
        ("GET", "/api/v1/products", {}, None, {"fields[products]": "name", "page[size]": "1"}),
        ("GET", "/api/v1/products", {}, None, {"filter[colour]": "red"}),
        ("GET", "/api/v1/products/{product_id}", {"product_id": p}, None, {"include": "tracks,label"}),
        ("GET", "/api/v1/products/{product_id}", {"product_id": "nope"}, None, {}),
        ("PATCH", "/api/v1/products/{product_id}", {"product_id": p},
         {"data": {"type": "products", "id": p, "attributes": {"subtitle": "Live", "upc-code": "12"}}}, {}),
        ("PATCH", "/api/v1/products/{product_id}", {"product_id": p},
         {"data": {"type": "products", "id": p, "attributes": {"subtitle": "Live", "status": "active"}}}, {}),
        ("POST", "/api/v1/products", {}, {"data": {"type": "products", "attributes": {}}}, {}),
        ("POST", "/api/v1/products", {}, {"data": {"type": "labels", "attributes": {}}}, {}),
        ("GET", "/api/v1/companies/{company_id}", {"company_id": "shop"}, None, {}),
        ("GET", "/api/v1/labels", {}, None, {}),
        ("GET", "/api/v1/languages", {}, None, {}),
        ("GET", "/api/v1/product-types", {}, None, {}),
        ("GET", "/api/v1/labels/{label_id}", {"label_id": catalog["label"]}, None, {}),
        ("GET", "/api/v1/languages/{language_id}", {"language_id": catalog["language"]}, None, {}),
        ("GET", "/api/v1/product-types/{product_type_id}", {"product_type_id": catalog["product-type"]}, None, {}),
        ("POST", "/api/v1/languages", {}, {"data": {"type": "languages", "attributes": {"code": "en", "name": "Again"}}}, {}),
        ("PATCH", "/api/v1/tracks/{part_id}", {"part_id": catalog["track"]},
         {"data": {"type": "tracks", "id": catalog["track"], "attributes": {"duration": 62}}}, {}),
        ("PATCH", "/api/v1/offers/{part_id}", {"part_id": catalog["offer"]},
         {"data": {"type": "offers", "id": catalog["offer"], "attributes": {"price": 1099}}}, {}),
        ("PATCH", "/api/v1/rights/{part_id}", {"part_id": catalog["right"]},
         {"data": {"type": "rights", "id": catalog["right"], "attributes": {"territory": "Europe"}}}, {}),
    ]
    for name in ("company", "label", "language", "product-type", "offers", "tracks", "rights"):
        requests.append(("GET", "/api/v1/products/{product_id}/{name}", {"product_id": p, "name": name}, None, {}))
        requests.append(("GET", "/api/v1/products/{product_id}/relationships/{name}", {"product_id": p, "name": name}, None, {}))
    for kind in ("tracks", "offers", "rights"):
        key = kind[:-1]
        requests.append(("GET", f"/api/v1/{kind}/{{part_id}}", {"part_id": catalog[key]}, None, {}))
    requests += [
        ("DELETE", "/api/v1/rights/{part_id}", {"part_id": catalog["right"]}, None, {}),
        ("DELETE", "/api/v1/rights/{part_id}", {"part_id": catalog["right"]}, None, {}),
    ]
    return requests


def test_every_answer_a_client_meets_matches_the_schema(server: HubServer, catalog):
    for method, template, path_parameters, body, query in _walk(catalog):
        operation = schema[template][method]
        kwargs = {"media_type": JSONAPI, "body": body} if body is not None else {}
        case = operation.Case(path_parameters=path_parameters, query=query, **kwargs)
        case.call_and_validate(base_url=server.url, headers={**server.auth, "Accept": JSONAPI}, checks=CHECKS)


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_generated_requests_get_answers_that_match_the_schema(case, server: HubServer, catalog):
    case.call_and_validate(base_url=server.url, headers=server.auth, checks=CHECKS)
