"""Sales end to end, on a real server: a signed webhook → one email in a
real SMTP server → its link downloads the right bytes. Also an SMTP outage
and a SIGKILL between the commit and the email: no email lost, none twice.
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import time

import httpx
import pytest

from hub.testing import paypal as paypal_testing
from hub.testing import stripe as stripe_testing
from hub.testing.smtp import smtp_server
from tests.conftest import DATABASES
from tests.support.fake_paypal import fake_paypal
from tests.support.server import HubServer, hub_command, hub_server

STRIPE_SECRET = "whsec_end_to_end"
PAYPAL_WEBHOOK_ID = "WH-END-TO-END"
KICK = os.urandom(300_000)


@pytest.fixture(params=DATABASES)
def database_settings(request) -> dict[str, str]:
    if request.param == "postgres":
        return {"HUB_DATABASE_URL": request.getfixturevalue("fresh_postgres")}
    return {}


def put_product_on_sale(server: HubServer, slug: str = "kick-pack") -> None:
    """A product with one uploaded file, through the API."""
    with httpx.Client(base_url=server.url, headers=server.auth) as api:
        api.post("/api/products", json={"name": "Kick Pack", "slug": slug}).raise_for_status()
        files = [{"path": "kick.wav", "size": len(KICK), "sha256": hashlib.sha256(KICK).hexdigest()}]
        api.post(f"/api/products/{slug}/versions", json={"version": "1.0.0", "files": files}).raise_for_status()
        upload = api.post(f"/api/products/{slug}/versions/1.0.0/uploads", json={"path": "kick.wav"}).json()["data"]["upload"]
        api.put(f"/api/uploads/{upload['id']}/parts/1", content=KICK).raise_for_status()
        api.post(f"/api/uploads/{upload['id']}/complete").raise_for_status()


def links_in(message) -> list[str]:
    text = message.get_body(preferencelist=("plain",)).get_content()
    return re.findall(r"https?://\S+/download\?token=ct_download_[A-Za-z0-9_\-]+", text)


def download_everything(link: str) -> dict[str, bytes]:
    with httpx.Client() as buyer:
        page = buyer.get(link, headers={"Accept": "application/json"})
        assert page.status_code == 200, page.text
        return {f["path"]: buyer.get(f["url"]).content for f in page.json()["data"]["files"]}


def smtp_settings(smtp) -> dict[str, str]:
    return {"HUB_SMTP_URL": smtp.url, "HUB_MAIL_FROM": "Kick Shop <shop@example.com>", "HUB_OUTBOX_BACKOFF_SECONDS": "1"}


def test_a_stripe_sale_reaches_the_buyers_inbox_and_downloads(tmp_path, database_settings):
    with smtp_server() as smtp, hub_server(
        tmp_path, HUB_STRIPE_WEBHOOK_SECRET=STRIPE_SECRET, **smtp_settings(smtp), **database_settings
    ) as server:
        put_product_on_sale(server)
        event = stripe_testing.checkout_session_completed(products="kick-pack", email="fan@example.com")
        body, headers = stripe_testing.webhook_request(event, STRIPE_SECRET)
        for _ in range(2):  # Stripe retries: the second delivery changes nothing
            answer = httpx.post(f"{server.url}/plugins/stripe/webhook", content=body, headers=headers)
            assert answer.status_code == 200, answer.text

        [message] = smtp.wait_for_blocking(1)
        assert message["To"] == "fan@example.com"
        [link] = links_in(message)
        assert download_everything(link) == {"kick.wav": KICK}
        time.sleep(1.5)
        assert len(smtp.received()) == 1


def test_a_paypal_sale_reaches_the_buyers_inbox_and_downloads(tmp_path, database_settings):
    identity = paypal_testing.make_signing_identity()
    with fake_paypal() as paypal, smtp_server() as smtp, hub_server(
        tmp_path,
        HUB_PAYPAL_WEBHOOK_ID=PAYPAL_WEBHOOK_ID,
        HUB_PAYPAL_VERIFY="api",
        HUB_PAYPAL_API_BASE=paypal.url,
        HUB_PAYPAL_CLIENT_ID=paypal.client_id,
        HUB_PAYPAL_CLIENT_SECRET=paypal.client_secret,
        **smtp_settings(smtp),
        **database_settings,
    ) as server:
        put_product_on_sale(server)
        order = paypal_testing.order(custom_id="kick-pack", email="payer@example.com")
        paypal.add_order(order)
        capture_id = order["purchase_units"][0]["payments"]["captures"][0]["id"]
        event = paypal_testing.capture_completed(capture_id=capture_id, order_id=order["id"], custom_id="kick-pack")
        paypal.certificates[paypal_testing.DEFAULT_CERT_URL] = identity
        body, headers = paypal_testing.webhook_request(event, webhook_id=PAYPAL_WEBHOOK_ID, identity=identity)
        answer = httpx.post(f"{server.url}/plugins/paypal/webhook", content=body, headers=headers)
        assert answer.status_code == 200, answer.text

        [message] = smtp.wait_for_blocking(1)
        assert message["To"] == "payer@example.com"
        [link] = links_in(message)
        assert download_everything(link) == {"kick.wav": KICK}


def test_emails_queued_during_an_smtp_outage_arrive_once_when_it_ends(tmp_path, database_settings):
    with smtp_server() as smtp, hub_server(
        tmp_path, HUB_STRIPE_WEBHOOK_SECRET=STRIPE_SECRET, **smtp_settings(smtp), **database_settings
    ) as server:
        put_product_on_sale(server)
        smtp.stop()
        emails = [f"buyer{i}@example.com" for i in range(5)]
        for email in emails:
            event = stripe_testing.checkout_session_completed(products="kick-pack", email=email)
            body, headers = stripe_testing.webhook_request(event, STRIPE_SECRET)
            assert httpx.post(f"{server.url}/plugins/stripe/webhook", content=body, headers=headers).status_code == 200
        time.sleep(2)  # the worker tries, fails, and backs off
        smtp.start()  # the same port again
        received = smtp.wait_for_blocking(5, timeout=30)
        time.sleep(2)
        assert sorted(m["To"] for m in smtp.received()) == sorted(emails)
        assert len(received) == 5


def test_a_hub_killed_before_sending_sends_the_email_once_after_restart(tmp_path, database_settings):
    """SIGKILL after the purchase is committed and before its email leaves:
    the first server runs without a mail worker, so the email is certainly
    still queued when it dies."""
    data = tmp_path / "hub"
    with smtp_server() as smtp:
        settings = {"HUB_STRIPE_WEBHOOK_SECRET": STRIPE_SECRET, **smtp_settings(smtp), **database_settings}
        with hub_server(data, HUB_WORKER="off", **settings) as first:
            put_product_on_sale(first)
            event = stripe_testing.checkout_session_completed(products="kick-pack", email="survivor@example.com")
            body, headers = stripe_testing.webhook_request(event, STRIPE_SECRET)
            assert httpx.post(f"{first.url}/plugins/stripe/webhook", content=body, headers=headers).status_code == 200
            first.process.send_signal(signal.SIGKILL)
            first.process.wait(timeout=10)
        assert smtp.received() == []

        with hub_server(data, init=False, **settings) as second:
            [message] = smtp.wait_for_blocking(1, timeout=20)
            assert message["To"] == "survivor@example.com"
            time.sleep(1.5)
            assert len(smtp.received()) == 1
            [link] = links_in(message)
            assert download_everything(link.replace(first.url, second.url)) == {"kick.wav": KICK}


def test_separate_worker_processes_turn_stored_webhooks_into_emails(tmp_path, database_settings):
    """``serve`` with ``HUB_WORKER=off`` only stores the events; two
    ``continuata-hub worker`` processes process them: each sale once."""
    data = tmp_path / "hub"
    with smtp_server() as smtp, hub_server(
        data, HUB_WORKER="off", HUB_STRIPE_WEBHOOK_SECRET=STRIPE_SECRET, **smtp_settings(smtp), **database_settings
    ) as server:
        put_product_on_sale(server)
        emails = [f"worker-buyer{i}@example.com" for i in range(6)]
        for email in emails:
            event = stripe_testing.checkout_session_completed(products="kick-pack", email=email)
            body, headers = stripe_testing.webhook_request(event, STRIPE_SECRET)
            assert httpx.post(f"{server.url}/plugins/stripe/webhook", content=body, headers=headers).status_code == 200
        assert smtp.received() == []  # stored, not processed: no worker runs yet

        workers = [
            subprocess.Popen(hub_command("worker"), env=server.env, cwd=data, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
            for _ in range(2)
        ]
        try:
            smtp.wait_for_blocking(len(emails), timeout=30)
            time.sleep(1.5)
            assert sorted(m["To"] for m in smtp.received()) == sorted(emails)
        finally:
            for worker in workers:
                worker.terminate()
                worker.wait(timeout=10)


def test_a_hub_killed_after_the_relay_accepted_resends_at_once_with_the_same_message_id(tmp_path, database_settings):
    """SIGKILL after the SMTP server accepted the email and before the outbox
    recorded it as sent: the one case where the hub sends a message twice.
    After the restart the copy goes out at once (the dead process's claim is
    taken back, no lease to wait out), with the same Message-ID as the first,
    and exactly once more."""
    data = tmp_path / "hub"
    with smtp_server() as smtp:
        settings = {"HUB_STRIPE_WEBHOOK_SECRET": STRIPE_SECRET, **smtp_settings(smtp), **database_settings}
        with hub_server(data, HUB_TEST_CRASH_AT="outbox.sent", **settings) as first:
            put_product_on_sale(first)
            event = stripe_testing.checkout_session_completed(products="kick-pack", email="twice@example.com")
            body, headers = stripe_testing.webhook_request(event, STRIPE_SECRET)
            assert httpx.post(f"{first.url}/plugins/stripe/webhook", content=body, headers=headers).status_code == 200
            assert first.process.wait(timeout=30) == -signal.SIGKILL
        [accepted] = smtp.received()

        with hub_server(data, init=False, **settings):
            # Well inside the lease (60 s): only taking the claim back sends it now.
            [_, again] = smtp.wait_for_blocking(2, timeout=20)
            assert again["Message-ID"] == accepted["Message-ID"]
            assert again["Message-ID"].startswith("<msg_")
            assert again["To"] == "twice@example.com"
            time.sleep(1.5)
            assert len(smtp.received()) == 2
