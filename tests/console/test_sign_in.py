"""Signing in to the console: the form, passwords, the rate limit, CSRF,
server-side sessions and the security headers."""

from __future__ import annotations

import asyncio

from hub.services import console_sessions
from hub.services.accounts import create_organization
from hub.services.people import create_user
from hub.testing.app import make_app, running
from tests.console.conftest import OWNER, PASSWORD, browser_of, csrf_of, post_form, sign_in


def assert_security_headers(response) -> None:
    """The hub's headers (hub/web/security_headers.py) on a console answer:
    pages run only the hub's own scripts; nothing may be framed."""
    csp = response.headers["content-security-policy"]
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    if response.headers.get("content-type", "").startswith("text/html"):
        assert "script-src 'self'" in csp and "connect-src 'self'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"]


async def test_sign_in_page_has_labelled_fields_and_security_headers(browser):
    page = await browser.get("/console/login")
    assert page.status_code == 200
    assert '<label for="email">Email</label>' in page.text and 'id="email"' in page.text
    assert '<label for="password">Password</label>' in page.text and 'id="password"' in page.text
    assert ">Sign in</button>" in page.text
    assert_security_headers(page)
    css = await browser.get("/console/static/console.css")
    assert css.status_code == 200 and "text/css" in css.headers["content-type"]
    assert_security_headers(css)


async def test_console_pages_send_a_signed_out_visitor_to_sign_in(browser):
    for path in ("/console", "/console/settings/keys", "/console/settings/audit"):
        response = await browser.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/console/login?next=")
        assert_security_headers(response)
    unknown = await browser.get("/console/no-such-page")
    assert unknown.status_code in (303, 404)


async def test_wrong_password_is_refused_and_the_right_one_opens_the_console(browser):
    wrong = await sign_in(browser, password="not the password at all")
    assert wrong.status_code == 401 and "do not match" in wrong.text
    unknown = await sign_in(browser, email="nobody@example.com")
    assert unknown.status_code == 401 and "do not match" in unknown.text
    right = await sign_in(browser, email="Owner@Example.com")
    assert right.status_code == 303 and right.headers["location"] == "/console"
    cookie = right.headers["set-cookie"]
    assert "ct_console=" in cookie and "HttpOnly" in cookie and "Path=/console" in cookie
    home = await browser.get("/console")
    assert home.status_code == 200 and "Overview" in home.text and OWNER in home.text
    assert_security_headers(home)


async def test_sign_in_returns_to_the_page_asked_for_but_never_to_another_site(browser):
    redirect = await browser.get("/console/settings/audit")
    form = await browser.get(redirect.headers["location"])
    assert 'name="next" value="/console/settings/audit"' in form.text
    back = await browser.post(
        "/console/login",
        data={"email": OWNER, "password": PASSWORD, "_csrf_token": csrf_of(form.text), "next": "https://evil.example/x"},
    )
    assert back.status_code == 303 and back.headers["location"] == "/console"


async def test_forms_without_the_csrf_token_are_refused(owner):
    no_token = await owner.post("/console/settings/keys", data={"label": "sneaky", "role": "admin"})
    assert no_token.status_code == 403 and "expired" in no_token.text
    wrong = await owner.post("/console/settings/keys", data={"label": "sneaky", "role": "admin", "_csrf_token": "forged"})
    assert wrong.status_code == 403
    keys = await owner.get("/console/settings/keys")
    assert "sneaky" not in keys.text
    assert (await owner.post("/console/logout", data={})).status_code == 403
    assert (await owner.get("/console")).status_code == 200  # still signed in


async def test_sign_in_form_needs_its_csrf_cookie(browser):
    refused = await browser.post("/console/login", data={"email": OWNER, "password": PASSWORD, "_csrf_token": "made-up"})
    assert refused.status_code == 403
    assert "ct_console=" not in refused.headers.get("set-cookie", "")


async def test_bad_form_input_gets_a_clear_page_not_a_server_error(owner):
    page = await owner.get("/console/settings/keys")
    odd = await owner.post(
        "/console/settings/keys", data={"_csrf_token": csrf_of(page.text), "role": "emperor", "label": "x" * 50_000}
    )
    assert odd.status_code == 422 and "role must be one of" in odd.text
    garbage = await owner.post("/console/login", content=b"\xff\xfe%%%", headers={"content-type": "application/x-www-form-urlencoded"})
    assert garbage.status_code < 500


async def test_an_account_is_locked_after_five_wrong_passwords_even_with_the_right_one(browser):
    for _ in range(console_sessions.ATTEMPTS_PER_ACCOUNT):
        assert (await sign_in(browser, password="wrong password!")).status_code == 401
    locked = await sign_in(browser)
    assert locked.status_code == 429 and "Too many sign-in attempts" in locked.text
    assert 'id="password"' in locked.text  # the form is shown again


async def test_parallel_guesses_cannot_exceed_the_account_limit(console_app):
    """The count is one conditional write: many guesses at once still get
    exactly the allowed number of password checks."""
    async with browser_of(console_app) as client:
        form = await client.get("/console/login")
        token = csrf_of(form.text)
        data = {"email": OWNER, "password": "wrong password!", "_csrf_token": token}
        answers = await asyncio.gather(*(client.post("/console/login", data=data) for _ in range(12)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses.count(401) == console_sessions.ATTEMPTS_PER_ACCOUNT, statuses
    assert statuses.count(429) == 12 - console_sessions.ATTEMPTS_PER_ACCOUNT


async def test_one_address_is_limited_across_accounts_and_others_are_not(console_app):
    async with browser_of(console_app, ip="198.51.100.9") as attacker:
        for n in range(console_sessions.ATTEMPTS_PER_IP):
            assert (await sign_in(attacker, email=f"guess{n}@example.com")).status_code == 401
        assert (await sign_in(attacker)).status_code == 429
    async with browser_of(console_app, ip="192.0.2.44") as owner:
        assert (await sign_in(owner)).status_code == 303


async def test_sessions_live_in_the_database_and_work_in_another_process(console_app, settings, mailbox, browser):
    signed_in = await sign_in(browser)
    cookie = browser.cookies.get("ct_console")
    # A second app on the same database stands for a second hub process.
    other = make_app(settings, entry_points="none")
    async with running(other), browser_of(other) as elsewhere:
        elsewhere.cookies.set("ct_console", cookie, domain="hub.test", path="/console")
        assert (await elsewhere.get("/console")).status_code == 200
    assert signed_in.status_code == 303


async def test_sign_out_ends_one_session_and_sign_out_everywhere_ends_all(console_app):
    async with browser_of(console_app) as laptop, browser_of(console_app) as phone, browser_of(console_app) as tablet:
        for device in (laptop, phone, tablet):
            assert (await sign_in(device)).status_code == 303
        out = await post_form(laptop, "/console", "/console/logout")
        assert out.status_code == 303 and out.headers["location"] == "/console/login"
        assert (await laptop.get("/console")).status_code == 303
        assert (await phone.get("/console")).status_code == 200
        everywhere = await post_form(phone, "/console", "/console/logout-everywhere")
        assert everywhere.status_code == 303
        assert (await phone.get("/console")).status_code == 303
        assert (await tablet.get("/console")).status_code == 303


async def test_one_person_in_two_organizations_switches_between_them(console_app, owner):
    await create_organization("synth-shop")
    await create_user("synth-shop", OWNER, "viewer", PASSWORD)
    home = await owner.get("/console")
    assert "audio-company (admin)" in home.text and "synth-shop (viewer)" in home.text
    switched = await post_form(owner, "/console", "/console/org", org="synth-shop")
    assert switched.status_code == 303
    home = await owner.get("/console")
    assert '<option value="synth-shop" selected>' in home.text
    # A viewer there: no settings.
    assert (await owner.get("/console/settings/keys")).status_code == 403
    refused = await post_form(owner, "/console", "/console/org", org="someone-elses-shop")
    assert refused.status_code == 403
