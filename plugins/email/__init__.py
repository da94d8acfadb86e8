"""The email plugin: the hub's emails sent over SMTP.

- ``hub_mailer``: an SMTP mailer configured by ``HUB_SMTP_URL`` (see
  :mod:`continuata_plugins.email.smtp`), sending from the core's
  ``HUB_MAIL_FROM``. Without ``HUB_SMTP_URL`` it provides none, and emails
  wait in the outbox.

The plugin only sends. The core renders the emails from its templates
(:mod:`hub.emails`; a shop overrides them in ``$HUB_TEMPLATES_DIR/email/``),
queues them, and retries and backs off (:mod:`hub.services.outbox`), so a
mailer plugin of another kind (an email provider's HTTP API) gets the same
messages without loading this one: ``HUB_MAILER`` chooses which delivers.
"""

from __future__ import annotations

import logging

from hub.plugin_api import Setting, hookimpl

from .smtp import mailer_from_settings

log = logging.getLogger("hub.email")


@hookimpl
def hub_settings():
    return [
        Setting(
            "HUB_SMTP_URL",
            "Where to send email: smtp://user:pass@host:587?starttls=1, smtps://user:pass@host:465 "
            "or smtp://host:25 (options: starttls=1|0, timeout=<seconds>; credentials percent-encoded). "
            "Unset: emails stay queued in the outbox.",
            secret=True,
        ),
    ]


@hookimpl
def hub_mailer(hub):
    mailer = mailer_from_settings({**hub.settings.extra, "HUB_MAIL_FROM": hub.settings.mail_from})
    if mailer is None:
        log.warning("HUB_SMTP_URL is not set: emails are queued in the outbox and sent once it is")
    return mailer
