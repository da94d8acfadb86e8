"""Every HTML page the hub serves, error pages included, carries the
security headers; inline blocks run only by their hash."""

from __future__ import annotations

import base64
import hashlib
import re

import httpx
import pytest

from hub.pages import template_environment
from hub.testing.app import make_app, running
from hub.web.security_headers import template_page_policy
from tests.conftest import _empty_postgres, make_org
from tests.support.catalog import mint
from tests.test_tokens_api import ready_product

INLINE = re.compile(r"<(script|style)\b(?![^>]*\bsrc\s*=)[^>]*>(.*?)</\1>", re.IGNORECASE | re.DOTALL)


def assert_secured(response: httpx.Response) -> None:
    headers = response.headers
    where = f"{response.request.method} {response.request.url} ({response.status_code})"
    assert headers.get("x-content-type-options") == "nosniff", where
    assert headers.get("x-frame-options") == "DENY", where
    assert headers.get("referrer-policy") == "no-referrer", where
    assert len(headers.get_list("content-security-policy")) == 1, where
    policy = dict(
        (part.strip().split(" ", 1) + [""])[:2] for part in headers["content-security-policy"].split(";")
    )
    assert policy["frame-ancestors"] == "'none'", where
    if "text/html" not in headers.get("content-type", ""):
        assert policy["default-src"] == "'none'", where
        return
    assert "unsafe-inline" not in headers["content-security-policy"], where
    assert policy["default-src"] == "'none'" and policy["base-uri"] == "'none'", where
    for kind, block in INLINE.findall(response.text):
        digest = base64.b64encode(hashlib.sha256(block.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy[f"{kind.lower()}-src"], f"{where}: an inline {kind} would not run"


@pytest.fixture
async def shop(settings):
    app = make_app(settings, entry_points="none")
    async with running(app):
        transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
        async with httpx.AsyncClient(transport=transport, base_url=settings.public_url) as client:
            await _empty_postgres(app)
            org = await make_org("audio-company")
            await ready_product(client, org, slug="p")
            yield client, org


async def test_every_html_page_and_error_page_carries_the_security_headers(shop):
    client, org = shop
    page = {"Accept": "text/html"}
    fresh = await mint(client, org.member, "p", {"kick.wav": b"kick drum"})
    once = await mint(client, org.member, "p", {"kick.wav": b"kick drum"}, max_downloads=1)
    revoked = await mint(client, org.member, "p", {"kick.wav": b"kick drum"})
    assert (await client.get(once.url("kick.wav"), headers={"User-Agent": "first"})).status_code == 200
    assert (await client.delete(f"/api/products/p/tokens/{revoked.token_id}", headers=org.admin)).status_code in (200, 204)

    answers = [
        (await client.get(fresh.download_url, headers=page), 200),
        (await client.get("/download?token=ct_download_nothing", headers=page), 404),
        (await client.get(revoked.download_url, headers=page), 410),
        (await client.get(once.download_url, headers={**page, "User-Agent": "second"}), 403),
        (await client.get("/download/files/nope/x.wav?token=ct_download_nothing", headers=page), 404),
        (await client.get("/download/no/such/page", headers=page), 404),
        (await client.get("/my"), 200),
        (await client.get("/my/sign-in?token=ct_signin_x"), 200),
        (await client.post("/my/sign-in", data={"email": "a@example.com"}), 403),
        (await client.post("/my/sign-in/confirm", data={"token": "x"}), 403),
        (await client.get("/schema/swagger"), 200),
        (await client.get("/schema/redoc"), 200),
        # and what is not a page
        (await client.get(fresh.download_url, headers={"Accept": "application/json"}), 200),
        (await client.get(fresh.url("kick.wav"), headers={"User-Agent": "third"}), 200),
        (await client.get("/api/products", headers=org.viewer), 200),
        (await client.get("/api/nothing-here"), 404),
    ]
    for response, status in answers:
        assert response.status_code == status, f"{response.request.url}: {response.status_code} {response.text[:200]}"
        assert_secured(response)
    assert sum("text/html" in r.headers["content-type"] for r, _ in answers) == 12


def test_only_inline_blocks_written_in_the_templates_are_allowed_never_injected_ones(tmp_path):
    (tmp_path / "page.html").write_text(
        "<style>p { color: red }</style><script>start()</script>"
        "<p>{{ name }}</p><script>var name = {{ name | tojson }};</script>{{ raw | safe }}"
    )
    templates = template_environment(tmp_path)
    policy = template_page_policy(templates).decode()
    page = templates.get_template("page.html").render(name="x", raw="<script>steal()</script><style>body{}</style>")
    allowed = {f"'sha256-{base64.b64encode(hashlib.sha256(b.encode()).digest()).decode()}'" for b in ("start()", "p { color: red }")}
    refused = {
        f"'sha256-{base64.b64encode(hashlib.sha256(b.encode()).digest()).decode()}'"
        for b in ("steal()", "body{}", 'var name = "x";')
    }
    assert all(source in policy for source in allowed), policy
    assert not any(source in policy for source in refused), policy
    assert "steal()" in page  # it was injected, and would not run
    assert "unsafe-inline" not in policy
