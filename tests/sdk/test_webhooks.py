"""``verify_webhook`` (Standard Webhooks) and the webhook-endpoint methods.

The endpoint methods follow the contract of issue 12; their test runs when
the hub serves ``/api/webhook-endpoints`` and is skipped (saying so) when
it does not yet."""

from __future__ import annotations

import json
import time

import httpx
import hypothesis
import pytest
from hypothesis import strategies as st

import continuata
from continuata import WebhookVerificationError, sign_webhook, verify_webhook
from tests.sdk.conftest import ORG

# The Standard Webhooks specification's own example.
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
STAMP = 1614265330
BODY = '{"test": 2432232314}'
SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def headers(signature: str = SIGNATURE, stamp: int = STAMP) -> dict[str, str]:
    return {"Webhook-Id": MSG_ID, "Webhook-Timestamp": str(stamp), "Webhook-Signature": signature}


def test_the_specifications_example_verifies():
    assert sign_webhook(SECRET, MSG_ID, STAMP, BODY) == SIGNATURE
    assert verify_webhook(BODY, headers(), SECRET, now=STAMP + 10) == {"test": 2432232314}
    # Several signatures (during a secret rotation): any one matching is enough.
    assert verify_webhook(BODY.encode(), headers(f"v1,bm90IHRoaXMgb25l {SIGNATURE}"), SECRET, now=STAMP)


@pytest.mark.parametrize(
    ("body", "sent", "now", "problem"),
    [
        ('{"test": 2432232315}', headers(), STAMP, "No webhook signature matches"),
        (BODY, headers("v2," + SIGNATURE[3:]), STAMP, "No webhook signature matches"),
        (BODY, headers(), STAMP + 301, "too far from now"),
        (BODY, headers(), STAMP - 301, "too far from now"),
        (BODY, {"webhook-id": MSG_ID, "webhook-signature": SIGNATURE}, STAMP, "webhook-timestamp header is missing"),
        (BODY, headers(stamp="soon"), STAMP, "not a number"),  # type: ignore[arg-type]
    ],
)
def test_tampered_stale_or_incomplete_deliveries_are_refused(body, sent, now, problem):
    with pytest.raises(WebhookVerificationError, match=problem):
        verify_webhook(body, sent, SECRET, now=now)


@pytest.mark.parametrize(
    "signature",
    ["v1,\u00e9t\u00e9", "v1," + SIGNATURE[3:-1] + "\u00e9", "v1,\U0001f600", "\u00e9", "v1,\x00"],
)
def test_a_signature_header_with_any_character_is_refused_not_a_crash(signature):
    """A shop doing ``except WebhookVerificationError`` (as the README says)
    must never answer 500: a non-ASCII signature was a ``TypeError``."""
    with pytest.raises(WebhookVerificationError, match="No webhook signature matches"):
        verify_webhook(BODY, headers(signature), SECRET, now=STAMP)


@pytest.mark.parametrize("stamp", ["\u0661\u0666\u0661\u0664", " 1614265330", "1_614_265_330", "+1614265330"])
def test_a_timestamp_is_ascii_digits_only(stamp):
    with pytest.raises(WebhookVerificationError, match="not a number"):
        verify_webhook(BODY, headers(stamp=stamp), SECRET, now=STAMP)  # type: ignore[arg-type]


@pytest.mark.parametrize("secret", ["", "whsec_"])
def test_an_empty_secret_verifies_nothing(secret):
    """An unset secret (an empty environment variable) must not accept a
    signature made with an empty key."""
    import base64
    import hashlib
    import hmac

    empty_key = hmac.new(b"", f"{MSG_ID}.{STAMP}.{BODY}".encode(), hashlib.sha256).digest()
    forged = "v1," + base64.b64encode(empty_key).decode()
    with pytest.raises(WebhookVerificationError, match="secret is empty"):
        verify_webhook(BODY, headers(forged), secret, now=STAMP)
    with pytest.raises(WebhookVerificationError, match="secret is empty"):
        sign_webhook(secret, MSG_ID, STAMP, BODY)


_HEADER_TEXT = st.one_of(st.text(), st.sampled_from([SIGNATURE, str(STAMP), MSG_ID, "v1,", "v1", ","]))


@hypothesis.settings(max_examples=500, deadline=None)
@hypothesis.given(
    webhook_id=_HEADER_TEXT, stamp=_HEADER_TEXT, signature=st.one_of(_HEADER_TEXT, st.builds("v1,{}".format, st.text())),
    body=st.one_of(st.just(BODY), st.text(), st.binary()), secret=st.one_of(st.just(SECRET), st.text()),
)
def test_any_headers_either_verify_or_raise_the_verification_error(webhook_id, stamp, signature, body, secret):
    sent = {"webhook-id": webhook_id, "webhook-timestamp": stamp, "webhook-signature": signature}
    try:
        verify_webhook(body, sent, secret, now=STAMP)
    except WebhookVerificationError:
        pass


def test_verify_agrees_with_the_standardwebhooks_library():
    standardwebhooks = pytest.importorskip("standardwebhooks")
    payload = json.dumps({"type": "token.created", "data": {"id": "token_1"}})
    now = int(time.time())
    signed = standardwebhooks.Webhook(SECRET).sign(MSG_ID, _datetime(now), payload)
    assert verify_webhook(payload, {"webhook-id": MSG_ID, "webhook-timestamp": str(now), "webhook-signature": signed}, SECRET)
    ours = sign_webhook(SECRET, MSG_ID, now, payload)
    standardwebhooks.Webhook(SECRET).verify(payload, {"webhook-id": MSG_ID, "webhook-timestamp": str(now), "webhook-signature": ours})


def _datetime(stamp: int):
    from datetime import UTC, datetime

    return datetime.fromtimestamp(stamp, UTC)


def test_webhook_endpoint_methods_against_the_hub(sdk_hub):
    probe = httpx.get(f"{sdk_hub.url}/api/webhook-endpoints", headers=sdk_hub.server.auth)
    if probe.status_code == 404:
        pytest.skip("this hub does not serve /api/webhook-endpoints yet (issue 12, webhooks to the shop)")
    with continuata.Client(api_key=sdk_hub.admin_key, org_id=ORG, base_url=sdk_hub.url) as client:
        endpoint = client.webhook_endpoints.create(
            url="http://127.0.0.1:9/hooks", events=["token.created", "purchase.completed"], description="shop"
        )
        assert endpoint.id and endpoint.secret.startswith("whsec_") and endpoint.events == ["token.created", "purchase.completed"]
        assert endpoint.id in [e.id for e in client.webhook_endpoints.list()]
        assert client.webhook_endpoints.get(endpoint.id).secret in (None, "")
        changed = client.webhook_endpoints.update(endpoint.id, description="the shop", events=["token.created"])
        assert changed.description == "the shop" and changed.events == ["token.created"]
        rotated = client.webhook_endpoints.rotate_secret(endpoint.id)
        assert rotated.secret.startswith("whsec_") and rotated.secret != endpoint.secret
        assert isinstance(client.webhook_endpoints.deliveries(endpoint.id), list)
        client.webhook_endpoints.redeliver(endpoint.id, since="2000-01-01T00:00:00Z")
        client.webhook_endpoints.delete(endpoint.id)
        with pytest.raises(continuata.NotFoundError):
            client.webhook_endpoints.get(endpoint.id)
