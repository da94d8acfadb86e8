"""Sample contexts for ``continuata-hub email preview``, shaped exactly as
the core builds them (see the ``render_email`` hook)."""

from __future__ import annotations

from datetime import timedelta

from hub.clock import utcnow
from hub.settings import Settings


def delivery(settings: Settings) -> dict:
    expires = utcnow() + timedelta(days=settings.token_ttl_days)
    return {
        "purchase": {"id": "purchase_sample", "customer_email": "buyer@example.com", "customer_name": "Ada Lovelace",
                     "amount": 2900, "currency": "eur", "provider": "stripe", "provider_ref": "cs_test_sample"},
        "shop": "Audio Company",
        "my_url": f"{settings.public_url}/my",
        "items": [
            {"product": "Epic Drum Kit Vol. 1", "version": "1.0.0", "url": f"{settings.public_url}/download?token=ct_download_sample1",
             "expires_at": expires, "max_downloads": 3},
            {"product": "Lush Pads", "version": "2.1.0", "url": f"{settings.public_url}/download?token=ct_download_sample2",
             "expires_at": expires, "max_downloads": None},
        ],
    }


def signin(settings: Settings) -> dict:
    return {"email": "buyer@example.com", "url": f"{settings.public_url}/my/sign-in?token=ct_signin_sample",
            "expires_minutes": settings.sign_in_minutes}


def webhook_disabled(settings: Settings) -> dict:
    return {"org": "audio-company", "url": "https://shop.example.com/hooks/continuata", "endpoint_id": "we_sample",
            "reason": "failing since 2026-11-27T12:00:00+00:00; last error: answered 503", "hours": settings.webhook_retry_hours}


def console_invite(settings: Settings) -> dict:
    return {"email": "helper@example.com", "org": "audio-company", "role": "member", "invited_by": "owner@example.com",
            "url": f"{settings.public_url}/console/invite?token=ct_invite_sample", "needs_password": True,
            "expires_days": 7}


SAMPLES = {"delivery": delivery, "signin": signin, "webhook_disabled": webhook_disabled, "console_invite": console_invite}
