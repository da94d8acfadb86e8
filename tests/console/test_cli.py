"""``continuata-hub users`` and ``keys list``/``keys revoke``: the first
console user from a terminal, and a leaked key revoked without SQL."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx

from hub.testing.app import make_app, running
from tests.console.conftest import browser_of, sign_in


def cli(settings, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(
        HUB_DATABASE_URL=settings.database_url,
        HUB_DATA_DIR=str(settings.data_dir),
        HUB_SECRET_KEY="test-secret-key",
        HUB_PLUGINS="email",
        HUB_PUBLIC_URL="http://hub.test",
    )
    return subprocess.run(
        [sys.executable, "-m", "hub", *args], input=stdin, env=env, capture_output=True, text=True, timeout=120
    )


async def test_first_user_from_the_command_line_signs_in_and_a_reset_password_works(settings):
    assert cli(settings, "init", "--org", "shop").returncode == 0
    made = cli(settings, "users", "create", "--org", "shop", "--email", "Me@Example.com", "--role", "admin",
               "--password-stdin", stdin="first password 1\n")
    assert made.returncode == 0, made.stderr
    assert "me@example.com is admin of shop" in made.stdout and "/console/login" in made.stdout
    short = cli(settings, "users", "create", "--org", "shop", "--email", "x@example.com", "--password-stdin", stdin="short\n")
    assert short.returncode == 1 and "at least 10 characters" in short.stderr
    no_org = cli(settings, "users", "create", "--org", "nope", "--email", "x@example.com", "--password-stdin", stdin="long enough pw\n")
    assert no_org.returncode == 1 and "not found" in no_org.stderr
    app = make_app(settings, entry_points="none")
    async with running(app), browser_of(app) as browser:
        assert (await sign_in(browser, "me@example.com", "first password 1")).status_code == 303
        assert (await browser.get("/console")).status_code == 200
        reset = cli(settings, "users", "reset-password", "--email", "me@example.com", "--password-stdin", stdin="second password 2\n")
        assert reset.returncode == 0, reset.stderr
        assert (await browser.get("/console")).status_code == 303  # signed out by the reset
    unknown = cli(settings, "users", "reset-password", "--email", "who@example.com", "--password-stdin", stdin="second password 2\n")
    assert unknown.returncode == 1 and "No console user" in unknown.stderr

    app = make_app(settings, entry_points="none")
    async with running(app), browser_of(app) as browser:
        assert (await sign_in(browser, "me@example.com", "first password 1")).status_code == 401
        assert (await sign_in(browser, "me@example.com", "second password 2")).status_code == 303
        log = await browser.get("/console/settings/audit")
        text = log.text.replace("<wbr>", "")  # the page offers line breaks inside long names
        assert "member.create" in text and "member.reset_password" in text and ">Command line<" in text


async def test_keys_list_shows_no_secrets_and_keys_revoke_stops_a_key(settings):
    init = cli(settings, "init", "--org", "shop")
    secret = init.stdout.strip().splitlines()[-1]
    listed = cli(settings, "keys", "list", "--org", "shop")
    assert listed.returncode == 0 and secret not in listed.stdout
    key_id = listed.stdout.split("\t")[0]
    assert key_id.startswith("key_") and "active" in listed.stdout
    assert cli(settings, "keys", "revoke", key_id, "--org", "other").returncode == 1
    revoked = cli(settings, "keys", "revoke", key_id)
    assert revoked.returncode == 0 and f"API key {key_id} of shop revoked" in revoked.stdout
    assert "revoked" in cli(settings, "keys", "list", "--org", "shop").stdout
    app = make_app(settings, entry_points="none")
    async with running(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as client:
            answer = await client.get("/api/products", headers={"Authorization": f"Bearer {secret}"})
            assert answer.status_code == 401


def test_init_with_a_contact_email_at_a_special_use_domain_says_why(settings):
    done = cli(settings, "init", "--org", "fresh-shop", "--contact-email", "owner@shop.test")
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "continuata-hub: contact email cannot be at shop.test: it is a special-use domain (RFC 6761) that cannot receive email"
    )
