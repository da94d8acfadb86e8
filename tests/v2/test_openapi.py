"""The v2 OpenAPI schema tells the truth: the Product Download it answers
with 201, and the ``{success, status, context, errors}`` envelope of every
refusal, match the schema the hub publishes, status and content type
included. SQLite only: the documents do not depend on the database."""

from __future__ import annotations

import hashlib
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
from tests.v2.conftest import PNG, data_uri

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
PATH = "/api/v2/products/{product_id}/downloads.json"


def _schema() -> dict:
    with tempfile.TemporaryDirectory() as data_dir:
        return create_app(settings_for_tests(Path(data_dir))).openapi_schema.to_schema()


schema = schemathesis.openapi.from_dict(_schema()).include(path_regex="^/api/v2/")


# Parametrized (one database) so that each generated test has its own node
# id, "[GET /api/…][sqlite]": schemathesis' items otherwise share one, and
# pytest-xdist runs one of them and drops the rest without a word.
@pytest.fixture(scope="module", params=["sqlite"])
def server(tmp_path_factory) -> HubServer:
    with hub_server(tmp_path_factory.mktemp("v2-openapi")) as running:
        with httpx.Client(base_url=running.url, headers=running.auth) as api:
            api.post("/api/products", json={"name": "Kit", "slug": "kit"}).raise_for_status()
        yield running


def test_the_operation_is_named_and_its_body_documented():
    operation = schema[PATH]["POST"]
    assert operation.definition.raw["operationId"] == "v2CreateProductDownload"
    body = operation.definition.raw["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["data"] and body["properties"]["data"]["required"] == ["file"]


@pytest.mark.parametrize(
    ("product", "body"),
    [
        ("kit", {"data": {"file": data_uri(PNG)}}),
        ("kit", {"data": {"file": {"src": data_uri(b"%PDF-1.4 x", "application/pdf"), "filename": "Guide.pdf",
                                   "directory": "~/content/docs"}}}),
        ("kit", {"data": {}}),
        ("kit", {"data": {"file": "data:text/plain,hello"}}),
        ("nope", {"data": {"file": data_uri(PNG)}}),
    ],
)
def test_every_answer_a_client_meets_matches_the_schema(server: HubServer, product, body):
    case = schema[PATH]["POST"].Case(path_parameters={"product_id": product}, body=body, media_type="application/json")
    case.call_and_validate(base_url=server.url, headers=server.auth, checks=CHECKS)


def test_a_name_taken_twice_is_documented(server: HubServer):
    operation = schema[PATH]["POST"]
    body = {"data": {"file": {"src": data_uri(b"twice" + bytes(8), "application/octet-stream"), "filename": "same.bin"}}}
    for _ in range(2):  # 201, then 422 error.not-unique
        case = operation.Case(path_parameters={"product_id": "kit"}, body=body, media_type="application/json")
        case.call_and_validate(base_url=server.url, headers=server.auth, checks=CHECKS)


def test_an_unauthenticated_request_is_documented_too(server: HubServer):
    case = schema[PATH]["POST"].Case(
        path_parameters={"product_id": "kit"}, body={"data": {"file": data_uri(hashlib.sha256(b"x").digest())}},
        media_type="application/json",
    )
    case.call_and_validate(base_url=server.url, headers={"Authorization": "Bearer ct_key_wrong"}, checks=CHECKS)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_generated_requests_get_answers_that_match_the_schema(case, server: HubServer):
    case.call_and_validate(base_url=server.url, headers=server.auth, checks=CHECKS)
