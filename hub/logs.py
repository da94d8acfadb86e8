"""Logging that never writes a secret.

Download links carry their token in the query string, and servers log
request lines; :class:`RedactSecrets` blanks token values (and API keys, in
case one is pasted into a URL) in every record of the loggers it guards.
"""

from __future__ import annotations

import logging
import re

SECRET_IN_TEXT = re.compile(r"(ct_download_|ct_key_)[A-Za-z0-9_\-]+")


def redact(text: str) -> str:
    return SECRET_IN_TEXT.sub(r"\1[redacted]", text)


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


def guard_server_logs() -> None:
    """Attach the filter to the access and error loggers of ASGI servers
    (idempotent)."""
    for name in ("uvicorn.access", "uvicorn.error", "granian.access", "hub"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())
