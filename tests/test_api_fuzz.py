"""No request of any shape makes the API answer 5xx, and every answer is
the one the schema declares.

schemathesis generates requests from the app's own OpenAPI schema (valid
and invalid bodies, odd parameters, odd strings) and sends them to a real
server holding a real product, version and token. Every answer is checked
against the schema too: its status is declared, its content type is
declared, and its body matches the declared type (errors included).
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
from tests.conftest import DATABASES, empty_postgres
from tests.support.server import HubServer, hub_server, upload_sample


def _schema() -> dict:
    """The app's OpenAPI schema, from an app whose data folder is a temporary
    one: collecting the tests must write nothing into the working tree."""
    with tempfile.TemporaryDirectory() as data_dir:
        return create_app(settings_for_tests(Path(data_dir))).openapi_schema.to_schema()


schema = schemathesis.openapi.from_dict(_schema())

#: Surfaces whose answers would not be checked against the schema (only
#: "no 5xx"): none; all three surfaces are checked alike.
RESPONSES_UNCHECKED: tuple[str, ...] = ()
RESPONSE_CHECKS = [status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module", params=DATABASES)
def server(request, tmp_path_factory) -> HubServer:
    settings = {}
    if request.param == "postgres":
        settings["HUB_DATABASE_URL"] = request.getfixturevalue("fresh_postgres")
    with hub_server(tmp_path_factory.mktemp("fuzz"), **settings) as running:
        with httpx.Client(base_url=running.url, headers=running.auth) as api:
            upload_sample(api, "kit", b"fuzz me")
        yield running
    if request.param == "postgres":
        empty_postgres()  # the next module's servers start from nothing


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_request_makes_a_server_error(case, server):
    # Operations that would erase the fixture's product are exercised with
    # a viewer-strength mistake instead: a wrong key still must not 5xx.
    headers = dict(server.auth)
    if case.method == "DELETE" and "{product_id}" in case.path and "tokens" not in case.path:
        headers["Authorization"] = "Bearer ct_key_wrong"
    checks = [not_a_server_error]
    if not case.path.startswith(RESPONSES_UNCHECKED):
        checks += RESPONSE_CHECKS
    case.call_and_validate(base_url=server.url, headers=headers, checks=checks)
