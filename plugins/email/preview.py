"""Sample data for previewing the emails (``continuata-hub email preview <template>``).

The samples have the shape the core gives ``render_email`` (see
:func:`hub.services.purchases.queue_delivery_email` and
:func:`hub.services.buyers.request_sign_in`), so a shop can check an
override in ``HUB_TEMPLATES_DIR/email/`` before a buyer sees it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hub.context import Hub
from hub.pages import template_environment
from hub.plugins import RenderedEmail
from hub.settings import Settings
from continuata_plugins.email.rendering import render

SAMPLE_PUBLIC_URL = "https://downloads.example.com"


def sample_contexts(public_url: str = SAMPLE_PUBLIC_URL) -> dict[str, dict[str, Any]]:
    """One sample context per email, with links under ``public_url``."""
    now = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
    return {
        "delivery": {
            "purchase": {
                "id": "purchase_sample",
                "org": "sample-shop",
                "provider": "stripe",
                "provider_ref": "cs_test_a1B2c3D4",
                "customer_email": "ada@example.com",
                "customer_name": "Ada",
                "items": [{"productId": "epic-drums-v1", "version": None}, {"productId": "pads", "version": None}],
                "amount": 4900,
                "currency": "eur",
                "status": "paid",
                "created_at": now,
            },
            "shop": "Sample Audio Co.",
            "my_url": f"{public_url}/my",
            "items": [
                {
                    "product": "Epic Drum Kit Vol. 1",
                    "version": "1.2.0",
                    "url": f"{public_url}/download?token=ct_download_SAMPLE1",
                    "expires_at": now + timedelta(days=30),
                    "max_downloads": 5,
                },
                {
                    "product": "Analog Pads & Textures",
                    "version": "2.0.0",
                    "url": f"{public_url}/download?token=ct_download_SAMPLE2",
                    "expires_at": now + timedelta(days=30),
                    "max_downloads": None,
                },
            ],
        },
        "signin": {
            "email": "ada@example.com",
            "url": f"{public_url}/my/sign-in?token=ct_signin_SAMPLE",
            "expires_minutes": 30,
        },
    }


SAMPLE_CONTEXTS = sample_contexts()


def preview(hub_or_settings: Hub | Settings, template: str) -> RenderedEmail:
    """``template`` rendered with its sample context, through the same
    search path as real emails (the shop's ``HUB_TEMPLATES_DIR`` first).

    Given :class:`~hub.settings.Settings` rather than a running hub, the
    search path is the shop's folder and the built-in templates (other
    plugins' template folders are not consulted).

    :raises ValueError: for a template with no sample or no template files.
    """
    if isinstance(hub_or_settings, Settings):
        settings = hub_or_settings
        loader = template_environment(settings.templates_dir).loader
    else:
        settings = hub_or_settings.settings
        loader = hub_or_settings.templates.loader
    contexts = sample_contexts(settings.public_url)
    if template not in contexts:
        raise ValueError(f"No sample for email {template!r}: choose one of {', '.join(sorted(contexts))}")
    rendered = render(loader, template, contexts[template])
    if rendered is None:
        raise ValueError(f"No template email/{template}.txt in the template folders")
    return rendered
