"""Sample data for previewing the hub's emails: ``continuata-hub email
preview <template>`` and the console's Settings → Email.

The samples have exactly the shape the core gives ``render_email`` (see the
hook's docstring; built by :func:`hub.services.purchases.queue_delivery_email`,
:func:`hub.services.buyers.request_sign_in`,
:func:`hub.services.webhook_delivery` and :func:`hub.services.invitations.invite`),
so a shop can check an override in ``HUB_TEMPLATES_DIR/email/`` before a
buyer sees it. One fixed moment, so a preview (and a test) is the same every time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from hub.clock import iso
from hub.context import Hub
from hub.emails import render_email
from hub.plugins import RenderedEmail
from hub.plugins.records import ConsoleInviteContext, DeliveryContext, EmailBrand, SignInContext, WebhookDisabledContext
from hub.settings import Settings

SAMPLE_MOMENT = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
SAMPLE_BRAND: EmailBrand = {
    "name": "Sample Audio Co.",
    "support_email": "help@sample-audio.example",
    "logo_url": "",
    "accent": "#2457d6",
    "accent_text": "#ffffff",
    "accent_ink": "#2457d6",
}


def delivery(settings: Settings) -> DeliveryContext:
    public_url = settings.public_url
    expires = iso(SAMPLE_MOMENT + timedelta(days=settings.token_ttl_days))
    return {
        "purchase": {
            "id": "purchase_sample",
            "provider": "stripe",
            "provider_ref": "cs_test_a1B2c3D4",
            "customer_email": "ada@example.com",
            "customer_name": "Ada",
            "amount": 4900,
            "currency": "eur",
        },
        "shop": "Sample Audio Co.",
        "brand": SAMPLE_BRAND,
        "my_url": f"{public_url}/my",
        "items": [
            {
                "product": "Epic Drum Kit Vol. 1",
                "version": "1.2.0",
                "url": f"{public_url}/download?token=ct_download_SAMPLE1",
                "expires_at": expires,
                "max_downloads": 5,
                "license_key": None,
            },
            {
                "product": "Analog Pads & Textures",
                "version": "2.0.0",
                "url": f"{public_url}/download?token=ct_download_SAMPLE2",
                "expires_at": expires,
                "max_downloads": None,
                "license_key": "7KQ2M-XR4TN-9BWCH-3PDFV-K",
            },
        ],
    }


def signin(settings: Settings) -> SignInContext:
    return {
        "email": "ada@example.com",
        "url": f"{settings.public_url}/my/sign-in?token=ct_signin_SAMPLE",
        "expires_minutes": settings.sign_in_minutes,
        "shops": ["Sample Audio Co."],
        "brand": SAMPLE_BRAND,
    }


def webhook_disabled(settings: Settings) -> WebhookDisabledContext:
    return {
        "org": "sample-shop",
        "url": "https://shop.example.com/hooks/continuata",
        "endpoint_id": "we_sample",
        "reason": "failing since 2026-03-11T09:30:00+00:00; last error: answered 503",
        "hours": settings.webhook_retry_hours,
    }


def console_invite(settings: Settings) -> ConsoleInviteContext:
    return {
        "email": "helper@example.com",
        "org": "sample-shop",
        "role": "member",
        "invited_by": "owner@example.com",
        "url": f"{settings.public_url}/console/invite?token=ct_invite_SAMPLE",
        "needs_password": True,
        "expires_days": 7,
    }


def update(settings: Settings) -> dict[str, Any]:
    return {
        "shop": SAMPLE_BRAND["name"],
        "brand": SAMPLE_BRAND,
        "name": "Sam Buyer",
        "product": "Drum Kit",
        "version": "1.1",
        "previous_version": "1.0",
        "changelog": "Twelve new loops.",
        "note": "Thanks for your support!",
        "added": ["Loops/Loop_01.wav"],
        "changed": ["Kicks/Kick_01.wav"],
        "removed": [],
        "my_url": f"{settings.public_url}/my",
        "unsubscribe_url": f"{settings.public_url}/unsubscribe?token=SAMPLE",
        "email": "sam@example.com",
    }


def console_password_reset(settings: Settings) -> dict[str, Any]:
    return {
        "email": "helper@example.com",
        "url": f"{settings.public_url}/console/reset?token=ct_reset_SAMPLE",
        "requested_by": "",
        "expires_minutes": 30,
    }


SAMPLES: dict[str, Callable[[Settings], Any]] = {
    "delivery": delivery,
    "signin": signin,
    "update": update,
    "webhook_disabled": webhook_disabled,
    "console_invite": console_invite,
    "console_password_reset": console_password_reset,
}
"""Each email the core sends → its sample context for given settings."""


def sample_contexts(settings: Settings | None = None) -> dict[str, dict[str, Any]]:
    """Every sample context, with links under ``settings.public_url``."""
    settings = settings or Settings(public_url="https://downloads.example.com")
    return {name: sample(settings) for name, sample in SAMPLES.items()}


SAMPLE_CONTEXTS = sample_contexts()


async def preview(hub: Hub, template: str) -> RenderedEmail:
    """``template`` rendered with its sample context exactly as a real one
    would be (:func:`hub.emails.render_email`: a plugin's rendering, else
    the templates of the hub's search path, the shop's
    ``HUB_TEMPLATES_DIR`` first).

    :raises ValueError: for a template with no sample.
    """
    if template not in SAMPLES:
        raise ValueError(f"No sample for email {template!r}: choose one of {', '.join(sorted(SAMPLES))}")
    return await render_email(hub, template, SAMPLES[template](hub.settings))
