"""``kill -9`` during an upload's completion, at every step, on a real server.

The hub runs as a ``continuata-hub serve`` subprocess told to SIGKILL itself
at one named point of ``POST /api/uploads/{id}/complete``
(``HUB_TEST_CRASH_AT``, see :mod:`hub.faults`): before assembling, in the
middle of assembling the parts, after assembling, in the middle of hashing,
after verifying, and after the file is marked ready but before the version
is. ``continuata-hub upload --activate`` is interrupted by the crash; the hub
is restarted and the same command, run again, must finish: the version
ready and active, every file's bytes exactly the originals, nothing left
half-written. On SQLite and PostgreSQL, local storage and S3 (moto).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import POSTGRES_URL
from tests.support.server import HubServer, hub_server, pairing_settings

CLI = shutil.which("continuata-hub", path=str(Path(sys.executable).parent)) or "continuata-hub"
PART_SIZE = 5 * 1024 * 1024
NEEDS_POSTGRES = pytest.mark.skipif(not POSTGRES_URL, reason="PostgreSQL tests need HUB_TEST_POSTGRES_URL")

#: Every step of a completion a crash can interrupt, in order.
CRASH_POINTS = [
    "upload.before-assembling",
    "storage.assembling",  # local storage assembles itself; S3 does it server-side
    "upload.assembled",
    "storage.hashing",
    "upload.verified",
    "upload.file-ready",
]


@pytest.fixture(
    params=[
        pytest.param(("sqlite", "local"), id="sqlite-local"),
        pytest.param(("sqlite", "s3"), id="sqlite-s3"),
        pytest.param(("postgres", "local"), id="postgres-local", marks=NEEDS_POSTGRES),
        pytest.param(("postgres", "s3"), id="postgres-s3", marks=NEEDS_POSTGRES),
    ]
)
def database_settings(request: pytest.FixtureRequest) -> dict[str, str]:
    """The ``HUB_*`` settings of one database and storage pairing (the
    fixture's name lets conftest empty PostgreSQL after each test)."""
    return pairing_settings(request, *request.param, HUB_UPLOAD_PART_SIZE=str(PART_SIZE), HUB_WORKER="off")


def make_folder(root: Path) -> dict[str, bytes]:
    """One file of three parts: the crash hits the version's last (and only)
    file, so nothing after it can hide a version left unfinished."""
    files = {"kits/big.wav": os.urandom(2 * PART_SIZE + 123_456)}
    for path, data in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
    return files


def upload(server: HubServer, cwd: Path, folder: Path) -> subprocess.CompletedProcess:
    env = {**server.env, "HUB_API_URL": server.url, "HUB_API_KEY": server.admin_key}
    env.pop("HUB_TEST_CRASH_AT", None)  # the client is not the one to crash
    return subprocess.run(
        [CLI, "upload", "kit", "1.0.0", str(folder), "--activate"],
        env=env, cwd=cwd, capture_output=True, text=True, timeout=120,
    )


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("crash_at", CRASH_POINTS)
def test_upload_run_again_after_a_crash_at_any_step_of_completion_finishes(tmp_path, database_settings, crash_at):
    if crash_at == "storage.assembling" and database_settings.get("HUB_STORAGE") == "s3":
        pytest.skip("S3 assembles the parts itself: there is no hub code to crash in")
    folder = tmp_path / "kit"
    files = make_folder(folder)
    data = tmp_path / "hub"

    with hub_server(data, HUB_TEST_CRASH_AT=crash_at, **database_settings) as first:
        httpx.post(f"{first.url}/api/products", json={"name": "Kit", "slug": "kit"}, headers=first.auth).raise_for_status()
        interrupted = upload(first, tmp_path, folder)
        assert first.process.wait(timeout=30) == -9, first.log_text()  # it died at the crash point
        assert interrupted.returncode != 0
        admin_key = first.admin_key

    with hub_server(data, init=False, **database_settings) as second:
        second.admin_key = admin_key
        finished = upload(second, tmp_path, folder)
        assert finished.returncode == 0, f"{finished.stdout}\n{finished.stderr}\n{second.log_text()}"

        with httpx.Client(base_url=second.url, headers=second.auth, timeout=30) as api:
            version = api.get("/api/products/kit/versions/1.0.0").json()["data"]["version"]
            assert version["status"] == "ready"
            assert {f["path"]: (f["status"], f["sha256"]) for f in version["files"]} == {
                path: ("ready", sha256(content)) for path, content in files.items()
            }
            assert api.get("/api/products/kit").json()["data"]["product"]["activeVersion"]["version"] == "1.0.0"
            token = api.post("/api/products/kit/tokens", json={"customerEmail": "fan@example.com"})
            assert token.status_code == 201, token.text
            link = token.json()["data"]["token"]["downloadUrl"]
        with httpx.Client(timeout=30) as buyer:
            listing = buyer.get(link, headers={"Accept": "application/json"}).json()["data"]["files"]
            received = {f["path"]: buyer.get(f["url"]).content for f in listing}
        assert {p: sha256(d) for p, d in received.items()} == {p: sha256(d) for p, d in files.items()}
        log = second.log_text()
        assert "Traceback" not in log and " 500 " not in log, log

    if "HUB_STORAGE" not in database_settings:
        # The dead process's half-assembled copy was cleaned up at restart.
        assert list((data / "data" / "blobs" / ".tmp").iterdir()) == []
