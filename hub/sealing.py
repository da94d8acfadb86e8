"""Sealing what must be stored but never in clear: queued email bodies.

A delivery email carries download links, and a link carries its token's
secret; the outbox keeps the message until it is sent, so it keeps it
sealed (Fernet: AES and an HMAC) with the hub's secret key. The database
alone reveals no token.

The key is ``HUB_SECRET_KEY``. When it is unset, the hub makes one on first
start and keeps it in ``$HUB_DATA_DIR/secret.key`` (readable by the owner
only), which suits one server; several servers must share one key through
``HUB_SECRET_KEY``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from hub.settings import Settings


class SealError(RuntimeError):
    """A sealed value could not be opened (wrong or changed secret key)."""


def secret_key(settings: Settings) -> str:
    if settings.secret_key:
        return settings.secret_key
    path = Path(settings.data_dir) / "secret.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(32))
    return path.read_text().strip()


class Sealer:
    def __init__(self, key: str) -> None:
        self._key = key
        derived = hashlib.sha256(b"continuata-hub outbox\n" + key.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def derive(self, purpose: str) -> str:
        """A secret of its own for ``purpose`` (the CSRF tokens' signing key,
        say), derived from the secret key: shared by every process with that
        key, and revealing nothing of it or of the outbox's."""
        return hmac.new(self._key.encode(), b"continuata-hub " + purpose.encode(), hashlib.sha256).hexdigest()

    def seal(self, data: bytes) -> str:
        return self._fernet.encrypt(data).decode("ascii")

    def open(self, sealed: str) -> bytes:
        try:
            return self._fernet.decrypt(sealed.encode("ascii"))
        except InvalidToken:
            raise SealError("Cannot open a sealed message: HUB_SECRET_KEY differs from the one that sealed it") from None
