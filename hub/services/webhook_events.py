"""The webhook events a shop's endpoints can receive, and which hook announces each.

Every webhook event is the webhook twin of an event hook (see
:mod:`hub.hookspecs`): :func:`announced` turns a hook's records into the
``(type, data)`` pairs sent to endpoints, ``data`` being the resource as the
main API shows it. docs/webhooks.md shows an example of each.
"""

from __future__ import annotations

from typing import Any

EVENT_TYPES: dict[str, str] = {
    "purchase.completed": "a purchase was recorded (data: the purchase, with its tokens)",
    "purchase.refunded": "a purchase was refunded and its tokens revoked (data: the purchase)",
    "purchase.on_hold": "a purchase was put on hold, e.g. by a dispute (data: the purchase)",
    "purchase.restored": "a purchase on hold was restored (data: the purchase)",
    "token.created": "a download token was minted (data: the token, without its secret)",
    "token.revoked": "a download token was revoked, by the API or a refund (data: the token)",
    "download.started": "a file transfer started (data: token, file, sessionId, firstInSession)",
    "download.completed": "a file transfer ended with its last byte sent and its file delivered whole (data: token, file, bytesSent)",
    "version.ready": "a product version's last file arrived: it can be delivered (data: product, version)",
    "email.failed": "the hub gave up sending an email (data: the message: id, kind, recipient, attempts, error)",
}
ALL = "*"


HOOKS = {
    "purchase_recorded", "tokens_minted", "purchase_refunded", "purchase_suspended", "purchase_restored",
    "token_revoked", "download_started", "download_finished", "version_ready", "email_failed",
}
"""The event hooks that have webhook twins (see :func:`announced`)."""


def announces(hook: str) -> bool:
    """Whether events of ``hook`` may become webhook events."""
    return hook in HOOKS


def subscribes(wanted: list[str], event_type: str) -> bool:
    """Whether an endpoint subscribed to ``wanted`` receives ``event_type``."""
    return ALL in wanted or event_type in wanted


def announced(hook: str, records: dict[str, Any]) -> list[tuple[str, dict]]:
    """The webhook events (type, data) that the event hook ``hook`` announces."""
    if hook == "purchase_recorded":
        return [("purchase.completed", records["purchase"])]
    if hook == "tokens_minted":
        return [("token.created", token) for token in records["tokens"]]
    if hook == "purchase_refunded":
        return [("purchase.refunded", records["purchase"])] + [
            ("token.revoked", token) for token in records["revoked_tokens"]
        ]
    if hook == "purchase_suspended":
        return [("purchase.on_hold", records["purchase"])]
    if hook == "purchase_restored":
        return [("purchase.restored", records["purchase"])]
    if hook == "token_revoked":
        return [("token.revoked", records["token"])]
    if hook == "download_started":
        return [
            (
                "download.started",
                {
                    "token": records["token"],
                    "file": records["file"],
                    "sessionId": records["session_id"],
                    "firstInSession": records["first_in_session"],
                },
            )
        ]
    if hook == "download_finished" and records["completed"]:
        return [
            ("download.completed", {"token": records["token"], "file": records["file"], "bytesSent": records["bytes_sent"]})
        ]
    if hook == "version_ready":
        return [("version.ready", {"product": records["product"], "version": records["version"]})]
    if hook == "email_failed":
        return [("email.failed", records["message"])]
    return []
