"""Sending webhook events to a shop's endpoints, signed as Standard Webhooks says.

Each attempt POSTs the event's JSON with the headers ``webhook-id`` (the
event id: the same on every retry, for deduplication), ``webhook-timestamp``
(Unix seconds) and ``webhook-signature`` (``v1,<base64 HMAC-SHA256>`` of
``"<id>.<timestamp>.<body>"`` with the endpoint's secret; a second
signature with the previous secret for a day after a rotation).

A 2xx answer within ``HUB_WEBHOOK_TIMEOUT_SECONDS`` delivers it; anything
else (a timeout, a refused connection, any other status, a refused address)
is retried with exponential backoff, from ``HUB_WEBHOOK_RETRY_SECONDS``
doubling up to six hours, for ``HUB_WEBHOOK_RETRY_HOURS`` (72). An
endpoint that has failed without a single success for that long is
disabled, and the organization's admins get an email. Every attempt is
logged (:class:`~hub.tables.WebhookAttempt`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from hub.clock import as_aware, utcnow
from hub.context import Hub
from hub.emails import render_email
from hub.errors import Invalid
from hub.netguard import RefusedAddress, check_url_form, public_address
from hub.sealing import SealError
from hub.secrets import new_id
from hub.services.outbox import queue_email
from hub.tables import EventDelivery, Organization, WebhookAttempt, WebhookEndpoint

log = logging.getLogger("hub.webhooks")

SECRET_PREFIX = "whsec_"
MAX_RETRY_WAIT = timedelta(hours=6)
EXCERPT_CHARS = 500


def new_signing_secret() -> str:
    """``whsec_`` and 32 random bytes in base64, the Standard Webhooks form."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """One ``v1,<signature>`` of Standard Webhooks."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode("ascii")


UNSEALABLE_SECRET = (
    "cannot sign: the endpoint's secret was sealed with another HUB_SECRET_KEY than this process's; "
    "give every process the same key, or rotate the endpoint's secret"
)


def signing_secrets(hub: Hub, endpoint: dict[str, Any]) -> list[str]:
    """The endpoint's secret, and the previous one while it is still honoured.

    Raises :class:`~hub.sealing.SealError` when the current secret cannot
    be opened (sealed under another ``HUB_SECRET_KEY``); a previous secret
    that cannot be opened is left out, so that rotating the secret is the
    cure and not another day of failures."""
    current = [hub.sealer.open(endpoint["sealed_secret"]).decode()]
    until = endpoint["previous_secret_until"]
    if endpoint["previous_sealed_secret"] and until and as_aware(until) > utcnow():
        try:
            current.append(hub.sealer.open(endpoint["previous_sealed_secret"]).decode())
        except SealError:
            log.warning(
                "Webhook endpoint %s: its previous secret was sealed with another HUB_SECRET_KEY; "
                "signing with the current one only", endpoint["id"],
            )
    return current


def body_of(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


async def _pinned_request(hub: Hub, url: str) -> tuple[str, dict[str, str], dict[str, Any]]:
    """The URL to connect to, extra headers and httpx extensions.

    Unless private addresses are allowed, the name is resolved and checked
    here and the connection goes to that address (Host and TLS SNI keep the
    name), so the address checked is the address called.
    """
    scheme, host, port = check_url_form(url)
    if hub.settings.webhooks_allow_private:
        return url, {}, {}
    address = await public_address(host, port)
    parts = urlsplit(url)
    shown = f"[{address}]" if ":" in address else address
    netloc = f"{shown}:{parts.port}" if parts.port else shown
    pinned = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    extensions = {"sni_hostname": host} if scheme == "https" else {}
    return pinned, {"Host": parts.netloc.rsplit("@", 1)[-1]}, extensions


async def post_event(hub: Hub, endpoint: dict[str, Any], payload: dict[str, Any]) -> tuple[int | None, str, str, int]:
    """POST one event: ``(status code or None, answer excerpt, error, latency ms)``."""
    body = body_of(payload)
    timestamp = int(time.time())
    signatures = " ".join(sign(s, payload["id"], timestamp, body) for s in signing_secrets(hub, endpoint))
    started = time.monotonic()
    try:
        url, host_header, extensions = await _pinned_request(hub, endpoint["url"])
        async with httpx.AsyncClient(timeout=hub.settings.webhook_timeout_seconds, follow_redirects=False) as client:
            answer = await client.post(
                url,
                content=body,
                headers={
                    **host_header,
                    "content-type": "application/json",
                    "user-agent": "Continuata-Hub-Webhooks/1",
                    "webhook-id": payload["id"],
                    "webhook-timestamp": str(timestamp),
                    "webhook-signature": signatures,
                },
                extensions=extensions,
            )
    except RefusedAddress as refused:
        return None, "", f"refused: {refused}", _since(started)
    except Invalid as bad:  # saved before a rule changed
        return None, "", f"refused: {bad.message}", _since(started)
    except httpx.TimeoutException:
        return None, "", f"timed out after {hub.settings.webhook_timeout_seconds} s", _since(started)
    except httpx.HTTPError as problem:
        return None, "", f"{type(problem).__name__}: {problem}"[:1000] or type(problem).__name__, _since(started)
    error = "" if 200 <= answer.status_code < 300 else f"answered {answer.status_code}"
    return answer.status_code, answer.text[:EXCERPT_CHARS], error, _since(started)


def _since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def retry_wait(hub: Hub, attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failure: doubling, at most six hours."""
    first = timedelta(seconds=hub.settings.webhook_retry_seconds)
    wait: timedelta = min(first * 2 ** min(attempts - 1, 30), MAX_RETRY_WAIT)
    return wait


async def deliver_to_endpoint(hub: Hub, delivery: dict[str, Any], event: dict[str, Any]) -> bool:
    """One attempt to deliver a claimed delivery; the outcome is recorded and logged."""
    endpoint = await WebhookEndpoint.select().where(WebhookEndpoint.id == delivery["endpoint"]).output(load_json=True).first()
    if endpoint is None or endpoint["status"] != "enabled":
        await EventDelivery.update(
            {
                EventDelivery.status: "failed",
                EventDelivery.claimed_until: None, EventDelivery.claimed_by: None,
                EventDelivery.last_error: "the endpoint was deleted" if endpoint is None else "the endpoint is disabled",
            }
        ).where(EventDelivery.id == delivery["id"])
        return False
    try:
        status_code, excerpt, error, latency = await post_event(hub, endpoint, event["payload"])
    except SealError:
        # Nothing was sent (signing comes first); a failed attempt like any
        # other, so it backs off, shows in the log and counts toward disabling.
        status_code, excerpt, error, latency = None, "", UNSEALABLE_SECRET, 0
    now = utcnow()
    attempts = delivery["attempts"] + 1
    async with hub.db.write_transaction():
        await WebhookAttempt.insert(
            WebhookAttempt(
                id=new_id("att"), endpoint=endpoint["id"], delivery=delivery["id"], event=event["id"],
                attempted_at=now, status_code=status_code, latency_ms=latency, response_excerpt=excerpt, error=error,
            )
        )
        if not error:
            await EventDelivery.update(
                {
                    EventDelivery.status: "delivered", EventDelivery.attempts: attempts, EventDelivery.delivered_at: now,
                    EventDelivery.claimed_until: None, EventDelivery.claimed_by: None, EventDelivery.last_error: "",
                }
            ).where(EventDelivery.id == delivery["id"])
            await WebhookEndpoint.update({WebhookEndpoint.failing_since: None}).where(
                WebhookEndpoint.id == endpoint["id"], WebhookEndpoint.failing_since.is_not_null()
            )
            return True
        window = timedelta(hours=hub.settings.webhook_retry_hours)
        final = now - as_aware(delivery["created_at"]) >= window
        await EventDelivery.update(
            {
                EventDelivery.status: "failed" if final else "pending",
                EventDelivery.attempts: attempts,
                EventDelivery.next_attempt_at: now + retry_wait(hub, attempts),
                EventDelivery.claimed_until: None, EventDelivery.claimed_by: None,
                EventDelivery.last_error: error[:2000],
            }
        ).where(EventDelivery.id == delivery["id"])
        failing_since = as_aware(endpoint["failing_since"]) if endpoint["failing_since"] else None
        if failing_since is None:
            await WebhookEndpoint.update({WebhookEndpoint.failing_since: now}).where(
                WebhookEndpoint.id == endpoint["id"], WebhookEndpoint.failing_since.is_null()
            )
        elif now - failing_since >= window:
            await disable_failing_endpoint(hub, endpoint, error)
    log.warning("Webhook %s to %s failed (attempt %d): %s", event["id"], endpoint["url"], attempts, error)
    return False


async def disable_failing_endpoint(hub: Hub, endpoint: dict[str, Any], error: str) -> None:
    """Disable an endpoint that failed for the whole retry window, give up
    its pending deliveries, and email the organization's admins (in the
    caller's transaction)."""
    reason = f"failing since {as_aware(endpoint['failing_since']).isoformat()}; last error: {error}"[:2000]
    disabled = await WebhookEndpoint.update(
        {WebhookEndpoint.status: "disabled", WebhookEndpoint.disabled_reason: reason, WebhookEndpoint.updated_at: utcnow()}
    ).where(WebhookEndpoint.id == endpoint["id"], WebhookEndpoint.status == "enabled").returning(WebhookEndpoint.id)
    if not disabled:
        return  # another worker got there first
    await EventDelivery.update(
        {EventDelivery.status: "failed", EventDelivery.last_error: "the endpoint was disabled", EventDelivery.claimed_until: None}
    ).where(EventDelivery.endpoint == endpoint["id"], EventDelivery.status == "pending")
    log.error("Webhook endpoint %s (%s) disabled: %s", endpoint["id"], endpoint["url"], reason)
    recipient = await admin_contact(hub, endpoint["org"])
    if not recipient:
        log.warning("Nobody to tell that endpoint %s was disabled: set the organization's contact email or HUB_ADMIN_EMAIL", endpoint["id"])
        return
    context = {
        "org": endpoint["org"], "url": endpoint["url"], "endpoint_id": endpoint["id"], "reason": reason,
        "hours": hub.settings.webhook_retry_hours,
    }
    rendered = await render_email(hub, "webhook_disabled", context)
    await queue_email(
        hub, org=endpoint["org"], kind="webhook_disabled", recipient=recipient, rendered=rendered,
        dedupe_key=f"webhook_disabled:{endpoint['id']}:{int(time.time())}",
    )


async def admin_contact(hub: Hub, org: str) -> str:
    """The organization's contact email, else ``HUB_ADMIN_EMAIL``."""
    row = await Organization.select(Organization.contact_email).where(Organization.id == org).first()
    return (row["contact_email"] if row else "") or hub.settings.admin_email
