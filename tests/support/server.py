"""The hub as a real server: ``continuata-hub init`` then ``serve`` in a
subprocess on a free loopback port, stopped whatever the test did."""

from __future__ import annotations

import hashlib
import os
import secrets
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
    log: Path

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_key}"}

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def log_text_with(self, part: str, times: int = 1, timeout: float = 10.0) -> str:
        """The log once it holds ``part`` ``times`` times: a request's line is
        written after its answer is sent (the access log writes a loop
        round's lines together), so a client can read the log first."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.log_text()
            if text.count(part) >= times or time.monotonic() > deadline:
                return text
            time.sleep(0.05)


def pairing_settings(request, database: str, storage: str, **settings: str) -> dict[str, str]:
    """``settings`` and the ``HUB_*`` settings of one database (``sqlite`` or
    ``postgres``: a fresh database) and storage (``local`` or ``s3``: a new
    bucket on the tests' moto server) pairing; ``request`` is the fixture's."""
    settings = dict(settings)
    if database == "postgres":
        settings["HUB_DATABASE_URL"] = request.getfixturevalue("fresh_postgres")
    if storage == "s3":
        settings.update(
            HUB_STORAGE="s3",
            HUB_S3_BUCKET=f"test-{secrets.token_hex(6)}",
            HUB_S3_ENDPOINT_URL=request.getfixturevalue("s3_endpoint"),
            HUB_S3_ACCESS_KEY_ID="testing",
            HUB_S3_SECRET_ACCESS_KEY="testing",
        )
    return settings


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def hub_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "hub", *args]


def run_cli(env: dict[str, str], cwd: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    done = subprocess.run(hub_command(*args), env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"continuata-hub {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done


@contextmanager
def hub_server(data_dir: Path, org: str = "shop", init: bool = True, **settings: str) -> Iterator[HubServer]:
    """Start a hub on ``data_dir`` with ``HUB_*`` ``settings`` (e.g.
    ``HUB_STORAGE="s3"``). ``init=False`` restarts a hub on what a previous
    one set up. The caller's own ``HUB_*`` variables and any ``.env`` are
    kept out: the server sees exactly the settings given here."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(
        HUB_DATA_DIR=str(data_dir / "data"),
        HUB_PUBLIC_URL=url,
        HUB_LOG_LEVEL="info",
        HUB_SECRET_KEY="end-to-end-secret",
        **settings,
    )
    admin_key = ""
    if init:
        admin_key = run_cli(env, data_dir, "init", "--org", org).stdout.strip().splitlines()[-1]
        assert admin_key.startswith("ct_key_"), admin_key
    log = data_dir / f"server-{port}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            hub_command("serve", "--host", "127.0.0.1", "--port", str(port)),
            env=env,
            cwd=data_dir,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, f"the hub exited with {process.returncode}:\n{log.read_text()}"
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"the hub did not answer /healthz in 30 s:\n{log.read_text()}"
            time.sleep(0.1)
        yield HubServer(url=url, admin_key=admin_key, process=process, env=env, log=log)
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def upload_sample(api: httpx.Client, slug: str, data: bytes, *, path: str = "a.txt", version: str = "1.0.0") -> None:
    """Through a running hub's API (``api`` carries an admin key): a product
    ``slug`` with one version holding one file of ``data``, uploaded and ready."""
    api.post("/api/products", json={"name": slug.title(), "slug": slug}).raise_for_status()
    files = [{"path": path, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}]
    api.post(f"/api/products/{slug}/versions", json={"version": version, "files": files}).raise_for_status()
    upload = api.post(f"/api/products/{slug}/versions/{version}/uploads", json={"path": path}).json()["data"]["upload"]
    api.put(f"/api/uploads/{upload['id']}/parts/1", content=data).raise_for_status()
    api.post(f"/api/uploads/{upload['id']}/complete").raise_for_status()
