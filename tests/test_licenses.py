"""License keys: a licensed product's sale mints a key, the shop's software
activates, validates and deactivates it, and refunds and disputes reach it
(on SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import dataclasses
import re
from datetime import timedelta

import pytest

from hub.clock import as_aware, utcnow
from hub.sealing import Sealer
from hub.services import licenses, rate_limits
from hub.services.rate_limits import LocalLimits, share
from hub.services.reversals import DISPUTE_OPENED, DISPUTE_WON, REFUND, ReversalIn, record_reversal
from hub.tables import Event, LicenseActivation, LicenseKey, OutboxMessage, RateLimit
from hub.testing.products import ready_product
from tests.conftest import fails, ok

KEY_FORMAT = re.compile(r"^([0-9A-HJKMNP-TV-Z]{5}-){4}[0-9A-HJKMNP-TV-Z]$")


async def licensed_sale(client, org, *, reference: str = "order-1", limit: int | None = 2, **settings) -> dict:
    """A product with license keys on, sold once through the API: the purchase."""
    if (await client.get("/api/products/synth-pro", headers=org.admin)).status_code == 404:
        await ready_product(client, org.admin, "synth-pro", name="Synth Pro")
    body = {"enabled": True, "activationLimit": limit, **settings}
    ok(await client.put("/api/products/synth-pro/license", json=body, headers=org.member))
    sale = {"reference": reference, "customerEmail": "buyer@example.com", "items": [{"productId": "synth-pro"}]}
    response = await client.post("/api/purchases", json=sale, headers=org.member)
    assert response.status_code in (200, 201), response.text
    return response.json()["data"]["purchase"]


async def call(client, action: str, **body) -> dict:
    return (await client.post(f"/api/licenses/{action}", json=body)).json()


# --- the key -------------------------------------------------------------------------


def test_a_key_is_crockford_groups_with_a_check_character_that_catches_a_typo():
    key = licenses.new_license_key()
    assert KEY_FORMAT.match(key)
    normal = licenses.normalize_key(key)
    assert licenses.well_formed(normal)
    for position in range(len(normal) - 1):
        for other in licenses.ALPHABET:
            if other != normal[position]:
                typo = normal[:position] + other + normal[position + 1 :]
                assert not licenses.well_formed(typo), (key, position, other)


def test_typing_is_forgiving_case_dashes_and_lookalike_letters():
    assert licenses.normalize_key(" 7kq2m-xr4tn 9bwch-3pdfv-k ") == "7KQ2MXR4TN9BWCH3PDFVK"
    assert licenses.normalize_key("O1IL") == "0111"


# --- settings and minting ---------------------------------------------------------------


async def test_licenses_are_off_by_default_and_a_sale_then_mints_no_key(client, org):
    await ready_product(client, org.admin, "drums")
    settings = ok(await client.get("/api/products/drums/license", headers=org.admin))
    assert settings == {
        "productId": "drums", "enabled": False, "activationLimit": None, "expiryDays": None, "seatReleases": 3,
    }
    sale = {"reference": "o-1", "customerEmail": "buyer@example.com", "items": [{"productId": "drums"}]}
    purchase = ok(await client.post("/api/purchases", json=sale, headers=org.member), 201)["purchase"]
    assert purchase["licenses"] == []


async def test_bad_license_settings_are_refused_and_change_nothing(client, org):
    await ready_product(client, org.admin, "drums")
    fails(await client.put("/api/products/drums/license", json={"enabled": True, "activationLimit": 0}, headers=org.member),
          422, "activationLimit")
    fails(await client.put("/api/products/drums/license", json={"enabled": True, "expiryDays": -1}, headers=org.member),
          422, "expiryDays")
    fails(await client.put("/api/products/drums/license", json={"enabled": "yes"}, headers=org.member), 422, "enabled")
    fails(await client.put("/api/products/nope/license", json={"enabled": True}, headers=org.member), 404)
    assert ok(await client.get("/api/products/drums/license", headers=org.admin))["enabled"] is False


async def test_a_sale_of_a_licensed_product_shows_its_key_in_the_api_and_the_email_once_under_replays(client, org, app):
    purchase = await licensed_sale(client, org)
    [license] = purchase["licenses"]
    assert KEY_FORMAT.match(license["key"])
    assert license["status"] == "active" and license["activationLimit"] == 2 and license["activations"] == 0
    assert license["productId"] == "synth-pro" and license["expiresAt"] is None

    replay = await licensed_sale(client, org)  # the same reference again
    assert [k["key"] for k in replay["licenses"]] == [license["key"]]
    listed = ok(await client.get("/api/purchases", headers=org.admin))["purchases"][0]
    assert [k["key"] for k in listed["licenses"]] == [license["key"]]
    assert await LicenseKey.count() == 1

    # Stored sealed and hashed: the key is nowhere in clear.
    row = await LicenseKey.select().first()
    assert license["key"] not in str(row)
    hub = app.state.hub
    bodies = [hub.sealer.open(m["sealed_body"]).decode("utf-8", "replace") for m in await OutboxMessage.select()]
    assert any(f"License key: {license['key']}" in body for body in bodies)


async def test_a_key_with_an_expiry_expires(client, org):
    purchase = await licensed_sale(client, org, expiryDays=30)
    key = purchase["licenses"][0]["key"]
    assert purchase["licenses"][0]["expiresAt"] is not None
    assert (await call(client, "validate", key=key))["data"]["code"] == "VALID"
    await LicenseKey.update({LicenseKey.expires_at: utcnow() - timedelta(seconds=1)}).where(LicenseKey.id == purchase["licenses"][0]["id"])
    answer = await call(client, "validate", key=key)
    assert answer["data"]["valid"] is False and answer["data"]["code"] == "EXPIRED"
    refused = await client.post("/api/licenses/activate", json={"key": key, "fingerprint": "m1"})
    assert refused.status_code == 403 and refused.json()["code"] == "EXPIRED"


# --- activate, validate, deactivate ------------------------------------------------------------


async def test_activation_is_idempotent_and_the_limit_plus_one_names_the_machines(client, org):
    key = (await licensed_sale(client, org, limit=2))["licenses"][0]["key"]

    first = await client.post("/api/licenses/activate", json={"key": key, "fingerprint": "fp-studio", "name": "Studio iMac"})
    assert first.status_code == 200, first.text
    data = first.json()["data"]
    assert data["valid"] is True and data["code"] == "VALID" and data["product"] == {"id": "synth-pro", "name": "Synth Pro"}
    assert data["activation"]["name"] == "Studio iMac" and data["license"]["activations"] == 1
    assert "key" not in data["license"]

    again = await call(client, "activate", key=key, fingerprint="fp-studio", name="Studio iMac")
    assert again["success"] is True and again["data"]["activation"]["id"] == data["activation"]["id"]
    assert again["data"]["license"]["activations"] == 1

    ok(await client.post("/api/licenses/activate", json={"key": key, "fingerprint": "fp-laptop", "name": "Laptop"}))
    over = await client.post("/api/licenses/activate", json={"key": key, "fingerprint": "fp-new", "name": "New PC"})
    assert over.status_code == 422
    body = over.json()
    assert body["success"] is False and body["code"] == "ACTIVATION_LIMIT"
    assert "Studio iMac" in body["error"] and "Laptop" in body["error"]
    assert sorted(a["name"] for a in body["activations"]) == ["Laptop", "Studio iMac"]

    # Validate: the key, a machine, a machine not activated; typed loosely.
    assert (await call(client, "validate", key=key.lower().replace("-", " ")))["data"]["code"] == "VALID"
    assert (await call(client, "validate", key=key, fingerprint="fp-laptop"))["data"]["activation"]["name"] == "Laptop"
    unknown = await call(client, "validate", key=key, fingerprint="fp-new")
    assert unknown["data"]["valid"] is False and unknown["data"]["code"] == "NOT_ACTIVATED"

    # Deactivate one (by fingerprint), another by activation id: the seat is free again.
    freed = ok(await client.post("/api/licenses/deactivate", json={"key": key, "fingerprint": "fp-laptop"}))
    assert freed["license"]["activations"] == 1
    ok(await client.post("/api/licenses/activate", json={"key": key, "fingerprint": "fp-new", "name": "New PC"}))
    ok(await client.post("/api/licenses/deactivate", json={"key": key, "activationId": data["activation"]["id"]}))
    assert (await call(client, "validate", key=key))["data"]["license"]["activations"] == 1
    gone = await client.post("/api/licenses/deactivate", json={"key": key, "fingerprint": "fp-studio"})
    assert gone.status_code == 404 and gone.json()["code"] == "NOT_ACTIVATED"


async def test_an_unknown_key_is_not_found_and_bad_input_is_refused(client, org):
    answer = await client.post("/api/licenses/validate", json={"key": "AAAAA-AAAAA-AAAAA-AAAAA-A"})
    assert answer.status_code == 200
    assert answer.json() == {"success": True, "data": {
        "valid": False, "code": "NOT_FOUND", "license": None, "product": None, "activation": None,
    }}
    missing = await client.post("/api/licenses/activate", json={"key": "nope", "fingerprint": "m"})
    assert missing.status_code == 404 and missing.json()["code"] == "NOT_FOUND"
    fails(await client.post("/api/licenses/activate", json={"key": "nope"}), 422, "fingerprint")
    fails(await client.post("/api/licenses/activate", json={"key": "k", "fingerprint": "x" * 201}), 422, "fingerprint")
    fails(await client.post("/api/licenses/validate", json={"key": ""}), 422, "key")
    fails(await client.post("/api/licenses/deactivate", json={"key": "k"}), 422, "fingerprint")
    fails(await client.post("/api/licenses/validate", content=b"{", headers={"content-type": "application/json"}), 400)


async def test_concurrent_activations_take_exactly_the_limits_seats(client, org):
    key = (await licensed_sale(client, org, limit=2))["licenses"][0]["key"]
    answers = await asyncio.gather(
        *(client.post("/api/licenses/activate", json={"key": key, "fingerprint": f"m{n}"}) for n in range(6)),
        *(client.post("/api/licenses/activate", json={"key": key, "fingerprint": "m0"}) for _ in range(3)),
    )
    statuses = sorted(a.status_code for a in answers)
    assert all(s in (200, 422) for s in statuses), [a.text for a in answers]
    data = (await call(client, "validate", key=key))["data"]
    assert data["license"]["activations"] == 2


async def test_unlimited_activations(client, org):
    key = (await licensed_sale(client, org, limit=None))["licenses"][0]["key"]
    for n in range(5):
        ok(await client.post("/api/licenses/activate", json={"key": key, "fingerprint": f"m{n}"}))
    assert (await call(client, "validate", key=key))["data"]["license"] == {
        **(await call(client, "validate", key=key))["data"]["license"], "activations": 5, "activationLimit": None,
    }


async def test_license_calls_are_rate_limited_per_key(client, org, app):
    app.state.hub.settings = dataclasses.replace(app.state.hub.settings, license_calls_per_key=5)
    key = (await licensed_sale(client, org))["licenses"][0]["key"]
    for _ in range(5):
        assert (await client.post("/api/licenses/validate", json={"key": key})).status_code == 200
    limited = await client.post("/api/licenses/validate", json={"key": key})
    fails(limited, 429, "this license key")
    # Another key is not limited by it.
    assert (await client.post("/api/licenses/validate", json={"key": "OTHER-KEY"})).status_code == 200


async def test_license_calls_are_rate_limited_per_client_address(client, org, app):
    app.state.hub.settings = dataclasses.replace(app.state.hub.settings, license_calls_per_address=4)
    for n in range(4):
        assert (await client.post("/api/licenses/validate", json={"key": f"GUESS-{n}"})).status_code == 200
    fails(await client.post("/api/licenses/validate", json={"key": "GUESS-X"}), 429, "this address")
    # Refused calls count too: guessing keys on activate is limited alike.
    fails(await client.post("/api/licenses/activate", json={"key": "GUESS-Y", "fingerprint": "m"}), 429, "this address")


async def test_guessing_keys_on_activate_is_limited_though_each_guess_is_refused(client, org, app):
    app.state.hub.settings = dataclasses.replace(app.state.hub.settings, license_calls_per_address=3)
    for n in range(3):
        missing = await client.post("/api/licenses/activate", json={"key": f"GUESS-{n}", "fingerprint": "m"})
        assert missing.status_code == 404 and missing.json()["code"] == "NOT_FOUND"
    fails(await client.post("/api/licenses/deactivate", json={"key": "GUESS-9", "fingerprint": "m"}), 429, "this address")


async def test_each_serve_process_allows_its_share_of_the_limits(client, org, app):
    # serve --workers 2: each process counts in memory, so each allows half (rounded up).
    app.state.hub.settings = dataclasses.replace(app.state.hub.settings, license_calls_per_key=5, serve_workers=2)
    key = (await licensed_sale(client, org))["licenses"][0]["key"]
    for _ in range(3):
        assert (await client.post("/api/licenses/validate", json={"key": key})).status_code == 200
    fails(await client.post("/api/licenses/validate", json={"key": key}), 429, "this license key")


def test_limits_in_memory_count_per_window_and_forget_ended_windows(monkeypatch):
    counted = LocalLimits()
    assert [counted.hit("k", "x", limit=3, window_seconds=60) for _ in range(5)] == [True, True, True, False, False]
    assert counted.hit("k", "y", limit=3, window_seconds=60)  # another bucket
    assert counted.buckets["k\nx"][1] == 3  # refused hits are not counted
    assert counted.hit("k", "z", limit=1, window_seconds=0) and counted.hit("k", "z", limit=1, window_seconds=0)
    assert share(300, 1) == 300 and share(5, 2) == 3 and share(60, 4) == 15
    monkeypatch.setattr(rate_limits, "PRUNE_ABOVE", 2)
    counted.hit("k", "fresh", limit=3, window_seconds=60)  # over 2 held: the ended window of "z" is dropped
    assert "k\nz" not in counted.buckets and "k\nx" in counted.buckets


async def test_validating_often_writes_nothing_and_counts_nothing_in_the_database(client, org):
    key = (await licensed_sale(client, org))["licenses"][0]["key"]
    ok(await client.post("/api/licenses/activate", json={"key": key, "fingerprint": "m1", "name": "Desk"}))
    await LicenseKey.update({LicenseKey.last_seen_at: utcnow() - timedelta(minutes=5)}).where(LicenseKey.id.is_not_null())
    await LicenseActivation.update({LicenseActivation.last_seen_at: utcnow() - timedelta(minutes=5)}).where(
        LicenseActivation.id.is_not_null()
    )
    await RateLimit.delete().where(RateLimit.bucket.is_not_null())
    first = (await call(client, "validate", key=key, fingerprint="m1"))["data"]
    assert first["valid"] and first["activation"]["name"] == "Desk" and first["product"]["name"]
    seen = await LicenseKey.select(LicenseKey.last_seen_at).first()
    machine_seen = await LicenseActivation.select(LicenseActivation.last_seen_at).first()
    assert utcnow() - as_aware(seen["last_seen_at"]) < timedelta(minutes=1)  # a stale record is brought up to date
    assert utcnow() - as_aware(machine_seen["last_seen_at"]) < timedelta(minutes=1)
    for _ in range(3):
        again = (await call(client, "validate", key=key, fingerprint="m1"))["data"]
        assert again["code"] == "VALID" and again["activation"]["id"] == first["activation"]["id"]
    # A minute's record stands (no write per call), and no rate-limit row is written.
    assert await LicenseKey.select(LicenseKey.last_seen_at).first() == seen
    assert await LicenseActivation.select(LicenseActivation.last_seen_at).first() == machine_seen
    assert await RateLimit.count() == 0
    # An unknown machine of a known key: not activated, no machine in the answer.
    other = (await call(client, "validate", key=key, fingerprint="m2"))["data"]
    assert other["code"] == "NOT_ACTIVATED" and other["activation"] is None and other["license"]["activations"] == 1


async def test_each_call_records_when_and_from_where_the_key_was_seen(client, org):
    key = (await licensed_sale(client, org))["licenses"][0]["key"]
    ok(await client.post("/api/licenses/activate", json={"key": key, "fingerprint": "m1", "name": "Desk"}))
    row = await LicenseKey.select().first()
    assert row["last_seen_at"] is not None and row["last_ip"] == "203.0.113.7"


# --- refunds and disputes -------------------------------------------------------------------


async def test_a_refund_revokes_the_key(client, org, app):
    key = (await licensed_sale(client, org))["licenses"][0]["key"]
    ok(await client.post("/api/licenses/activate", json={"key": key, "fingerprint": "m1"}))
    await record_reversal(app.state.hub, ReversalIn("audio-company", "api", "order-1", REFUND, "refund-1", utcnow()))
    answer = (await call(client, "validate", key=key, fingerprint="m1"))["data"]
    assert answer["valid"] is False and answer["code"] == "REVOKED" and answer["license"]["status"] == "revoked"
    refused = await client.post("/api/licenses/activate", json={"key": key, "fingerprint": "m2"})
    assert refused.status_code == 403 and refused.json()["code"] == "REVOKED"
    listed = ok(await client.get("/api/purchases", headers=org.admin))["purchases"][0]
    assert listed["status"] == "refunded" and listed["licenses"][0]["status"] == "revoked"


async def test_a_dispute_holds_the_key_and_a_won_dispute_restores_it_with_events(client, org, app):
    hub = app.state.hub
    ok(await client.post("/api/webhook-endpoints", json={"url": "https://hooks.example.com/in", "events": ["*"]}, headers=org.admin), 201)
    key = (await licensed_sale(client, org))["licenses"][0]["key"]
    ok(await client.post("/api/licenses/activate", json={"key": key, "fingerprint": "m1", "name": "Desk"}))
    opened = utcnow()
    await record_reversal(hub, ReversalIn("audio-company", "api", "order-1", DISPUTE_OPENED, "dispute-1", opened))
    held = (await call(client, "validate", key=key))["data"]
    assert held["valid"] is False and held["code"] == "ON_HOLD"
    await record_reversal(hub, ReversalIn("audio-company", "api", "order-1", DISPUTE_WON, "dispute-1", opened + timedelta(minutes=1)))
    assert (await call(client, "validate", key=key, fingerprint="m1"))["data"]["code"] == "VALID"
    ok(await client.post("/api/licenses/deactivate", json={"key": key, "fingerprint": "m1"}))

    events = await Event.select(Event.type, Event.payload).where(Event.kind == "webhook").order_by(Event.created_at).output(load_json=True)
    license_events = [e for e in events if e["type"].startswith("license.")]
    assert [e["type"] for e in license_events] == [
        "license.activated", "license.disabled", "license.restored", "license.deactivated",
    ]
    activated = license_events[0]["payload"]["data"]
    assert activated["activation"]["name"] == "Desk" and activated["license"]["productId"] == "synth-pro"
    assert license_events[1]["payload"]["data"]["reason"] == "on_hold"
    assert license_events[3]["payload"]["data"]["by"] == "api"
    # No event, hook or webhook, carries the key.
    assert all(key not in str(e["payload"]) for e in events)


async def test_a_purchase_refunded_before_it_was_recorded_mints_a_revoked_key(client, org, app):
    await record_reversal(app.state.hub, ReversalIn("audio-company", "api", "order-9", REFUND, "refund-9", utcnow()))
    purchase = await licensed_sale(client, org, reference="order-9")
    assert purchase["status"] == "refunded" and purchase["licenses"] == []


async def test_erasing_a_buyer_forgets_their_keys_email_and_addresses_but_the_key_works(client, org, app):
    from hub.services.privacy import erase_buyer
    from hub.tables import LicenseActivation

    key = (await licensed_sale(client, org))["licenses"][0]["key"]
    ok(await client.post("/api/licenses/activate", json={"key": key, "fingerprint": "m1"}))
    await erase_buyer(app.state.hub.db, "audio-company", "buyer@example.com")
    row = await LicenseKey.select().first()
    assert row["customer_email"] == "" and row["last_ip"] == ""
    assert [a["last_ip"] for a in await LicenseActivation.select(LicenseActivation.last_ip)] == [""]
    assert (await call(client, "validate", key=key, fingerprint="m1"))["data"]["code"] == "VALID"


def test_the_lookup_hash_depends_on_the_secret_key():
    class FakeHub:
        def __init__(self, secret: str) -> None:
            self.sealer = Sealer(secret)

    key = licenses.new_license_key()
    one, other = FakeHub("a" * 43), FakeHub("b" * 43)
    assert licenses.key_hash(one, key) == licenses.key_hash(one, key.lower())  # type: ignore[arg-type]
    assert licenses.key_hash(one, key) != licenses.key_hash(other, key)  # type: ignore[arg-type]


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
