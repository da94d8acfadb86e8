"""Hostile input answers the client's mistake in each surface's envelope,
alike on SQLite and PostgreSQL, on every route (the routes are enumerated
from the app, so a new route is covered without touching this file)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest
from litestar import Litestar

from continuata_plugins.paypal.events import parse_event
from hub.errors import BadRequest
from hub.inputs import MAX_JSON_DEPTH, decode_json
from hub.tables import Purchase
from hub.testing.app import hub_client, make_app
from hub.testing.stripe import sign
from tests.conftest import _empty_postgres, make_org
from tests.test_tokens_api import ready_product

STRIPE_SECRET = "whsec_hostile"
JSONAPI = "application/vnd.api+json"
PARAMETER = re.compile(r"\{(\w+):(\w+)\}")
# Routes whose bodies are not JSON: forms (refused first by their CSRF
# check) and raw upload parts.
NOT_JSON = re.compile(r"^/my/|^/console/|^/api/uploads/[^/]+/parts/")  # forms, raw bytes


@pytest.fixture
async def hostile(settings) -> AsyncIterator[tuple[Litestar, httpx.AsyncClient, dict]]:
    """A hub serving every built-in plugin's routes, with one ready product
    ``p`` (version 1.0.0) and an admin key."""
    extra = {
        "HUB_STRIPE_WEBHOOK_SECRET": STRIPE_SECRET,
        "HUB_STRIPE_ORG": "audio-company",
        "HUB_PAYPAL_WEBHOOK_ID": "WH-HOSTILE",
        "HUB_PAYPAL_CLIENT_ID": "client",
        "HUB_PAYPAL_CLIENT_SECRET": "secret",
    }
    app = make_app(replace(settings, extra=extra), entry_points="stripe,paypal,email")
    async with hub_client(app) as client:
        await _empty_postgres(app)
        org = await make_org("audio-company")
        await ready_product(client, org, slug="p")
        yield app, client, org.admin


def routes(app: Litestar) -> list[tuple[str, str]]:
    """(method, path template) of every route the app serves."""
    return sorted(
        (method, route.path)
        for route in app.routes
        for method in getattr(route, "methods", ())
        if method not in {"OPTIONS", "HEAD"} and not route.path.startswith("/schema")
    )


def reads_a_body(app: Litestar, method: str, template: str) -> bool:
    """Whether the route's handler reads a request body: it takes ``data``
    (decoded by the framework) or the ``request`` (and reads the body itself),
    or it is a plugin's webhook. A POST that reads nothing, such as
    rotating a secret, answers for its path alone."""
    if template.startswith("/plugins/"):
        return True
    for route in app.routes:
        if route.path == template:
            for handler in route.route_handlers:
                if method in handler.http_methods:
                    return bool({"data", "request"} & set(handler.parsed_fn_signature.parameters))
    return False


def fill(path: str, text: str) -> str:
    """``path`` with every str parameter set to ``text`` (ints to 1)."""
    return PARAMETER.sub(lambda m: "1" if m.group(2) == "int" else text, path)


def assert_envelope(path: str, response: httpx.Response, status: int | set[int]) -> None:
    """``response`` is an error of ``status`` (or one of them) in the
    envelope of ``path``'s surface."""
    allowed = {status} if isinstance(status, int) else status
    assert response.status_code in allowed, f"{path}: {response.status_code} {response.text[:300]}"
    status = response.status_code
    if path.startswith(("/download", "/my", "/console")) and "text/html" in response.headers["content-type"]:
        assert "<html" in response.text
        return
    body = response.json()
    if path.startswith("/api/v1/"):
        assert body["errors"][0]["status"] == str(status), body
    elif path.startswith("/api/v2/"):
        assert body["success"] is False and body["status"] == status and body["errors"], body
    else:
        assert body["success"] is False and isinstance(body["error"], str), body


def headers_for(method: str, path: str, admin: dict) -> dict:
    headers = dict(admin)
    if method in {"POST", "PUT", "PATCH", "DELETE"}:
        headers["Content-Type"] = JSONAPI if path.startswith("/api/v1/") else "application/json"
    headers["Accept"] = "application/json"
    return headers


async def test_a_nul_character_in_any_path_id_is_not_found_on_every_route(hostile):
    app, client, admin = hostile
    checked = 0
    for method, template in routes(app):
        if not any(kind == "str" for _, kind in PARAMETER.findall(template)):
            continue
        path = fill(template, "p%00x")
        response = await client.request(method, path, headers=headers_for(method, template, admin), content=b"{}")
        assert_envelope(path, response, 404)
        checked += 1
    assert checked >= 30  # every surface: main API, uploads, tokens, v1, v2, /my, downloads


BODY_IDS = [
    ("POST", "/api/generate-download-url", {"productId": "p\x00"}, 404),
    ("POST", "/api/generate-download-url", {"productId": "p", "version": "1.0.0\x00"}, 404),
    ("POST", "/api/products/p/tokens", {"version": "1.0.0\x00"}, 404),
    ("PATCH", "/api/products/p", {"activeVersion": "1.0.0\x00"}, 404),
    ("POST", "/api/products/p/versions", {"version": "1.0.1\x00", "files": []}, 422),
]


@pytest.mark.parametrize(("method", "path", "body", "status"), BODY_IDS)
async def test_a_nul_character_in_an_id_inside_a_body_is_refused_alike_on_every_database(
    hostile, method, path, body, status
):
    _, client, admin = hostile
    assert_envelope(path, await client.request(method, path, json=body, headers=admin), status)


async def test_a_purchase_naming_a_product_id_with_a_nul_character_is_kept_with_its_problem(hostile):
    _, client, admin = hostile
    for item in ({"productId": "p\x00"}, {"productId": "p", "version": "1.0.0\x00"}):
        response = await client.post(
            "/api/purchases",
            json={"reference": f"order-{len(item)}", "customerEmail": "buyer@example.com", "items": [item]},
            headers=admin,
        )
        assert response.status_code == 201, response.text
    problems = [row["problem"] for row in await Purchase.select(Purchase.problem)]
    assert len(problems) == 2 and all("\\x00" in p and "not found" in p for p in problems), problems


def deep_json(levels: int) -> bytes:
    return b'{"data": ' + b"[" * levels + b"]" * levels + b"}"


async def test_a_json_body_nested_a_thousand_levels_deep_is_a_400_on_every_route(hostile):
    app, client, admin = hostile
    checked = []
    for method, template in routes(app):
        if method not in {"POST", "PUT", "PATCH"}:
            continue
        path = fill(template, "p")
        body = deep_json(1000)
        headers = headers_for(method, template, admin)
        if "/plugins/stripe/" in path:
            headers["Stripe-Signature"] = sign(body, STRIPE_SECRET)
        response = await client.request(method, path, headers=headers, content=body)
        assert response.status_code < 500, f"{method} {path}: {response.status_code} {response.text[:300]}"
        if not NOT_JSON.search(path) and reads_a_body(app, method, template):
            # A v1 resource that does not exist may be reported first.
            assert_envelope(path, response, {400, 404} if template.startswith("/api/v1/") and "{" in template else 400)
            checked.append(path)
    assert "/plugins/stripe/webhook" in checked and "/api/purchases" in checked
    assert any(p.startswith("/api/v1/") for p in checked) and any(p.startswith("/api/v2/") for p in checked)


@pytest.mark.parametrize("levels", [MAX_JSON_DEPTH + 1, 1000, 100_000])
def test_every_json_body_the_hub_reads_refuses_absurd_nesting_with_one_answer(levels):
    body = deep_json(levels)
    for read in (decode_json, parse_event):
        with pytest.raises(BadRequest, match="nests too deeply"):
            read(body)


def test_json_nested_as_deeply_as_allowed_is_read():
    assert isinstance(decode_json(deep_json(MAX_JSON_DEPTH - 1))["data"], list)
