"""Webhooks through real processes: ``serve`` without a worker records the
events; a separate ``continuata-hub worker`` delivers them, signed."""

from __future__ import annotations

import json
import subprocess
import time

import httpx
from standardwebhooks import Webhook

from tests.support.receiver import Receiver
from tests.support.server import hub_command, hub_server
from tests.test_end_to_end_sales import database_settings, put_product_on_sale  # noqa: F401 (a fixture)


def test_a_separate_worker_process_delivers_what_the_server_recorded(tmp_path, database_settings):  # noqa: F811
    receiver = Receiver().start()
    # A worker refuses to start without a mailer; no email is sent here.
    settings = dict(
        database_settings, HUB_WORKER="off", HUB_WEBHOOKS_ALLOW_PRIVATE="true", HUB_PLUGINS="email",
        HUB_SMTP_URL="smtp://127.0.0.1:9", HUB_MAIL_FROM="shop@example.com",
    )
    try:
        with hub_server(tmp_path, **settings) as server:
            with httpx.Client(base_url=server.url, headers=server.auth) as api:
                body = {"url": receiver.url, "events": ["version.ready", "token.created"]}
                endpoint = api.post("/api/webhook-endpoints", json=body).json()["data"]["endpoint"]
                put_product_on_sale(server)
                token = api.post("/api/products/kick-pack/tokens", json={}).json()["data"]["token"]
            worker = subprocess.Popen(
                hub_command("worker"), env=server.env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            )
            try:
                deadline = time.monotonic() + 60  # a guard against hanging, not a timing assertion
                while len(receiver.received) < 2:
                    assert worker.poll() is None, worker.stderr.read().decode()
                    assert time.monotonic() < deadline, "the worker delivered nothing"
                    time.sleep(0.1)
            finally:
                worker.terminate()
                worker.wait(timeout=30)
        verifier = Webhook(endpoint["secret"])
        payloads = [verifier.verify(r.body, r.headers) for r in receiver.received]
        assert sorted(p["type"] for p in payloads) == ["token.created", "version.ready"]
        created = next(p for p in payloads if p["type"] == "token.created")
        assert created["data"]["id"] == token["id"]
        assert json.loads(receiver.received[0].body)["id"] == receiver.received[0].headers["webhook-id"]
    finally:
        receiver.stop()
