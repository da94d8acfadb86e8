"""Logging that never writes a secret.

Download links carry their token in the query string, sign-in links theirs,
and servers log request lines; exception messages and tracebacks may quote
a URL or a header (a ``Referer`` holding a download page's address). Every
log record the process creates is redacted before any handler sees it: each
kind of secret :mod:`hub.secrets` mints (:data:`~hub.secrets.SECRET_PREFIXES`)
is blanked after its prefix, however a client wrote it: percent-encoded in
any character and either case of hex (``ct%5Fdownload%5f…``, which the hub
decodes and accepts), percent-encoded twice, or ``\\u00XX``-escaped as in JSON.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from typing import Any

from hub.secrets import SECRET_PREFIXES

REDACTED = "[redacted]"


def _encoded(character: str) -> str:
    """A pattern for ``character`` as a client may write it in a URL, a form
    or JSON: itself, ``%HH`` (``%25`` repeated for double encoding) or ``\\u00HH``."""
    code = f"{ord(character):02x}"
    hex_digits = "".join(f"[{d}{d.upper()}]" if d.isalpha() else d for d in code)
    return rf"(?:{re.escape(character)}|%(?:25)*{hex_digits}|\\u00{hex_digits})"


def _prefix_pattern(prefix: str) -> str:
    return "".join(_encoded(c) for c in prefix)


SECRET_CHARACTER = r"(?:[A-Za-z0-9_\-]|%(?:25)*[0-9A-Fa-f]{2}|\\u00[0-9A-Fa-f]{2})"
SECRET_IN_TEXT = re.compile(
    "(?P<prefix>" + "|".join(f"(?P<p{i}>{_prefix_pattern(p)})" for i, p in enumerate(SECRET_PREFIXES)) + ")"
    + SECRET_CHARACTER + "+",
    re.IGNORECASE,
)


PLAIN_SECRET_IN_TEXT = re.compile(
    "(?P<prefix>" + "|".join(f"(?P<p{i}>{re.escape(p)})" for i, p in enumerate(SECRET_PREFIXES)) + ")"
    + r"[A-Za-z0-9_\-]+",
    re.IGNORECASE,
)
""":data:`SECRET_IN_TEXT` for a text with no ``%`` and no ``\\``, where no
character can be encoded: the same matches, at half the cost (every request
line of the access log is redacted)."""


_PREFIX_AS_WRITTEN = {prefix.lower(): prefix for prefix in SECRET_PREFIXES}


def _blank(match: re.Match[str]) -> str:
    kind = _PREFIX_AS_WRITTEN.get(match.group("prefix").lower())  # written plainly, in any case
    if kind is None:  # written encoded
        kind = next(SECRET_PREFIXES[i] for i in range(len(SECRET_PREFIXES)) if match.group(f"p{i}"))
    return kind + REDACTED


def redact(text: str) -> str:
    """``text`` with every secret the hub mints blanked after its prefix."""
    pattern = SECRET_IN_TEXT if "%" in text or "\\" in text else PLAIN_SECRET_IN_TEXT
    return pattern.sub(_blank, text)


def _redact_argument(value: Any) -> Any:
    """A log argument without secrets: strings are redacted; other objects
    (a URL, an exception) are replaced by their redacted text only when their
    text holds a secret, so ``%d`` and friends keep working for numbers."""
    if isinstance(value, str):
        return redact(value)
    if value is None or isinstance(value, (int, float, bool)):
        return value
    text = str(value)
    cleaned = redact(text)
    return value if cleaned == text else cleaned


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Blank secrets in the message, its arguments, the traceback and the stack."""
    if isinstance(record.msg, str):
        record.msg = redact(record.msg)
    else:
        record.msg = _redact_argument(record.msg)
    if isinstance(record.args, tuple):
        record.args = tuple(_redact_argument(a) for a in record.args)
    elif isinstance(record.args, Mapping):
        record.args = {k: _redact_argument(v) for k, v in record.args.items()}
    if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
        # Formatted now, once, redacted: handlers use exc_text when it is set.
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
    elif record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record


class RedactSecrets(logging.Filter):
    """The redaction as a filter, for a handler or logger configured by hand."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


_installed: list[Callable[..., logging.LogRecord]] = []


def guard_server_logs() -> None:
    """Redact every log record this process creates, whatever its logger
    (the ASGI server's access and error logs, the hub's, plugins', libraries').

    It wraps :func:`logging.getLogRecordFactory`, so records are redacted
    where they are made, before any filter, handler or formatter sees them.
    Idempotent.
    """
    if _installed:
        return
    make_record = logging.getLogRecordFactory()

    def make_redacted_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return redact_record(make_record(*args, **kwargs))

    _installed.append(make_redacted_record)
    logging.setLogRecordFactory(make_redacted_record)
