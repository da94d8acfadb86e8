"""How the hub is set up, for the console's Settings pages: the payment
plugins (configured or not, the webhook URL to paste, their last event) and
email (a mailer or not, a test message, template previews)."""

from __future__ import annotations

from typing import Any

from hub.context import Hub
from hub.email_address import check_email
from hub.email_samples import SAMPLES, preview
from hub.errors import Invalid, NotFound
from hub.plugins import PaymentProviderStatus, RenderedEmail, await_me_maybe, declared_settings
from hub.services.outbox import queue_email
from hub.tables import InboxEvent


async def payment_providers(hub: Hub, org: str) -> list[dict[str, Any]]:
    """Each payment plugin's status with its last event for ``org`` (or
    for no organization yet: an event the hub could not place)."""
    answers = [await await_me_maybe(answer) for answer in hub.plugins.hook.payment_provider_status(hub=hub)]
    defaults = {setting.name: setting.default for _, setting in declared_settings(hub.plugins)}
    statuses = [s for s in answers if isinstance(s, PaymentProviderStatus)]
    providers = []
    for status in sorted(statuses, key=lambda s: s.title):
        last = (
            await InboxEvent.select(
                InboxEvent.received_at, InboxEvent.event_type, InboxEvent.status, InboxEvent.outcome, InboxEvent.last_error
            )
            .where(InboxEvent.provider == status.name, InboxEvent.org.is_in([org, ""]))
            .order_by(InboxEvent.received_at, ascending=False)
            .first()
        )
        settings = [(name, setting_state(hub, name, defaults)) for name in status.settings]
        providers.append({"status": status, "last_event": last, "settings": settings})
    return providers


def setting_state(hub: Hub, name: str, defaults: dict[str, str | None]) -> str:
    """How the console shows a plugin setting: never its value (it may be a
    secret), only whether the environment sets it."""
    value = (hub.settings.extra.get(name) or "").strip()
    if not value:
        return "not set"
    if value == defaults.get(name):
        return "its default"
    return "set by the environment"


def mailer_configured(hub: Hub) -> bool:
    return hub.mailer is not None


async def send_test_email(hub: Hub, org: str, recipient: str) -> str:
    """Queue a short test message to ``recipient`` through the outbox."""
    recipient = check_email(recipient, field="email")
    rendered = RenderedEmail(
        subject="Test email from Continuata Hub",
        text=f"This is a test email from the Continuata Hub at {hub.settings.public_url}.\n"
        "If you read it, the hub can send email: delivery emails will arrive too.\n",
    )
    await queue_email(hub, org=org, kind="test", recipient=recipient, rendered=rendered)
    hub.outbox_wakeup.set()
    return recipient


def email_templates() -> list[str]:
    return list(SAMPLES)


async def preview_email(hub: Hub, template: str) -> RenderedEmail:
    """``template`` rendered with sample data, as the hub renders it."""
    if template not in SAMPLES:
        raise NotFound(f"No email template {template!r}; there are {', '.join(SAMPLES)}")
    try:
        return await preview(hub, template)
    except ValueError as problem:
        raise Invalid(str(problem)) from None
