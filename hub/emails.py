"""The hub's emails: rendered by the core, from Jinja templates.

Rendering belongs to the core, not to the SMTP plugin, so that any mailer
(the built-in SMTP one, or a plugin's that sends through a provider's API)
gets the same rendered messages and the same ``From`` (``HUB_MAIL_FROM``,
:attr:`hub.settings.Settings.mail_from`). :func:`render_email` asks the
plugins first (a ``render_email`` hook that answers wins) and otherwise
renders the templates.

An email named ``<name>`` (``delivery``, ``signin``, ``webhook_disabled``,
``console_invite``) is three templates in the ``email/`` folder of the
template search path:

- ``email/<name>.subject.txt``: the subject. Whitespace, newlines included,
  is collapsed to single spaces, so the subject is always one header line.
- ``email/<name>.txt``: the plain-text body (required; not HTML-escaped).
- ``email/<name>.html``: the HTML alternative (optional; autoescaped).

The subject is rendered first and handed to both bodies as ``subject``.
The search path is the hub's: ``HUB_TEMPLATES_DIR`` first (a shop puts
``email/delivery.html`` there to restyle its delivery email), then plugins'
folders, then the built-in ``templates/``. Each file is looked up on its
own, so a shop may override the HTML alone and keep the built-in text.

A shop's template that fails to render is logged and replaced by the
built-in one: a typo in a template must not cost a buyer their links, nor
a shop its purchase (the email is rendered in the purchase's transaction).
"""

from __future__ import annotations

import functools
import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from jinja2 import BaseLoader, Environment, FileSystemLoader, TemplateNotFound, select_autoescape

from hub.clock import UTC, as_aware
from hub.pages import BUILTIN_TEMPLATES, breakable, human_size
from hub.plugins import RenderedEmail, first_result

if TYPE_CHECKING:
    from hub.context import Hub

log = logging.getLogger("hub.email")

FOLDER = "email"
BUILTIN_LOADER = FileSystemLoader(str(BUILTIN_TEMPLATES))


def utc_datetime(moment: datetime | str | None) -> str:
    """``22 December 2026, 14:05 UTC``, from an ISO time (what the core's
    contexts hold) or a datetime (a naive one, as SQLite returns, is UTC)."""
    if moment is None:
        return "never"
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    moment = as_aware(moment).astimezone(UTC)
    return f"{moment.day} {moment:%B %Y, %H:%M} UTC"


def download_limit(max_downloads: int | None) -> str:
    """``Unlimited downloads``, ``1 download``, ``Up to 3 downloads``."""
    if max_downloads is None:
        return "Unlimited downloads"
    if max_downloads == 1:
        return "1 download"
    return f"Up to {max_downloads} downloads"


@functools.lru_cache(maxsize=16)
def email_environment(loader: BaseLoader) -> Environment:
    """The email environment over ``loader``: the hub's search path, with
    blocks trimmed (text bodies are whitespace-sensitive) and autoescape for
    ``.html`` only, so neither the subject nor the text body is HTML-escaped."""
    environment = Environment(
        loader=loader,
        autoescape=select_autoescape(enabled_extensions=("html", "htm"), default_for_string=False),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(
        utc_datetime=utc_datetime, download_limit=download_limit, filesize=human_size, breakable=breakable
    )
    return environment


def _exists(environment: Environment, name: str) -> bool:
    """Whether a folder holds ``name`` (found, not compiled: a broken file exists too)."""
    assert environment.loader is not None  # email_environment() always gives one
    try:
        environment.loader.get_source(environment, name)
    except TemplateNotFound:
        return False
    return True


def _render(environment: Environment, template: str, context: dict[str, Any]) -> RenderedEmail:
    subject = environment.get_template(f"{FOLDER}/{template}.subject.txt").render(context)
    # One line, always: a newline in a product or shop name must not reach the header.
    subject = " ".join(subject.split())
    values = {**context, "subject": subject}
    text = environment.get_template(f"{FOLDER}/{template}.txt").render(values).strip() + "\n"
    html = None
    if _exists(environment, f"{FOLDER}/{template}.html"):
        html = environment.get_template(f"{FOLDER}/{template}.html").render(values).strip() + "\n"
    return RenderedEmail(subject=subject, text=text, html=html)


def render(loader: BaseLoader, template: str, context: dict[str, Any]) -> RenderedEmail | None:
    """Render the email ``template`` with ``context`` from ``loader``'s folders.

    :return: the rendered email, or None when no ``email/<template>.txt``
        exists (another plugin may know that email).
    """
    environment = email_environment(loader)
    if not _exists(environment, f"{FOLDER}/{template}.txt"):
        return None
    try:
        return _render(environment, template, context)
    except Exception:  # a shop's template may fail in any way; the buyer still gets the built-in email
        if loader is BUILTIN_LOADER:
            raise
        log.exception(
            "Email template %r failed to render; sending the built-in one instead. "
            "Fix the override in HUB_TEMPLATES_DIR/%s/",
            template,
            FOLDER,
        )
        return _render(email_environment(BUILTIN_LOADER), template, context)


class UnknownEmailTemplate(LookupError):
    """No plugin and no template folder renders the email asked for: a
    misspelt template name, or a template folder missing from the install."""


async def render_email(hub: Hub, template: str, context: dict[str, Any], *, org: str = "") -> RenderedEmail:
    """The email ``template`` rendered with ``context``: a plugin's
    ``render_email`` answer when one answers, else the templates of the
    hub's search path (``HUB_TEMPLATES_DIR``, plugins' folders, built-in).
    With ``org``, that organization's own wording of the email (Settings →
    Email, :mod:`hub.services.email_templates`) comes before the templates.

    :raises UnknownEmailTemplate: when neither a plugin nor a template knows
        the email (every email the core sends has a built-in template).
    """
    rendered = await first_result(hub.plugins, "render_email", hub=hub, template=template, context=context)
    if rendered is None and org:
        # The shop's own wording (Settings → Email), rendered in the sandbox.
        from hub.services.email_templates import render_override

        rendered = await render_override(org, template, context)
    if rendered is None:
        assert hub.templates.loader is not None  # hub.pages builds the search path's loader
        rendered = render(hub.templates.loader, template, context)
    if rendered is None:
        raise UnknownEmailTemplate(
            f"No plugin renders the email {template!r} and no template folder has {FOLDER}/{template}.txt"
        )
    return rendered
