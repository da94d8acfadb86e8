"""Identifiers and secrets: how they are made, and how secrets are stored.

Secrets (API keys and download tokens) are 256-bit random strings shown once;
the database keeps their SHA-256, so a leaked database grants nothing. A
lookup by hash never compares secrets byte by byte, so it leaks no timing.
"""

from __future__ import annotations

import hashlib
import secrets

DOWNLOAD_TOKEN_PREFIX = "ct_download_"  # download tokens and /my's fresh links
API_KEY_PREFIX = "ct_key_"
SIGN_IN_PREFIX = "ct_signin_"  # /my's one-time sign-in links
SESSION_PREFIX = "ct_my_"  # /my's session cookie
CONSOLE_SESSION_PREFIX = "ct_console_"  # the console's session cookie
CONSOLE_INVITE_PREFIX = "ct_invite_"  # console invitation links
CONSOLE_RESET_PREFIX = "ct_reset_"  # console "forgot password" links

#: Every kind of secret the hub mints. :mod:`hub.logs` redacts each of them
#: wherever it appears in a log line, so a new kind must be listed here
#: (:func:`new_secret` refuses a prefix that is not).
SECRET_PREFIXES = (
    DOWNLOAD_TOKEN_PREFIX, API_KEY_PREFIX, SIGN_IN_PREFIX, SESSION_PREFIX, CONSOLE_SESSION_PREFIX, CONSOLE_INVITE_PREFIX,
    CONSOLE_RESET_PREFIX,
)


def new_id(prefix: str) -> str:
    """A public identifier such as ``version_3kq8…``: unique, not secret."""
    return f"{prefix}_{secrets.token_hex(10)}"


def new_secret(prefix: str) -> str:
    """A fresh secret with a recognizable prefix (for secret scanners, and
    for the log redaction, which knows every prefix in :data:`SECRET_PREFIXES`)."""
    if prefix not in SECRET_PREFIXES:
        raise ValueError(f"{prefix!r} is not in SECRET_PREFIXES: the logs would not redact it")
    return prefix + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    """The stored form of a secret."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()
