"""CSRF tokens are Litestar's (hub.web.csrf): signed by the hub, so a
cookie and a field that merely agree are not enough; a refused form is
shown again with a token that works; the API, authenticated by a key and
not a cookie, needs none."""

from __future__ import annotations

from tests.console.conftest import OWNER, PASSWORD, browser_of, csrf_of

MADE_UP = "a" * 64 + "b" * 64  # the shape of a token, but not signed by this hub


async def test_a_made_up_cookie_and_field_that_agree_are_refused(console_app):
    async with browser_of(console_app) as client:
        refused = await client.post(
            "/console/login",
            data={"email": OWNER, "password": PASSWORD, "_csrf_token": MADE_UP},
            headers={"cookie": f"ct_console_csrf={MADE_UP}"},
        )
    assert refused.status_code == 403 and "expired" in refused.text
    assert "ct_console=" not in refused.headers.get("set-cookie", "")


async def test_buyers_forms_refuse_a_made_up_pair_too(console_app):
    async with browser_of(console_app) as client:
        refused = await client.post(
            "/my/sign-in", data={"email": "buyer@example.com", "_csrf_token": MADE_UP}, headers={"cookie": f"ct_csrf={MADE_UP}"}
        )
    assert refused.status_code == 403 and "Reload the page" in refused.text


async def test_a_refused_form_is_shown_again_with_a_token_that_works(browser):
    form = await browser.get("/console/login")
    assert "ct_console_csrf=" in form.headers.get("set-cookie", "")
    refused = await browser.post("/console/login", data={"email": OWNER, "password": PASSWORD, "_csrf_token": "forged"})
    assert refused.status_code == 403 and 'id="password"' in refused.text
    again = await browser.post(
        "/console/login", data={"email": OWNER, "password": PASSWORD, "_csrf_token": csrf_of(refused.text), "next": "/console"}
    )
    assert again.status_code == 303 and again.headers["location"] == "/console"


async def test_the_upload_script_sends_its_token_in_a_header(owner):
    page = await owner.get("/console/products")
    token = csrf_of(page.text)
    headers = {"Accept": "application/json"}
    refused = await owner.post("/console/products/none/versions/1.0/uploads", json={"path": "a.wav"}, headers=headers)
    assert refused.status_code == 403 and refused.json() == {
        "success": False, "error": "This form has expired. Reload the page and try again.", "problems": []
    }
    passed = await owner.post(
        "/console/products/none/versions/1.0/uploads", json={"path": "a.wav"}, headers={**headers, "X-CSRF-Token": token}
    )
    assert passed.status_code == 404  # past the CSRF check: the product does not exist
