"""A real SMTP server on loopback, for tests: aiosmtpd in a thread of its own.

::

    with smtp_server() as server:
        settings = settings_for_tests(tmp, extra={"HUB_SMTP_URL": server.url, "HUB_MAIL_FROM": "shop@example.com"})
        ...
        [message] = await server.wait_for(1)
        assert message["Subject"] == "..."

Messages are parsed as a mail client reads them (:func:`parse_received`),
so a test sees decoded headers and plain lines in
``message.get_body(("plain",)).get_content()``. The server can be stopped
and started again on the same port, to play an outage.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from urllib.parse import quote

try:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword
except ModuleNotFoundError as missing:  # an extra of its own: the hub itself never needs it
    raise ModuleNotFoundError(
        "hub.testing.smtp needs aiosmtpd: pip install 'continuata-hub[testing]'", name=missing.name
    ) from missing

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Envelope:
    """What the SMTP conversation said, beside the message itself."""

    mail_from: str
    rcpt_tos: list[str]
    login: str | None = None


@dataclass
class SmtpServer:
    """A loopback SMTP server that keeps every message it accepts.

    :param credentials: ``(user, password)`` to require ``AUTH`` (allowed
        without TLS, on loopback only); None accepts mail from anyone.
    """

    credentials: tuple[str, str] | None = None
    data_delay: float = 0.0
    """Seconds each message's ``DATA`` waits before it is accepted: a slow relay."""
    refusals: dict[str, str] = field(default_factory=dict)
    """Recipient address (lower-case) → the answer its ``RCPT TO`` gets
    instead of ``250``: ``"550 5.1.1 No such user"`` (a permanent refusal),
    ``"451 4.3.0 Try again later"`` (a temporary one)."""
    most_at_once: int = 0
    """The most messages whose ``DATA`` was in progress at once."""
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[Envelope] = field(default_factory=list)
    port: int = 0
    _controller: Controller | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def url(self) -> str:
        """``HUB_SMTP_URL`` for this server (credentials included, percent-encoded)."""
        if self.credentials:
            user, password = (quote(part, safe="") for part in self.credentials)
            return f"smtp://{user}:{password}@{HOST}:{self.port}"
        return f"smtp://{HOST}:{self.port}"

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> None:
        """Listen: on a port the OS chooses the first time, on the same port after."""
        if self._controller is not None:
            return
        # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY on accepted
        # connections only then, and without it every reply waits ~45 ms for
        # a delayed ACK.
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        # The port was ours a moment ago: connections in TIME_WAIT must not keep us off it.
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind((HOST, self.port))
        except OSError:
            listener.close()
            raise
        self.port = listener.getsockname()[1]
        options: dict = {}
        if self.credentials:
            # AUTH over plain text is fine on loopback; "required" is enforced
            # by the handler (aiosmtpd's own flag warns on every connection).
            options = dict(authenticator=self._authenticate, auth_require_tls=False)
        controller = _ListeningController(_Collector(self), listener, **options)
        controller.start()
        self._controller = controller

    def stop(self) -> None:
        """Stop listening; clients now get "connection refused"."""
        if self._controller is not None:
            controller, self._controller = self._controller, None
            controller.stop()

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()
            self.envelopes.clear()

    def received(self) -> list[EmailMessage]:
        with self._lock:
            return list(self.messages)

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        """Wait until ``count`` messages arrived; returns them all."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self.messages)} of {count} messages arrived in {timeout} s")
            await asyncio.sleep(0.02)
        return self.received()

    def wait_for_blocking(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        """:meth:`wait_for` for code outside an event loop."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self.messages)} of {count} messages arrived in {timeout} s")
            time.sleep(0.02)
        return self.received()

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        if not isinstance(auth_data, LoginPassword) or self.credentials is None:
            return AuthResult(success=False, handled=False)
        given = (auth_data.login.decode(), auth_data.password.decode())
        return AuthResult(success=given == self.credentials, handled=False, auth_data=auth_data)

    def _keep(self, content: bytes, envelope: Envelope) -> None:
        message = parse_received(content)
        with self._lock:
            self.messages.append(message)
            self.envelopes.append(envelope)


def parse_received(raw: bytes) -> EmailMessage:
    """A message off the wire, read as a mail client reads it: headers
    decoded (``policy.default``), line endings as a mail store keeps them
    (the wire's CRLF becomes LF, so ``get_content()`` gives plain lines)."""
    return email.message_from_bytes(raw.replace(b"\r\n", b"\n"), policy=email.policy.default)


class _Collector:
    """The aiosmtpd handler: every accepted message goes to the server's list."""

    def __init__(self, server: SmtpServer) -> None:
        self.server = server
        self.in_progress = 0  # DATA commands being handled (one thread: no lock)

    async def handle_MAIL(self, server, session, envelope, address, mail_options) -> str:
        if self.server.credentials and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        refusal = self.server.refusals.get(address.lower())
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        self.in_progress += 1
        self.server.most_at_once = max(self.server.most_at_once, self.in_progress)
        try:
            if self.server.data_delay:
                await asyncio.sleep(self.server.data_delay)
        finally:
            self.in_progress -= 1
        auth = getattr(session, "auth_data", None)
        login = auth.login.decode() if isinstance(auth, LoginPassword) else None
        self.server._keep(
            envelope.original_content or envelope.content,
            Envelope(mail_from=envelope.mail_from, rcpt_tos=list(envelope.rcpt_tos), login=login),
        )
        return "250 Message accepted for delivery"


class _ListeningController(Controller):
    """aiosmtpd's Controller on a socket bound beforehand (aiosmtpd cannot
    report the port the OS picks for port 0)."""

    def __init__(self, handler, listener: socket.socket, **options) -> None:
        self._listener = listener
        super().__init__(handler, hostname=HOST, port=listener.getsockname()[1], **options)

    def _create_server(self):
        return self.loop.create_server(self._factory_invoker, sock=self._listener, ssl=self.ssl_context)


@contextlib.contextmanager
def smtp_server(credentials: tuple[str, str] | None = None) -> Iterator[SmtpServer]:
    """A running :class:`SmtpServer`, stopped on exit however the block ends."""
    server = SmtpServer(credentials=credentials)
    server.start()
    try:
        yield server
    finally:
        server.stop()
