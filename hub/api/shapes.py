"""Rows as the main API shows them: camelCase, seed field names, ISO times."""

from __future__ import annotations

from typing import overload

from hub.clock import iso
from hub.context import Hub


@overload
def version_summary(row: dict) -> dict: ...
@overload
def version_summary(row: None) -> None: ...
def version_summary(row: dict | None) -> dict | None:
    if row is None:
        return None
    return {
        "id": row["id"],
        "version": row["version"],
        "size": row["size"],
        "fileCount": row["file_count"],
        "status": row["status"],
    }


def product(row: dict, active: dict | None) -> dict:
    return {
        "id": row["slug"],
        "name": row["name"],
        "slug": row["slug"],
        "description": row["description"],
        "status": row["status"],
        "metadata": row["metadata"],
        "orgId": row["org"],
        "activeVersion": version_summary(active),
        "createdAt": iso(row["created_at"]),
        "updatedAt": iso(row["updated_at"]),
    }


def version_file(row: dict) -> dict:
    return {
        "id": row["id"],
        "path": row["path"],
        "size": row["size"],
        "sha256": row["sha256"],
        "status": row["status"],
        "uploadId": row["upload_id"],
    }


def version(row: dict) -> dict:
    shaped = {
        **version_summary(row),
        "changelog": row["changelog"],
        "createdAt": iso(row["created_at"]),
        "readyAt": iso(row["ready_at"]),
    }
    if "files" in row:
        shaped["files"] = [version_file(f) for f in row["files"]]
    return shaped


def token(hub: Hub, row: dict, product_row: dict, version_name: str, secret: str | None = None) -> dict:
    """A token; ``secret`` and ``downloadUrl`` only at creation (never stored)."""
    shaped = {
        "id": row["id"],
        "expiresAt": iso(row["expires_at"]),
        "maxDownloads": row["max_downloads"],
        "usedCount": row["used_count"],
        "customerEmail": row["customer_email"] or None,
        "metadata": row["metadata"],
        "revoked": row["revoked_at"] is not None,
        "revokedAt": iso(row["revoked_at"]),
        "createdAt": iso(row["created_at"]),
        "purchaseId": row["purchase"],
        "product": {"id": product_row["slug"], "name": product_row["name"], "version": version_name},
    }
    if secret is not None:
        shaped = {"id": row["id"], "token": secret, "downloadUrl": hub.download_url(secret), **shaped}
    return shaped


def pagination(total: int, limit: int, offset: int) -> dict:
    return {"total": total, "limit": limit, "offset": offset, "hasMore": offset + limit < total}


def purchase(row: dict) -> dict:
    return {
        "id": row["id"],
        "orgId": row["org"],
        "provider": row["provider"],
        "providerRef": row["provider_ref"],
        "customerEmail": row["customer_email"],
        "customerName": row["customer_name"],
        "items": row["items"],
        "amount": row["amount"],
        "currency": row["currency"],
        "status": row["status"],
        "problem": row["problem"] or None,
        "metadata": row["metadata"],
        "createdAt": iso(row["created_at"]),
        "refundedAt": iso(row.get("refunded_at")),
        "tokens": [
            {
                "id": t["id"],
                "productId": t["product_id"],
                "version": t["version_name"],
                "expiresAt": iso(t["expires_at"]),
                "maxDownloads": t["max_downloads"],
                "usedCount": t["used_count"],
                "revoked": t["revoked_at"] is not None,
            }
            for t in row.get("tokens", [])
        ],
    }


def webhook_endpoint(row: dict, secret: str | None = None) -> dict:
    """An endpoint; ``secret`` only when just created or rotated (shown once)."""
    shaped = {
        "id": row["id"],
        "url": row["url"],
        "events": row["events"],
        "description": row["description"],
        "status": row["status"],
        "disabledReason": row["disabled_reason"] or None,
        "failingSince": iso(row["failing_since"]),
        "createdAt": iso(row["created_at"]),
        "updatedAt": iso(row["updated_at"]),
    }
    if secret is not None:
        shaped["secret"] = secret
    return shaped


def webhook_delivery(row: dict) -> dict:
    """One event owed to an endpoint, with every attempt made."""
    return {
        "id": row["id"],
        "eventId": row["event"],
        "eventType": row.get("event_type"),
        "status": row["status"],
        "attempts": row["attempts"],
        "nextAttemptAt": iso(row["next_attempt_at"]) if row["status"] == "pending" else None,
        "lastError": row["last_error"] or None,
        "createdAt": iso(row["created_at"]),
        "deliveredAt": iso(row["delivered_at"]),
        "attemptLog": [
            {
                "at": iso(a["attempted_at"]),
                "statusCode": a["status_code"],
                "latencyMs": a["latency_ms"],
                "response": a["response_excerpt"] or None,
                "error": a["error"] or None,
                "succeeded": not a["error"],
            }
            for a in row.get("attempt_log", [])
        ],
    }
