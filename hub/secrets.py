"""Identifiers and secrets: how they are made, and how secrets are stored.

Secrets (API keys and download tokens) are 256-bit random strings shown once;
the database keeps their SHA-256, so a leaked database grants nothing. A
lookup by hash never compares secrets byte by byte, so it leaks no timing.
"""

from __future__ import annotations

import hashlib
import secrets

DOWNLOAD_TOKEN_PREFIX = "ct_download_"
API_KEY_PREFIX = "ct_key_"


def new_id(prefix: str) -> str:
    """A public identifier such as ``version_3kq8…``: unique, not secret."""
    return f"{prefix}_{secrets.token_hex(10)}"


def new_secret(prefix: str) -> str:
    """A fresh secret with a recognizable prefix (for secret scanners)."""
    return prefix + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    """The stored form of a secret."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()
