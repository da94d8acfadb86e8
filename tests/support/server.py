"""The hub as a real server: ``continuata-hub init`` then ``serve`` in a
subprocess on a free loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx


@dataclass
class HubServer:
    url: str
    admin_key: str
    process: subprocess.Popen
    env: dict[str, str]

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_key}"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def hub_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "hub", *args]


@contextmanager
def hub_server(data_dir: Path, org: str = "shop", init: bool = True, **settings: str) -> Iterator[HubServer]:
    """Start a hub with ``HUB_*`` ``settings`` (e.g. ``HUB_STORAGE="s3"``);
    stop it on exit, whatever happened. ``init=False`` restarts a hub on a
    data directory (and database) a previous one set up."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "HUB_DATA_DIR": str(data_dir),
        "HUB_PUBLIC_URL": url,
        "HUB_LOG_LEVEL": "warning",
        "HUB_SECRET_KEY": "end-to-end-secret",
        **settings,
    }
    admin_key = ""
    if init:
        made = subprocess.run(hub_command("init", "--org", org), env=env, capture_output=True, text=True, timeout=60)
        assert made.returncode == 0, made.stderr
        admin_key = made.stdout.strip().splitlines()[-1]
    process = subprocess.Popen(
        hub_command("serve", "--host", "127.0.0.1", "--port", str(port)),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the hub exited at start:\n{process.stdout.read().decode()}")
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the hub did not answer /healthz within 30 s")
            time.sleep(0.1)
        yield HubServer(url=url, admin_key=admin_key, process=process, env=env)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
