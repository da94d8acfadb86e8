"""The one object every part of the hub is handed: settings and resources.

Resources (the database engine, the blob store) are opened once in the
application's lifespan, never per request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from jinja2 import Environment
from piccolo.engine.base import Engine

from hub.settings import Settings
from hub.storage import BlobStore


@dataclass
class Hub:
    settings: Settings
    engine: Engine
    blobs: BlobStore
    templates: Environment
    plugins: Any = field(default=None)

    def download_url(self, token: str) -> str:
        """The buyer-facing link for a token secret."""
        return f"{self.settings.public_url}/download?token={token}"
