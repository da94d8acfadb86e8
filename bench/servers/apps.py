"""The ASGI apps the benchmarks serve: the hub, and two bare Litestar references.

- ``hub_app()``: ``hub.app.create_app()`` with settings from ``HUB_*``, as
  ``continuata-hub serve`` builds it.
- ``file_app()``: a bare Litestar app whose one handler returns Litestar's
  ``File`` response for ``$BENCH_FILES_DIR/<name>`` (no database, no Range).
- ``hello_app()``: a bare Litestar app, ``@get("/")`` returning a small dict.

All three are factories (``granian --factory``; bench/servers/serve.py calls them).
"""

from __future__ import annotations

import os
from pathlib import Path

from litestar import Litestar, get
from litestar.response import File


def hub_app():
    from hub.app import create_app

    return create_app()


def file_app() -> Litestar:
    root = Path(os.environ.get("BENCH_FILES_DIR", ".")).resolve()

    @get("/")
    async def health() -> dict:
        return {"hello": "world"}

    @get("/files/{name:str}")
    async def download(name: str) -> File:
        path = root / name
        if path.parent != root:
            raise ValueError("bad name")
        return File(path=path, filename=name, media_type="application/octet-stream")

    return Litestar(route_handlers=[health, download], debug=False)


def hello_app() -> Litestar:
    @get("/")
    async def hello() -> dict:
        return {"hello": "world"}

    return Litestar(route_handlers=[hello], debug=False)


APPS = {"hub": hub_app, "file": file_app, "hello": hello_app}
