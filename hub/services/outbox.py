"""The outbox: emails written with what caused them, delivered later; and
the worker's loops that deliver them and process the payment inbox
(:mod:`hub.services.inbox`), side by side.

:func:`queue_email` runs inside the caller's transaction, so a purchase and
its delivery email commit together or not at all. A worker (in-process by
default, or ``continuata-hub worker``, several at once) claims due messages,
hands them to the mailer plugin, and marks them sent; a failure is retried
with exponential backoff and left visible as ``failed`` after the last try.

Claiming is safe with several workers: on PostgreSQL with ``SELECT … FOR
UPDATE SKIP LOCKED``, on SQLite inside an immediate (write-locked)
transaction. A claim is a short lease that names its worker
(:mod:`hub.services.worker_identity`) and that the worker renews while it works. A
worker that dies mid-send leaves the message ``sending``: a worker starting
on the same host takes it back at once when the holder's process is gone,
and any worker takes it once the lease runs out (``LEASE``).

The guarantee is at-least-once: a message is sent again only when the
process dies after the SMTP server accepted it and before the outbox
recorded it as sent (the time of one database write). Every message carries
a ``Message-ID`` derived from its outbox row, the same on every attempt, so
such a second copy is recognisably the same message, and receiving systems
that deduplicate by ``Message-ID`` drop it.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import email.utils
import functools
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.headerregistry import HeaderRegistry
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import urlsplit

from hub.clock import iso, utcnow
from hub.context import Hub
from hub.errors import Invalid, PermanentDeliveryError
from hub.faults import crash_point
from hub.plugins import RenderedEmail
from hub.protocols import BytesMailer, mailer_concurrency
from hub.secrets import new_id
from hub.event_types import EmailFailed
from hub.services.events import emit
from hub.services.worker_identity import WorkerIdentity, is_certainly_dead, this_worker
from hub.tables import OutboxMessage
from piccolo.table import Table

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
RENEW_EVERY_SECONDS = LEASE.total_seconds() / 3
UNRENEWED_LEASE = timedelta(minutes=5)
"""The lease of a work table whose worker does not renew its claims (the
payment inbox): long enough for a batch of slow provider calls, so that a
second worker never takes over an event that is still being processed."""


def stable_message_id(hub: Hub, outbox_id: str) -> str:
    """The ``Message-ID`` of the outbox row ``outbox_id``: the same on every
    attempt, so a resent copy is recognisably the same message."""
    domain = urlsplit(hub.settings.public_url).hostname or "continuata-hub"
    return f"<{outbox_id}@{domain}>"


def build_message(recipient: str, rendered: RenderedEmail, *, message_id: str | None = None) -> EmailMessage:
    """A MIME message: plain text, and HTML as the alternative when given.

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
    message.set_content(rendered.text)
    if rendered.html:
        message.add_alternative(rendered.html, subtype="html")
    return message


async def queue_email(
    hub: Hub, *, org: str, kind: str, recipient: str, rendered: RenderedEmail, dedupe_key: str | None = None
) -> str:
    """Add a message to the outbox (in the caller's transaction, if any)."""
    message_id = new_id("msg")
    message = build_message(recipient, rendered, message_id=stable_message_id(hub, message_id))
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


async def claim_rows(
    hub: Hub,
    table: type[Table],
    *,
    claimed: str,
    limit: int = 10,
    also: str = "",
    also_args: tuple = (),
    stamp: dict | None = None,
    lease: timedelta = UNRENEWED_LEASE,
) -> list[dict]:
    """Claim up to ``limit`` due rows of a work table for this worker.

    A work table (this outbox, the payment inbox, event deliveries) has
    ``status``, ``next_attempt_at`` and ``claimed_until``: a row is due when
    it is ``pending`` and its time has come, or when it is ``claimed`` (the
    status a claim sets) and its lease ran out. ``also`` is raw SQL (``{}``
    placeholders for ``also_args``) that narrows what is due; ``stamp``
    names further columns the claim sets. ``lease`` is how long the claim
    holds: shorten it only where the worker renews it.

    The search names the unfinished statuses as literals, so that it runs on
    the table's partial index of unfinished rows (``<table>_unfinished``,
    migration 2026-12-01T00:20): its cost follows the backlog, never the
    rows done long ago. On PostgreSQL the claim is planned for the table as
    it is now: a plan cached while the table was empty (a burst right after
    a start) would scan a large backlog once per row of it.
    """
    now = utcnow()
    due = due_query(table, claimed=claimed, limit=limit, also=also, postgres=not hub.db.is_sqlite)
    async with hub.db.write_transaction():
        if not hub.db.is_sqlite:
            await hub.db.execute("SET LOCAL plan_cache_mode = force_custom_plan")
        ids = [row["id"] for row in await hub.db.fetch(due, now, now, *also_args)]
        if not ids:
            return []
        await table.update({table.status: claimed, table.claimed_until: now + lease, **(stamp or {})}).where(
            table.id.is_in(ids)
        )
        return await table.select().where(table.id.is_in(ids))


def due_query(table: type[Table], *, claimed: str, limit: int, also: str = "", postgres: bool) -> str:
    """The ids of up to ``limit`` due rows of a work table (see
    :func:`claim_rows`); placeholders: the time now, twice, then ``also``'s."""
    query = (
        f"SELECT id FROM {table._meta.tablename} WHERE status IN ('pending', '{claimed}')"
        f" AND ((status = 'pending' AND next_attempt_at <= {{}}) OR (status = '{claimed}' AND claimed_until < {{}}))"
        f"{f' AND {also}' if also else ''} ORDER BY next_attempt_at LIMIT {int(limit)}"
    )
    # On PostgreSQL, rows another worker holds are skipped, not waited for.
    return query + " FOR UPDATE SKIP LOCKED" if postgres else query


async def record_failure(
    table: type[Table],
    row: dict,
    problem: BaseException,
    *,
    max_attempts: int,
    backoff_seconds: int,
    release: dict | None = None,
) -> bool:
    """A claimed row's attempt failed: due again after an exponential
    backoff, or ``failed`` (with the reason) after its last attempt, or at
    once when ``problem`` is a :class:`~hub.errors.PermanentDeliveryError`
    (retrying would get the same refusal). ``release`` names further
    columns to reset with the claim. True when it was the last."""
    attempts = row["attempts"] + 1
    final = attempts >= max_attempts or isinstance(problem, PermanentDeliveryError)
    delay = timedelta(seconds=backoff_seconds * 2 ** (attempts - 1))
    await table.update(
        {
            table.status: "failed" if final else "pending",
            table.attempts: attempts,
            table.next_attempt_at: utcnow() + delay,
            table.claimed_until: None,
            table.last_error: f"{type(problem).__name__}: {problem}"[:2000],
            **(release or {}),
        }
    ).where(table.id == row["id"])
    return final


async def claim_due(hub: Hub, limit: int = 10) -> list[dict]:
    """Claim up to ``limit`` due messages for this worker, stamped with its
    identity (so that a restarted worker can take back a dead one's)."""
    return await claim_rows(
        hub,
        OutboxMessage,
        claimed="sending",
        limit=limit,
        stamp={OutboxMessage.claimed_by: str(this_worker())},
        lease=LEASE,  # short: deliver_due renews it while it sends
    )


async def deliver(hub: Hub, row: dict) -> bool:
    """Send one claimed message; record the outcome. True when sent."""
    try:
        data = hub.sealer.open(row["sealed_body"])
        mailer = hub.mailer
        assert mailer is not None  # deliver_due claims nothing without one
        # A BytesMailer takes the message as it goes out, unparsed; others get an EmailMessage.
        ready = as_sent(hub, row["id"], row["recipient"], data) if isinstance(mailer, BytesMailer) else None
        if ready is not None:
            await mailer.send_bytes(ready, sender=_envelope_sender(hub.settings.mail_from), recipients=[row["recipient"]])
        else:
            message = email.message_from_bytes(data, policy=POLICY)
            del message["Message-ID"]  # rows queued before Message-IDs were stable get one too
            message["Message-ID"] = stable_message_id(hub, row["id"])
            if message["From"] is None and hub.settings.mail_from:
                message["From"] = hub.settings.mail_from  # HUB_MAIL_FROM, whichever mailer sends
            await mailer.send(message)
        crash_point("outbox.sent")
    except Exception as problem:  # any mailer failure is retried, never lost
        async with hub.db.write_transaction():
            final = await record_failure(
                OutboxMessage,
                row,
                problem,
                max_attempts=hub.settings.outbox_max_attempts,
                backoff_seconds=hub.settings.outbox_backoff_seconds,
                release={OutboxMessage.claimed_by: None},
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
    await OutboxMessage.update(
        {
            OutboxMessage.status: "sent",
            OutboxMessage.attempts: row["attempts"] + 1,
            OutboxMessage.sent_at: utcnow(),
            OutboxMessage.claimed_until: None,
            OutboxMessage.claimed_by: None,
            OutboxMessage.last_error: "",
        }
    ).where(OutboxMessage.id == row["id"])
    return True


def as_sent(hub: Hub, outbox_id: str, recipient: str, data: bytes) -> bytes | None:
    """The queued message ``data`` as it goes out, with its ``From``
    (``HUB_MAIL_FROM``) and ``Date``, made without the email package; None
    when the message needs it (no ``HUB_MAIL_FROM``, a ``From`` already, a
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
    if f"\r\nMessage-ID: {stable_message_id(hub, outbox_id)}\r\n".encode() not in lines or b"\r\nfrom:" in lines.lower():
        return None
    date = f"Date: {email.utils.format_datetime(utcnow())}\r\n".encode()
    return head + b"\r\n" + _from_line(hub.settings.mail_from) + date + b"\r\n" + body


@functools.lru_cache(maxsize=8)
def _from_line(mail_from: str) -> bytes:
    """The ``From`` header line for ``HUB_MAIL_FROM``, as the policy writes it."""
    return POLICY.header_factory("From", mail_from).fold(policy=POLICY).encode("ascii")


@functools.lru_cache(maxsize=8)
def _envelope_sender(mail_from: str) -> str:
    """The envelope sender (``MAIL FROM``) of ``HUB_MAIL_FROM``: its address."""
    return email.utils.parseaddr(mail_from)[1]


async def deliver_due(hub: Hub) -> int:
    """One pass: claim and send what is due; the number of messages tried.

    Without a mailer nothing is claimed: a message must not spend its
    attempts (and end ``failed``) because no mailer was configured yet.
    """
    if hub.mailer is None:
        return 0
    batch = await claim_due(hub)
    if batch:
        # Several at once when the mailer allows (a ConcurrentMailer's
        # ``concurrency``, else one): each message waits for its relay's answers, often tens of
        # milliseconds per command, and a sale's buyer waits for those of
        # every message before theirs.
        lanes = asyncio.Semaphore(mailer_concurrency(hub.mailer))

        async def deliver_in_lane(row: dict) -> bool:
            async with lanes:
                return await deliver(hub, row)

        async with _renewing_claims(hub):
            outcomes = await asyncio.gather(*(deliver_in_lane(row) for row in batch), return_exceptions=True)
        raise_first(outcomes)
    return len(batch)


def raise_first(outcomes: list) -> None:
    """Raise the first exception among ``asyncio.gather(...,
    return_exceptions=True)``'s outcomes, once every task has ended (a
    database hiccup: the leases run out and the rows are tried again)."""
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome


async def renew_claims(hub: Hub) -> int:
    """Extend the lease of every message this process is sending."""
    renewed = await OutboxMessage.update({OutboxMessage.claimed_until: utcnow() + LEASE}).where(
        OutboxMessage.status == "sending", OutboxMessage.claimed_by == str(this_worker())
    ).returning(OutboxMessage.id)
    return len(renewed)


@contextlib.asynccontextmanager
async def _renewing_claims(hub: Hub) -> AsyncIterator[None]:
    """Renew this process's leases while the block runs (a slow relay must
    not let another worker take a message that is being sent)."""

    async def renew_forever() -> None:
        while True:
            await asyncio.sleep(RENEW_EVERY_SECONDS)
            try:
                await renew_claims(hub)
            except Exception:  # a database hiccup: the next renewal may work
                log.warning("Renewing the outbox's leases failed", exc_info=True)

    renewer = asyncio.create_task(renew_forever())
    try:
        yield
    finally:
        renewer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await renewer


async def reclaim_from_dead_workers(hub: Hub) -> int:
    """Put back to ``pending`` the messages whose worker is certainly dead
    (see :func:`hub.services.worker_identity.is_certainly_dead`); how many.

    Runs when a worker starts: after a crash and a restart, the messages the
    dead process held go out at once instead of after their lease.
    """
    holders = {
        row["claimed_by"]
        for row in await OutboxMessage.select(OutboxMessage.claimed_by).where(
            OutboxMessage.status == "sending", OutboxMessage.claimed_by.is_not_null()
        )
    }
    dead = [text for text in holders if (holder := WorkerIdentity.parse(text)) and is_certainly_dead(holder)]
    if not dead:
        return 0
    taken = await OutboxMessage.update(
        {
            OutboxMessage.status: "pending",
            OutboxMessage.next_attempt_at: utcnow(),
            OutboxMessage.claimed_until: None,
            OutboxMessage.claimed_by: None,
        }
    ).where(OutboxMessage.status == "sending", OutboxMessage.claimed_by.is_in(dead)).returning(OutboxMessage.id)
    log.warning("Took back %d outbox message(s) from dead worker(s) %s", len(taken), ", ".join(sorted(dead)))
    return len(taken)


async def run_worker(hub: Hub, stop: asyncio.Event) -> None:
    """Deliver the outbox and process the payment inbox until ``stop`` is
    set; wakes at once when this process queues mail or stores an event,
    and polls for what other processes queue."""
    from hub.services.buyers import prepare_sign_ins  # buyers queue through this module
    from hub.services.inbox import process_due  # the inbox claims through this module
    from hub.services.worker import relay_wakeups, run_passes  # the worker runs these loops

    if hub.mailer is None:
        log.warning("No mailer is configured (the email plugin needs HUB_SMTP_URL): emails stay queued in the outbox")
        if not hub.inbox_processors:
            return
    else:
        try:
            await reclaim_from_dead_workers(hub)
        except Exception:  # the leases still run out; the worker must start anyway
            log.exception("Taking back dead workers' outbox messages failed")
    # /my sign-in requests become emails in prepare_sign_ins, not in the
    # buyer's request. The inbox and the outbox run side by side: a message
    # goes out while the next payment is processed, and each one's wait for
    # the disk (a commit) or the mail server is the other's time to work.
    inbox_wakeup, outbox_wakeup = asyncio.Event(), asyncio.Event()
    await asyncio.gather(
        relay_wakeups(hub.outbox_wakeup, (inbox_wakeup, outbox_wakeup), stop),
        run_passes(hub, stop, inbox_wakeup, [("Inbox", process_due)], log),
        run_passes(hub, stop, outbox_wakeup, [("Sign-in", prepare_sign_ins), ("Outbox", deliver_due)], log),
    )
