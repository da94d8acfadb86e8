"""Sending the outbox's messages over SMTP (aiosmtplib).

``HUB_SMTP_URL`` says where and how::

    smtp://user:pass@smtp.example.com:587?starttls=1   STARTTLS required
    smtps://user:pass@smtp.example.com:465             TLS from the first byte
    smtp://localhost:25                                a local relay

- ``smtp://`` defaults to port 25, or 587 with ``starttls=1``; ``smtps://``
  to port 465.
- ``starttls=1`` requires STARTTLS (a server that does not offer it fails
  the send: credentials never travel in clear by accident); ``starttls=0``
  never upgrades; without it, the connection upgrades when the server
  offers STARTTLS.
- ``timeout=<seconds>`` bounds connecting and each SMTP command (default 30).
- ``concurrency=<n>`` is how many messages go out at once, each over its own
  connection (default 4, at most 50): every SMTP command waits for the
  relay's answer, so messages sent one after the other make the last buyer
  of a busy minute wait for all the others. Lower it for a relay that
  limits its clients' connections (some allow three).
- The user name and password are percent-decoded (``%40`` for ``@``, ``%3A``
  for ``:``, ``%2F`` for ``/``).

A relay's permanent refusal of a message (a 5xx answer to ``RCPT TO``,
``MAIL FROM`` or ``DATA``: "550 no such user") is raised as
:class:`~hub.errors.PermanentDeliveryError`, with the relay's words, and
the outbox fails the message at once; a temporary one (4xx, 421 included),
a refused login (the relay's configuration, which the operator mends, and
the queued messages then go out) or a lost connection is retried.

Each send opens its own connection: the outbox sends a handful of messages
at a time, and a connection per message has no idle state to go stale, so
a relay restart or a network blip affects one attempt, which the outbox
retries.
"""

from __future__ import annotations

import contextlib
import email.utils
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from hub.plugin_api import PermanentDeliveryError, RelayBusy, SettingsError, check_sender, utcnow

DEFAULT_TIMEOUT = 30.0
DEFAULT_CONCURRENCY = 4
MAX_CONCURRENCY = 50
TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to reach the SMTP server; built by :func:`parse_smtp_url`."""

    hostname: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    use_tls: bool = False
    start_tls: bool | None = None  # None: upgrade when the server offers it
    timeout: float = DEFAULT_TIMEOUT
    concurrency: int = DEFAULT_CONCURRENCY


def redacted(url: str) -> str:
    """``url`` with its password replaced, fit for an error message or a log."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rpartition("@")
    user = netloc[0].partition(":")[0]
    return parts._replace(netloc=f"{user}:***@{netloc[2]}").geturl()


def parse_smtp_url(url: str) -> SmtpConfig:
    """Read ``HUB_SMTP_URL``; raises :class:`~hub.settings.SettingsError`
    naming what is wrong (never echoing the password)."""
    shown = redacted(url)
    parts = urlsplit(url.strip())
    if parts.scheme not in {"smtp", "smtps"}:
        raise SettingsError(f"HUB_SMTP_URL must start with smtp:// or smtps://, not {shown!r}")
    if not parts.hostname:
        raise SettingsError(f"HUB_SMTP_URL names no host: {shown!r}")
    if parts.path not in {"", "/"} or parts.fragment:
        raise SettingsError(f"HUB_SMTP_URL takes no path: {shown!r}")
    try:
        port = parts.port
        query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    except ValueError as problem:
        raise SettingsError(f"HUB_SMTP_URL is not a valid URL ({problem}): {shown!r}") from None
    unknown = set(query) - {"starttls", "timeout", "concurrency"}
    if unknown:
        raise SettingsError(f"HUB_SMTP_URL has unknown options {sorted(unknown)}: use starttls, timeout and concurrency")
    options = {name: values[-1].strip().lower() for name, values in query.items()}

    start_tls: bool | None = None
    if "starttls" in options:
        if options["starttls"] in TRUE:
            start_tls = True
        elif options["starttls"] in FALSE:
            start_tls = False
        else:
            raise SettingsError(f"HUB_SMTP_URL's starttls must be 1 or 0, not {options['starttls']!r}")
    use_tls = parts.scheme == "smtps"
    if use_tls and start_tls:
        raise SettingsError("HUB_SMTP_URL: smtps:// is TLS already; starttls=1 goes with smtp://")
    if use_tls:
        start_tls = False

    timeout = DEFAULT_TIMEOUT
    if "timeout" in options:
        try:
            timeout = float(options["timeout"])
        except ValueError:
            timeout = 0
        if not 0 < timeout <= 600:
            raise SettingsError(f"HUB_SMTP_URL's timeout must be seconds from 0 to 600, not {options['timeout']!r}")

    concurrency = DEFAULT_CONCURRENCY
    if "concurrency" in options:
        text = options["concurrency"]
        concurrency = int(text) if text.isascii() and text.isdigit() else 0
        if not 1 <= concurrency <= MAX_CONCURRENCY:
            raise SettingsError(
                f"HUB_SMTP_URL's concurrency must be a whole number from 1 to {MAX_CONCURRENCY}, not {text!r}"
            )

    if port is None:
        port = 465 if use_tls else 587 if start_tls else 25
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    if password is not None and not username:
        raise SettingsError(f"HUB_SMTP_URL has a password but no user name: {shown!r}")
    return SmtpConfig(
        hostname=parts.hostname,
        port=port,
        username=username,
        password=password,
        use_tls=use_tls,
        start_tls=start_tls,
        timeout=timeout,
        concurrency=concurrency,
    )


class SmtpMailer:
    """The mailer the outbox sends through (see the ``hub_mailer`` hook)."""

    def __init__(self, config: SmtpConfig, mail_from: str) -> None:
        self.config = config
        self.mail_from = mail_from

    @property
    def concurrency(self) -> int:
        """Messages the outbox may send at once (``concurrency=`` in the URL)."""
        return self.config.concurrency

    def __repr__(self) -> str:
        return f"SmtpMailer({self.config.hostname}:{self.config.port}, from {self.mail_from!r})"

    async def send(self, message: EmailMessage) -> None:
        """Send ``message`` over a connection of its own; raises on any
        failure (refused connection, timeout, rejected recipient, failed
        login), which the outbox retries later, but a permanent refusal
        (5xx), raised as :class:`~hub.errors.PermanentDeliveryError`.

        Adds ``From`` (``HUB_MAIL_FROM``) and ``Date`` when the message has
        none. The envelope's recipients are the ``To``/``Cc``/``Bcc``
        headers; ``Bcc`` is not transmitted.
        """
        if message["From"] is None:
            message["From"] = self.mail_from
        if message["Date"] is None:
            message["Date"] = email.utils.format_datetime(utcnow())
        with refusals_told_apart():
            await aiosmtplib.send(message, **self._connection_options())

    def _connection_options(self) -> dict:
        """Where and how to connect (``aiosmtplib.send`` and ``SMTP`` take the same)."""
        config = self.config
        return {
            "hostname": config.hostname,
            "port": config.port,
            "username": config.username,
            "password": config.password,
            "use_tls": config.use_tls,
            "start_tls": config.start_tls,
            "timeout": config.timeout,
        }

    async def send_bytes(self, data: bytes, *, sender: str, recipients: list[str]) -> None:
        """Send a complete message (``From``, ``Date`` and ``Message-ID`` set,
        CRLF line ends) with its envelope, over a connection of its own; raises
        as :meth:`send` does. As ``send_message`` would, it asks for
        ``BODY=8BITMIME`` where the server offers it; the outbox gives
        non-ASCII addresses (SMTPUTF8) to :meth:`send`."""
        client = aiosmtplib.SMTP(**self._connection_options())
        with refusals_told_apart():
            async with client:
                if client.is_ehlo_or_helo_needed:
                    try:
                        await client.ehlo()
                    except aiosmtplib.SMTPHeloError:
                        await client.helo()
                options = ["BODY=8BITMIME"] if client.supports_extension("8BITMIME") else []
                await client.sendmail(sender, recipients, data, mail_options=options)


PERMANENT_REFUSALS = (aiosmtplib.SMTPRecipientRefused, aiosmtplib.SMTPSenderRefused, aiosmtplib.SMTPDataError)
"""The answers about the message itself; a refused login or greeting is
about the relay's configuration, retried until the operator mends it."""


@contextlib.contextmanager
def refusals_told_apart() -> Iterator[None]:
    """Raise a relay's permanent (5xx) refusal of the message as
    :class:`~hub.errors.PermanentDeliveryError` with the relay's words, and
    its ``421`` (slow down) as :class:`~hub.errors.RelayBusy`; anything else
    (another 4xx, a lost connection) passes unchanged, to be retried."""
    try:
        yield
    except aiosmtplib.SMTPRecipientsRefused as refused:
        if refused.recipients and all(r.code == 421 for r in refused.recipients):
            words = "; ".join(f"{r.recipient}: {_said(r)}" for r in refused.recipients)
            raise RelayBusy(f"the relay asks to slow down: {words}") from refused
        # Every recipient was refused; permanent only when every refusal is.
        if refused.recipients and all(_permanent(r) for r in refused.recipients):
            words = "; ".join(f"{r.recipient}: {_said(r)}" for r in refused.recipients)
            raise PermanentDeliveryError(f"the relay refused the recipient: {words}") from refused
        raise
    except aiosmtplib.SMTPResponseException as refused:
        if refused.code == 421:  # "too many, try later" (at the greeting, EHLO, MAIL, RCPT or DATA)
            raise RelayBusy(f"the relay asks to slow down: {_said(refused)}") from refused
        if isinstance(refused, PERMANENT_REFUSALS) and _permanent(refused):
            raise PermanentDeliveryError(f"the relay refused the message: {_said(refused)}") from refused
        raise


def _permanent(answer: aiosmtplib.SMTPResponseException) -> bool:
    return 500 <= answer.code <= 599


def _said(answer: aiosmtplib.SMTPResponseException) -> str:
    return f"{answer.code} {answer.message}".strip()


def mailer_from_settings(extra: dict[str, str]) -> SmtpMailer | None:
    """The SMTP mailer ``HUB_SMTP_URL`` and ``HUB_MAIL_FROM`` describe, or
    None when ``HUB_SMTP_URL`` is unset."""
    url = (extra.get("HUB_SMTP_URL") or "").strip()
    if not url:
        return None
    mail_from = (extra.get("HUB_MAIL_FROM") or "").strip()
    if not mail_from:
        raise SettingsError("HUB_SMTP_URL is set but HUB_MAIL_FROM is not: say who the emails come from, e.g. 'Shop <shop@example.com>'")
    return SmtpMailer(parse_smtp_url(url), check_sender(mail_from))
