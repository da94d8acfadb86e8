"""The email plugin: the hub's emails, rendered from Jinja templates and sent over SMTP.

- ``render_email``: renders ``delivery`` (a purchase's download links) and
  ``signin`` (a buyer's one-time link to ``/my``) from
  ``templates/email/<name>.subject.txt``, ``<name>.txt`` and
  ``<name>.html``; a shop overrides any of them by putting a file of the
  same name in ``$HUB_TEMPLATES_DIR/email/`` (see :mod:`continuata_plugins.email.rendering`).
- ``hub_mailer``: an SMTP mailer configured by ``HUB_SMTP_URL`` and
  ``HUB_MAIL_FROM`` (see :mod:`continuata_plugins.email.smtp`). Without
  ``HUB_SMTP_URL`` it provides none, and emails wait in the outbox.

The plugin only renders and sends: queueing, retries and backoff are the
core outbox's (:mod:`hub.services.outbox`).
"""

from __future__ import annotations

import logging

from hub.hookspecs import hookimpl
from hub.plugins import Setting
from continuata_plugins.email.rendering import render
from continuata_plugins.email.smtp import mailer_from_settings

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
        Setting(
            "HUB_MAIL_FROM",
            "The From of every email, e.g. 'Shop <shop@example.com>' (needed with HUB_SMTP_URL).",
        ),
    ]


@hookimpl
def render_email(hub, template, context):
    return render(hub.templates.loader, template, context)


@hookimpl
def hub_mailer(hub):
    mailer = mailer_from_settings(dict(hub.settings.extra))
    if mailer is None:
        log.warning("HUB_SMTP_URL is not set: emails are queued in the outbox and sent once it is")
    return mailer
