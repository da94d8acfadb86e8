"""Offline license files: signed with the organization's Ed25519 key, the
public key at a documented URL, verified by both SDKs with no network, and
refused after one changed byte or after their TTL (on SQLite and PostgreSQL)."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from continuata import LicenseFileError, verify_license_file
from hub.tables import SigningKey
from tests.conftest import fails, ok
from tests.test_licenses import licensed_sale

ROOT = Path(__file__).resolve().parent.parent
SDK_JS = ROOT / "sdk" / "js" / "src" / "index.js"


async def activated_checkout(client, org, *, ttl: int | None = 3600, **sale) -> tuple[str, dict, str]:
    key = (await licensed_sale(client, org, **sale))["licenses"][0]["key"]
    ok(await client.post("/api/licenses/activate", json={"key": key, "fingerprint": "fp-studio", "name": "Studio"}))
    body = {"key": key, "fingerprint": "fp-studio"} | ({"ttl": ttl} if ttl else {})
    return key, ok(await client.post("/api/licenses/checkout", json=body)), ok(
        await client.get("/api/licenses/public-key", params={"org": org.id})
    )["publicKey"]


def changed_one_byte(certificate: str) -> str:
    """The license file with one byte of its signed data changed (and its
    armour still well formed): the fingerprint's first letter."""
    lines = certificate.strip().splitlines()
    envelope = json.loads(base64.b64decode("".join(lines[1:-1])))
    data = base64.b64decode(envelope["enc"]).replace(b'"fp-studio"', b'"fq-studio"')
    envelope["enc"] = base64.b64encode(data).decode()
    body = base64.b64encode(json.dumps(envelope).encode()).decode()
    return "\n".join([lines[0], body, lines[-1]])


def verify_with_node(certificate: str, public_key: str, **options) -> dict:
    script = f"""
    import {{ verifyLicenseFile }} from {json.dumps(SDK_JS.as_uri())};
    const [certificate, publicKey, options] = JSON.parse(process.argv[1]);
    if (options.now) options.now = new Date(options.now);
    try {{
      const license = await verifyLicenseFile(certificate, publicKey, options);
      console.log(JSON.stringify({{ ok: true, license }}));
    }} catch (error) {{
      console.log(JSON.stringify({{ ok: false, error: error.constructor.name, message: error.message }}));
    }}
    """
    done = subprocess.run(
        ["node", "--input-type=module", "-e", script, json.dumps([certificate, public_key, options])],
        capture_output=True, text=True, timeout=60, check=True,
    )
    return json.loads(done.stdout)


needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="the JavaScript SDK's verifier needs node")


async def test_the_public_key_is_made_once_and_published(client, org):
    first = ok(await client.get("/api/licenses/public-key", params={"org": org.id}))
    again = ok(await client.get("/api/licenses/public-key", params={"org": org.id}))
    assert first == again and first["algorithm"] == "ed25519" and len(base64.b64decode(first["publicKey"])) == 32
    assert first["publicKeyPem"].startswith("-----BEGIN PUBLIC KEY-----")
    row = await SigningKey.select().first()
    assert row["public_key"] == first["publicKey"] and "PRIVATE" not in row["private_sealed"]
    fails(await client.get("/api/licenses/public-key", params={"org": "no-such-shop"}), 404)


async def test_a_license_file_verifies_in_python_and_fails_after_a_changed_byte_or_its_ttl(client, org):
    key, checkout, public_key = await activated_checkout(client, org, ttl=3600, expiryDays=365)
    certificate = checkout["certificate"]
    assert certificate.startswith("-----BEGIN LICENSE FILE-----\n") and certificate.endswith("-----END LICENSE FILE-----\n")
    license = verify_license_file(certificate, public_key, fingerprint="fp-studio")
    assert license.key == key and license.product_id == "synth-pro" and license.fingerprint == "fp-studio"
    assert license.ttl == 3600 and license.check_in_by == license.issued + timedelta(seconds=3600)
    assert license.expiry is not None and license.expiry > license.check_in_by

    with pytest.raises(LicenseFileError, match="signature"):
        verify_license_file(changed_one_byte(certificate), public_key)
    with pytest.raises(LicenseFileError, match="TTL"):
        verify_license_file(certificate, public_key, now=license.check_in_by + timedelta(seconds=1))
    with pytest.raises(LicenseFileError, match="another machine"):
        verify_license_file(certificate, public_key, fingerprint="fp-laptop")
    other_key = base64.b64encode(bytes(32)).decode()
    with pytest.raises(LicenseFileError):
        verify_license_file(certificate, other_key)
    with pytest.raises(LicenseFileError, match="Not a license file"):
        verify_license_file("hello", public_key)


@needs_node
async def test_a_license_file_verifies_in_javascript_and_fails_after_a_changed_byte_or_its_ttl(client, org):
    key, checkout, public_key = await activated_checkout(client, org, ttl=7200)
    certificate = checkout["certificate"]
    verified = verify_with_node(certificate, public_key, fingerprint="fp-studio")
    assert verified["ok"] is True, verified
    assert verified["license"]["key"] == key and verified["license"]["ttl"] == 7200

    changed = verify_with_node(changed_one_byte(certificate), public_key)
    assert changed == {"ok": False, "error": "LicenseFileError", "message": changed["message"]}
    assert "signature" in changed["message"]
    later = datetime.fromisoformat(checkout["checkInBy"].replace("Z", "+00:00")) + timedelta(seconds=1)
    expired = verify_with_node(certificate, public_key, now=later.astimezone(timezone.utc).isoformat())
    assert expired["ok"] is False and "TTL" in expired["message"]


async def test_checkout_needs_an_activated_machine_and_a_valid_key(client, org, app):
    key = (await licensed_sale(client, org))["licenses"][0]["key"]
    refused = await client.post("/api/licenses/checkout", json={"key": key, "fingerprint": "fp-unknown"})
    assert refused.status_code == 422 and refused.json()["code"] == "NOT_ACTIVATED"
    missing = await client.post("/api/licenses/checkout", json={"key": "nope", "fingerprint": "x"})
    assert missing.status_code == 404 and missing.json()["code"] == "NOT_FOUND"
    ok(await client.post("/api/licenses/activate", json={"key": key, "fingerprint": "fp-1"}))
    fails(await client.post("/api/licenses/checkout", json={"key": key, "fingerprint": "fp-1", "ttl": 5}), 422, "ttl")
    from hub.clock import utcnow
    from hub.services.reversals import REFUND, ReversalIn, record_reversal

    await record_reversal(app.state.hub, ReversalIn("audio-company", "api", "order-1", REFUND, "refund-1", utcnow()))
    revoked = await client.post("/api/licenses/checkout", json={"key": key, "fingerprint": "fp-1"})
    assert revoked.status_code == 403 and revoked.json()["code"] == "REVOKED"
