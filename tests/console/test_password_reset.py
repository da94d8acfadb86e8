"""Forgot password: a one-time link by email, valid 30 minutes, the same
answer whether or not the address has an account, rate-limited; using it
sets a new password and signs the person out everywhere. An admin can send
a member the same link (after a confirmation step)."""

from __future__ import annotations

import re
from datetime import timedelta

from hub.clock import utcnow
from hub.secrets import hash_secret
from hub.services.people import create_user
from hub.tables import ConsolePasswordReset
from tests.console.conftest import OWNER, PASSWORD, browser_of, csrf_of, post_form, sign_in

NEW = "a brand new passphrase"
LINK = re.compile(r"http://hub\.test(/console/reset\?token=(\S+))")


def body(message) -> str:
    return message.get_body(("plain",)).get_content() if message.is_multipart() else message.get_content()


async def ask(client, email: str):
    return await post_form(client, "/console/forgot", "/console/forgot", email=email)


async def choose(client, link: str, password: str, again: str | None = None):
    form = await client.get(link)
    token = re.search(r'name="token" value="([^"]*)"', form.text) or re.search(r"token=(\S+)", link)
    return await client.post("/console/reset", data={
        "_csrf_token": csrf_of((await client.get("/console/forgot")).text), "token": token.group(1) if token else "", "password": password,
        "password_again": password if again is None else again,
    })


async def test_a_forgotten_password_is_reset_once_by_the_emailed_link_and_signs_out_everywhere(console_app, browser, mailbox):
    login = await browser.get("/console/login")
    assert 'href="/console/forgot"' in login.text and "Forgot your password?" in login.text
    async with browser_of(console_app, ip="192.0.2.44") as laptop:
        assert (await sign_in(laptop)).status_code == 303

        unknown = await ask(browser, "nobody@example.com")
        known = await ask(browser, OWNER.upper())
        assert unknown.status_code == known.status_code == 303
        assert unknown.headers["location"] == known.headers["location"] == "/console/forgot?sent=1"
        answer = await browser.get(known.headers["location"])
        assert "If an account exists for that address, we sent it a link" in answer.text
        messages = await mailbox.wait_for(1)
        assert len(messages) == 1 and messages[0]["To"] == OWNER  # none to the unknown address
        assert "Reset your Continuata Hub console password" in messages[0]["Subject"]
        text = body(messages[0])
        assert "expires in 30 minutes" in text
        link, secret = LINK.search(text).groups()
        row = await ConsolePasswordReset.select().first()
        assert row["link_hash"] == hash_secret(secret) and secret not in str(row)  # only a hash is stored

        page = await browser.get(link)
        assert page.status_code == 200 and f"for {OWNER}" in page.text
        differ = await choose(browser, link, NEW, NEW + "!")
        assert differ.status_code == 422 and "The two passwords differ." in differ.text
        short = await choose(browser, link, "short")
        assert short.status_code == 422 and "at least" in short.text
        done = await choose(browser, link, NEW)
        assert done.status_code == 303 and done.headers["location"] == "/console/login?reset=1"
        assert "Your new password is set" in (await browser.get(done.headers["location"])).text
        assert (await laptop.get("/console")).status_code == 303  # signed out everywhere

        again = await browser.get(link)
        assert again.status_code == 410 and "cannot be used" in again.text
        assert (await choose(browser, link, "yet another passphrase")).status_code == 410

    async with browser_of(console_app, ip="192.0.2.45") as later:
        assert (await sign_in(later, OWNER, PASSWORD)).status_code == 401
        assert (await sign_in(later, OWNER, NEW)).status_code == 303
        log = await later.get("/console/settings/audit")
        assert "account.reset_password" in log.text


async def test_a_link_expires_after_30_minutes_and_a_bad_token_is_refused(console_app, browser, mailbox):
    await ask(browser, OWNER)
    link, _ = LINK.search(body((await mailbox.wait_for(1))[0])).groups()
    await ConsolePasswordReset.update({ConsolePasswordReset.expires_at: utcnow() - timedelta(seconds=1)}).where(
        ConsolePasswordReset.user_id != ""
    )
    assert (await browser.get(link)).status_code == 410
    assert (await choose(browser, link, NEW)).status_code == 410
    assert (await browser.get("/console/reset?token=ct_reset_forged")).status_code == 410
    assert (await browser.get("/console/reset")).status_code == 410
    async with browser_of(console_app, ip="192.0.2.46") as later:
        assert (await sign_in(later, OWNER, PASSWORD)).status_code == 303  # nothing changed


async def test_asking_is_rate_limited_per_address_and_per_client_and_bad_input_is_refused(console_app, browser, mailbox):
    bad = await ask(browser, "not an address")
    assert bad.status_code == 422 and 'value="not an address"' in bad.text
    for _ in range(3):
        assert (await ask(browser, OWNER)).status_code == 303
    over = await ask(browser, OWNER)
    assert over.status_code == 429 and "Too many password reset links" in over.text
    # The same answer for an unknown address: the limit reveals nothing either.
    for _ in range(3):
        assert (await ask(browser, "nobody@example.com")).status_code == 303
    assert (await ask(browser, "nobody@example.com")).status_code == 429
    assert len(await mailbox.wait_for(3)) == 3
    async with browser_of(console_app, ip="192.0.2.99") as other:
        for n in range(10):
            assert (await ask(other, f"someone{n}@example.com")).status_code == 303
        assert (await ask(other, "someone-else@example.com")).status_code == 429


async def test_an_admin_sends_a_member_a_reset_link_after_confirming(console_app, owner, mailbox):
    helper = await create_user("audio-company", "helper@example.com", "member", PASSWORD)
    members = await owner.get("/console/settings/members")
    assert f'/console/settings/members/{helper["id"]}/reset' in members.text
    asked = await post_form(owner, "/console/settings/members", f"/console/settings/members/{helper['id']}/reset")
    assert asked.status_code == 200 and "Send helper@example.com a password reset link" in asked.text
    assert 'name="confirm" value="yes"' in asked.text
    assert await ConsolePasswordReset.count() == 0  # nothing sent before confirming
    done = await post_form(owner, "/console/settings/members", f"/console/settings/members/{helper['id']}/reset",
                           confirm="yes")
    assert done.status_code == 303
    assert "A link to choose a new password was sent to" in (await owner.get(done.headers["location"])).text
    message = (await mailbox.wait_for(1))[0]
    assert message["To"] == "helper@example.com" and f"{OWNER} sent you this link" in body(message)
    link, _ = LINK.search(body(message)).groups()
    async with browser_of(console_app, ip="192.0.2.47") as theirs:
        assert (await choose(theirs, link, NEW)).status_code == 303
        assert (await sign_in(theirs, "helper@example.com", NEW)).status_code == 303
    assert "member.send_password_reset" in (await owner.get("/console/settings/audit")).text
