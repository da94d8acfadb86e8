"""What a plugin implements for the core to call: a mailer, an inbox processor.

Each contract is a :class:`typing.Protocol`, so a plugin's object can be
checked against it (by a type checker, and at run time with ``isinstance``
where the core needs to know what an object can do), instead of the core
guessing with ``getattr``. Plugins import these names from
:mod:`hub.plugin_api`; the blob store's contract is :class:`hub.storage.BlobStore`.
"""

from __future__ import annotations

from email.message import EmailMessage
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from hub.context import Hub
    from hub.services.inbox import ReceivedEvent


@runtime_checkable
class Mailer(Protocol):
    """Sends the messages of the outbox: what ``hub_mailer`` returns.

    ``send`` raises on failure (the outbox then retries with backoff) and
    keeps the message's ``Message-ID`` (derived from the outbox row, the same
    on every attempt, so a copy resent after a crash is recognisably the
    same message). The core renders every message and sets its ``From``
    (``HUB_MAIL_FROM``): a mailer only sends.

    Two optional abilities, each its own protocol, checked with
    ``isinstance`` by the outbox:

    - :class:`BytesMailer`: ``send_bytes`` takes the message as it goes out,
      already serialized;
    - :class:`ConcurrentMailer`: ``concurrency``, how many messages it may
      send at once (a mailer without it sends one at a time).
    """

    async def send(self, message: EmailMessage) -> None:
        """Send ``message``; raise on failure."""
        ...


@runtime_checkable
class BytesMailer(Mailer, Protocol):
    """A :class:`Mailer` that also sends a message already serialized.

    ``data`` is the message as it goes out (``From``, ``Date`` and
    ``Message-ID`` set, CRLF line ends, all ASCII), ``sender`` and
    ``recipients`` its envelope. The outbox then uses it for the messages
    it can complete without parsing them, and ``send`` for the others.
    """

    async def send_bytes(self, data: bytes, *, sender: str, recipients: list[str]) -> None:
        """Send the serialized message ``data`` to ``recipients``; raise on failure."""
        ...


@runtime_checkable
class ConcurrentMailer(Mailer, Protocol):
    """A :class:`Mailer` that may send several messages at once.

    ``concurrency`` is how many (a whole number from 1): the outbox sends up
    to that many messages side by side, each its own ``send`` call. A value
    that is not a whole number of at least 1 counts as 1.
    """

    concurrency: int


def mailer_concurrency(mailer: Mailer) -> int:
    """How many messages ``mailer`` may send at once: its ``concurrency``
    when it is a :class:`ConcurrentMailer` with a sensible one, else 1."""
    if not isinstance(mailer, ConcurrentMailer):
        return 1
    concurrency = mailer.concurrency
    return concurrency if isinstance(concurrency, int) and not isinstance(concurrency, bool) and concurrency >= 1 else 1


class InboxProcessor(Protocol):
    """Processes one stored webhook event of a payment provider: the values
    of the dict ``hub_inbox_processors`` returns (a bound method or a
    function, ``async def process(hub, event) -> str``).

    ``event`` is the :class:`hub.plugin_api.ReceivedEvent` the plugin's
    webhook route stored (:func:`hub.plugin_api.store_event`); the returned
    note is kept as the event's outcome. Raising retries the event with
    backoff, up to ``HUB_INBOX_MAX_ATTEMPTS``, then leaves it ``failed``
    with the reason. A processor may run again for an event it already
    processed (after a crash): translate events into the core's idempotent
    calls (:func:`hub.plugin_api.record_purchase`,
    :func:`hub.plugin_api.record_reversal`).
    """

    async def __call__(self, hub: Hub, event: ReceivedEvent) -> str:
        """Act on ``event``; return a short note of what became of it."""
        ...
