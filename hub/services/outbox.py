"""The outbox: emails written with what caused them, delivered later.

:func:`queue_email` runs inside the caller's transaction, so a purchase and
its delivery email commit together or not at all. The worker
(:mod:`hub.services.worker`: in-process by default, or ``continuata-hub
worker``, several at once) claims due messages (:data:`EMAILS`, a
:class:`~hub.services.work_queue.WorkQueue`), hands them to the mailer
plugin, and marks them sent; a failure is retried with exponential backoff
and left visible as ``failed`` after the last try.

A claim is a short lease (``LEASE``) that names its worker and that the
worker renews while it sends. A worker that dies mid-send leaves the message
``sending``: a worker starting on the same host takes it back at once when
the holder's process is gone, and any worker takes it once the lease runs
out.

The guarantee is at-least-once: a message is sent again only when the
process dies after the SMTP server accepted it and before the outbox
recorded it as sent. That record is kept as short as it can be
(:func:`record_sent`): one statement for the messages accepted together, and
on SQLite it goes ahead of the writes this process has queued (a sale's long
transaction), so it waits at most for the one write under way. Every
message carries a ``Message-ID`` derived from its outbox row, the same on
every attempt, so such a second copy is recognisably the same message, and
receiving systems that deduplicate by ``Message-ID`` drop it.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import email.utils
import functools
import logging
import time
from datetime import timedelta
from email.errors import HeaderParseError
from email.headerregistry import Address, HeaderRegistry
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any
from urllib.parse import urlsplit

from hub.clock import iso, utcnow
from hub.context import Hub
from hub.db import Database
from hub.errors import Invalid, RelayBusy
from hub.faults import crash_point
from hub.plugins import RenderedEmail
from hub.plugins.events import EmailFailed
from hub.plugins.protocols import BytesMailer, mailer_concurrency
from hub.secrets import new_id
from hub.services.events import emit
from hub.services.shops import Shop
from hub.services.work_queue import WorkQueue, raise_first
from hub.tables import OutboxMessage

log = logging.getLogger("hub.outbox")


class _HeaderClasses(HeaderRegistry):
    """The standard header registry, making each header class once: the
    stock one builds a new class with ``type()`` on every header access,
    which was a third of the cost of queuing an email."""

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type] = {}

    def __getitem__(self, name: str) -> type:
        key = name.lower()
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = super().__getitem__(name)
        return made


POLICY = email.policy.SMTP.clone(header_factory=_HeaderClasses())
"""email.policy.SMTP (CRLF line ends; CR or LF in a header value refused)."""
LEASE = timedelta(seconds=60)
"""How long an outbox claim holds without renewal: the longest a message
waits when its worker died on another host (or in a way this host cannot see)."""
EMAILS = WorkQueue(OutboxMessage, claimed="sending", lease=LEASE, renew_every_seconds=LEASE.total_seconds() / 3)
"""The outbox as a work queue: claims renewed while :func:`deliver_due` sends."""


def stable_message_id(hub: Hub, outbox_id: str) -> str:
    """The ``Message-ID`` of the outbox row ``outbox_id``: the same on every
    attempt, so a resent copy is recognisably the same message."""
    domain = urlsplit(hub.settings.public_url).hostname or "continuata-hub"
    return f"<{outbox_id}@{domain}>"


def build_message(
    recipient: str,
    rendered: RenderedEmail,
    *,
    message_id: str | None = None,
    sender: str = "",
    reply_to: str = "",
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    """A MIME message: plain text, and HTML as the alternative when given;
    ``sender`` is its ``From`` (else the mailer's ``HUB_MAIL_FROM`` at
    sending), ``reply_to`` its ``Reply-To``, ``headers`` headers of its own
    (an update email's ``List-Unsubscribe``).

    The policy refuses CR or LF in header values, so a subject or address
    can never inject a header; the recipient must be exactly one address
    (``a,b@example.com`` would otherwise be two). Either mistake raises
    :class:`~hub.errors.Invalid`, and nothing is queued.
    """
    message = EmailMessage(policy=POLICY)
    try:
        message["To"] = Address(addr_spec=recipient)
    except (ValueError, IndexError, HeaderParseError):
        raise Invalid(f"Cannot send email to {recipient!r}: it is not one email address", field="recipient") from None
    try:
        message["Subject"] = rendered.subject
    except ValueError:
        raise Invalid("An email subject must be one line (no CR or LF)", field="subject") from None
    message["Message-ID"] = message_id or make_msgid(domain="continuata-hub")
    if sender:
        message["From"] = sender
    if reply_to:
        message["Reply-To"] = reply_to
    for name, value in (headers or {}).items():  # List-Unsubscribe and its kin (one line each, the policy checks)
        message[name] = value
    message.set_content(rendered.text)
    if rendered.html:
        message.add_alternative(rendered.html, subtype="html")
    return message


async def queue_email(
    hub: Hub,
    *,
    org: str,
    kind: str,
    recipient: str,
    rendered: RenderedEmail,
    dedupe_key: str | None = None,
    shop: Shop | None = None,
    headers: dict[str, str] | None = None,
) -> str:
    """Add a message to the outbox (in the caller's transaction, if any).

    A message on a shop's behalf (``shop``) goes out from ``HUB_MAIL_FROM``'s
    address under the shop's sender name, with the shop's support address
    as its ``Reply-To``: a buyer's reply reaches the shop, not the hub.
    ``headers`` adds headers of its own (an update email's ``List-Unsubscribe``)."""
    message_id = new_id("msg")
    message = build_message(
        recipient,
        rendered,
        message_id=stable_message_id(hub, message_id),
        sender=shop_sender(hub.settings.mail_from, shop.sender_name) if shop else "",
        reply_to=shop.email if shop else "",
        headers=headers,
    )
    now = utcnow()
    await OutboxMessage.insert(
        OutboxMessage(
            id=message_id,
            org=org,
            kind=kind,
            recipient=recipient,
            dedupe_key=dedupe_key,
            sealed_body=hub.sealer.seal(message.as_bytes()),
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    )
    return message_id


async def claim_due(hub: Hub, limit: int = 10) -> list[dict[str, Any]]:
    """Claim up to ``limit`` due messages for this worker, stamped with its
    identity (so that a restarted worker can take back a dead one's)."""
    return await EMAILS.claim(hub, limit=limit)


async def deliver(hub: Hub, row: dict[str, Any]) -> bool:
    """Send one claimed message; record the outcome. True when sent."""
    try:
        data = hub.sealer.open(row["sealed_body"])
        mailer = hub.mailer
        assert mailer is not None  # deliver_due claims nothing without one
        # A BytesMailer takes the message as it goes out, unparsed; others get an EmailMessage.
        ready = as_sent(hub, row["id"], row["recipient"], data) if isinstance(mailer, BytesMailer) else None
        if ready is not None and isinstance(mailer, BytesMailer):
            await mailer.send_bytes(ready, sender=_envelope_sender(hub.settings.mail_from), recipients=[row["recipient"]])
        else:
            message = email.message_from_bytes(data, policy=POLICY)
            del message["Message-ID"]  # rows queued before Message-IDs were stable get one too
            message["Message-ID"] = stable_message_id(hub, row["id"])
            if message["From"] is None and hub.settings.mail_from:
                message["From"] = hub.settings.mail_from  # HUB_MAIL_FROM, whichever mailer sends
            await mailer.send(message)
        crash_point("outbox.sent")
    except RelayBusy as busy:
        await put_back(hub, row, busy)
        return False
    except Exception as problem:  # any mailer failure is retried, never lost
        async with hub.db.write_transaction():
            final = await EMAILS.record_failure(
                row,
                problem,
                max_attempts=hub.settings.outbox_max_attempts,
                backoff_seconds=hub.settings.outbox_backoff_seconds,
            )
            if final:
                await emit(
                    hub,
                    EmailFailed(
                        message={
                            "id": row["id"], "kind": row["kind"], "recipient": row["recipient"],
                            "attempts": row["attempts"] + 1, "error": f"{type(problem).__name__}: {problem}"[:2000],
                            "createdAt": iso(row["created_at"]),
                        }
                    ),
                    org=row["org"],
                )
        log.warning(
            "Email %s to %s failed (attempt %d%s): %s",
            row["id"], row["recipient"], row["attempts"] + 1, ", giving up" if final else "", problem,
        )
        return False
    hub.mail_pause_seconds = 0.0
    await record_sent(hub, row["id"])
    return True


FIRST_PAUSE_SECONDS = 1.0
LONGEST_PAUSE_SECONDS = 30.0


def sending_paused(hub: Hub) -> bool:
    """True while this process waits for its relay (after :class:`RelayBusy`)."""
    return time.monotonic() < hub.mail_paused_until


async def put_back(hub: Hub, row: dict[str, Any], busy: RelayBusy) -> None:
    """The relay asked to slow down: ``row`` is due again when the pause
    ends, its attempts unspent, and this process pauses its sending (the
    pause doubles while the relay keeps refusing: no hammering)."""
    now = time.monotonic()
    if now >= hub.mail_paused_until:  # the first refusal of a pause lengthens it; the others in flight share it
        hub.mail_pause_seconds = min(LONGEST_PAUSE_SECONDS, max(FIRST_PAUSE_SECONDS, hub.mail_pause_seconds * 2))
        hub.mail_paused_until = now + hub.mail_pause_seconds
        log.warning("Email sending paused for %.0f s: %s", hub.mail_pause_seconds, busy)
    await OutboxMessage.update(
        {
            OutboxMessage.status: "pending",
            OutboxMessage.next_attempt_at: utcnow() + timedelta(seconds=hub.mail_paused_until - now),
            OutboxMessage.claimed_until: None,
            OutboxMessage.claimed_by: None,
            OutboxMessage.last_error: f"{type(busy).__name__}: {busy}"[:2000],
        }
    ).where(OutboxMessage.id == row["id"])


_RECORD_SENT = (
    f"UPDATE {OutboxMessage._meta.tablename} SET status = 'sent', attempts = attempts + 1, sent_at = {{}},"
    " claimed_until = NULL, claimed_by = NULL, last_error = '' WHERE id IN ({})"
)


async def record_sent(hub: Hub, outbox_id: str) -> None:
    """Record that the relay accepted the message ``outbox_id``; returns
    once that is committed.

    Until then a crash sends the message again, so the record is as short a
    step as it can be: one statement for the messages accepted while the
    previous record was being written (a :class:`~hub.db.group_commit.GroupCommit`),
    run ahead of the writes waiting for the database
    (:meth:`hub.db.Database.write_first`: on SQLite a sale of hundreds of
    items queued for the one writer is not waited for).
    """
    db = hub.db
    group = db.group_commit("outbox_sent", lambda ids: _record_sent(db, ids), max_batch=MAX_RECORDED)
    await group.submit(outbox_id)


MAX_RECORDED = 100
"""Messages recorded as sent by one statement at most."""


async def _record_sent(db: Database, ids: list[str]) -> list[None]:
    marks = ", ".join("{}" for _ in ids)
    await db.write_first(_RECORD_SENT.format("{}", marks), utcnow(), *ids)
    return [None] * len(ids)


def as_sent(hub: Hub, outbox_id: str, recipient: str, data: bytes) -> bytes | None:
    """The queued message ``data`` as it goes out, with its ``From``
    (``HUB_MAIL_FROM``) and ``Date``, made without the email package; None
    when the message needs it (no ``HUB_MAIL_FROM``, a
    non-ASCII address (SMTPUTF8), or a row queued before Message-IDs were
    stable).

    Parsing a stored message and writing it out again cost the email
    package several milliseconds per message, more than the rest of its
    delivery; the headers added here are those the parsed path adds.
    """
    if not hub.settings.mail_from or not (hub.settings.mail_from + recipient).isascii():
        return None
    head, blank, body = data.partition(b"\r\n\r\n")
    if not blank:
        return None
    lines = b"\r\n" + head + b"\r\n"
    if f"\r\nMessage-ID: {stable_message_id(hub, outbox_id)}\r\n".encode() not in lines:
        return None
    # A shop's message carries its own From (its sender name): kept as it is.
    sender = b"" if b"\r\nfrom:" in lines.lower() else _from_line(hub.settings.mail_from)
    date = f"Date: {email.utils.format_datetime(utcnow())}\r\n".encode()
    return head + b"\r\n" + sender + date + b"\r\n" + body


def shop_sender(mail_from: str, sender_name: str) -> str:
    """``HUB_MAIL_FROM``'s address under ``sender_name`` (``"My Shop"
    <shop@example.com>``); "" (the mailer's ``From`` as it is) without either."""
    if not mail_from or not sender_name:
        return ""
    return str(Address(display_name=sender_name, addr_spec=email.utils.parseaddr(mail_from)[1]))


@functools.lru_cache(maxsize=8)
def _from_line(mail_from: str) -> bytes:
    """The ``From`` header line for ``HUB_MAIL_FROM``, as the policy writes it."""
    line: str = POLICY.header_factory("From", mail_from).fold(policy=POLICY)
    return line.encode("ascii")


@functools.lru_cache(maxsize=8)
def _envelope_sender(mail_from: str) -> str:
    """The envelope sender (``MAIL FROM``) of ``HUB_MAIL_FROM``: its address."""
    return email.utils.parseaddr(mail_from)[1]


async def deliver_due(hub: Hub) -> int:
    """One pass: claim and send what is due; the number of messages tried.

    Without a mailer nothing is claimed: a message must not spend its
    attempts (and end ``failed``) because no mailer was configured yet.
    """
    if hub.mailer is None or sending_paused(hub):
        return 0
    batch = await claim_due(hub)
    if batch:
        # Several at once when the mailer allows (a ConcurrentMailer's
        # ``concurrency``, else one): each message waits for its relay's answers, often tens of
        # milliseconds per command, and a sale's buyer waits for those of
        # every message before theirs.
        lanes = asyncio.Semaphore(mailer_concurrency(hub.mailer))

        async def deliver_in_lane(row: dict[str, Any]) -> bool:
            async with lanes:
                if sending_paused(hub):  # a message before this one was answered "slow down"
                    await put_back(hub, row, RelayBusy("sending paused"))
                    return False
                return await deliver(hub, row)

        async with EMAILS.renewing():
            outcomes = await asyncio.gather(*(deliver_in_lane(row) for row in batch), return_exceptions=True)
        raise_first(outcomes)
    return len(batch)


